"""How a node's #cloud-config reaches the CVM and is read back: gzip, one MIME part, base64. Pure.

Split from planning/bootstrap.py, which re-exports every name here.
"""

from __future__ import annotations

import base64
import email
import gzip
import re


# --- user data ------------------------------------------------------------------------------------------------


class UserDataTooLarge(ValueError):
    pass


# What the CVM receives: text. terraform-provider-tencentcloud v1.82.42, tencentcloud/services/cvm/
# resource_tc_instance.go: create sends `user_data` to RunInstances.UserData as given ("Must be base64 encoded and
# up to 16 KB"); resourceTencentCloudInstanceRead then reads it back (DescribeInstancesAttributes, Attributes
# ["UserData"]) and sets `user_data_raw` to string(its base64 decoding). Pulumi carries that state over gRPC, whose
# string fields must be valid UTF-8: with a binary user data (gzip's bytes, as kubecvm shipped before) the bridge
# cannot marshal the create response, and the CVM, already created, is lost to the state (pulumi-terraform-bridge,
# "CreateResponse fails to marshal"). So the decoded user data must be text. A plain #cloud-config does not fit (a
# first master's is 24 KB, 32 KB in base64), nor one whose files each use cloud-init's write_files
# `encoding: gz+b64` (files compressed one by one: 23 KB as shipped). What ships is a one-part MIME message whose
# part is the gzipped #cloud-config in base64: cloud-init parses user data holding "MIME-Version:" as MIME, decodes
# a part by its Content-Transfer-Encoding, gunzips a part of a gzip type and reads the #cloud-config it holds
# (cloud-init docs, "User data formats": MIME multi-part archive, gzip compressed content; cloudinit/user_data.py
# convert_string, UserDataProcessor._process_msg, DECOMP_TYPES). The gzip still sees the whole document at once;
# the second base64 costs a third more (each preset's sizes: docs/concepts/boot.md's table, held to the plan by a test). The
# part's base64 is one line: RFC 2045 asks for lines of 76 characters, but cloud-init parses with Python's email
# package, which decodes lines of any length, and wrapping would cost 1.3% more (tests/bootstrap/test_render.py runs
# Debian's cloud-init on what ships).
# mtime=0: the same text always encodes to the same bytes, so nothing shows as changed in a diff.
USER_DATA_MIME_HEAD = "MIME-Version: 1.0\nContent-Type: application/gzip\nContent-Transfer-Encoding: base64\n\n"
# The part types cloud-init gunzips (cloudinit/user_data.py DECOMP_TYPES).
GZIP_TYPES = frozenset(
    {
        "application/gzip",
        "application/gzip-compressed",
        "application/gzipped",
        "application/x-compress",
        "application/x-compressed",
        "application/x-gunzip",
        "application/x-gzip",
        "application/x-gzip-compressed",
    }
)
_GZIP_MAGIC = b"\x1f\x8b"
_OWN_HEAD = USER_DATA_MIME_HEAD.encode()
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}\n?")


def encode_user_data(user_data: str) -> str:
    """The CVM's `user_data`: base64 of a MIME message (ASCII) whose one part is the gzipped #cloud-config."""
    if not user_data.isascii():
        # cloud-init hands a gunzipped part on as text that Python's email package turns back into bytes with
        # raw-unicode-escape (Message.get_payload): an "é" would reach the node as a lone surrogate, a "中" as the
        # six characters \u4e2d. _yaml escapes every other character (PyYAML's allow_unicode is off), so what
        # render_user_data returns is ASCII.
        raise ValueError("user data must be ASCII: cloud-init garbles other characters of a gzipped MIME part")
    part = base64.b64encode(gzip.compress(user_data.encode(), mtime=0)).decode()
    return base64.b64encode(f"{USER_DATA_MIME_HEAD}{part}\n".encode()).decode()


def user_data_parts(data: bytes) -> list[bytes]:
    """The payloads cloud-init reads from user data bytes, as it reads them (cloudinit/user_data.py convert_string,
    then UserDataProcessor._process_msg): the whole, gunzipped if it is gzip; when that is a MIME message (cloud-init
    looks for "mime-version:" in its first 4096 bytes and decodes it as UTF-8), each part that is not a multipart
    container, decoded by its Content-Transfer-Encoding and gunzipped when its type is a gzip one."""
    if (own := _own_part(data)) is not None:
        return [own]
    return mime_parts(data)


def _own_part(data: bytes) -> bytes | None:
    """The one part of user data exactly as encode_user_data ships it (its MIME head, then one line of strict base64),
    without the email parser (a policy reads every CVM's user data: the parser was most of that rule's time); None for
    anything else. mime_parts reads such data to the same one part (tests/bootstrap/test_render.py)."""
    if not data.startswith(_OWN_HEAD) or not _BASE64_LINE.fullmatch(data, len(_OWN_HEAD)):
        return None
    try:
        payload = base64.b64decode(data[len(_OWN_HEAD) :].rstrip(b"\n"), validate=True)
    except ValueError:  # binascii.Error: bad padding
        return None
    return gzip.decompress(payload)


def mime_parts(data: bytes) -> list[bytes]:
    """user_data_parts through the email parser, as cloud-init reads any user data."""
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    if b"mime-version:" not in data[:4096].lower():
        return [data]
    parts = []
    for part in email.message_from_string(data.decode("utf-8")).walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        parts.append(gzip.decompress(payload) if part.get_content_type() in GZIP_TYPES else payload)
    return parts


def decode_user_data(encoded: str) -> str:
    """The #cloud-config text of a CVM's `user_data` (as shipped, or gzip or plain text), as cloud-init reads it."""
    parts = user_data_parts(base64.b64decode(encoded, validate=True))
    if len(parts) != 1:
        raise ValueError(f"user data holds {len(parts)} parts, not one")
    return parts[0].decode()


def user_data_size(user_data: str) -> int:
    """Bytes as CVM counts them: what is shipped, after base64."""
    return len(encode_user_data(user_data))
