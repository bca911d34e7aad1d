"""Typed arguments of the public `Cluster` component: ClusterArgs, NodePoolArgs and their nested parts.

snake_case TypedDicts, as pulumi-eks and pulumi-awsx name their inputs. A TypedDict because it serves two callers
at once: Python programs call it like a class (`ClusterArgs(preset="staging", ...)` builds the dict), and the SDK's
component provider (pulumi.provider.experimental) hands `construct` a plain dict of the same shape, whose schema
its analyzer reads from these annotations (kubecvm/provider.py).

Values the planner lays out or validates are plain (CIDRs, counts, instance types, tags). A value that may come
from another resource or stack and that the planner only copies is a `pulumi.Input`: image_id, ssh_key_ids,
security_group_ids and, for a bring-your-own network, vpc_id, subnet_ids and route_table_id. Bring-your-own
subnets still need their CIDRs as plain values (`subnet_cidrs`): every node address is planned inside them.
"""

from typing import TypedDict

import pulumi

try:  # Python 3.11 has both in typing; typing_extensions only for older type checkers
    from typing import Required
except ImportError:  # pragma: no cover
    from typing_extensions import Required


class DiskArgs(TypedDict, total=False):
    """A CBS data disk (a master's etcd disk, a pool's data disk)."""

    type: str
    """CBS type: CLOUD_BASIC, CLOUD_PREMIUM, CLOUD_BSSD, CLOUD_SSD, CLOUD_HSSD or CLOUD_TSSD."""
    size: int
    """GiB, 10..32000 in steps of 10."""
    encrypted: bool
    """CBS encryption (default true)."""


class SystemDiskArgs(TypedDict, total=False):
    """The system disk of a group of CVMs."""

    type: str
    """CLOUD_SSD, CLOUD_PREMIUM or CLOUD_BSSD, as the instance family is sold with (default: the family's, CLOUD_SSD
    wherever sold)."""
    size: int
    """GiB, 20..1024 (default 50)."""


class PrepaidArgs(TypedDict, total=False):
    """The term of PREPAID (monthly) instances."""

    period: Required[int]
    """Months: 1..12, 24, 36, 48 or 60."""
    renew_flag: str
    """NOTIFY_AND_AUTO_RENEW (default), NOTIFY_AND_MANUAL_RENEW or DISABLE_NOTIFY_AND_MANUAL_RENEW."""


class SpotArgs(TypedDict, total=False):
    """The bid of SPOTPAID instances."""

    max_price: Required[str]
    """The bid per hour, a decimal string such as "0.50"."""
    type: str
    """ONE-TIME (the only one Tencent offers)."""


class ControlPlaneArgs(TypedDict, total=False):
    """The masters: kube-apiserver, etcd, the controllers, behind an internal CLB."""

    count: int
    """Masters: 1, 3, 5 or 7 (1 only in the dev preset)."""
    instance_type: str
    """`auto` (sized by worker count) or a CVM type such as S5.2XLARGE16."""
    etcd_disk: DiskArgs
    """Each master's own etcd CBS disk."""
    system_disk: SystemDiskArgs
    """The masters' system disk."""
    system_disk_size: int
    """GiB (the older spelling of system_disk.size; not both)."""
    charge_type: str
    """POSTPAID_BY_HOUR (default), PREPAID or SPOTPAID."""
    prepaid: PrepaidArgs
    """The term of PREPAID masters (required with PREPAID, refused otherwise)."""
    spot: SpotArgs
    """The bid of SPOTPAID masters (only with SPOTPAID)."""
    zones: list[str]
    """The zones the masters go round-robin over (default: every cluster zone); pin them before adding a zone
    numbered lower than theirs."""


class TaintArgs(TypedDict, total=False):
    """A Kubernetes taint every node of the pool registers with."""

    key: Required[str]
    """The taint's key (a qualified name, at most 317 characters)."""
    value: str
    """The taint's value (may be empty)."""
    effect: Required[str]
    """NoSchedule, PreferNoSchedule or NoExecute."""


