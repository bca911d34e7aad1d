"""Pure checks shared by spec validation, the planner and the policy packs, so each rule is written once.

Each returns the problems it finds as plain strings (or (field, problem) pairs); an empty result is a pass.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator

from . import limits
from .sizing import MASTER_MINIMUM, Shape, beyond_table_message, master_tier

Net = ipaddress.IPv4Network
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
VPC_MASKS = {"10.0.0.0/8": (12, 28), "172.16.0.0/12": (12, 28), "192.168.0.0/16": (16, 28)}


def is_rfc1918(net: Net) -> bool:
    return any(net.subnet_of(r) for r in PRIVATE_RANGES)


def pod_block_addresses_needed(max_pods: int) -> int:
    """A node's pod block must hold max_pods plus its network and bridge-gateway addresses."""
    return max_pods + 2


def cidr_problems(*, vpc: Net, pod: Net, service: Net, node_pod_mask: int, max_pods: int) -> Iterator[tuple[str, str]]:
    lo, hi = next(VPC_MASKS[str(r)] for r in PRIVATE_RANGES if vpc.subnet_of(r))
    if not lo <= vpc.prefixlen <= hi:
        yield "vpcCidr", f"/{vpc.prefixlen} is outside the VPC mask range /{lo}../{hi} for {vpc}"
    if pod.overlaps(vpc):
        yield "podCidr", f"{pod} overlaps the VPC CIDR {vpc}; VPC routes cannot send pod traffic inside the VPC range"
    if service.overlaps(vpc):
        yield "serviceCidr", f"{service} overlaps the VPC CIDR {vpc}"
    if service.overlaps(pod):
        yield "serviceCidr", f"{service} overlaps the pod CIDR {pod}"
    if node_pod_mask < pod.prefixlen:
        yield "nodePodMask", f"/{node_pod_mask} node blocks are larger than the pod CIDR {pod}"
    size = 2 ** (32 - node_pod_mask)
    if size < pod_block_addresses_needed(max_pods):
        yield (
            "nodePodMask",
            (
                f"/{node_pod_mask} holds {size - 2} pods but maxPodsPerNode is {max_pods}; "
                f"use /{32 - (pod_block_addresses_needed(max_pods) - 1).bit_length()} or lower maxPodsPerNode"
            ),
        )


def disjoint_problems(named: dict[str, Net]) -> list[str]:
    items = sorted(named.items())
    return [
        f"{a} {na} overlaps {b} {nb}" for i, (a, na) in enumerate(items) for b, nb in items[i + 1 :] if na.overlaps(nb)
    ]


def master_size_problem(shape: Shape, workers: int) -> str | None:
    if not shape.covers(MASTER_MINIMUM):
        return f"masters of {shape} are below the minimum of {MASTER_MINIMUM}"
    tier = master_tier(workers)
    if tier is None:
        return beyond_table_message(workers)
    if not shape.covers(tier.shape):
        return f"{workers} workers need masters of at least {tier.shape} (for example {tier.instance_type}); these are {shape}"
    return None


def quorum(members: int) -> int:
    return members // 2 + 1


def zone_loss_problem(master_zones: Iterable[str]) -> str | None:
    """etcd must keep quorum when any single zone is lost."""
    per_zone = Counter(master_zones)
    total = sum(per_zone.values())
    if total <= 1:
        return None  # a single member has no quorum to keep; the HA rules report single masters on their own
    worst_zone, worst = per_zone.most_common(1)[0]
    if total - worst < quorum(total):
        return (
            f"losing zone {worst_zone} removes {worst} of {total} etcd members, below the quorum of {quorum(total)}; "
            "spread masters over distinct zones"
        )
    return None


def skew_problem(counts_by_zone: dict[str, int], max_skew: int = 1) -> str | None:
    if len(counts_by_zone) < 2:
        return None
    hi, lo = max(counts_by_zone.values()), min(counts_by_zone.values())
    if hi - lo > max_skew:
        layout = ", ".join(f"{z}: {n}" for z, n in sorted(counts_by_zone.items()))
        return f"workers are skewed across zones by {hi - lo} (more than {max_skew}): {layout}"
    return None


def node_limit_problem(nodes: int, max_nodes: int = limits.MAX_NODES) -> str | None:
    if nodes > max_nodes:
        return f"{nodes} nodes exceed the Kubernetes limit of {max_nodes}"
    return None


def total_pods_problem(nodes: int, max_pods_per_node: int, max_pods: int = limits.MAX_PODS) -> str | None:
    if nodes * max_pods_per_node > max_pods:
        return (
            f"{nodes} nodes x {max_pods_per_node} pods = {nodes * max_pods_per_node} pods exceed the Kubernetes limit "
            f"of {max_pods}; lower maxPodsPerNode to {max_pods // nodes} or fewer"
        )
    return None


def route_quota_problem(entries: int, quota: int) -> str | None:
    if entries > quota:
        return (
            f"{entries} route entries exceed the route-table quota of {quota}; set podNetwork.mode: globalRouter "
            "(one TKE cluster route table, not bounded by this quota), or ask Tencent Cloud to raise "
            "route-table-max-policies and set quotas.routeEntriesPerTable, or use fewer nodes"
        )
    return None
