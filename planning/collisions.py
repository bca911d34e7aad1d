"""Clusters of one program that would collide: checked across the clusters a program builds, since each cluster's
own spec cannot see the others. Pure; components/cluster_args.py asks it before a Cluster registers anything.

- Names. A child's URN is `<parent type>$<type>::<name>` (Pulumi's URN format: "urn:pulumi:<stack>::<project>::
  <qualified type>::<name>", pulumi.com/docs/iac/concepts/resources/names/#urns), and a node is named
  `<cluster>-<pool>-z<n>-<i>`, so cluster `a` with pool `b-c` and cluster `a-b` with pool `c` both name a node
  `a-b-c-z3-0`: the engine refuses the second registration ("Duplicate resource URN").
- Addresses. Two clusters in one VPC (an existing network given with the same VPC id) plan node addresses in
  the same subnets: two CVMs asking for one private IP, which Tencent refuses for the second (RunInstances'
  VirtualPrivateCloud.PrivateIpAddresses must be free in the subnet), and pod CIDRs that overlap route one pod
  address to two nodes (vpcRoutes: one route table; globalRouter: two cluster route tables of one VPC whose
  CIDRs overlap, which CreateClusterRouteTable refuses unless told to ignore the conflict).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from . import names
from .plan import ClusterPlan


@dataclass(frozen=True)
class Built:
    """A cluster a program has built: its plan and which VPC it is in (None: its own, which no other shares)."""

    plan: ClusterPlan
    vpc: Hashable | None = None


def _named(plan: ClusterPlan) -> dict[str, str]:
    """Name -> what it is, for the names one cluster registers that another cluster's could equal: per node (its
    CVM, disks and pod route) and per pool (the pool component); every other name is `<cluster>-<fixed word>`."""
    out: dict[str, str] = {}
    for m in plan.machines:
        what = f"pool {m.pool!r} node in {m.zone}" if m.role == "worker" else "master"
        out[m.name] = what
        out[names.pod_route(m.name)] = f"the pod route of that {what}"
        for disk in (m.data_disk, m.etcd_disk):
            if disk is not None:
                out[disk.name] = f"a disk of that {what}"
                out[names.disk_attachment(disk.name)] = f"a disk attachment of that {what}"
    for pool in plan.pools:
        out[pool.component] = f"pool {pool.name!r}"
    return out


def _addresses(plan: ClusterPlan) -> dict[str, str]:
    out = {m.private_ip: m.name for m in plan.machines}
    if plan.api.vip:
        out[plan.api.vip] = f"the API load balancer {plan.api.name}"
    return out


def problem(earlier: Iterable[Built], new: Built) -> str | None:
    """Why `new` cannot join the clusters built before it in one program, naming both clusters and what collides;
    None when it can."""
    mine = new.plan
    for other in earlier:
        theirs = other.plan
        both = f"clusters {theirs.name!r} and {mine.name!r} of this program"
        if theirs.name == mine.name:
            return f"{both} have one name; every child is named from the cluster's name, so give each its own"
        ours, their_names = _named(mine), _named(theirs)
        clash = sorted(set(ours) & set(their_names))
        if clash:
            n = clash[0]
            return (
                f"{both} both register {n!r} (cluster {theirs.name!r}: {their_names[n]}; cluster {mine.name!r}: "
                f"{ours[n]}){f' and {len(clash) - 1} more' if len(clash) > 1 else ''}: names are "
                "<cluster>-<pool>-z<zone>-<n>, and the engine refuses two resources with one URN; rename a "
                "cluster or a pool so neither name plus '-' begins the other's names"
            )
        if new.vpc is None or other.vpc is None or new.vpc != other.vpc:
            continue
        ip_ours, ip_theirs = _addresses(mine), _addresses(theirs)
        shared = sorted(set(ip_ours) & set(ip_theirs), key=ipaddress.IPv4Address)
        if shared:
            ip = shared[0]
            return (
                f"{both} are in one VPC and both plan {ip} ({ip_theirs[ip]} and {ip_ours[ip]})"
                f"{f' and {len(shared) - 1} more addresses' if len(shared) > 1 else ''}: Tencent gives a private "
                "IP to one CVM only; give the clusters different subnets (existingNetwork.subnets)"
            )
        if mine.spec.pod_net.overlaps(theirs.spec.pod_net):
            return (
                f"{both} are in one VPC and their podCidr ranges overlap ({theirs.spec.pod_cidr} and "
                f"{mine.spec.pod_cidr}): {'two cluster route tables of one VPC with overlapping CIDRs' if mine.cluster_route_table or theirs.cluster_route_table else 'pod routes of one route table'} would send one pod "
                "address to two nodes; give each cluster its own podCidr"
            )
    return None