class NodePoolArgs(TypedDict, total=False):
    """A group of identical workers, the same count in each of its zones."""

    name: Required[str]
    """Pool name (a DNS label)."""
    instance_type: Required[str]
    """CVM type `FAMILY.SIZE<memory GiB>`, e.g. S5.2XLARGE32."""
    count_per_zone: Required[int]
    """Workers in each of the pool's zones."""
    slot: int
    """The pool's stable address block, 1..7; set once and never change it."""
    zones: list[str]
    """A subset of the cluster zones (default: all)."""
    data_disk: DiskArgs
    """A CBS data disk for each worker (default: none)."""
    system_disk: SystemDiskArgs
    """The pool's system disks."""
    system_disk_size: int
    """GiB (the older spelling of system_disk.size; not both)."""
    charge_type: str
    """POSTPAID_BY_HOUR (default), PREPAID or SPOTPAID."""
    prepaid: PrepaidArgs
    """The term of a PREPAID pool's nodes (required with PREPAID, refused otherwise)."""
    spot: SpotArgs
    """The bid of a SPOTPAID pool's nodes (only with SPOTPAID)."""
    labels: dict[str, str]
    """Kubernetes labels every node of the pool registers with."""
    taints: list[TaintArgs]
    """Kubernetes taints every node of the pool registers with."""


class ApiEndpointArgs(TypedDict, total=False):
    """The Kubernetes API's CLB (port 6443)."""

    exposure: str
    """internal (default) or public."""
    internet_charge_type: str
    """A public endpoint's billing: TRAFFIC_POSTPAID_BY_HOUR (default) or BANDWIDTH_POSTPAID_BY_HOUR."""
    bandwidth: int
    """A public endpoint's outbound bandwidth cap, Mbps, 1..2048 (default 100)."""
    allowed_cidrs: list[str]
    """Who may reach port 6443 (default: the VPC CIDR)."""


class QuotasArgs(TypedDict, total=False):
    """Account quotas kubecvm plans against (offline there is no account to ask)."""

    route_entries_per_table: int
    """The account's route-table quota (route-table-max-policies; default 50)."""


class PodNetworkArgs(TypedDict, total=False):
    """How the VPC forwards each node's pod CIDR to the node."""

    mode: str
    """vpcRoutes (default: one VPC route per node) or globalRouter (one TKE cluster route table)."""
    ignore_vpc_route_conflict: bool
    """Create the cluster route table although VPC route entries overlap the pod CIDR (switching from vpcRoutes)."""


class AddressLayoutArgs(TypedDict, total=False):
    """How the VPC and pod CIDR are cut (set once, like pod_cidr)."""

    zone_blocks: int
    """Blocks the VPC CIDR and the pod CIDR are cut into, one per zone number (default 8)."""
    pool_blocks: int
    """Blocks each zone's block is cut into, one per pool slot, slot 0 for the masters (default 8)."""


class KubernetesArgs(TypedDict, total=False):
    """The Kubernetes release and where the nodes fetch it from."""

    version: str
    """kubeadm/kubelet/kubectl x.y.z, 1.28..1.32."""
    package_mirror: str
    """Kubernetes apt repository and PyPI mirror (default: the region's Tencent mirror)."""
    image_repository: str
    """kubeadm's imageRepository (default: the region's)."""
    docker_hub_mirror: str
    """containerd's docker.io mirror (default: the region's; "" for none)."""
    cloud_api: str
    """internal (default) or public Tencent Cloud API endpoints for the nodes."""


class AddonsArgs(TypedDict, total=False):
    """Add-ons installed into the cluster once its API server answers."""

    cbs_csi: bool
    """Install the CBS CSI driver and the default StorageClass (default true)."""
    image_registry: str
    """Registry prefix of the Tencent-hosted add-on images (default ccr.ccs.tencentyun.com)."""
    metrics_server: bool
    """Install metrics-server, verifying kubelets against the cluster CA (default true)."""
    load_balancer_controller: bool
    """Run kubecvm's load-balancer controller: `type: LoadBalancer` Services on CLB (default true)."""


class IngressPortsArgs(TypedDict, total=False):
    """The ingress CLB's listener ports."""

    http: int
    """The ingress CLB's HTTP listener port (default 80)."""
    https: int
    """The ingress CLB's HTTPS listener port (default 443)."""


