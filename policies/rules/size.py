"""Size rules: masters sized for the workers, Kubernetes scale limits, etcd disk and subnet capacity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kubecvm.planning import limits
from kubecvm.planning.checks import (
    master_size_problem,
    node_limit_problem,
    pod_block_addresses_needed,
    total_pods_problem,
)
from kubecvm.planning.sizing import MASTER_MINIMUM, Shape, master_tier, parse_instance_type

from ..registry import CBS, CLB, CVM, SUBNET, Context, Finding, Resource, ip, net, rule


def shape_of(r: Resource) -> Shape | None:
    try:
        return parse_instance_type(str(r.props.get("instanceType") or ""))
    except ValueError:
        return None  # not FAMILY.SIZE<mem> (GPU families): kubecvm-size-master-minimum says so for masters


def node_pod_mask(ctx: Context) -> int | None:
    """The per-node pod block size: the stack's nodePodMask, else the prefix its pod routes use."""
    if ctx.cluster.get("nodePodMask"):
        return int(ctx.cluster["nodePodMask"])
    prefixes = Counter(n.prefixlen for r in ctx.pod_routes() if (n := net(r.props.get("destinationCidrBlock"))))
    return prefixes.most_common(1)[0][0] if prefixes else None


@rule(
    "kubecvm-size-master-tier",
    severity="high",
    scope=(CVM,),
    role="master",
    # Above the table, beyond_table_message asks for at least 32C128G set explicitly: masters that size pass.
    defaults={"beyondTableMinCpu": 32, "beyondTableMinMemoryGib": 128},
    description="Masters are at least the size the sizing table gives for the worker count "
    "(1-5 workers 4C8G, 6-20 4C16G, 21-100 8C32G, 101-200 16C64G; above, 32C128G).",
    remediation="Set controlPlane.instanceType to the size named in the message, or `auto`.",
)
def master_tier_rule(ctx: Context) -> Iterator[Finding]:
    # The table is planning's own (MASTER_TIERS), not a policy setting: `instanceType: auto` sizes from it,
    # and a policy that disagreed with the planner would fail the planner's own choices.
    workers = len(ctx.workers)
    beyond = Shape(int(ctx.params["beyondTableMinCpu"]), int(ctx.params["beyondTableMinMemoryGib"]))
    for m in ctx.masters:
        shape = shape_of(m)
        if shape is None or not shape.covers(MASTER_MINIMUM):
            continue  # kubecvm-size-master-minimum reports these
        if master_tier(workers) is None and shape.covers(beyond):
            continue
        if problem := master_size_problem(shape, workers):
            yield m.urn, f"{m.name} ({m.props.get('instanceType')}): {problem}"


@rule(
    "kubecvm-size-master-minimum",
    severity="high",
    scope=(CVM,),
    role="master",
    per_resource=True,
    defaults={"minCpu": MASTER_MINIMUM.cpu, "minMemoryGib": MASTER_MINIMUM.memory_gib},
    description="Every master has at least the minimum shape (2 vCPU, 4 GiB) and a type whose shape is known.",
    remediation="Choose a FAMILY.SIZE<memory> instance type of at least minCpu vCPUs and minMemoryGib GiB.",
)
def master_minimum(ctx: Context) -> Iterator[Finding]:
    minimum = Shape(int(ctx.params["minCpu"]), int(ctx.params["minMemoryGib"]))
    for m in ctx.masters:
        shape = shape_of(m)
        if shape is None:
            yield (
                m.urn,
                f"{m.name}: cannot tell the size of instance type {m.props.get('instanceType')!r}; use FAMILY.SIZE<memory GiB>",
            )
        elif not shape.covers(minimum):
            yield m.urn, f"{m.name} ({m.props.get('instanceType')}) is {shape}, below the master minimum of {minimum}"


@rule(
    "kubecvm-size-master-same-type",
    severity="medium",
    description="All masters have the same instance type, so any of them can carry the control plane alone.",
    remediation="Give every master the same controlPlane.instanceType.",
)
def master_same_type(ctx: Context) -> Iterator[Finding]:
    types = Counter(str(m.props.get("instanceType")) for m in ctx.masters)
    if len(types) > 1:
        yield None, "masters differ in instance type: " + ", ".join(f"{t} x{n}" for t, n in sorted(types.items()))


@rule(
    "kubecvm-size-node-count",
    severity="high",
    defaults={"maxNodes": limits.MAX_NODES},
    description="Nodes stay within Kubernetes' 5000-node limit and within what the pod CIDR can give node blocks.",
    remediation="Use fewer nodes, or a larger podCidr (it cannot change after creation: plan it up front).",
)
def node_count(ctx: Context) -> Iterator[Finding]:
    nodes = len(ctx.cvms())
    if problem := node_limit_problem(nodes, int(ctx.params["maxNodes"])):
        yield None, problem
    pod, mask = net(ctx.cluster.get("podCidr")), node_pod_mask(ctx)
    if pod is not None and mask is not None and mask >= pod.prefixlen:
        room = 2 ** (mask - pod.prefixlen)
        if nodes > room:
            yield None, f"{nodes} nodes need {nodes} /{mask} pod blocks but podCidr {pod} holds only {room}"


