"""Render a JSON plan (and a plan diff) as text for a terminal (rich) or markdown for a pull-request comment.

Both work from the plan document alone. JSON output is not rendered here: it is the document itself.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from kubecvm.offline import diagram, json_text
from kubecvm.offline.diff import DiffResult
from kubecvm.offline.render_summary import (
    NO_CLUSTER,
    cluster_summaries,
    outside_clusters,
    policy_status,
    summary_rows,
)
from kubecvm.planning.tencent import cbs

# A component with more children of one type than this shows the first few and a count (5000 workers stay legible).
SHOW_PER_TYPE = 8


def to_json(doc: Mapping) -> str:
    """The canonical JSON text: sorted keys, so the same plan is always the same bytes (json.dumps with
    sort_keys=True, indent=2, ensure_ascii=False, and a newline; offline/json_text.py makes it faster)."""
    return json_text.dumps(doc) + "\n"


def write_json(doc: Mapping, out: TextIO) -> None:
    """to_json(doc), written to `out` as it is made: the text of a 5000-node plan (70 MB, and the bytes a file write
    encodes) is never held whole."""
    json_text.write(doc, out.write)
    out.write("\n")


def _short_type(type_: str) -> str:
    """`tencentcloud:Instance/instance:Instance` -> `Instance/instance`; components keep their token."""
    pkg, _, rest = type_.partition(":")
    return rest.rsplit(":", 1)[0] if pkg == "tencentcloud" else type_


def _describe(r: Mapping) -> str:
    i = r.get("inputs") or {}
    t = r["type"]
    if t == diagram.INSTANCE:
        return f"{i.get('instanceType', '')} {i.get('availabilityZone', '')} {i.get('privateIp', '')}".strip()
    if t in (diagram.VPC, diagram.SUBNET):
        return f"{i.get('cidrBlock', '')} {i.get('availabilityZone', '')}".strip()
    if t == diagram.ROUTE_ENTRY:
        return f"{i.get('destinationCidrBlock', '')} -> {i.get('nextHub', '')}"
    if t == diagram.CLB:
        return f"{i.get('networkType', '')} {i.get('vip') or ''}".strip()
    if t == diagram.CLUSTER_ROUTE_TABLE:
        return f"{i.get('routeTableCidrBlock', '')}: {len(i.get('routes') or {})} routes"
    if t == cbs.STORAGE:
        return f"{i.get('storageType', '')} {i.get('storageSize', '')} GiB{' encrypted' if i.get('encrypt') else ''}"
    return ""


def _children(doc: Mapping) -> tuple[list[Mapping], dict[str, list[Mapping]]]:
    urns = {r["urn"] for r in doc["resources"]}
    kids: dict[str, list[Mapping]] = defaultdict(list)
    roots = []
    for r in doc["resources"]:
        (kids[r["parent"]] if r.get("parent") in urns else roots).append(r)
    return roots, kids


def _tree_lines(doc: Mapping) -> Tree:
    roots, kids = _children(doc)
    tree = Tree(f"[bold]stack {escape(doc['stack'])}[/bold]")

    def add(node: Tree, r: Mapping) -> None:
        label = f"[cyan]{escape(_short_type(r['type']))}[/cyan] {escape(r['name'])}"
        extra = escape(_describe(r))
        branch = node.add(f"{label}  [dim]{extra}[/dim]" if extra else label)
        children = sorted(kids.get(r["urn"], []), key=lambda c: (not kids.get(c["urn"]), c["type"], c["name"]))
        shown: dict[str, int] = defaultdict(int)
        hidden: dict[str, int] = defaultdict(int)
        for c in children:
            if shown[c["type"]] < SHOW_PER_TYPE or kids.get(c["urn"]):
                shown[c["type"]] += 1
                add(branch, c)
            else:
                hidden[c["type"]] += 1
        for t, n in sorted(hidden.items()):
            branch.add(f"[dim]... and {n} more {_short_type(t)}[/dim]")

    for r in sorted(roots, key=lambda r: r["name"]):
        add(tree, r)
    return tree


def _console(out: io.StringIO, width: int, color: bool) -> Console:
    """Plain text by default (files, pipes, CI logs); 16 ANSI colours when the CLI found a terminal for them."""
    return Console(
        file=out,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color or None,
        highlight=False,
        soft_wrap=False,
    )


VERDICT_STYLE = {"PASS": "bold green", "FAIL": "bold red"}
ENFORCEMENT_STYLE = {"mandatory": "red", "advisory": "yellow"}


def text(doc: Mapping, width: int = 120, color: bool = False) -> str:
    out = io.StringIO()
    console = _console(out, width, color)
    console.print(_tree_lines(doc))
    console.print()
    summaries = cluster_summaries(doc)
    for s in summaries:
        suffix = f": cluster {s['cluster']}" if len(summaries) > 1 else ""
        table = Table(title=escape(f"Summary{suffix}"), show_header=False, title_justify="left")
        for key, value in summary_rows(s):
            table.add_row(key, escape(value))
        console.print(table)
        zones = Table(title=escape(f"Zones{suffix}"), title_justify="left")
        for col in ("zone", "subnet", "masters", "workers"):
            zones.add_column(col)
        for z in s["zones"]:
            zones.add_row(z["zone"], z["subnet"], str(z["masters"]), str(z["workers"]))
        console.print(zones)
    if not summaries:
        console.print(NO_CLUSTER)
    if outside := outside_clusters(doc):
        console.print(escape(f"Outside the clusters: {outside}."))
    p = doc["policies"]
    status = escape(policy_status(p))
    verdict = status.split(":", 1)[0]
    if verdict in VERDICT_STYLE:
        status = f"[{VERDICT_STYLE[verdict]}]{verdict}[/]{status[len(verdict) :]}"
    console.print(f"Policies: {status}")
    if p["violations"]:
        vt = Table(show_header=True)
        for col in ("enforcement", "severity", "policy", "resource", "message"):
            vt.add_column(col)
        for v in p["violations"]:
            vt.add_row(
                *(
                    escape(str(x))
                    for x in (v["enforcement"], v["severity"], v["policy"], _urn_name(v["urn"]), v["message"])
                ),
                style=ENFORCEMENT_STYLE.get(v["enforcement"]),
            )
        console.print(vt)
    for w in p["waivers"]:
        console.print(
            escape(f"waived {w['policy']} on {_urn_name(w['urn'])}: {w['reason']} (expires {w['expires'] or 'never'})")
        )
    return out.getvalue()


def _urn_name(urn: str | None) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


# A backslash before ASCII punctuation makes it literal (CommonMark spec, "Backslash escapes"). These are the
# characters that start markup: links and images ([ ] ( ) !), emphasis (* _ ~), code spans (`), HTML and
# autolinks (< >), entities (&), headings (#), table cells (|), and the backslash itself. "://" and "www." are
# broken too, so GitHub's extended autolinks cannot turn a value into a link either.
_MD_SPECIAL = frozenset("\\`*_[](){}<>!#&|~")


def _md_cell(value: object) -> str:
    """A value as literal text in a markdown table cell or line (plan files may be crafted: trust no value)."""
    text = " ".join(str(value).split())  # newlines (and other line breaks) would end the table row
    text = "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text)
    return text.replace("://", ":\\/\\/").replace("www.", "www\\.")


def _md_code(value: object) -> str:
    """A value shown as code where it is ours to trust (rule ids, type tokens), else as escaped text."""
    text = str(value)
    return f"`{text}`" if text and all(c.isascii() and (c.isalnum() or c in "-:/._$") for c in text) else _md_cell(text)


def _fenced(text: str) -> str:
    """Text for inside a ``` fence: a backtick in a name (#96; is Mermaid's entity for it) could close the fence."""
    return text.rstrip("\n").replace("`", "#96;")


