"""The rendered cloud-init: validated by Debian's cloud-init, reviewed as snapshots, its size, no secrets, and the
user data as it ships (encoded once, read back by cloud-init itself, any file content as text)."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
import yaml  # cloud-init and kubeadm-side tools read it with PyYAML too

from kubecvm.planning import bootstrap, build_plan
from tests.conftest import make_spec
from tests.bootstrap._boot import CA_HASH, PRESETS, machine, preset_plan, roles, shipped, user_data

CASES = [(stack, role) for stack in PRESETS for role in roles(preset_plan(stack))]
CLOUD_INIT = shutil.which("cloud-init")
FORBIDDEN = ("BEGIN", "PRIVATE KEY", "TENCENTCLOUD_SECRET")


@pytest.mark.skipif(
    not CLOUD_INIT,
    reason="LOUD SKIP: Debian's cloud-init is not installed, so no user data was "
    "schema-checked; install it with `apt-get update && apt-get install -y cloud-init`",
)
def test_every_user_data_passes_cloud_init_schema(tmp_path: Path):
    # Each preset's every role, as sent and expanded: both must be valid cloud-config.
    paths = []
    for stack, role in CASES:
        text = user_data(preset_plan(stack), machine(stack, role))
        for kind, body in (("raw", text), ("expanded", bootstrap.expand_user_data(text))):
            path = tmp_path / f"{stack}-{role}-{kind}.yaml"
            path.write_text(body)
            paths.append(path)
    for path in paths:
        result = subprocess.run([CLOUD_INIT, "schema", "--config-file", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path.name}: {result.stdout}{result.stderr}"
        assert "Valid cloud-config" in result.stdout


def test_cloud_init_rejects_a_broken_user_data(tmp_path: Path):
    # The validator is not a rubber stamp: a mode given as a number is refused.
    if not CLOUD_INIT:
        pytest.skip("LOUD SKIP: cloud-init not installed (apt-get install -y cloud-init)")
    text = user_data(preset_plan("dev"), machine("dev", "master-init")).replace(
        "permissions: '0600'", "permissions: 600", 1
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = subprocess.run([CLOUD_INIT, "schema", "--config-file", str(path)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "permissions" in result.stdout + result.stderr


@pytest.mark.parametrize("stack,role", CASES)
def test_user_data_snapshot(stack: str, role: str, snapshot):
    # Reviewed on every change: the expanded user data (scripts in clear). It holds no secret to replace: the
    # token is the literal __BOOTSTRAP_TOKEN__ and the CA hash a placeholder.
    assert bootstrap.expand_user_data(user_data(preset_plan(stack), machine(stack, role))) == snapshot


@pytest.mark.parametrize("stack", PRESETS)
def test_every_machine_fits_and_holds_no_secret(stack: str):
    plan = preset_plan(stack)
    for m in plan.machines:
        text = user_data(plan, m)
        assert bootstrap.user_data_size(text) <= bootstrap.USER_DATA_LIMIT
        for body in (text, bootstrap.expand_user_data(text)):
            for marker in FORBIDDEN:
                assert marker not in body, f"{m.name}: {marker}"
        assert bootstrap.TOKEN_PLACEHOLDER in text


def test_largest_cluster_fits_the_16k_limit():
    # Seven masters, long names, many labels and taints: the worst user data kubecvm renders stays under 16 KB.
    spec = make_spec(
        "prod",
        {
            "name": "a-very-long-cluster1",
            "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"],
            "controlPlane": {"count": 7, "instanceType": "S5.4XLARGE64"},
            "nodePools": [
                {
                    "name": "gpu-inference-pool",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "labels": {f"example.com/label-{i}": f"value-{i:02d}-of-the-pool" for i in range(20)},
                    "taints": [
                        {"key": f"example.com/taint-{i}", "value": "yes", "effect": "NoSchedule"} for i in range(10)
                    ],
                }
            ],
        },
    )
    plan = build_plan(spec)
    sizes = {m.name: bootstrap.user_data_size(user_data(plan, m)) for m in plan.machines}
    assert max(sizes.values()) <= bootstrap.USER_DATA_LIMIT, sizes


def test_oversized_user_data_is_refused(monkeypatch):
    plan = preset_plan("prod")
    monkeypatch.setattr(bootstrap, "USER_DATA_LIMIT", 1000)
    with pytest.raises(
        bootstrap.UserDataTooLarge, match=r"prod-master-0: user data is \d+ bytes after gzip and base64"
    ):
        user_data(plan, plan.masters[0])
    with pytest.raises(
        bootstrap.UserDataTooLarge, match=r"prod-master-0: user data is \d+ bytes after gzip and base64"
    ):
        bootstrap.cvm_user_data(plan, plan.masters[0], ca_hash=CA_HASH)


@pytest.mark.parametrize("stack", PRESETS)
def test_the_cvm_gets_the_rendered_text_encoded_once(stack: str):
    # What the component ships (rendered and encoded in one pass) is what encoding the rendered text gives.
    plan = preset_plan(stack)
    for m in plan.machines:
        assert bootstrap.cvm_user_data(plan, m, ca_hash=CA_HASH) == shipped(plan, m), m.name


def test_a_malformed_ca_hash_is_refused():
    plan = preset_plan("dev")
    with pytest.raises(ValueError, match="sha256:<64 hex digits>"):
        bootstrap.render_user_data(plan, plan.masters[0], ca_hash="sha256:abc")


CLOUD_INIT_PYTHON = "/usr/bin/python3"  # Debian's cloud-init lives in the system Python, not in .venv
# What Debian's cloud-init makes of each shipped user data: the bytes the node gets (the CVM's `user_data` decoded)
# through UserDataProcessor.process, as a datasource's get_userdata calls it, then each part as its handlers read
# it (util.fully_decoded_payload): [[content type, text], ...] per user data.
CLOUD_INIT_READ = """
import base64, json, sys
from cloudinit import user_data, util
out = []
for shipped in json.load(sys.stdin):
    msg = user_data.UserDataProcessor(None).process(base64.b64decode(shipped))
    out.append([[p.get_content_type(), util.fully_decoded_payload(p)] for p in msg.walk()
                if p.get_content_maintype() != "multipart"])
