"""build_plan(spec) -> ClusterPlan: every name, CIDR, IP, count and tag decided, frozen. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import disks, limits, mirrors, names, security_rules
from .tencent import cvm
from . import ingress as ingress_plan
from .addressing import Layout
from .ingress import IngressPlan
from .sizing import Shape, beyond_table_message, master_tier, parse_instance_type
from .sizing import instance_family
from .spec import ClusterSpec, Disk, Exposure, PodNetworkMode, Preset, SpecError, system_disk_size

TAG_CLUSTER, TAG_ROLE, TAG_POOL = "kubecvm/cluster", "kubecvm/role", "kubecvm/pool"
# The cluster's DNS domain (kubeadm networking.dnsDomain, planning/kubeadm.py): Service names end in .svc.<it>.
CLUSTER_DOMAIN = "cluster.local"
ALL_PORTS = "ALL"
ETCD_PORTS, KUBELET_PORT, API_PORT, SSH_PORT, NODEPORTS = "2379-2380", "10250", "6443", "22", "30000-32767"
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class DiskPlan:
    name: str
    type: str
    size: int
    encrypted: bool
    protect: bool = False
    # An inline data disk goes with its instance: how to ask depends on the instance's charge type (data_disks in
    # cvm/resource_tc_instance.go: delete_with_instance may be true only on POSTPAID_BY_HOUR, and defaults to true;
    # delete_with_instance_prepaid applies to PREPAID). SPOTPAID pools have no data disks (spec).
    delete_with_instance: bool = True
    delete_with_instance_prepaid: bool = False

    @property
    def attachment(self) -> str:
        return names.disk_attachment(self.name)


@dataclass(frozen=True)
class MachinePlan:
    name: str
    role: str  # "master" | "worker"
    pool: str | None
    zone: str
    private_ip: str
    pod_cidr: str
    instance_type: str
    shape: Shape
    system_disk_size: int
    charge_type: str
    tags: dict[str, str]
    data_disk: DiskPlan | None = None
    etcd_disk: DiskPlan | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()
    disable_api_termination: bool = False
    system_disk_type: str = disks.SYSTEM_DISK_TYPES[0]  # planning/disks.py: the spec's, or the family's default
    # PREPAID: the term in months and the renew flag (instance_charge_type_prepaid_period/_renew_flag); SPOTPAID
    # with a bid: spot_max_price and spot_instance_type. None otherwise (the spec's prepaid and spot).
    prepaid_period: int | None = None
    prepaid_renew_flag: str | None = None
    spot_max_price: str | None = None
    spot_instance_type: str | None = None

    @property
    def force_delete(self) -> bool:
        """A PREPAID instance is destroyed for good when deleted (cvm/resource_tc_instance.go force_delete): the
        provider's Delete otherwise leaves it in the recycle bin, holding its planned address and its subnet."""
        return self.charge_type == "PREPAID"


@dataclass(frozen=True)
class SubnetPlan:
    name: str
    zone: str
    cidr: str


@dataclass(frozen=True)
class Rule:
    action: str  # ACCEPT | DROP
    protocol: str  # TCP | UDP | ICMP | ALL
    port: str
    cidr: str  # "" when the source is a security group
    description: str
    # The role ("master" | "worker") whose security group is the source: every CVM in it, by its private address
    # (the provider's `source_security_id`, docs/r/security_group_rule_set: "ID of the nested security group").
    source_group: str | None = None


@dataclass(frozen=True)
class SecurityGroupPlan:
    name: str
    role: str  # master | worker | lb
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]

    @property
    def rules_name(self) -> str:
        return names.security_rules(self.name)


@dataclass(frozen=True)
class RoutePlan:
    name: str
    destination: str
    next_hop: str
    node: str


@dataclass(frozen=True)
class NodePoolPlan:
    name: str
    slot: int
    zones: tuple[str, ...]
    nodes: tuple[MachinePlan, ...]
    component: str


