"""The cluster's topology (zones, subnets, masters, workers, CLB, route table) from a JSON plan: Mermaid and SVG.

Both are built from the plan document alone (not from the program), so a saved `plan.json` can be drawn later.
The SVG is hand-built text: deterministic, and it needs no system package such as graphviz.
Workers are drawn per pool and zone (a count and an address range), so 5000 nodes still make a readable picture.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from kubecvm.planning.plan import TAG_POOL, TAG_ROLE

VPC = "tencentcloud:Vpc/instance:Instance"
SUBNET = "tencentcloud:Subnet/instance:Instance"
ROUTE_TABLE = "tencentcloud:Route/table:Table"
ROUTE_ENTRY = "tencentcloud:Route/tableEntry:TableEntry"
INSTANCE = "tencentcloud:Instance/instance:Instance"
CLB = "tencentcloud:Clb/instance:Instance"
LISTENER = "tencentcloud:Clb/listener:Listener"
NAT = "tencentcloud:Nat/gateway:Gateway"


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
class Topology:
    vpc: tuple[str, str] | None = None                    # (name, cidr)
    subnets: dict[str, tuple[str, str]] = field(default_factory=dict)  # zone -> (name, cidr)
    masters: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # zone -> [(name, ip, type)]
    workers: dict[str, list[Group]] = field(default_factory=dict)  # zone -> groups
    route_tables: list[str] = field(default_factory=list)
    route_entries: int = 0
    route_quota: int | None = None
    lb: tuple[str, str, str] | None = None               # (name, networkType, vip)
    lb_port: int | None = None
    nat: str | None = None

    @property
    def zones(self) -> list[str]:
        zones = set(self.subnets) | set(self.masters) | set(self.workers)
        return sorted(zones, key=lambda z: (len(z), z))


def topology(doc: Mapping) -> Topology:
    topo = Topology()
    groups: dict[tuple[str, str], Group] = {}
    for r in doc.get("resources", []):
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
            topo.lb = (r["name"], inputs.get("networkType", ""), inputs.get("vip") or "")
        elif t == LISTENER:
            topo.lb_port = inputs.get("port")
        elif t == NAT:
            topo.nat = r["name"]
        elif t == INSTANCE:
            tags = inputs.get("tags") or {}
            zone = inputs.get("availabilityZone", "?")
            ip = inputs.get("privateIp") or ""
            if tags.get(TAG_ROLE) == "master":
                topo.masters.setdefault(zone, []).append((r["name"], ip, inputs.get("instanceType", "")))
            else:
                key = (tags.get(TAG_POOL, "workers"), zone)
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
    topo.route_quota = (doc.get("summary") or {}).get("routeEntries", {}).get("quota")
    return topo


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _count(group: Group) -> int:
    return len(group.ips) if group.ips != ["?"] else 1


def mermaid(doc: Mapping) -> str:
    """A Mermaid flowchart of the topology, without the ``` fence."""
    topo = topology(doc)
    lines = ["flowchart TB"]
    vpc_name, vpc_cidr = topo.vpc or ("vpc", "")
    lines.append(f'  subgraph {_id(vpc_name)}["VPC {vpc_name} {vpc_cidr}"]')
    quota = f"/{topo.route_quota}" if topo.route_quota else ""
    for rt in topo.route_tables:
        lines.append(f'    {_id(rt)}["route table {rt}<br/>{topo.route_entries}{quota} entries"]')
    if topo.lb:
        name, kind, vip = topo.lb
        port = f":{topo.lb_port}" if topo.lb_port else ""
        lines.append(f'    {_id(name)}(["CLB {name}<br/>{kind} {vip}{port}"])')
    if topo.nat:
        lines.append(f'    {_id(topo.nat)}["NAT gateway {topo.nat}"]')
    for zone in topo.zones:
        lines.append(f'    subgraph {_id(zone)}["zone {zone}"]')
        subnet = topo.subnets.get(zone)
        if subnet:
            lines.append(f'      {_id(subnet[0])}["subnet {subnet[0]}<br/>{subnet[1]}"]')
        for name, ip, itype in topo.masters.get(zone, []):
            lines.append(f'      {_id(name)}{{{{"master {name}<br/>{ip} {itype}"}}}}')
        for g in topo.workers.get(zone, []):
            lines.append(f'      {_id(f"{g.pool}_{zone}")}[["pool {g.pool}: {_count(g)} workers<br/>{g.ip_range} {g.instance_type}"]]')
        lines.append("    end")
    lines.append("  end")
    if topo.lb:
        for zone in topo.zones:
            for name, _, _ in topo.masters.get(zone, []):
                lines.append(f"  {_id(topo.lb[0])} -->|6443| {_id(name)}")
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


def svg(doc: Mapping) -> str:
    """A standalone SVG picture of the topology; the same document always gives the same bytes."""
    topo = topology(doc)
    zones = topo.zones or ["?"]
    rows = max(
        [len(topo.masters.get(z, [])) + len(topo.workers.get(z, [])) + (1 if z in topo.subnets else 0) for z in zones] + [1]
    )
    top_items = len(topo.route_tables) + (1 if topo.lb else 0) + (1 if topo.nat else 0)
    cols = max(len(zones), top_items, 1)
    width = PAD * 4 + cols * COL_W + (cols - 1) * GAP
    zone_h = HEAD + rows * (BOX_H + GAP) + GAP
    height = PAD * 2 + HEAD + (BOX_H + GAP * 2) + zone_h + PAD * 2
    vpc_name, vpc_cidr = topo.vpc or ("vpc", "")
    body: list[str] = []
    body += _box(PAD, PAD, width - 2 * PAD, height - 2 * PAD, [f"VPC {vpc_name}  {vpc_cidr}"], "#f8fafc", rx=10)
    x, y = PAD * 2, PAD + HEAD
    quota = f" / {topo.route_quota}" if topo.route_quota else ""
    for rt in topo.route_tables:
        body += _box(x, y, COL_W, BOX_H, [f"route table {rt}", f"{topo.route_entries}{quota} entries"], "#fef3c7")
        x += COL_W + GAP
    if topo.lb:
        name, kind, vip = topo.lb
        port = f":{topo.lb_port}" if topo.lb_port else ""
        body += _box(x, y, COL_W, BOX_H, [f"CLB {name}", f"{kind} {vip}{port}"], "#dbeafe")
        x += COL_W + GAP
    if topo.nat:
        body += _box(x, y, COL_W, BOX_H, [f"NAT gateway {topo.nat}"], "#e0e7ff")
    y += BOX_H + GAP * 2
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
            body += _box(zx + GAP, by, inner, BOX_H, [f"pool {g.pool}: {_count(g)} workers", f"{g.ip_range}  {g.instance_type}"], "#dcfce7")
            by += BOX_H + GAP
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
    )
    return "\n".join([head, f"<title>{escape(vpc_name)} topology</title>", *body, "</svg>"]) + "\n"
