"""The #cloud-config document's pieces: YAML emission, write_files entries, the scripts and lock it ships. Pure.

Split from planning/bootstrap.py, which re-exports every name here.
"""

from __future__ import annotations

import base64
import functools
import gzip
import re
from pathlib import Path

import yaml


# What every node's pip installs (tccli, the COS SDK, all they import), each file by its sha256: written by
# tools/node_pip_lock.py from bootstrap.TCCLI_VERSION and backups.COS_SDK_VERSION (docs/concepts/boot.md, "What is
# pinned").
PIP_LOCK = Path(__file__).with_name("node-pip.lock")


TEMPLATES = Path(__file__).parent / "templates"


class Literal(str):
    """A string emitted as a YAML block scalar (`|`), so scripts and configs stay readable in user data."""


# libyaml's emitter: every node's user data is rendered on each plan, and the pure-Python one cost 7 s per 1000
# machines (bench/RESULTS.md).
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


_Dumper.add_representer(
    Literal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
)


def _yaml(*docs: object) -> str:
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096)


# The document is assembled from per-file YAML fragments: the files every node shares are emitted once per plan,
# not once per node. `- ` items at the left margin are what PyYAML emits for a list inside a mapping, so the
# result is the same text as dumping the whole document (the snapshots in tests/bootstrap hold it to that).
_RUNCMD = _yaml({"runcmd": [["systemctl", "daemon-reload"], ["/usr/local/sbin/kubecvm-boot"]]})


@functools.lru_cache(maxsize=256)
def _entry(path: str, mode: str, content: str, encoding: str | None = None) -> str:
    if isinstance(content, Literal) and _PLAIN_BLOCK.fullmatch(content):
        head, indent = _literal_head(path, mode, encoding)
        return head + "".join(f"{indent}{line}\n" if line else "\n" for line in content[:-1].split("\n"))
    return _dumped_entry(path, mode, content, encoding)


def _dumped_entry(path: str, mode: str, content: str, encoding: str | None = None) -> str:
    entry = {"path": path, "permissions": mode, **({"encoding": encoding} if encoding else {}), "content": content}
    return _yaml([entry])


# Text that YAML's emitter writes as a plain `|` block (PyYAML emitter.py analyze_scalar, libyaml emitter.c
# yaml_emitter_analyze_scalar): printable ASCII lines, none ending in a space (else it quotes the whole), not
# starting with a space or a blank line (an indentation indicator), one final line break (no chomping indicator).
# Such text is each line indented, blank lines bare: written here, the per-node files cost a string join instead
# of an emitter run each (tests/bootstrap/test_render.py holds it to what the emitter writes).
_PLAIN_BLOCK = re.compile(r"(?![ \n])(?:[\x20-\x7e]*[\x21-\x7e])?(?:\n(?:[\x20-\x7e]*[\x21-\x7e])?)*(?<=[^\n]\n)")


@functools.lru_cache(maxsize=64)
def _literal_head(path: str, mode: str, encoding: str | None) -> tuple[str, str]:
    """An entry's text up to its content's first line, and that content's indentation, as the emitter writes them."""
    head, _, indent = _dumped_entry(path, mode, Literal("x\n"), encoding).rpartition("x\n")[0].rpartition("\n")
    return head + "\n", indent


def _strip_comments(text: str) -> str:
    """Comment-only lines dropped (the 16 KB budget): shell templates and planning/cos_put.py alike."""
    lines = text.splitlines()
    return "\n".join(line for i, line in enumerate(lines) if i == 0 or not line.lstrip().startswith("#")) + "\n"


@functools.cache
def _template(name: str) -> str:
    """A script from planning/templates with its comment-only lines dropped (the 16 KB budget)."""
    return _strip_comments((TEMPLATES / name).read_text())


@functools.cache
def _pip_lock() -> str:
    """The lock as pip reads it, its comment lines dropped (the 16 KB budget)."""
    return "".join(line + "\n" for line in PIP_LOCK.read_text().splitlines() if not line.startswith("#"))


def expand_user_data(user_data: str) -> str:
    """The user data with every gz+b64 file decoded, as the node will write it: for review and checks."""
    doc = yaml.load(user_data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for f in doc.get("write_files", []):
        if f.get("encoding") == "gz+b64":
            f["content"] = Literal(gzip.decompress(base64.b64decode(f["content"])).decode())
            del f["encoding"]
        else:
            f["content"] = Literal(f["content"])
    return "#cloud-config\n" + _yaml(doc)