def _md_cluster(s: Mapping, flowchart: str | None, heading: str) -> list[str]:
    """One cluster's summary, zones and topology; `heading` is the topology's ("### Topology") or the cluster's."""
    lines = ["| | |", "|---|---|"] + [f"| {k} | {_md_cell(v)} |" for k, v in summary_rows(s)] + [""]
    lines += ["| zone | subnet | masters | workers |", "|---|---|---|---|"]
    lines += [
        "| " + " | ".join(_md_cell(z[k]) for k in ("zone", "subnet", "masters", "workers")) + " |" for z in s["zones"]
    ] + [""]
    if flowchart is not None:
        lines += [heading, "", "```mermaid", _fenced(flowchart), "```", ""]
    return lines


def markdown(doc: Mapping) -> str:
    p = doc["policies"]
    lines = [f"## kubecvm plan: stack {_md_code(doc['stack'])}", "", f"**Policies:** {_md_cell(policy_status(p))}", ""]
    summaries, charts = cluster_summaries(doc), dict(diagram.mermaids(doc))
    if len(summaries) == 1:
        lines += _md_cluster(summaries[0], charts.get(summaries[0]["cluster"]), "### Topology")
    for s in summaries if len(summaries) > 1 else ():
        lines += [f"### Cluster {_md_cell(s['cluster'])}", ""]
        lines += _md_cluster(s, charts.get(s["cluster"]), f"#### Topology of {_md_cell(s['cluster'])}")
    if not summaries:
        lines += [NO_CLUSTER, ""]
    if outside := outside_clusters(doc):
        lines += [f"Outside the clusters: {_md_cell(outside)}.", ""]
    if p["violations"]:
        lines += [
            "### Policy violations",
            "",
            "| enforcement | severity | policy | resource | message |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {_md_cell(v['enforcement'])} | {_md_cell(v['severity'])} | {_md_code(v['policy'])} | {_md_cell(_urn_name(v['urn']))} | {_md_cell(v['message'])} |"
            for v in p["violations"]
        ] + [""]
    if p["waivers"]:
        lines += ["### Waivers", "", "| policy | resource | reason | expires |", "|---|---|---|---|"]
        lines += [
            f"| {_md_code(w['policy'])} | {_md_cell(_urn_name(w['urn']))} | {_md_cell(w['reason'])} | {_md_cell(w['expires'] or 'never')} |"
            for w in p["waivers"]
        ] + [""]
    by_type = Counter(r["type"] for r in doc["resources"] if r.get("custom", True))
    lines += ["<details><summary>Resources by type</summary>", "", "| type | count |", "|---|---|"]
    lines += [f"| {_md_code(t)} | {_md_cell(n)} |" for t, n in sorted(by_type.items())] + ["", "</details>", ""]
    return "\n".join(lines)


