"""Network rules: the pod-route underlay (one route per node, inside the pod CIDR), route quota, CIDR layout.

The pod routes are VPC route-table entries (podNetwork vpcRoutes) or the routes of a TKE cluster route table
(globalRouter); Context.pod_routes() shows both alike, so each rule holds for either. The route quota counts VPC
route-table entries only: a cluster route table is not bounded by it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from kubecvm.planning.checks import disjoint_problems, route_quota_problem

from ..registry import CLUSTER_ROUTE_TABLE, ROUTE, SUBNET, VPC, Context, Finding, ip, net, rule


def _entries_per_table(ctx: Context) -> Counter:
    return Counter(str(r.props.get("routeTableId")) for r in ctx.of_type(ROUTE))


def _quota(ctx: Context) -> int:
    return int(ctx.setting("routeQuota", "routeEntriesPerTable", "defaultRouteQuota"))


_QUOTA_DEFAULTS = {"routeQuota": None, "defaultRouteQuota": 50}


@rule(
    "kubecvm-network-pod-route-range",
    severity="high",
    scope=(ROUTE,),
    description="Every pod route's destination lies inside the pod CIDR and outside the VPC CIDR "
    "(Tencent refuses route destinations inside the VPC).",
    remediation="Keep podCidr disjoint from vpcCidr; node pod blocks come from podCidr only.",
)
def pod_route_range(ctx: Context) -> Iterator[Finding]:
    pod = net(ctx.cluster.get("podCidr"))
    vpcs = [n for v in ctx.of_type(VPC) if (n := net(v.props.get("cidrBlock")))]
    for r in ctx.pod_routes():
        dest = net(r.props.get("destinationCidrBlock"))
        if dest is None:
            yield r.urn, f"{r.name}: destination {r.props.get('destinationCidrBlock')!r} is not a CIDR"
            continue
        if pod is not None and not dest.subnet_of(pod):
            yield r.urn, f"{r.name}: destination {dest} is outside the pod CIDR {pod}"
        for v in vpcs:
            if dest.overlaps(v):
                yield r.urn, f"{r.name}: destination {dest} overlaps the VPC CIDR {v}"


@rule(
    "kubecvm-network-route-per-node",
    severity="critical",
    description="Every route table holding pod routes has exactly one route per node, whose next hop is that "
    "node's static private IP, and no route points at an address that is not a node.",
    remediation="Give every CVM a planned privateIp and let the PodRoutes component make one route per node.",
)
def route_per_node(ctx: Context) -> Iterator[Finding]:
    nodes = ctx.cvms()
    for n in nodes:
        if ip(n.props.get("privateIp")) is None:
            yield n.urn, f"{n.name} has no static privateIp, so its pod route cannot be checked or planned"
    by_ip = {str(n.props.get("privateIp")): n for n in nodes if ip(n.props.get("privateIp"))}
    tables: dict[str, Counter] = defaultdict(Counter)
    for r in ctx.pod_routes():
        tables[str(r.props.get("routeTableId"))][str(r.props.get("nextHub"))] += 1
        if str(r.props.get("nextHub")) not in by_ip:
            yield r.urn, f"{r.name}: next hop {r.props.get('nextHub')} is not the private IP of any node"
    if nodes and not tables:
        yield None, f"no pod routes exist for {len(nodes)} nodes"
    for table, hops in sorted(tables.items()):
        for addr, n in sorted(by_ip.items()):
            if hops[addr] != 1:
                yield (
                    n.urn,
                    f"{n.name} ({addr}) has {hops[addr]} pod routes in route table {table}; exactly 1 is needed",
                )


@rule(
    "kubecvm-network-route-overlap",
    severity="high",
    description="No route table holds two routes to the same destination, and no two pod routes overlap.",
    remediation="Each node's pod block must be distinct; remove the duplicate route.",
)
def route_overlap(ctx: Context) -> Iterator[Finding]:
    by_table: dict[str, list] = defaultdict(list)
    for r in [*ctx.of_type(ROUTE), *ctx.cluster_routes()]:
        by_table[str(r.props.get("routeTableId"))].append(r)
    for table, routes in sorted(by_table.items()):
        dests = Counter(str(r.props.get("destinationCidrBlock")) for r in routes)
        for dest, n in sorted(dests.items()):
            if n > 1:
                yield None, f"route table {table} has {n} routes to {dest}"
        pods = sorted(
            (
                (d, r)
                for r in routes
                if r.props.get("nextType") == "NORMAL_CVM" and (d := net(r.props.get("destinationCidrBlock")))
            ),
            key=lambda p: (p[0].network_address, p[0].prefixlen),
        )
        # Sorted by address, an overlap shows between neighbours; equal ones are reported above already.
        for (a, ra), (b, rb) in zip(pods, pods[1:]):
            if a != b and a.overlaps(b):
                yield rb.urn, f"{rb.name}: destination {b} overlaps {ra.name}'s {a} in route table {table}"


@rule(
    "kubecvm-network-route-quota",
    severity="critical",
    defaults=_QUOTA_DEFAULTS,
    description="Entries per route table stay within the route-table quota (routeQuota; else the stack's "
    "quotas.routeEntriesPerTable; else 50).",
    remediation="Set podNetwork.mode: globalRouter (one TKE cluster route table, beyond the VPC route quota), or ask "
    "Tencent Cloud to raise route-table-max-policies and set quotas.routeEntriesPerTable, or use fewer nodes.",
)
def route_quota(ctx: Context) -> Iterator[Finding]:
    quota = _quota(ctx)
    for table, entries in sorted(_entries_per_table(ctx).items()):
        if problem := route_quota_problem(entries, quota):
            yield None, f"route table {table}: {problem}"


@rule(
    "kubecvm-network-route-quota-headroom",
    severity="low",
    defaults={**_QUOTA_DEFAULTS, "warnRatio": 0.8},
    description="Entries per route table stay below warnRatio (80%) of the quota, leaving room to scale.",
    remediation="Request a higher route-table quota before the next scale-up.",
)
def route_quota_headroom(ctx: Context) -> Iterator[Finding]:
    quota, ratio = _quota(ctx), float(ctx.params["warnRatio"])
    for table, entries in sorted(_entries_per_table(ctx).items()):
        if quota * ratio < entries <= quota:
            yield (
                None,
                f"route table {table} uses {entries} of {quota} entries (over {ratio:.0%}); {quota - entries} nodes of headroom left",
            )


@rule(
    "kubecvm-network-subnet-route-table",
    severity="critical",
    scope=(SUBNET,),
    description="Every subnet holding nodes is associated with a route table that holds the pod routes, or lies in "
    "a VPC whose TKE cluster route table holds them (globalRouter routes apply VPC-wide).",
    remediation="Create node subnets with routeTableId set to the cluster route table.",
)
def subnet_route_table(ctx: Context) -> Iterator[Finding]:
    tables = {str(r.props.get("routeTableId")) for r in ctx.pod_routes()}
    global_vpcs = {str(t.props.get("vpcId")) for t in ctx.of_type(CLUSTER_ROUTE_TABLE)}
    addrs = [a for c in ctx.cvms() if (a := ip(c.props.get("privateIp")))]
    for s in ctx.of_type(SUBNET):
        block = net(s.props.get("cidrBlock"))
        if block is None or not any(a in block for a in addrs) or str(s.props.get("vpcId")) in global_vpcs:
            continue
        if str(s.props.get("routeTableId")) not in tables:
            yield (
                s.urn,
                f"{s.name} holds nodes but uses route table {s.props.get('routeTableId')}, which has no pod routes",
            )


@rule(
    "kubecvm-network-cidrs-disjoint",
    severity="critical",
    description="The VPC, pod and service CIDRs do not overlap.",
    remediation="Choose disjoint vpcCidr, podCidr and serviceCidr; none can change after creation.",
)
def cidrs_disjoint(ctx: Context) -> Iterator[Finding]:
    named = {f"VPC {v.name}": n for v in ctx.of_type(VPC) if (n := net(v.props.get("cidrBlock")))}
    for key in ("podCidr", "serviceCidr"):
        if (n := net(ctx.cluster.get(key))) is not None:
            named[key] = n
    for problem in disjoint_problems(named):
        yield None, problem


@rule(
    "kubecvm-network-boot-egress",
    severity="high",
    description="Nodes that boot from user data can reach every host their boot needs: packages, images and the "
    "Tencent Cloud API come from inside the VPC, or the VPC has a NAT default route for the rest.",
    remediation="Set egress: nat, or point kubernetes.imageRepository (and packageMirror) at hosts inside the VPC, "
    "e.g. your own copy of kubeadm's images in ccr.ccs.tencentyun.com (README 'What a node reaches').",
)
def boot_egress(ctx: Context) -> Iterator[Finding]:
    booting = [c for c in ctx.cvms() if c.props.get("userDataRaw") or c.props.get("userData")]
    egress = [
        r
        for r in ctx.of_type(ROUTE)
        if r.props.get("destinationCidrBlock") == "0.0.0.0/0" and r.props.get("nextType") == "NAT"
    ]
    # Without the cluster facts, assume the boot needs the internet (the safe reading).
    outside = ctx.cluster.get("bootEgressHosts", ["the package mirror", "the SSM API"])
    # In an existing network (existingSubnets) the egress is its owner's route table, which the stack cannot show.
    if booting and not egress and outside and not ctx.cluster.get("existingSubnets"):
        yield (
            None,
            (
                f"{len(booting)} nodes boot from user data but no route table has a NAT default route, so they "
                f"cannot reach {', '.join(outside)} and will not join the cluster"
            ),
        )


@rule(
    "kubecvm-network-cluster-route-table-cidr",
    severity="critical",
    description="A TKE cluster route table (podNetwork globalRouter) covers the stack's pod CIDR, overlaps no VPC "
    "CIDR and no other cluster route table of its VPC (Tencent's GlobalRouter rule: pod CIDRs of "
    "clusters in one VPC must not overlap).",
    remediation="Give each cluster in a VPC its own podCidr, disjoint from the VPC and from the other clusters'.",
)
def cluster_route_table_cidr(ctx: Context) -> Iterator[Finding]:
    # Source of the rule: TKE "GlobalRouter 网络模式介绍", 使用限制 (qcloud-documents, product/计算与网络/容器服务/
    # 控制台指南（新版）/网络管理/GlobalRouter模式/GlobalRouter网络模式介绍.md). Tables outside this stack are checked
    # by the provider itself before it creates one (components/global_router.py, Tke.create_table).
    pod = net(ctx.cluster.get("podCidr"))
    tables = [(t, n) for t in ctx.of_type(CLUSTER_ROUTE_TABLE) if (n := net(t.props.get("routeTableCidrBlock")))]
    vpcs = [(v.name, n) for v in ctx.of_type(VPC) if (n := net(v.props.get("cidrBlock")))]
    for i, (t, cidr) in enumerate(tables):
        if pod is not None and cidr != pod:
            yield t.urn, f"{t.name}: CIDR {cidr} is not the pod CIDR {pod}"
        for name, v in vpcs:
            if cidr.overlaps(v):
                yield t.urn, f"{t.name}: CIDR {cidr} overlaps VPC {name} {v}"
        for other, o in tables[i + 1 :]:
            if str(other.props.get("vpcId")) == str(t.props.get("vpcId")) and cidr.overlaps(o):
                yield other.urn, f"{other.name}: CIDR {o} overlaps cluster route table {t.name} ({cidr}) in one VPC"