json.dump(out, sys.stdout)
"""


def cloud_init_reads(shipped: list[str]) -> list[list[list[str]]]:
    out = subprocess.run(
        [CLOUD_INIT_PYTHON, "-c", CLOUD_INIT_READ],
        input=json.dumps(shipped),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not CLOUD_INIT, reason="cloud-init not installed (apt-get install -y cloud-init)")
def test_cloud_init_itself_reads_the_shipped_user_data_as_the_rendered_cloud_config():
    rendered = [
        bootstrap.render_user_data(preset_plan(stack), machine(stack, role), ca_hash=CA_HASH) for stack, role in CASES
    ]
    sent = [shipped(preset_plan(stack), machine(stack, role)) for stack, role in CASES]
    assert cloud_init_reads(sent) == [[["text/cloud-config", text]] for text in rendered]
    assert [bootstrap.decode_user_data(s) for s in sent] == rendered


@pytest.mark.parametrize("stack,role", CASES)
def test_shipped_user_data_is_text_with_room_to_spare(stack: str, role: str):
    sent = shipped(preset_plan(stack), machine(stack, role))
    # The provider reads the user data back and stores its base64 decoding as the string user_data_raw, which
    # Pulumi's gRPC refuses unless it is UTF-8 (planning/user_data.py encode_user_data): text, ASCII even.
    assert base64.b64decode(sent, validate=True).isascii()
    # Room to spare: under 94% of the 16 KB CVM limit (15401 bytes; what each role ships: docs/concepts/boot.md's
    # table, held to the plan by tests/bootstrap/test_doc_figures.py). The share was 70% while the gzip went out as bare bytes
    # (60% until the hash lock of tccli's closure, planning/node-pip.lock: ~1.3 KB of random hex that gzip cannot
    # shrink, was judged worth more than the margin). The MIME part's base64 costs a third more; 94% is that 70%
    # carried through it (the same 8.6 KB of gzip), 983 bytes under the limit.
    assert len(sent) < 0.94 * bootstrap.USER_DATA_LIMIT, (stack, role, len(sent))


# File contents that could trip an encoding: bytes a text file rarely holds, other scripts, line ends, markers of
# gzip and of MIME inside the payload.
AWKWARD_CONTENTS = [
    "",
    "no final newline",
    "\x00\x01\x02\x1b[0m\x7f\n",
    "caf\u00e9 \u4e2d\u6587 \U0001f600\n",
    "\ufeffBOM first\n",
    "dos\r\nline ends\r\n",
    "\x1f\x8b\x08\x00 gzip's magic\n",
    "\u2028\u2029\x85 unicode line breaks\n",
    "MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\n#!/bin/sh\nreboot\n",
    "--==BOUNDARY==\n\nFrom me\n",
    "#cloud-config\nruncmd: [reboot]\n",
    "  leading blanks\n\ttab\ntrailing  \n\n\n",
]


def one_file(content: str) -> str:
    return "#cloud-config\nwrite_files:\n" + bootstrap._entry("/etc/kubecvm/x", "0644", bootstrap.Literal(content))


@pytest.mark.skipif(not CLOUD_INIT, reason="cloud-init not installed (apt-get install -y cloud-init)")
def test_cloud_init_writes_awkward_file_contents_exactly():
    # A gzipped MIME part garbles non-ASCII text in cloud-init (bootstrap.encode_user_data): PyYAML escapes it, so
    # the user data stays ASCII and cloud-init's YAML parse gives the content back.
    texts = [one_file(c) for c in AWKWARD_CONTENTS]
    assert all(t.isascii() for t in texts)
    read = cloud_init_reads([bootstrap.encode_user_data(t) for t in texts])
    assert read == [[["text/cloud-config", t]] for t in texts]
    assert [yaml.safe_load(t)["write_files"][0]["content"] for t in texts] == AWKWARD_CONTENTS


@given(st.text())
def test_any_file_content_ships_as_text_and_decodes_back(content: str):
    text = one_file(content)
    sent = bootstrap.encode_user_data(text)
    raw = base64.b64decode(sent, validate=True)
    raw.decode("utf-8")  # strict: what the provider stores as user_data_raw
    assert raw.isascii()
    assert bootstrap.decode_user_data(sent) == text
    assert yaml.safe_load(bootstrap.expand_user_data(text))["write_files"][0]["content"] == content


@given(st.text())
def test_only_ascii_user_data_is_encoded(text: str):
    if text.isascii():
        assert bootstrap.decode_user_data(bootstrap.encode_user_data(text)) == text
    else:
        with pytest.raises(ValueError, match="must be ASCII"):
            bootstrap.encode_user_data(text)


@given(
    st.one_of(
        st.text(st.sampled_from(" \n\t\r#:-|'\"ab~\x7f\x85")),
        st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.just("\n")).map(lambda t: t + "\n"),
    ),
    st.sampled_from([("/etc/kubecvm/boot.env", "0600", None), ("/usr/local/sbin/x", "0755", "gz+b64")]),
)
def test_a_file_entry_is_what_the_emitter_writes(content: str, where: tuple):
    # _entry writes the per-node files' plain `|` blocks itself; anything else goes to the emitter.
    path, mode, encoding = where
    text = bootstrap.Literal(content)
    assert bootstrap._entry.__wrapped__(path, mode, text, encoding) == bootstrap._dumped_entry(
        path, mode, text, encoding
    )


@given(st.text(st.characters(max_codepoint=127)))
def test_own_user_data_reads_as_the_email_parser_reads_it(text: str):
    data = base64.b64decode(bootstrap.encode_user_data(text))
    assert bootstrap.user_data_parts(data) == bootstrap.mime_parts(data) == [text.encode()]


@given(st.text("AB+/=\n\r -_" + "H4sIAAAAAAAA"), st.binary(max_size=64))
def test_data_like_own_user_data_reads_as_the_email_parser_reads_it(tail: str, payload: bytes):
    # Near misses of encode_user_data's shape (bad padding, several lines, other characters, not gzip) take the
    # email parser's way or fail as it fails.
    head = bootstrap.USER_DATA_MIME_HEAD.encode()
    for data in (head + tail.encode(), head + base64.b64encode(gzip.compress(payload) + tail.encode()) + b"\n"):
        try:
            expected = bootstrap.mime_parts(data)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                bootstrap.user_data_parts(data)
        else:
            assert bootstrap.user_data_parts(data) == expected


@pytest.mark.parametrize("form", ["gzip", "plain"])
def test_user_data_of_earlier_forms_still_decodes(form: str):
    # The bare gzip kubecvm shipped before, or plain text: what the policy and a review may find in other states.
    text = user_data(preset_plan("dev"), machine("dev", "worker-general"))
    data = gzip.compress(text.encode(), mtime=0) if form == "gzip" else text.encode()
    assert bootstrap.decode_user_data(base64.b64encode(data).decode()) == text