@dataclass(frozen=True)
class ApiLoadBalancerPlan:
    name: str
    listener: str
    targets: str
    exposure: str
    zone: str  # the subnet it lives in (internal) / its master zone
    vip: str | None  # static for internal exposure
    allowed_cidrs: tuple[str, ...]
    endpoint: str  # host:port for internal exposure; "" for public, whose address Tencent assigns
    # A public CLB's internet_charge_type and internet_bandwidth_max_out (spec PublicClb); None when internal.
    internet_charge_type: str | None = None
    bandwidth: int | None = None

    @property
    def network_type(self) -> str:
        return "INTERNAL" if self.exposure == "internal" else "OPEN"


@dataclass(frozen=True)
class ClusterRouteTablePlan:
    """podNetwork globalRouter: the TKE cluster route table for the pod CIDR and one route per node in it."""

    name: str  # logical name and the table's RouteTableName
    cidr: str  # RouteTableCidrBlock: the pod CIDR
    routes: tuple[RoutePlan, ...]
    ignore_vpc_route_conflict: bool = False


@dataclass(frozen=True)
class CapacityReport:
    workers: int
    masters: int
    max_nodes_by_pod_cidr: int
    max_nodes_per_pool_zone_by_pod_cidr: int
    max_nodes_per_pool_zone_by_subnet_ips: int
    max_nodes_by_route_quota: int | None  # None in globalRouter mode: no pod route is a VPC route-table entry
    max_nodes_by_kubernetes: int
    route_entries_used: int  # VPC route-table entries (pod routes in vpcRoutes mode, plus the NAT default route)
    route_quota: int
    master_tier: str | None  # e.g. "4C8G"; None beyond the table
    next_master_tier_at: int | None  # worker count that needs the next tier
    pod_network: str = PodNetworkMode.vpcRoutes.value
    cluster_routes: int = 0  # routes in the TKE cluster route table (globalRouter mode)
    layout: tuple[int, int] = (limits.ZONE_SLOTS, limits.POOL_SLOTS)  # (zoneBlocks, poolBlocks)

    @property
    def max_nodes(self) -> int:
        bounds = [self.max_nodes_by_pod_cidr, self.max_nodes_by_kubernetes]
        if self.max_nodes_by_route_quota is not None:
            bounds.append(self.max_nodes_by_route_quota)
        return min(bounds)

    @property
    def bounded_by(self) -> list[str]:
        """What sets max_nodes in this mode (the route quota only in vpcRoutes mode)."""
        bounds = {"podCidr": self.max_nodes_by_pod_cidr, "kubernetes": self.max_nodes_by_kubernetes}
        if self.max_nodes_by_route_quota is not None:
            bounds["routeQuota"] = self.max_nodes_by_route_quota
        return sorted(k for k, v in bounds.items() if v == self.max_nodes)

    @property
    def max_nodes_per_pool_zone(self) -> int:
        return min(self.max_nodes_per_pool_zone_by_pod_cidr, self.max_nodes_per_pool_zone_by_subnet_ips)

    def to_dict(self) -> dict[str, int | str | None]:
        """The report under the camelCase names the stack output and the offline plan's summary both use."""
        return {
            "workers": self.workers,
            "masters": self.masters,
            "masterTier": self.master_tier,
            "nextMasterTierAt": self.next_master_tier_at,
            "maxNodes": self.max_nodes,
            "maxNodesByPodCidr": self.max_nodes_by_pod_cidr,
            "maxNodesPerPoolZoneByPodCidr": self.max_nodes_per_pool_zone_by_pod_cidr,
            "maxNodesPerPoolZoneBySubnetIps": self.max_nodes_per_pool_zone_by_subnet_ips,
            "maxNodesByRouteQuota": self.max_nodes_by_route_quota,
            "maxNodesByKubernetes": self.max_nodes_by_kubernetes,
            "routeEntriesUsed": self.route_entries_used,
            "routeQuota": self.route_quota,
            "podNetwork": self.pod_network,
            "boundedBy": self.bounded_by,
            "clusterRoutes": self.cluster_routes,
            # Tencent documents no limit for a cluster route table's routes (TKE GlobalRouter mode introduction,
            # qcloud-documents product/计算与网络/容器服务/控制台指南（新版）/网络管理/GlobalRouter模式/
            # GlobalRouter网络模式介绍.md): the pod CIDR and Kubernetes bound the cluster there.
            "maxNodesByClusterRouteTable": None,
            "layout": {"zoneBlocks": self.layout[0], "poolBlocks": self.layout[1]},
            "maxNodesPerPoolZone": self.max_nodes_per_pool_zone,
        }


