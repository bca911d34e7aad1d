"""Every path of this repository that the code, comments and docs name exists: a comment that points a reader at
a module that has since become a package points at nothing. Paths in other projects that happen to start with
one of our folder names (upstream sources cited, paths on a node) are listed below with where they are from."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = "planning|components|offline|stacks|policies|kubecvm|bench|tools|tests|examples|docs"
# A repository path: one of our top-level folders, not inside a longer path (/etc/..., a URL, another repo's path).
PATH = re.compile(rf"(?<![\w./-])(?:{FOLDERS})/[\w./-]+\.(?:py|md|yaml|go)\b")
NOT_OURS = {
    "docs/README_CBS.md": "kubernetes-csi-tencentcloud's StorageClass parameters (planning/addons/cbs_csi.py cites it)",
    "docs/README_CBS_zhCN.md": "the same, in Chinese",
    "docs/hosts.md": "containerd's registry host configuration",
    "examples/standard/cluster-role.yaml": "kube-state-metrics' RBAC example",
    "offline/x.py": "a file name a test makes up",
    "stacks/Pulumi.prod.yaml": "a report location a test makes up",
}


def test_every_repository_path_named_in_code_and_docs_exists():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    missing = {}
    for name in files:
        if name == "CHANGELOG.md" or "__snapshots__" in name or not name.endswith((".py", ".md", ".yaml", ".toml")):
            continue  # the changelog is history: it names files as they were
        for ref in PATH.findall((ROOT / name).read_text(errors="replace")):
            # kubecvm/<folder>/... is the installed namespace's name for <folder>/... here
            if ref not in NOT_OURS and not (ROOT / ref).exists() and not (ROOT / ref.removeprefix("kubecvm/")).exists():
                missing.setdefault(ref, name)
    assert missing == {}, "\n".join(f"{ref} (named in {where})" for ref, where in sorted(missing.items()))