@rule(
    "kubecvm-size-max-pods-per-node",
    severity="high",
    defaults={"maxPodsPerNode": limits.MAX_PODS_PER_NODE},
    description="maxPodsPerNode is at most 110 and fits each node's pod block (block size - 2).",
    remediation="Lower maxPodsPerNode, or give nodes a larger pod block (smaller nodePodMask).",
)
def max_pods_per_node(ctx: Context) -> Iterator[Finding]:
    if ctx.cluster.get("maxPodsPerNode") is None:
        return  # not visible on resources: only the stack's cluster settings say it
    pods = int(ctx.cluster["maxPodsPerNode"])
    if pods > ctx.params["maxPodsPerNode"]:
        yield None, f"maxPodsPerNode {pods} exceeds the limit of {ctx.params['maxPodsPerNode']} pods per node"
    mask = node_pod_mask(ctx)
    if mask is not None and 2 ** (32 - mask) < pod_block_addresses_needed(pods):
        yield None, f"a /{mask} node pod block holds {2 ** (32 - mask) - 2} pods but maxPodsPerNode is {pods}"


@rule(
    "kubecvm-size-total-pods",
    severity="high",
    defaults={"maxPods": limits.MAX_PODS},
    description="Nodes x maxPodsPerNode stays within Kubernetes' 150000-pod limit.",
    remediation="Lower maxPodsPerNode or use fewer nodes.",
)
def total_pods(ctx: Context) -> Iterator[Finding]:
    if ctx.cluster.get("maxPodsPerNode") is None:
        return
    nodes, pods = len(ctx.cvms()), int(ctx.cluster["maxPodsPerNode"])
    if problem := total_pods_problem(nodes, pods, int(ctx.params["maxPods"])):
        yield None, problem


@rule(
    "kubecvm-size-etcd-disk",
    severity="medium",
    scope=(CBS,),
    role="storage",
    per_resource=True,
    defaults={"etcdDiskMinGib": 50},
    description="Each etcd disk is at least etcdDiskMinGib GiB (CBS throughput grows with size).",
    remediation="Raise controlPlane.etcdDisk.size.",
)
def etcd_disk_size(ctx: Context) -> Iterator[Finding]:
    minimum = int(ctx.params["etcdDiskMinGib"])
    for d in ctx.of_type(CBS):
        if d.role == "storage" and int(d.props.get("storageSize") or 0) < minimum:
            yield d.urn, f"{d.name}: {d.props.get('storageSize')} GiB is below the etcd disk minimum of {minimum} GiB"


@rule(
    "kubecvm-size-subnet-free-ips",
    severity="high",
    scope=(SUBNET,),
    defaults={"reservedPerSubnet": limits.SUBNET_RESERVED_HEAD + limits.SUBNET_RESERVED_TAIL},
    description="Each node's private IP lies in a subnet of its zone, and each subnet has room for the "
    "addresses placed in it (nodes and load-balancer VIPs) after Tencent's reserved ones.",
    remediation="Use a larger vpcCidr, or spread the nodes over more zones.",
)
def subnet_free_ips(ctx: Context) -> Iterator[Finding]:
    subnets = [(s, n) for s in ctx.of_type(SUBNET) if (n := net(s.props.get("cidrBlock")))]
    # An existing network's subnets are no resources of the stack: the cluster facts give them by zone.
    existing = {zone: n for zone, cidr in (ctx.cluster.get("existingSubnets") or {}).items() if (n := net(cidr))}
    placed: Counter[str] = Counter()
    for c in ctx.cvms():
        addr = ip(c.props.get("privateIp"))
        if addr is None:
            continue  # kubecvm-network-route-per-node reports nodes without a static IP
        if c.props.get("availabilityZone") in existing and addr in existing[c.props.get("availabilityZone")]:
            continue
        home = [
            s for s, n in subnets if addr in n and s.props.get("availabilityZone") == c.props.get("availabilityZone")
        ]
        if not home:
            yield c.urn, f"{c.name}: private IP {addr} is not inside a subnet of zone {c.props.get('availabilityZone')}"
        for s in home:
            placed[s.urn] += 1
    for lb in ctx.of_type(CLB):
        addr = ip(lb.props.get("vip"))
        for s, n in subnets:
            if addr is not None and addr in n:
                placed[s.urn] += 1
    reserved = int(ctx.params["reservedPerSubnet"])
    for s, n in subnets:
        usable = max(0, n.num_addresses - reserved)
        if placed[s.urn] > usable:
            yield s.urn, f"{s.name} ({n}) has {usable} usable addresses but {placed[s.urn]} are placed in it"
