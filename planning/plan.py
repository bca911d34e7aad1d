"""build_plan(spec) -> ClusterPlan: every name, CIDR, IP, count and tag decided, frozen. Pure.

The plan's types are in planning/plan_model.py, the refusals before layout in planning/plan_checks.py and the
security groups' rule lists in planning/security_groups.py; every name stays importable from here.
"""

from __future__ import annotations

from . import disks, limits, mirrors, names, security_rules
from . import ingress as ingress_plan
from .addressing import Layout
from .plan_checks import _check_architecture, _check_capacity, _master_type
from .plan_model import (
    ALL_PORTS,
    ANYWHERE,
    API_PORT,
    CLUSTER_DOMAIN,
    ETCD_PORTS,
    KUBELET_PORT,
    NODEPORTS,
    SSH_PORT,
    TAG_CLUSTER,
    TAG_POOL,
    TAG_ROLE,
    ApiLoadBalancerPlan,
    CapacityReport,
    ClusterPlan,
    ClusterRouteTablePlan,
    DiskPlan,
    MachinePlan,
    NodePoolPlan,
    RoutePlan,
    Rule,
    SecurityGroupPlan,
    SubnetPlan,
    role_tags,
)
from .security_groups import DROP_REST, _security_groups
from .sizing import instance_family, master_tier, parse_instance_type
from .spec import ClusterSpec, Disk, Exposure, PodNetworkMode, Preset, SpecError, system_disk_size

__all__ = [
    "ALL_PORTS",
    "ANYWHERE",
    "API_PORT",
    "CLUSTER_DOMAIN",
    "DROP_REST",
    "ETCD_PORTS",
    "KUBELET_PORT",
    "NODEPORTS",
    "POLICY_FACTS",
    "SSH_PORT",
    "TAG_CLUSTER",
    "TAG_POOL",
    "TAG_ROLE",
    "ApiLoadBalancerPlan",
    "CapacityReport",
    "ClusterPlan",
    "ClusterRouteTablePlan",
    "DiskPlan",
    "MachinePlan",
    "NodePoolPlan",
    "RoutePlan",
    "Rule",
    "SecurityGroupPlan",
    "SubnetPlan",
    "address_layout",
    "build_plan",
    "policy_facts",
    "role_tags",
]


# The Cluster component's output holding policy_facts(spec), read by the CrossGuard pack per cluster.
POLICY_FACTS = "policyFacts"


def policy_facts(spec: ClusterSpec) -> dict[str, object]:
    """The policy config's `cluster` key for a spec: the facts rules need that resources do not show. The offline
    plan merges it into the config; a Cluster component registers it as its POLICY_FACTS output, which the
    CrossGuard pack reads under `pulumi preview` (policies/__main__.py)."""
    return {
        "podCidr": spec.pod_cidr,
        "serviceCidr": spec.service_cidr,
        "maxPodsPerNode": spec.max_pods_per_node,
        "nodePodMask": spec.node_pod_mask,
        "routeEntriesPerTable": spec.quotas.route_entries_per_table,
        "apiExposure": spec.api_endpoint.exposure.value,
        # The ingress CLB's exposure, or None without one (kubecvm-security-ingress-public).
        "ingressExposure": spec.ingress.exposure.value if spec.ingress.enabled else None,
        # What a booting node must reach outside the VPC (planning/mirrors.py); empty: it boots without NAT.
        "bootEgressHosts": list(mirrors.from_spec(spec).egress_hosts),
        # A network kubecvm does not create (spec existingNetwork): its subnets by zone, which no resource shows.
        **(
            {"existingSubnets": {z: s.cidr for z, s in sorted(spec.existing_network.subnets.items())}}
            if getattr(spec, "existing_network", None) is not None
            else {}
        ),
    }


def _disk(name: str, disk: Disk, protect: bool = False) -> DiskPlan:
    return DiskPlan(name=name, type=disk.type.value, size=disk.size, encrypted=disk.encrypted, protect=protect)


def _data_disk(name: str, disk: Disk, charge_type: str) -> DiskPlan:
    postpaid = charge_type == "POSTPAID_BY_HOUR"
    return DiskPlan(
        name=name,
        type=disk.type.value,
        size=disk.size,
        encrypted=disk.encrypted,
        delete_with_instance=postpaid,
        delete_with_instance_prepaid=charge_type == "PREPAID",
    )


