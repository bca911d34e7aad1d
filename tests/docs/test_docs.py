"""The documentation holds together: the README stays a front page, every relative link in README.md and docs/
resolves (file and #anchor), the policy reference lists every rule as the registry and level files say, and the
component page's program plans."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from tests.cli.cli_helpers import kubecvm
from tests.docs import policy_table

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_LIMIT = 12 * 1024
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", path.read_text()).splitlines():
        if m := re.match(r"#{1,6} (.*)", line):
            base = slug(m[1])
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path) -> list[str]:
    return [m for m in LINK.findall(FENCE.sub("", path.read_text())) if not re.match(r"[a-z]+:", m)]


def test_the_readme_is_a_front_page():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_LIMIT, f"README.md has {size:,} bytes; at most {README_LIMIT:,}: move detail into docs/"


def test_the_readme_keeps_the_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("./dev ")]
    assert ci == ["./dev test", "./dev rehearse --build", "./dev rehearse"]
    assert all(re.search(rf"^{re.escape(c)}\s", readme, re.M) for c in ci)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    broken = []
    for link in links(page):
        target, _, anchor = link.partition("#")
        dest = (page.parent / unquote(target)).resolve() if target else page
        rel = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
        if not dest.exists():
            broken.append(f"{link}: no such file")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            broken.append(f"{link}: no heading #{anchor} in {rel}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_page_is_in_the_index():
    index = (ROOT / "docs" / "index.md").read_text()
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in PAGES[1:] if p.name != "index.md"]
    assert [p for p in pages if f"]({p})" not in index] == []


@pytest.mark.parametrize(
    "text, anchor",
    [
        ("What would change: `kubecvm diff`", "what-would-change-kubecvm-diff"),
        ("Pod network: `vpcRoutes` or `globalRouter`", "pod-network-vpcroutes-or-globalrouter"),
        (
            "CoreDNS, metrics-server and kubelet serving certificates",
            "coredns-metrics-server-and-kubelet-serving-certificates",
        ),
        ("Hardening (CIS Kubernetes benchmark)", "hardening-cis-kubernetes-benchmark"),
    ],
)
def test_anchors_are_githubs(text: str, anchor: str):
    assert slug(text) == anchor


def test_the_policy_reference_lists_every_rule_as_registered():
    page = (ROOT / "docs" / "reference" / "policies.md").read_text()
    assert policy_table.table() in page
    counted = re.search(r"CrossGuard pack \((\d+) rules", page)
    assert counted and int(counted[1]) == len(policy_table.RULES)


def test_the_component_pages_program_plans(tmp_path: Path):
    page = (ROOT / "docs" / "reference" / "component.md").read_text()
    [program] = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if "Cluster(" in b]
    (tmp_path / "__main__.py").write_text(program)
    run = kubecvm("plan", "--program", str(tmp_path), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert [c["cluster"] for c in doc["clusters"]] == ["blue", "green"]
    groups = {r["name"]: r["id"] for r in doc["resources"] if r["type"] == "tencentcloud:Security/group:Group"}
    cvms = [r for r in doc["resources"] if r["type"] == "tencentcloud:Instance/instance:Instance"]
    assert len(cvms) == 12 and all(groups["shared"] in r["inputs"]["orderlySecurityGroups"] for r in cvms)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_table_starts_with_its_header(page: Path):
    """A table is a run of lines starting with `|`: a header, then a `| --- |` line. A paragraph or a blank line
    inside a table leaves the rest without a header, and it renders as text."""
    for block in re.findall(r"(?:^\|.*\n?)+", FENCE.sub("", page.read_text()), re.M):
        lines = block.strip("\n").splitlines()
        assert len(lines) >= 2 and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[1].strip()), lines[0][:100]
