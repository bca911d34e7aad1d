"""Each cluster's topology (zones, subnets, masters, workers, CLBs and what they target, route tables: the VPC's
and, in podNetwork globalRouter mode, the TKE cluster route table) from a JSON plan: Mermaid and SVG.

Both are built from the plan document alone (not from the program), so a saved `plan.json` can be drawn later.
A program composing several clusters gets one drawing per cluster, each from that cluster's own resources
(cluster_members); what belongs to no cluster (a user's own bucket) is not drawn.
The SVG is hand-built text: deterministic, and it needs no system package such as graphviz.
Workers are drawn per pool and zone (a count and an address range), so 5000 nodes still make a readable picture.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from kubecvm.planning.plan import TAG_CLUSTER, TAG_POOL, TAG_ROLE
from kubecvm.planning.tencent import clb, cvm, monitor, tke, vpc

# The types drawn: the service modules' tokens (kubecvm/planning/tencent/).
VPC = vpc.VPC
SUBNET = vpc.SUBNET
ROUTE_TABLE = vpc.ROUTE_TABLE
ROUTE_ENTRY = vpc.ROUTE_ENTRY
INSTANCE = cvm.INSTANCE
CLB = clb.INSTANCE
LISTENER = clb.LISTENER
ATTACHMENT = clb.ATTACHMENT
NAT = vpc.NAT
CLUSTER_ROUTE_TABLE = tke.CLUSTER_ROUTE_TABLE  # components/global_router.py
TMP_INSTANCE = monitor.TMP_INSTANCE  # components/prometheus.py (monitoring.prometheus mode tmp)
CLUSTER = "kubecvm:index:Cluster"  # components/cluster.py TYPE


def cluster_members(resources: Iterable[Mapping], clusters: Sequence[str]) -> dict[str | None, list[Mapping]]:
    """Each cluster's resources (plan document entries), by name; None holds what belongs to no cluster.

    A resource belongs to the Cluster component it sits under (walking parents; the component is named after its
    cluster). A cluster a program built from kubecvm's smaller components, with no Cluster component, takes what
    sits under no Cluster when it is the only such cluster, else what carries its kubecvm/cluster tag."""
    resources = list(resources)
    by_urn = {r["urn"]: r for r in resources}
    with_component = {r["name"] for r in resources if r["type"] == CLUSTER}
    without = [c for c in clusters if c not in with_component]
    out: dict[str | None, list[Mapping]] = {c: [] for c in clusters}
    out[None] = []
    for r in resources:
        node, owner = r, None
        while node is not None:
            if node["type"] == CLUSTER:
                owner = node["name"]
                break
            node = by_urn.get(node.get("parent"))
        if owner is None and without:
            tag = ((r.get("inputs") or {}).get("tags") or {}).get(TAG_CLUSTER)
            owner = without[0] if len(without) == 1 else tag if tag in without else None
        out.setdefault(owner, []).append(r)
    return out


def clusters(doc: Mapping) -> list[tuple[Mapping, list[Mapping]]]:
    """(summary, resources) of each cluster the plan describes, in its order; none for a program without one."""
    summaries = doc.get("clusters") or ([doc["summary"]] if doc.get("summary") else [])
    groups = cluster_members(doc.get("resources", []), [s["cluster"] for s in summaries])
    return [(s, groups.get(s["cluster"], [])) for s in summaries]


@dataclass
class Group:
    """Workers of one pool in one zone."""

    pool: str
    zone: str
    instance_type: str
    ips: list[str] = field(default_factory=list)

    @property
    def ip_range(self) -> str:
        ips = sorted(self.ips, key=ipaddress.IPv4Address)
        return ips[0] if len(ips) == 1 else f"{ips[0]} - {ips[-1]}" if ips else ""


@dataclass
class LoadBalancer:
    """One CLB, its listener ports and what each forwards to: (listener port, backend port, target key), where a
    target key is a master's name or a worker group's (pool, zone)."""

    name: str
    role: str  # kubecvm/role: "lb" (the API) or "ingress"
    kind: str  # networkType
    vip: str
    ports: list[int] = field(default_factory=list)
    forwards: list[tuple[int, int, str | tuple[str, str]]] = field(default_factory=list)
    instances: set[str] = field(default_factory=set)  # ids of the CVMs attached

    @property
    def label(self) -> str:
        ports = ",".join(str(p) for p in sorted(self.ports))
        return f"{self.kind} {self.vip}:{ports}" if self.vip else f"{self.kind} :{ports}"

    def edges(self) -> dict[str | tuple[str, str], str]:
        """Target key -> "80→30080, 443→30081" (or "6443" where the ports are equal)."""
        out: dict[str | tuple[str, str], list[str]] = {}
        for port, backend, target in sorted(self.forwards, key=lambda f: (str(f[2]), f[0])):
            text = str(port) if port == backend else f"{port}→{backend}"
            out.setdefault(target, [])
            if text not in out[target]:
                out[target].append(text)
        return {t: ", ".join(v) for t, v in out.items()}


@dataclass
class Topology:
    cluster: str = ""
    vpc: tuple[str, str] | None = None  # (name, cidr); a network made elsewhere: (its id, "")
    subnets: dict[str, tuple[str, str]] = field(default_factory=dict)  # zone -> (name, cidr)
    masters: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # zone -> [(name, ip, type)]
    workers: dict[str, list[Group]] = field(default_factory=dict)  # zone -> groups
    route_tables: list[str] = field(default_factory=list)
    route_entries: int = 0
    route_quota: int | None = None
    lbs: list[LoadBalancer] = field(default_factory=list)
    nat: str | None = None
    cluster_route_table: tuple[str, str, int] | None = None  # (name, CIDR, routes): podNetwork globalRouter
    tmp: tuple[str, str] | None = None  # (name, zone): the managed Prometheus (TMP) the agents write to

    @property
    def zones(self) -> list[str]:
        zones = set(self.subnets) | set(self.masters) | set(self.workers)
        return sorted(zones, key=lambda z: (len(z), z))


def topology(summary: Mapping, resources: Iterable[Mapping]) -> Topology:
    """One cluster's topology from its summary and its own resources (cluster_members)."""
    topo = Topology(cluster=summary.get("cluster", ""))
    groups: dict[tuple[str, str], Group] = {}
    lbs: dict[str, LoadBalancer] = {}  # by CLB id
    listeners: dict[str, tuple[str, int]] = {}  # listener id -> (CLB id, port)
    attachments: list[Mapping] = []
    targets: dict[str, str | tuple[str, str]] = {}  # CVM id -> master name or (pool, zone)
    vpc_ids: set[str] = set()  # the VPC the CVMs sit in, for a network made elsewhere
    for r in resources:
        t, inputs = r["type"], r.get("inputs") or {}
        if t == VPC:
            topo.vpc = (r["name"], inputs.get("cidrBlock", ""))
        elif t == SUBNET:
            topo.subnets[inputs.get("availabilityZone", "?")] = (r["name"], inputs.get("cidrBlock", ""))
        elif t == ROUTE_TABLE:
            topo.route_tables.append(r["name"])
        elif t == ROUTE_ENTRY:
            topo.route_entries += 1
        elif t == CLB:
            tags = inputs.get("tags") or {}
            lbs[str(r.get("id"))] = LoadBalancer(
                r["name"], tags.get(TAG_ROLE, ""), inputs.get("networkType", ""), inputs.get("vip") or ""
            )
        elif t == LISTENER:
            # The listener's resource id is clbId#listenerId; attachments name the listenerId part.
            listeners[str(r.get("id", "")).rsplit("#", 1)[-1]] = (
                str(inputs.get("clbId")),
                int(inputs.get("port") or 0),
            )
        elif t == ATTACHMENT:
            attachments.append(inputs)
        elif t == NAT:
            topo.nat = r["name"]
        elif t == TMP_INSTANCE:
            topo.tmp = (r["name"], inputs.get("zone", ""))
        elif t == CLUSTER_ROUTE_TABLE:
            topo.cluster_route_table = (
                r["name"],
                inputs.get("routeTableCidrBlock", ""),
                len(inputs.get("routes") or {}),
            )
        elif t == INSTANCE:
            tags = inputs.get("tags") or {}
            zone = inputs.get("availabilityZone", "?")
            ip = inputs.get("privateIp") or ""
            if inputs.get("vpcId"):
                vpc_ids.add(str(inputs["vpcId"]))
            if tags.get(TAG_ROLE) == "master":
                topo.masters.setdefault(zone, []).append((r["name"], ip, inputs.get("instanceType", "")))
                targets[str(r.get("id"))] = r["name"]
            else:
                key = (tags.get(TAG_POOL, "workers"), zone)
                targets[str(r.get("id"))] = key
                group = groups.setdefault(key, Group(key[0], zone, inputs.get("instanceType", "")))
                if ip:
                    group.ips.append(ip)
                else:
                    group.ips.append("?")
    for (pool, zone), group in sorted(groups.items()):
        group.ips = [ip for ip in group.ips if ip != "?"] or group.ips
        topo.workers.setdefault(zone, []).append(group)
    for zone in topo.masters:
        topo.masters[zone].sort()
    for clb_id, port in listeners.values():
        if clb_id in lbs:
            lbs[clb_id].ports.append(port)
    for a in attachments:
        clb_id, port = listeners.get(str(a.get("listenerId")), (str(a.get("clbId")), 0))
        lb = lbs.get(clb_id)
        for target in a.get("targets") or []:
            key = targets.get(str(target.get("instanceId")))
            if lb is not None and key is not None:
                lb.forwards.append((port, int(target.get("port") or 0), key))
                lb.instances.add(str(target.get("instanceId")))
    # The API CLB first, then the others by name: the same plan always draws the same picture.
    topo.lbs = sorted(lbs.values(), key=lambda lb: (lb.role != "lb", lb.name))
    topo.route_quota = (summary.get("routeEntries") or {}).get("quota")
    if topo.vpc is None and len(vpc_ids) == 1:  # the cluster's network was made elsewhere (existingNetwork)
        topo.vpc = (f"{next(iter(vpc_ids))} (existing)", (summary.get("cidrs") or {}).get("vpc", ""))
    return topo