@dataclass(frozen=True)
class ClusterPlan:
    spec: ClusterSpec
    name: str
    region: str
    preset: str
    protect: bool
    tags: dict[str, str]
    vpc_name: str
    vpc_cidr: str
    pod_cidr: str
    service_cidr: str
    subnets: tuple[SubnetPlan, ...]
    route_table: str
    nat: tuple[str, str, str] | None  # (eip, gateway, default route) names when egress is nat
    security_groups: tuple[SecurityGroupPlan, ...]
    placement_group: str
    masters: tuple[MachinePlan, ...]
    pools: tuple[NodePoolPlan, ...]
    api: ApiLoadBalancerPlan
    routes: tuple[RoutePlan, ...]  # one per node, in either pod-network mode
    capacity: CapacityReport
    components: dict[str, str]
    pod_network: str = PodNetworkMode.vpcRoutes.value
    cluster_route_table: ClusterRouteTablePlan | None = None  # globalRouter mode only

    @property
    def vpc_pod_routes(self) -> tuple[RoutePlan, ...]:
        """The per-node routes that are VPC route-table entries (vpcRoutes mode); none in globalRouter mode."""
        return self.routes if self.cluster_route_table is None else ()

    ingress: IngressPlan | None = None  # the workload entry point (planning/ingress.py); None when disabled

    @property
    def workers(self) -> tuple[MachinePlan, ...]:
        return tuple(n for p in self.pools for n in p.nodes)

    @property
    def machines(self) -> tuple[MachinePlan, ...]:
        return self.masters + self.workers

    def security_group(self, role: str) -> SecurityGroupPlan:
        return next(g for g in self.security_groups if g.role == role)

    def tagged(self, role: str, **extra: str) -> dict[str, str]:
        return role_tags(self.tags, role, **extra)


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


def role_tags(tags: dict[str, str], role: str, **extra: str) -> dict[str, str]:
    """The cluster's tags plus the role (and pool) tags policies rely on."""
    return {**tags, TAG_ROLE: role, **extra}


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
#   3. what other sources may reach (API, NodePorts from the VPC, SSH, ping), by the spec;
#   4. an explicit DROP of the rest. Rules added later (ingress CLB NodePorts) go before it.
DROP_REST = Rule("DROP", "ALL", ALL_PORTS, ANYWHERE, "everything else")


def _ingress_rules(ing: IngressPlan | None) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """(worker rules, ingress CLB rules). Workers take the ingress NodePorts from the allowed clients (a layer-4
    CLB keeps their address) and the CLB's health checks (100.64.0.0/10, planning/ingress.py), and DROP them from
    anyone else before the VPC-wide NodePort ACCEPT; the CLB's own group takes its listener ports from the allowed
    clients only."""
    if ing is None:
        return (), ()
    node_ports = ing.node_ports
    listen = ",".join(str(li.port) for li in ing.listeners)
    worker = (
        *[Rule("ACCEPT", "TCP", node_ports, c, "ingress NodePorts from allowed clients") for c in ing.allowed_cidrs],
        Rule("ACCEPT", "TCP", node_ports, ingress_plan.HEALTH_CHECK_CIDR, "ingress CLB health checks"),
        Rule("DROP", "TCP", node_ports, ANYWHERE, "ingress NodePorts from anyone else"),
    )
    lb = (*[Rule("ACCEPT", "TCP", listen, c, "ingress listeners") for c in ing.allowed_cidrs], DROP_REST)
    return worker, lb