def _billing(machines) -> dict[str, object]:
    """MachinePlan's charge settings for a ControlPlane or NodePool spec."""
    prepaid, spot = machines.prepaid, machines.spot
    return {
        "charge_type": machines.charge_type.value,
        "prepaid_period": prepaid.period if prepaid else None,
        "prepaid_renew_flag": prepaid.renew_flag.value if prepaid else None,
        "spot_max_price": spot.max_price if spot else None,
        "spot_instance_type": spot.type.value if spot else None,
    }


def _system_disk(where: str, machines, instance_type: str) -> dict[str, object]:
    """MachinePlan's system disk for a ControlPlane or NodePool spec of `instance_type`: the type asked for, checked
    against what the family is sold with (planning/disks.py), or the family's default."""
    family = instance_family(instance_type)
    asked = machines.system_disk.type if machines.system_disk is not None else None
    if asked is not None and (problem := disks.system_disk_problem(asked.value, family)):
        raise SpecError(f"{where}.systemDisk.type", problem)
    return {
        "system_disk_type": asked.value if asked is not None else disks.default_system_disk(family),
        "system_disk_size": system_disk_size(machines),
    }


def address_layout(spec: ClusterSpec) -> Layout:
    """The spec's address geometry (planning/addressing.py), which every planned address comes from."""
    return Layout(
        spec.vpc_net,
        spec.pod_net,
        spec.node_pod_mask,
        spec.layout.zone_blocks,
        spec.layout.pool_blocks,
        tuple(sorted(spec.subnet_nets.items())),
    )