class IngressArgs(TypedDict, total=False):
    """A CLB in front of the workers that runs ingress-nginx: the entry point of the cluster's workloads."""

    enabled: bool
    """An ingress CLB and ingress-nginx in front of the workers (default: on in staging and prod, off in dev)."""
    exposure: str
    """internal (default) or public."""
    internet_charge_type: str
    """A public ingress CLB's billing: TRAFFIC_POSTPAID_BY_HOUR (default) or BANDWIDTH_POSTPAID_BY_HOUR."""
    bandwidth: int
    """A public ingress CLB's outbound bandwidth cap, Mbps, 1..2048 (default 100)."""
    allowed_cidrs: list[str]
    """Who may reach the ingress listeners (default: the VPC CIDR)."""
    ports: IngressPortsArgs
    """The listener ports (default 80 and 443)."""
    pools: list[str]
    """The node pools behind the CLB that run the controller (default: every pool; at most 100 workers)."""


class BackupsArgs(TypedDict, total=False):
    """etcd snapshots to COS."""

    etcd: bool
    """etcd snapshots from every master to a private, encrypted COS bucket the stack creates (default true)."""
    interval_hours: int
    """Hours between snapshots, 1..24 (default 6)."""
    retention_days: int
    """Days a snapshot is kept, 1..3650 (default 30)."""


class AlarmsArgs(TypedDict, total=False):
    """Cloud Monitor alarm policies: node CPU, memory and disk use, and the CLBs' unhealthy backends and dropped
    connections, bound by the cluster's tag."""

    enabled: bool
    """Cloud Monitor alarm policies for the nodes and the CLBs (default: on in staging and prod, off in dev)."""
    cpu_percent: int
    """Node CPU use that alarms, 1..100 (default 90)."""
    memory_percent: int
    """Node memory use that alarms, 1..100 (default 90)."""
    disk_percent: int
    """Node disk use that alarms, 1..100 (default 85)."""
    unhealthy_backends: int
    """A CLB alarms when more backends than this fail its health checks (default 0)."""
    dropped_connections: int
    """A CLB alarms when it drops more connections than this in a period (default 0)."""
    period: int
    """Seconds: 60 (default) or 300."""
    continue_periods: int
    """Periods in a row a threshold must be crossed, 1..30 (default 3)."""
    notice_frequency: int
    """Seconds between repeated notifications: 0 (once), 300, 600, 900, 1800, 3600 (default) ... 86400."""


class PrometheusDigestsArgs(TypedDict, total=False):
    """The Docker Hub digests of the Prometheus and node-exporter images at kubecvm's tags."""

    prometheus: str
    """sha256:... of docker.io/prom/prometheus at kubecvm's tag (docs/monitoring.md)."""
    node_exporter: str
    """sha256:... of docker.io/prom/node-exporter at kubecvm's tag."""


class PrometheusArgs(TypedDict, total=False):
    """Prometheus in agent mode, node-exporter and kube-state-metrics, writing to Tencent's managed Prometheus or a
    remote-write URL."""

    mode: str
    """tmp (Tencent's managed Prometheus) or remoteWrite; unset: no Prometheus. The token: the secret config
    kubecvm:prometheusToken."""
    instance_id: str
    """mode tmp: an existing instance (prom-...); unset: a new one in the cluster's VPC."""
    retention_days: int
    """A new TMP instance's retention: 15 (default), 30, 45, 90, 180, 365 or 730."""
    url: str
    """mode remoteWrite: the https URL the agents write to."""
    auth: str
    """bearer (default) or basic (with username)."""
    username: str
    """auth basic: the user name (the password is the token)."""
    digests: PrometheusDigestsArgs
    """Required with a mode."""
    image_repository: str
    """A registry prefix holding kube-state-metrics (required in mainland regions)."""


class MonitoringArgs(TypedDict, total=False):
    """What watches the cluster: Cloud Monitor alarms and Prometheus agents (docs/monitoring.md)."""

    alarms: AlarmsArgs
    """Cloud Monitor alarm policies (default: on in staging and prod, off in dev)."""
    prometheus: PrometheusArgs
    """Prometheus agents (opt-in)."""
    notice_ids: list[str]
    """Cloud Monitor notification templates (notice-...) every alarm policy notifies."""