def _diff_rows(j: Mapping) -> list[tuple[str, str, str]]:
    """(action, urn, why) per resource, in the engine's terms; shared by the text and markdown forms."""
    rows = [("add", r["urn"], "") for r in j["added"]]
    for c in j["updated"]:
        note = "; ".join(f"{k}: {v}" for k, v in sorted(c["disruptive"].items()))
        rows.append(("update", c["urn"], c["reason"] + (f" [{note}]" if note else "")))
    for c in j["replaced"]:
        why = f"{c['reason']}; {c['order']}" + (f"; WOULD FAIL: {c['fails']}" if c["fails"] else "")
        rows.append(("replace", c["urn"], why))
    for d in j["deleted"]:
        rows.append(("delete", d["urn"], f"WOULD FAIL: {d['fails']}" if d["fails"] else ""))
    return rows


def _headline(sm: Mapping) -> str:
    return f"{sm['added']} to add, {sm['updated']} to update, {sm['replaced']} to replace, {sm['deleted']} to delete"


# SGR codes of the diff's action words on a colour terminal: destruction red, creation green, changes yellow.
_SGR = {"ADD": "32", "UPDATE": "33", "REPLACE": "1;31", "DELETE": "1;31", "WARNING": "33", "FAIL": "1;31"}


def _word(word: str, color: bool) -> str:
    padded = f"{word:8}"
    return f"\x1b[{_SGR[word]}m{word}\x1b[0m{padded[len(word) :]}" if color and word in _SGR else padded


def diff_text(result: DiffResult, color: bool = False) -> str:
    j = result.to_json()
    lines = [_headline(j["summary"])]
    lines += [f"{_word(a.upper(), color)}{u}" + (f"  ({why})" if why else "") for a, u, why in _diff_rows(j)]
    lines += [f"{_word('WARNING', color)}{w}" for w in j["warnings"]]
    lines += [f"{_word('FAIL', color)}{f['urn'] or '(replay)'}: {f['message']}" for f in j["failures"]]
    return "\n".join(lines) + "\n"


def diff_markdown(result: DiffResult) -> str:
    j = result.to_json()
    sm = j["summary"]
    lines = ["## kubecvm diff", "", _headline({k: f"**{v}**" for k, v in sm.items()}), ""]
    destroyed = sm["replaced"] + sm["deleted"]
    if destroyed:
        lines += ["> [!WARNING]", f"> {destroyed} existing resource(s) would be replaced or deleted.", ""]
    if j["failures"] or j["warnings"]:
        lines += ["> [!CAUTION]"] + [f"> {_md_cell(f['message'])}" for f in j["failures"]]
        lines += [f"> {_md_cell(w)}" for w in j["warnings"]] + [""]
    rows = _diff_rows(j)
    if rows:
        lines += ["| action | resource | why |", "|---|---|---|"]
        lines += [
            f"| {'**' + a + '**' if a in ('replace', 'delete') else a} | {_md_code(u)} | {_md_cell(k)} |"
            for a, u, k in rows
        ] + [""]
    return "\n".join(lines)