def topologies(doc: Mapping) -> list[Topology]:
    return [topology(summary, resources) for summary, resources in clusters(doc)]


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _count(group: Group) -> int:
    return len(group.ips) if group.ips != ["?"] else 1


def mermaids(doc: Mapping) -> list[tuple[str, str]]:
    """(cluster name, its Mermaid flowchart without the ``` fence) for each cluster of the plan."""
    return [(topo.cluster, mermaid(topo)) for topo in topologies(doc)]


def mermaid(topo: Topology) -> str:
    """A Mermaid flowchart of one cluster's topology, without the ``` fence."""
    lines = ["flowchart TB"]
    vpc_name, vpc_cidr = topo.vpc or ("vpc", "")
    lines.append(f'  subgraph {_id(vpc_name)}["VPC {vpc_name} {vpc_cidr}"]')
    quota = f"/{topo.route_quota}" if topo.route_quota else ""
    for rt in topo.route_tables:
        lines.append(f'    {_id(rt)}["route table {rt}<br/>{topo.route_entries}{quota} entries"]')
    for lb in topo.lbs:
        lines.append(f'    {_id(lb.name)}(["CLB {lb.name}<br/>{lb.label}"])')
    if topo.nat:
        lines.append(f'    {_id(topo.nat)}["NAT gateway {topo.nat}"]')
    if topo.tmp:
        lines.append(
            f'    {_id(topo.tmp[0])}[("TMP {topo.tmp[0]}<br/>managed Prometheus, {topo.tmp[1]}: remote write")]'
        )
    if topo.cluster_route_table:
        name, cidr, n = topo.cluster_route_table
        lines.append(
            f'    {_id(name)}[/"cluster route table {name}<br/>{cidr}: {n} routes, one per node (GlobalRouter)"/]'
        )
    for zone in topo.zones:
        lines.append(f'    subgraph {_id(zone)}["zone {zone}"]')
        subnet = topo.subnets.get(zone)
        if subnet:
            lines.append(f'      {_id(subnet[0])}["subnet {subnet[0]}<br/>{subnet[1]}"]')
        for name, ip, itype in topo.masters.get(zone, []):
            lines.append(f'      {_id(name)}{{{{"master {name}<br/>{ip} {itype}"}}}}')
        for g in topo.workers.get(zone, []):
            lines.append(
                f'      {_id(f"{g.pool}_{zone}")}[["pool {g.pool}: {_count(g)} workers<br/>{g.ip_range} {g.instance_type}"]]'
            )
        lines.append("    end")
    lines.append("  end")
    for lb in topo.lbs:
        for target, ports in lb.edges().items():
            node = _id(target if isinstance(target, str) else f"{target[0]}_{target[1]}")
            lines.append(f"  {_id(lb.name)} -->|{ports}| {node}")
    for rt in topo.route_tables:
        for zone in topo.zones:
            if zone in topo.subnets:
                lines.append(f"  {_id(rt)} -.- {_id(topo.subnets[zone][0])}")
    return "\n".join(lines) + "\n"