class ClusterArgs(TypedDict, total=False):
    """Everything a stack's kubecvm:cluster holds (snake_case here), the preset and region, and the inputs that
    may come from elsewhere. The cluster is named after the component."""

    preset: str
    """dev (default), staging or prod: the defaults the other arguments override."""
    region: str
    """Tencent Cloud region, e.g. ap-guangzhou (default: tencentcloud:region or TENCENTCLOUD_REGION)."""
    zones: Required[list[str]]
    """Zones of the region, `<region>-<n>`."""
    vpc_cidr: str
    """The VPC's CIDR, 10/8, 172.16/12 or 192.168/16, /12../28 (default 10.0.0.0/16); with an existing network, that
    VPC's CIDR. Set once: it cannot change after the cluster exists."""
    pod_cidr: str
    """Pod addresses, outside the VPC CIDR (default 172.16.0.0/12); set once."""
    service_cidr: str
    """Service ClusterIPs (default 192.168.0.0/20); set once."""
    node_pod_mask: int
    """Prefix length of each node's pod CIDR, 8..30 (default 24); set once."""
    max_pods_per_node: int
    """The kubelet's maxPods, at most 110 and what a node's pod CIDR holds (default 110)."""
    image_id: pulumi.Input[str]
    """The CVM image (default: the newest public image matching image_name_regex)."""
    image_name_regex: str
    """Picks the newest public image whose name matches (default ^Ubuntu Server 22.04 LTS 64bit$)."""
    ssh_key_ids: list[pulumi.Input[str]]
    """Key pairs (skey-...) for every CVM."""
    control_plane: ControlPlaneArgs
    """The masters (count and instance type default from the preset)."""
    node_pools: list[NodePoolArgs]
    """The worker pools (default: the preset's pool)."""
    api_endpoint: ApiEndpointArgs
    """The Kubernetes API's CLB (default internal, reachable from the VPC)."""
    ssh_allowed_cidrs: list[str]
    """Who may reach port 22 of the nodes (default: the VPC CIDR)."""
    egress: str
    """nat, none, or auto (NAT only when the boot needs a host outside the VPC); none with a bring-your-own
    network, whose egress is its owner's."""
    protect: bool
    """Pulumi protect on what holds state (the VPC, the etcd disks, the backup bucket); always on in prod."""
    lift_termination_protection: list[str]
    """Prod masters (by name) whose termination protection is lifted so they can be replaced (README "Day 2")."""
    quotas: QuotasArgs
    """Account quotas the plan checks against."""
    pod_network: PodNetworkArgs
    """How pod traffic reaches its node (default: one VPC route per node)."""
    layout: AddressLayoutArgs
    """How the VPC and pod CIDRs are cut into zone and pool blocks (set once)."""
    kubernetes: KubernetesArgs
    """The Kubernetes release and its mirrors."""
    addons: AddonsArgs
    """Add-ons installed into the cluster."""
    backups: BackupsArgs
    """etcd snapshots to COS."""
    ingress: IngressArgs
    """The ingress CLB and controller."""
    monitoring: MonitoringArgs
    """Cloud Monitor alarms and Prometheus agents (docs/monitoring.md)."""
    tags: dict[str, str]
    """Added to every taggable resource; plain, since kubecvm validates them before anything is registered."""
    security_group_ids: list[pulumi.Input[str]]
    """Extra security groups on every CVM, after kubecvm's own."""
    vpc_id: pulumi.Input[str]
    """Bring your own VPC: no VPC, subnets, route table or NAT are created (needs subnet_ids, subnet_cidrs,
    route_table_id, and vpc_cidr set to the VPC's CIDR)."""
    subnet_ids: dict[str, pulumi.Input[str]]
    """Bring your own subnets: zone -> subnet id, one per cluster zone."""
    subnet_cidrs: dict[str, str]
    """zone -> that subnet's CIDR (plain: every node address is planned inside it); all of one size."""
    route_table_id: pulumi.Input[str]
    """The route table the given subnets use: kubecvm adds one pod route per node to it."""


# Arguments that are pulumi Inputs the planner never sees (spec fields are the rest, by their own names).
INPUT_ONLY = ("security_group_ids",)
# The bring-your-own network's arguments: the spec's existingNetwork, its ids possibly Inputs.
NETWORK_ARGS = ("vpc_id", "subnet_ids", "subnet_cidrs", "route_table_id")
