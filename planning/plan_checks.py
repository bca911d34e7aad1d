"""What build_plan refuses before laying anything out: capacity of the address layout, the masters' size, the
nodes' architecture. Pure; each raises SpecError naming the field in the stack config's spelling.

Apart from planning/plan.py so that the refusals read together and build_plan stays one decision after another.
"""

from __future__ import annotations

from .addressing import Layout
from .sizing import beyond_table_message, master_tier
from .spec import ClusterSpec, SpecError
from .tencent import cvm


def _check_architecture(where: str, instance_type: str) -> None:
    """Nodes boot x86_64 only: the boot installs tccli and the COS SDK from planning/node-pip.lock, whose wheels are
    x86_64 (tools/node_pip_lock.py ARCH), and imageNameRegex's default names Tencent's x86_64 Ubuntu image."""
    if (arch := cvm.architecture(instance_type)) != cvm.X86_64:
        raise SpecError(
            f"{where}.instanceType",
            (
                f"{instance_type} is an {arch} (ARM) instance type, and kubecvm's nodes boot on x86_64 only (the boot's "
                f"pinned Python packages and the node image are x86_64 builds): choose an x86_64 family, such as S5, SA3 "
                f"or S6"
            ),
        )


def _master_type(spec: ClusterSpec) -> str:
    if spec.control_plane.instance_type != "auto":
        return spec.control_plane.instance_type
    tier = master_tier(spec.worker_count)
    if tier is None:
        raise SpecError(
            "controlPlane.instanceType", f"auto cannot size masters: {beyond_table_message(spec.worker_count)}"
        )
    return tier.instance_type


def _check_capacity(spec: ClusterSpec, layout: Layout) -> None:
    cap_pod = layout.pod_capacity
    if cap_pod == 0:
        raise SpecError(
            "nodePodMask",
            f"/{spec.node_pod_mask} node blocks cannot be laid out in podCidr {spec.pod_cidr}: the layout reserves "
            f"{layout.zone_blocks} zone x {layout.pool_blocks} pool blocks (layout.zoneBlocks x layout.poolBlocks), "
            f"so the node mask must be at least /{layout.pod_bucket_prefix}; use a larger podCidr, a larger "
            "nodePodMask or fewer layout blocks",
        )
    if layout.ip_capacity(0) < spec.control_plane.count and spec.existing_network is not None:
        # The masters' block is cut from the given subnet of their first zone, not from vpcCidr.
        zone = spec.master_zones[0]
        cidr = spec.existing_network.subnets[zone].cidr
        raise SpecError(
            f"existingNetwork.subnets.{zone}.cidr",
            f"{cidr} is too small: its /{layout.pool_block_prefix} address "
            f"blocks (one per pool slot, layout.poolBlocks {layout.pool_blocks}) cannot hold the "
            f"{spec.control_plane.count} master(s) and the API address; give larger subnets",
        )
    if layout.ip_capacity(0) < spec.control_plane.count:
        raise SpecError(
            "vpcCidr",
            f"{spec.vpc_cidr} is too small: its /{layout.pool_block_prefix} address blocks per zone and "
            f"pool ({layout.zone_blocks} x {layout.pool_blocks}) cannot hold the masters and the API address; "
            "use /22 or larger",
        )
    per_zone = -(-spec.control_plane.count // len(spec.master_zones))  # masters go round-robin over their zones
    if per_zone > cap_pod:
        raise SpecError(
            "controlPlane.count",
            f"{per_zone} masters in zone {spec.master_zones[0]} exceed the "
            f"{cap_pod} pod blocks of the control-plane block (podCidr {spec.pod_cidr}, nodePodMask "
            f"/{spec.node_pod_mask}, layout {layout.zone_blocks} x {layout.pool_blocks}); use a larger podCidr, "
            "more zones or fewer layout blocks",
        )
    for i, pool in enumerate(spec.node_pools):
        cap = min(cap_pod, layout.ip_capacity(pool.slot))
        if pool.count_per_zone > cap:
            by = "pod blocks" if cap_pod <= layout.ip_capacity(pool.slot) else "subnet addresses"
            raise SpecError(
                f"nodePools[{i}].countPerZone",
                f"{pool.count_per_zone} nodes per zone exceed the {cap} that fit one pool in one zone (limited by {by}: "
                f"podCidr {spec.pod_cidr} with nodePodMask /{spec.node_pod_mask}, vpcCidr {spec.vpc_cidr}, layout "
                f"{layout.zone_blocks} zones x {layout.pool_blocks} pools); use a larger podCidr or vpcCidr, fewer "
                "layout blocks (before the cluster exists), or spread the pool over more zones",
            )


# --- security groups: ordered rule lists (planning/firewall.py evaluates them) ---------------------------------
# Tencent applies the first matching rule (terraform-provider-tencentcloud v1.82.42 docs/r/security_group_rule_set:
# "this block is ordered, the first rule has the highest priority"), so each list reads top-down:
#   1. fences that hold even for the cluster's own sources (etcd: masters only);
#   2. everything between the cluster's own nodes and pods. kube-proxy SNATs cross-node NodePort traffic and
#      hostNetwork pods use the node's address, so node-sourced traffic is cluster traffic: DNS to CoreDNS on the
#      masters, metrics-server to every kubelet, NodePorts, webhooks. Nodes are named by their security groups,
#      not by address blocks: exactly the cluster's CVMs, and adding a zone or a pool changes no rule;