# SVG geometry (pixels).
COL_W, BOX_H, GAP, PAD, HEAD = 300, 44, 10, 20, 30


def _box(x: int, y: int, w: int, h: int, lines: list[str], fill: str, rx: int = 6) -> list[str]:
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rx}" fill="{fill}" stroke="#334155"/>']
    for i, text in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        out.append(f'<text x="{x + 8}" y="{y + 17 + 15 * i}"{weight}>{escape(text)}</text>')
    return out


def _targets_line(lb: LoadBalancer) -> str:
    """ "-> 3 masters: 6443" or "-> 6 workers (pool general): 80→30080, 443→30081"."""
    if not lb.forwards:
        return "-> no targets"
    ports = ", ".join(dict.fromkeys(p for e in lb.edges().values() for p in e.split(", ")))
    pools = sorted({t[0] for _, _, t in lb.forwards if not isinstance(t, str)})
    if not pools:
        return f"-> {len(lb.instances)} masters: {ports}"
    return f"-> {len(lb.instances)} workers (pool {', '.join(pools)}): {ports}"


def svg(doc: Mapping) -> str:
    """A standalone SVG picture of each cluster's topology, one panel per cluster from the top down; the same document
    always gives the same bytes."""
    topos = topologies(doc)
    body: list[str] = []
    width, height = 2 * PAD + COL_W, 0
    for topo in topos:
        label = f"cluster {topo.cluster}: " if len(topos) > 1 else ""
        panel, w, h = _panel(topo, label, height)
        body += panel
        width, height = max(width, w), height + h
    if not topos:
        height = PAD * 2 + BOX_H
        body += [f'<text x="{PAD}" y="{PAD + 17}">no kubecvm cluster in this plan</text>']
    title = ", ".join(t.vpc[0] if t.vpc and len(topos) == 1 else t.cluster for t in topos) or "vpc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
    )
    return "\n".join([head, f"<title>{escape(title)} topology</title>", *body, "</svg>"]) + "\n"


