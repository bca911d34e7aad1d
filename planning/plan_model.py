"""The plan's frozen types (ClusterPlan and its parts), the tag keys and the ports they carry. Pure.

Apart from planning/plan.py, which decides their values (build_plan), so that readers of a plan (components,
renderers, the offline tools) and the deciding code each fit in one file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import disks, limits, names
from .ingress import IngressPlan
from .sizing import Shape
from .spec import ClusterSpec, PodNetworkMode

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


def role_tags(tags: dict[str, str], role: str, **extra: str) -> dict[str, str]:
    """The cluster's tags plus the role (and pool) tags policies rely on."""
    return {**tags, TAG_ROLE: role, **extra}