def build_plan(spec: ClusterSpec) -> ClusterPlan:
    """Decide everything. Raises SpecError (naming the field) when the spec cannot be laid out."""
    c = spec.name
    layout = address_layout(spec)
    _check_capacity(spec, layout)
    prod = spec.preset is Preset.prod
    protect = spec.protect or prod
    tags = {**spec.tags, TAG_CLUSTER: c}

    zones = sorted(spec.zones, key=names.zone_number)
    subnets = tuple(SubnetPlan(names.subnet(c, z), z, str(layout.zone_subnet(names.zone_number(z)))) for z in zones)

    master_type = _master_type(spec)
    _check_architecture("controlPlane", master_type)
    for i, pool in enumerate(spec.node_pools):
        _check_architecture(f"nodePools[{i}]", pool.instance_type)
    master_disk = _system_disk("controlPlane", spec.control_plane, master_type)
    pool_disks = [_system_disk(f"nodePools[{i}]", pool, pool.instance_type) for i, pool in enumerate(spec.node_pools)]
    masters = []
    master_zones = spec.master_zones
    for i in range(spec.control_plane.count):
        zone = master_zones[i % len(master_zones)]
        k = i // len(master_zones)  # masters sharing a zone (fewer zones than masters) take the next addresses
        zn = names.zone_number(zone)
        name = names.master(c, i)
        masters.append(
            MachinePlan(
                name=name,
                role="master",
                pool=None,
                zone=zone,
                private_ip=layout.node_ip(zn, 0, k),
                pod_cidr=layout.pod_cidr(zn, 0, k),
                instance_type=master_type,
                shape=parse_instance_type(master_type),
                **master_disk,
                **_billing(spec.control_plane),
                tags=role_tags(tags, "master"),
                etcd_disk=_disk(names.etcd_disk(name), spec.control_plane.etcd_disk, protect=protect),
                labels={},
                taints=({"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"},),
                # Lifted for the masters the spec names, so a `pulumi up --replace` of one can delete it (docs/operations/masters.md).
                disable_api_termination=prod and name not in spec.lift_termination_protection,
            )
        )

    pools = []
    for pool, pool_disk in zip(spec.node_pools, pool_disks):
        nodes = []
        for zone in spec.pool_zones(pool):
            zn = names.zone_number(zone)
            for k in range(pool.count_per_zone):
                name = names.worker(c, pool.name, zone, k)
                nodes.append(
                    MachinePlan(
                        name=name,
                        role="worker",
                        pool=pool.name,
                        zone=zone,
                        private_ip=layout.node_ip(zn, pool.slot, k),
                        pod_cidr=layout.pod_cidr(zn, pool.slot, k),
                        instance_type=pool.instance_type,
                        shape=parse_instance_type(pool.instance_type),
                        **pool_disk,
                        **_billing(pool),
                        tags=role_tags(tags, "worker", **{TAG_POOL: pool.name}),
                        data_disk=_data_disk(names.data_disk(name), pool.data_disk, pool.charge_type.value)
                        if pool.data_disk
                        else None,
                        labels={**pool.labels, ingress_plan.POOL_LABEL: pool.name},
                        taints=tuple(t.model_dump(mode="json") for t in pool.taints),
                    )
                )
        pools.append(
            NodePoolPlan(
                pool.name, pool.slot, tuple(spec.pool_zones(pool)), tuple(nodes), names.pool_component(c, pool.name)
            )
        )

    machines = [*masters, *(n for p in pools for n in p.nodes)]
    routes = tuple(RoutePlan(names.pod_route(m.name), m.pod_cidr, m.private_ip, m.name) for m in machines)

    lb_zone = masters[0].zone
    internal = spec.api_endpoint.exposure is Exposure.internal
    vip = layout.api_vip(names.zone_number(lb_zone)) if internal else None
    api_allowed = tuple(spec.api_endpoint.allowed_cidrs or [spec.vpc_cidr])
    charge, bandwidth = spec.api_endpoint.internet or (None, None)
    api = ApiLoadBalancerPlan(
        name=names.api_lb(c),
        listener=names.api_listener(c),
        targets=names.api_targets(c),
        exposure=spec.api_endpoint.exposure.value,
        zone=lb_zone,
        vip=vip,
        allowed_cidrs=api_allowed,
        endpoint=f"{vip}:6443" if vip else "",
        internet_charge_type=charge,
        bandwidth=bandwidth,
    )

    nat = (names.nat_eip(c), names.nat_gateway(c), names.nat_route(c)) if spec.nat else None
    global_router = spec.pod_network.mode is PodNetworkMode.globalRouter
    table = (
        ClusterRouteTablePlan(
            names.cluster_route_table(c),
            spec.pod_cidr,
            routes,
            spec.pod_network.ignore_vpc_route_conflict,
        )
        if global_router
        else None
    )
    entries = (0 if global_router else len(routes)) + (1 if nat else 0)
    quota = spec.quotas.route_entries_per_table
    workers = len(machines) - len(masters)
    tier = master_tier(workers)
    capacity = CapacityReport(
        workers=workers,
        masters=len(masters),
        max_nodes_by_pod_cidr=2 ** (spec.node_pod_mask - layout.pod.prefixlen),
        max_nodes_per_pool_zone_by_pod_cidr=layout.pod_capacity,
        max_nodes_per_pool_zone_by_subnet_ips=layout.ip_capacity(1),
        max_nodes_by_route_quota=None if global_router else max(0, quota - (1 if nat else 0)),
        max_nodes_by_kubernetes=min(limits.MAX_NODES, limits.MAX_PODS // spec.max_pods_per_node),
        route_entries_used=entries,
        route_quota=quota,
        master_tier=str(tier.shape) if tier else None,
        next_master_tier_at=tier.max_workers + 1 if tier else None,
        pod_network=spec.pod_network.mode.value,
        cluster_routes=len(routes) if global_router else 0,
        layout=(layout.zone_blocks, layout.pool_blocks),
    )
    ing = ingress_plan.plan_ingress(
        spec,
        zone=lb_zone,
        vip=layout.ingress_vip(names.zone_number(lb_zone)),
        workers=[n for p in pools for n in p.nodes],
    )
    sg_names = {r: names.security_group(c, r) for r in ("master", "worker", "lb", ingress_plan.ROLE)}
    security_groups = _security_groups(spec, sg_names, [m.private_ip for m in masters], ing)
    security_rules.check(spec, security_groups)  # what Tencent would refuse in them, naming the list to change
    return ClusterPlan(
        spec=spec,
        name=c,
        region=spec.region,
        preset=spec.preset.value,
        protect=protect,
        tags=tags,
        vpc_name=names.vpc(c),
        vpc_cidr=spec.vpc_cidr,
        pod_cidr=spec.pod_cidr,
        service_cidr=spec.service_cidr,
        subnets=subnets,
        route_table=names.route_table(c),
        nat=nat,
        security_groups=security_groups,
        placement_group=names.placement_group(c),
        masters=tuple(masters),
        pools=tuple(pools),
        api=api,
        routes=routes,
        capacity=capacity,
        pod_network=spec.pod_network.mode.value,
        cluster_route_table=table,
        components={
            "network": names.network_component(c),
            "security": names.security_component(c),
            "control_plane": names.control_plane_component(c),
            "routes": names.routes_component(c),
        },
        ingress=ing,
    )