def _panel(topo: Topology, label: str, top: int) -> tuple[list[str], int, int]:
    """One cluster's drawing, `top` pixels down: its SVG elements, width and height."""
    zones = topo.zones or ["?"]
    rows = max(
        [len(topo.masters.get(z, [])) + len(topo.workers.get(z, [])) + (1 if z in topo.subnets else 0) for z in zones]
        + [1]
    )
    top_items = len(topo.route_tables) + len(topo.lbs) + (1 if topo.nat else 0) + (1 if topo.cluster_route_table else 0)
    cols = max(len(zones), top_items, 1)
    width = PAD * 4 + cols * COL_W + (cols - 1) * GAP
    zone_h = HEAD + rows * (BOX_H + GAP) + GAP
    height = PAD * 2 + HEAD + (BOX_H + 15 + GAP * 2) + zone_h + PAD * 2
    vpc_name, vpc_cidr = topo.vpc or ("vpc", "")
    body: list[str] = []
    body += _box(
        PAD, top + PAD, width - 2 * PAD, height - 2 * PAD, [f"{label}VPC {vpc_name}  {vpc_cidr}"], "#f8fafc", rx=10
    )
    x, y = PAD * 2, top + PAD + HEAD
    quota = f" / {topo.route_quota}" if topo.route_quota else ""
    for rt in topo.route_tables:
        body += _box(x, y, COL_W, BOX_H, [f"route table {rt}", f"{topo.route_entries}{quota} entries"], "#fef3c7")
        x += COL_W + GAP
    for lb in topo.lbs:
        body += _box(x, y, COL_W, BOX_H + 15, [f"CLB {lb.name}", lb.label, _targets_line(lb)], "#dbeafe")
        x += COL_W + GAP
    if topo.nat:
        body += _box(x, y, COL_W, BOX_H, [f"NAT gateway {topo.nat}"], "#e0e7ff")
        x += COL_W + GAP
    if topo.cluster_route_table:
        name, cidr, n = topo.cluster_route_table
        body += _box(
            x, y, COL_W, BOX_H, [f"cluster route table {name}", f"{cidr}: {n} routes (GlobalRouter)"], "#fde68a"
        )
    y += BOX_H + 15 + GAP * 2
    for i, zone in enumerate(zones):
        zx = PAD * 2 + i * (COL_W + GAP)
        body += _box(zx, y, COL_W, zone_h, [f"zone {zone}"], "#f1f5f9")
        by = y + HEAD
        inner = COL_W - 2 * GAP
        if zone in topo.subnets:
            name, cidr = topo.subnets[zone]
            body += _box(zx + GAP, by, inner, BOX_H, [f"subnet {name}", cidr], "#ecfccb")
            by += BOX_H + GAP
        for name, ip, itype in topo.masters.get(zone, []):
            body += _box(zx + GAP, by, inner, BOX_H, [f"master {name}", f"{ip}  {itype}"], "#fee2e2")
            by += BOX_H + GAP
        for g in topo.workers.get(zone, []):
            body += _box(
                zx + GAP,
                by,
                inner,
                BOX_H,
                [f"pool {g.pool}: {_count(g)} workers", f"{g.ip_range}  {g.instance_type}"],
                "#dcfce7",
            )
            by += BOX_H + GAP
    return body, width, height
