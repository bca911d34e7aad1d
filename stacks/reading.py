"""Reading a user's file with a bound on what is read and on what parsing it may take, whatever the file is.

A file's stat size says nothing about a device or a pipe (`/dev/zero`, `/dev/urandom`, `<(cmd)` all stat as 0
bytes and never end), so the bound is on the bytes actually read: at most `limit + 1`, then refused; and on the
time a pipe may take. A FIFO is opened without blocking (a FIFO nobody writes to would hang `open`) and waited
for, up to that time.

JSON costs far more in memory than on disk when its values are small (`[{},{},...]`: 3 bytes of text, about 70
of Python objects), so `json_memory_estimate` bounds what parsing would take before it is done, from counts of
the structural characters (a character inside a string counts too, which only makes the estimate larger).
"""

from __future__ import annotations

import json
import os
import re
import select
import stat
import time
from pathlib import Path


class TooLarge(ValueError):
    """More than the limit: the message says how much was allowed."""


PIPE_WAIT_SECONDS = 30.0  # how long a pipe or device may take to deliver its whole content


def read_bounded(path: Path, limit: int, wait: float = PIPE_WAIT_SECONDS) -> bytearray:
    """At most `limit` bytes of `path`, which may be a regular file, a device or a pipe; TooLarge past that.
    A pipe or device has `wait` seconds in all to deliver its content (a FIFO nobody writes to, or a writer that
    stalls, would otherwise hang the command); past that, TimeoutError. OSError as open() raises it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        regular = stat.S_ISREG(mode)
        deadline = time.monotonic() + wait
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        data = bytearray()  # grown in place (no list of chunks joined into a second copy at the end)
        writer_seen = False
        while True:
            if not regular:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(left * 1000):
                    raise TimeoutError(
                        f"nothing more came through it for {wait:.0f} s (a pipe or device with no "
                        "writer, or one that stalls)"
                    )
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - len(data)))
            except BlockingIOError:  # a writer is there but has written nothing yet
                writer_seen = True
                continue
            if not chunk:
                # A FIFO read before any writer opened it reads as empty: wait for one, as `cat` would, in time.
                if stat.S_ISFIFO(mode) and not writer_seen and not data:
                    if time.monotonic() >= deadline:
                        raise TimeoutError(f"no writer opened it within {wait:.0f} s")
                    time.sleep(0.05)
                    continue
                return data
            writer_seen = True
            data += chunk
            if len(data) > limit:
                kind = "" if regular else " (not a regular file: a device or a pipe, read until the limit)"
                raise TooLarge(f"more than {limit} bytes{kind}")
    finally:
        os.close(fd)


# Bytes of Python objects per structural character of JSON text, measured on CPython 3.11 (json.loads of 2,000,000
# of each shape: `[[[[]]]]` about 84 bytes a list, `{}` 64 a dict, `{"a":"b"}` 182 an object with its member) and
# rounded up: a value after a ',' (a pointer and, at most, a short string's header), a member after a ':' (its
# slot in the dict), an array, an object. A 5,000-node kubecvm plan (80 MB, mostly text) is estimated at 250 MB.
_FOUR_BYTE = re.compile(rb"[\xf0-\xf4]")  # the lead byte of a UTF-8 sequence beyond the BMP: 4 bytes a character
_COST = {b",": 56, b":": 32, b"[": 88, b"{": 240}


def text_bytes(data: bytes) -> int:
    """About the bytes of data.decode() as a Python string: 1, 2 or 4 a character, as its widest character needs."""
    width = 1 if data.isascii() else 4 if _FOUR_BYTE.search(data) else 2
    return len(data) * width


def json_memory_estimate(data: bytes) -> int:
    """About the most bytes json.loads(data.decode()) holds at once: the decoded text (text_bytes), the strings it
    makes (no larger than the text), and the objects."""
    return text_bytes(data) + len(data) + sum(data.count(ch) * cost for ch, cost in _COST.items())


class DuplicateKey(ValueError):
    """A JSON object names one key twice; `path` is where, in the dotted spelling of the document's own keys."""

    def __init__(self, path: str):
        super().__init__(f"{path}: the key is given twice in one object")
        self.path = path


class _Twice(dict):
    """An object whose text named `key` twice (json's object_pairs_hook builds it; _first_twice finds it)."""

    key: str


def _pairs(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out and not isinstance(out, _Twice):
            out = _Twice(out)
            out.key = k
        out[k] = v
    return out


def _first_twice(doc) -> str | None:
    """The path of the first duplicated key in document order, or None. Iterative (nesting depth is unbounded), and
    each container keeps a link to its parent, not its path: paths are spelled only for the one that is reported."""
    stack: list[tuple[object, tuple | None]] = [(doc, None)]  # (node, (parent link, key or index) or None)
    while stack:
        node, link = stack.pop()
        if isinstance(node, _Twice):
            steps = [node.key]
            while link is not None:
                link, step = link
                steps.append(step)
            return "".join(
                f"[{s}]" if isinstance(s, int) else (f".{s}" if i else s) for i, s in enumerate(reversed(steps))
            )
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend(reversed([(v, (link, k)) for k, v in items if isinstance(v, dict | list)]))
    return None


def json_without_duplicates(text: str | bytes | bytearray, **options):
    """json.loads, but a key given twice in one object at any depth raises DuplicateKey naming its path: json.loads
    (and Go's encoding/json) silently keep the last, so `{"all": "mandatory", "all": "disabled"}` would mean
    disabled without a word."""
    doc = json.loads(text, object_pairs_hook=_pairs, **options)
    if (path := _first_twice(doc)) is not None:
        raise DuplicateKey(path)
    return doc