def _security_groups(
    spec: ClusterSpec,
    plan_names: dict[str, str],
    master_ips: list[str],
    ing: IngressPlan | None = None,
) -> tuple[SecurityGroupPlan, ...]:
    vpc, pod = spec.vpc_cidr, spec.pod_cidr
    api_from = list(dict.fromkeys([*(spec.api_endpoint.allowed_cidrs or []), vpc]))
    ssh_from = spec.ssh_allowed_cidrs if spec.ssh_allowed_cidrs is not None else [vpc]
    masters = [f"{ip}/32" for ip in master_ips]
    egress = (Rule("ACCEPT", "ALL", ALL_PORTS, ANYWHERE, "all egress"),)
    cluster = (
        *[
            Rule("ACCEPT", "ALL", ALL_PORTS, "", f"cluster nodes: {role}s", source_group=role)
            for role in ("master", "worker")
        ],
        Rule("ACCEPT", "ALL", ALL_PORTS, pod, "pod network"),
    )
    others = (
        *[Rule("ACCEPT", "TCP", SSH_PORT, c, "ssh") for c in ssh_from],
        Rule("ACCEPT", "ICMP", ALL_PORTS, vpc, "ping inside the VPC"),
    )
    ingress_worker, ingress_lb = _ingress_rules(ing)
    master_rules = (
        *[Rule("ACCEPT", "TCP", ETCD_PORTS, m, "etcd between masters") for m in masters],
        Rule("DROP", "TCP", ETCD_PORTS, ANYWHERE, "etcd from anyone else"),
        *cluster,
        *[Rule("ACCEPT", "TCP", API_PORT, c, "kube-apiserver") for c in api_from],
        # The API listener's health checks come from 100.64.0.0/10 (health_source_ip_type 1, as the ingress
        # listeners: planning/ingress.py), which no allowed CIDR covers: without this rule every master fails them.
        Rule("ACCEPT", "TCP", API_PORT, ingress_plan.HEALTH_CHECK_CIDR, "API CLB health checks"),
        *others,
        DROP_REST,
    )
    # The load-balancer controller's CLBs probe NodePorts (TCP, and kube-proxy's healthCheckNodePort over HTTP) and
    # ping for UDP listeners from 100.64.0.0/10 (their listeners set SourceIpType 1, as every kubecvm listener does:
    # planning/ingress.py); masters carry kubeadm's node.kubernetes.io/exclude-from-external-load-balancers label
    # (kubernetes/kubernetes cmd/kubeadm/app/phases/markcontrolplane/markcontrolplane.go labelsToAdd), so are never
    # targets.
    lb_checks = (
        (
            Rule("ACCEPT", "TCP", NODEPORTS, ingress_plan.HEALTH_CHECK_CIDR, "load-balancer Service health checks"),
            Rule("ACCEPT", "ICMP", ALL_PORTS, ingress_plan.HEALTH_CHECK_CIDR, "load-balancer Service health checks"),
        )
        if spec.addons.load_balancer_controller
        else ()
    )
    worker_rules = (
        *cluster,
        *ingress_worker,  # before the VPC-wide NodePort ACCEPT, which would otherwise answer for them
        *lb_checks,
        # Internal CLBs keep the client's address: services published on NodePorts are reached from the VPC.
        Rule("ACCEPT", "TCP", NODEPORTS, vpc, "NodePort services"),
        Rule("ACCEPT", "UDP", NODEPORTS, vpc, "NodePort services"),
        *others,
        DROP_REST,
    )
    lb_rules = (
        *[Rule("ACCEPT", "TCP", API_PORT, c, "kube-apiserver") for c in dict.fromkeys([*api_from, pod])],
        DROP_REST,
    )
    groups = (
        SecurityGroupPlan(plan_names["master"], "master", master_rules, egress),
        SecurityGroupPlan(plan_names["worker"], "worker", worker_rules, egress),
        SecurityGroupPlan(plan_names["lb"], "lb", lb_rules, egress),
    )
    if ing is not None:
        groups += (SecurityGroupPlan(plan_names[ingress_plan.ROLE], ingress_plan.ROLE, ingress_lb, egress),)
    return groups


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
