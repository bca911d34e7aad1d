"""The cluster spec: the validated form of a stack's `kubecvm:cluster` config. Pure pydantic.

Every model is strict (unknown keys rejected, no type coerced: Model below), frozen, and takes the camelCase config keys. Validators raise
ValueError with a message that says what was expected; `stacks.config` prefixes it with the field path.
Rules about the environment rather than malformed input (master size below the table, route quota, masters
sharing a zone) are left to the policy packs, so a team sees them in a pull request and decides.
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import checks, images, kubernetes_releases, limits, mirrors, names, validation
from .sizing import parse_instance_type
from .tencent import monitor


class Preset(str, Enum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


class DiskType(str, Enum):
    CLOUD_BASIC = "CLOUD_BASIC"
    CLOUD_PREMIUM = "CLOUD_PREMIUM"
    CLOUD_BSSD = "CLOUD_BSSD"
    CLOUD_SSD = "CLOUD_SSD"
    CLOUD_HSSD = "CLOUD_HSSD"
    CLOUD_TSSD = "CLOUD_TSSD"


class Exposure(str, Enum):
    internal = "internal"
    public = "public"


class InternetChargeType(str, Enum):
    """How a public CLB's traffic is billed: clb/resource_tc_clb_instance.go internet_charge_type ("Valid values are
    `TRAFFIC_POSTPAID_BY_HOUR`, `BANDWIDTH_POSTPAID_BY_HOUR` and `BANDWIDTH_PACKAGE`", terraform-provider-tencentcloud
    v1.82.42, which gives it no ValidateFunc: CreateLoadBalancer's InternetAccessible is the judge)."""

    TRAFFIC_POSTPAID_BY_HOUR = "TRAFFIC_POSTPAID_BY_HOUR"
    BANDWIDTH_POSTPAID_BY_HOUR = "BANDWIDTH_POSTPAID_BY_HOUR"
    BANDWIDTH_PACKAGE = "BANDWIDTH_PACKAGE"


# A public CLB created without InternetAccessible is capped at 10 Mbps out (internet_bandwidth_max_out: "Default to
# 10Mbps when CreateLoadBalancer is call", clb/resource_tc_clb_instance.go), far below what an ingress serves. kubecvm
# always sends both: billed by traffic (so the cap costs nothing until it is used) and capped at 100 Mbps.
PUBLIC_CLB_CHARGE_TYPE = InternetChargeType.TRAFFIC_POSTPAID_BY_HOUR
PUBLIC_CLB_BANDWIDTH_MBPS = 100


class Egress(str, Enum):
    none = "none"
    nat = "nat"
    # A NAT gateway exactly when a booting node must reach a host outside the VPC (planning/mirrors.py
    # egress_hosts): kubeadm's images from a public registry need it, a copy in Tencent's registry does not.
    auto = "auto"


class ChargeType(str, Enum):
    POSTPAID_BY_HOUR = "POSTPAID_BY_HOUR"
    PREPAID = "PREPAID"
    SPOTPAID = "SPOTPAID"


class PrepaidRenewFlag(str, Enum):
    """cvm/resource_tc_instance.go instance_charge_type_prepaid_renew_flag (CVM_PREPAID_RENEW_FLAG in
    cvm/extension_cvm.go)."""

    NOTIFY_AND_AUTO_RENEW = "NOTIFY_AND_AUTO_RENEW"
    NOTIFY_AND_MANUAL_RENEW = "NOTIFY_AND_MANUAL_RENEW"
    DISABLE_NOTIFY_AND_MANUAL_RENEW = "DISABLE_NOTIFY_AND_MANUAL_RENEW"


# Months: cvm/resource_tc_instance.go instance_charge_type_prepaid_period, ValidateAllowedIntValue(CVM_PREPAID_PERIOD)
# (cvm/extension_cvm.go).
PREPAID_PERIODS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60)


class SpotInstanceType(str, Enum):
    """cvm/resource_tc_instance.go spot_instance_type: "only support `ONE-TIME` now" (CVM_SPOT_INSTANCE_TYPE)."""

    ONE_TIME = "ONE-TIME"


class PodNetworkMode(str, Enum):
    # One VPC route-table entry per node (bounded by the route-table quota, 50 entries documented).
    vpcRoutes = "vpcRoutes"
    # One TKE cluster route table for the pod CIDR, one cluster route per node.
    globalRouter = "globalRouter"


class TaintEffect(str, Enum):
    NoSchedule = "NoSchedule"
    PreferNoSchedule = "PreferNoSchedule"
    NoExecute = "NoExecute"


def _canonical_cidr(value: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.0.0.0/16") from None
    if str(net) != value:
        raise ValueError(f"{value!r} is not canonical: write {net} (host bits must be zero)")
    return net


def _private_cidr(net: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not checks.is_rfc1918(net):
        raise ValueError(f"{net} is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
    return net


def _instance_type(value: str) -> str:
    parse_instance_type(value)
    return value


def _auto_or_instance_type(value: str) -> str:
    return value if value == "auto" else _instance_type(value)


Cidr = Annotated[str, AfterValidator(_canonical_cidr), AfterValidator(str)]


def _distinct_cidrs(v: list[str]) -> list[str]:
    first: dict[str, int] = {}
    for i, cidr in enumerate(v):
        if (j := first.setdefault(cidr, i)) != i:
            raise ValueError(f"{cidr} is listed twice (entries {j} and {i}): each entry becomes a security-group rule, "
                             "and Tencent refuses a rule twice in a group (UnsupportedOperation.DuplicatePolicy)")
    return v


# A list of sources, one security-group rule each (planning/security_rules.py counts them): no CIDR twice.
CidrList = Annotated[list[Cidr], AfterValidator(_distinct_cidrs)]
PrivateCidr = Annotated[str, AfterValidator(_canonical_cidr), AfterValidator(_private_cidr), AfterValidator(str)]
InstanceType = Annotated[str, AfterValidator(_instance_type)]
_K8S_NAME = r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$"


def _integer(value: object) -> object:
    """Integers are integers: `true` is not 1 (routeEntriesPerTable: true once meant a quota of one route), nor is
    "50". A whole float is one (other languages' numbers reach a component package as doubles)."""
    if isinstance(value, bool) or isinstance(value, str) or isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value!r:.40}")
    return int(value) if isinstance(value, float) else value


Int = Annotated[int, BeforeValidator(_integer)]


# Strict types everywhere (Model's strict=True): a boolean is true or false, not "no", "off", 0 or 1; an integer is
# not true or "8080" (Int takes whole floats on purpose, above); a string is not bytes; a list is a list. Pydantic's
# lax mode would coerce all of these ("Conversion Table", docs.pydantic.dev/latest/concepts/conversion_table/), so
# `ingress.ports.http: true` became port 1. The one lax exception is an enum, so a config string names its member:
# LAX on an Enum field and on nothing else (tests/planning/test_strict_spec.py checks every model).
LAX = Strict(False)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, use_enum_values=False,
        strict=True,
    )


class Disk(Model):
    type: Annotated[DiskType, LAX] = DiskType.CLOUD_SSD
    size: Int = Field(100, description="GiB, 10..32000 in steps of 10")
    encrypted: bool = True

    @field_validator("size")
    @classmethod
    def _size(cls, v: int) -> int:
        if not limits.CBS_MIN_GIB <= v <= limits.CBS_MAX_GIB or v % limits.CBS_STEP_GIB:
            raise ValueError(
                f"{v} GiB is not a CBS size: expected {limits.CBS_MIN_GIB}..{limits.CBS_MAX_GIB} "
                f"in steps of {limits.CBS_STEP_GIB}"
            )
        return v

    @model_validator(mode="after")
    def _type_minimum(self) -> "Disk":
        least = limits.CBS_MIN_GIB_BY_TYPE.get(self.type.value, limits.CBS_MIN_GIB)
        if self.size < least:
            raise ValueError(f"size {self.size} GiB is below the {least} GiB a {self.type.value} disk starts at")
        return self


class SystemDisk(Model):
    """A CVM's system disk. `type` None: the default for the machines' instance family (planning/disks.py), which is
    CLOUD_SSD wherever Tencent sells it; a type the family is not sold with is refused when planned."""

    type: Annotated[DiskType, LAX] | None = None
    size: Int = Field(50, ge=20, le=1024, description="GiB")


class Prepaid(Model):
    """A PREPAID machine's term: RunInstances' InstanceChargePrepaid, which "若指定实例的付费模式为预付费则该参数必传"
    (must be given for a prepaid instance; Tencent CVM API RunInstances, cloud.tencent.com/document/api/213/15730)."""

    period: Int = Field(description="months: 1..12, 24, 36, 48 or 60")
    # Auto-renewed by default: a prepaid node that expires is shut down into the recycle bin and the cluster loses
    # it; NOTIFY_AND_MANUAL_RENEW is the provider's own default.
    renew_flag: Annotated[PrepaidRenewFlag, LAX] = PrepaidRenewFlag.NOTIFY_AND_AUTO_RENEW

    @field_validator("period")
    @classmethod
    def _period(cls, v: int) -> int:
        if v not in PREPAID_PERIODS:
            raise ValueError(f"{v} months is not a prepaid term Tencent sells: expected one of "
                             f"{', '.join(map(str, PREPAID_PERIODS))}")
        return v


_PRICE = re.compile(r"[0-9]+(\.[0-9]+)?")


def _price(value: object) -> object:
    """spot_max_price is a decimal string ("0.50"); a YAML number is taken as one (not a boolean)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a price such as \"0.50\", got {value!r}")
    return str(value) if isinstance(value, int | float) else value


def _positive_price(value: str) -> str:
    # cvm/resource_tc_instance.go spot_max_price: ValidateStringNumber, "the format of decimal string, for example
    # \"0.50\""; a bid of 0 buys nothing.
    if not _PRICE.fullmatch(value) or float(value) <= 0:
        raise ValueError(f"{value!r} is not a price: a positive decimal such as \"0.50\", per hour")
    return value


class Spot(Model):
    """A SPOTPAID machine's bid: RunInstances' InstanceMarketOptions (spot_max_price, spot_instance_type). Without it
    Tencent bids the current spot price."""

    max_price: Annotated[str, BeforeValidator(_price), AfterValidator(_positive_price)]
    type: Annotated[SpotInstanceType, LAX] = SpotInstanceType.ONE_TIME


class ControlPlane(Model):
    count: Int = 3
    instance_type: Annotated[str, AfterValidator(_auto_or_instance_type)] = "auto"
    etcd_disk: Disk = Disk()
    system_disk: SystemDisk | None = None
    # The older spelling of systemDisk.size (GiB, default 50); not both.
    system_disk_size: Int | None = Field(None, ge=20, le=1024)
    charge_type: Annotated[ChargeType, LAX] = ChargeType.POSTPAID_BY_HOUR
    prepaid: Prepaid | None = None  # required with chargeType PREPAID, refused otherwise
    spot: Spot | None = None  # only with chargeType SPOTPAID
    # The zones the masters go round-robin over (by zone number); None: every cluster zone. Pinning them keeps the
    # masters where they are when a zone numbered lower than theirs is added (else master-0 and the API CLB move).
    zones: list[str] | None = None

    @field_validator("count")
    @classmethod
    def _count(cls, v: int) -> int:
        if v < 1 or v % 2 == 0 or v > limits.MAX_MASTERS:
            raise ValueError(f"{v} masters: etcd needs an odd member count of 1, 3, 5 or 7")
        return v


class Taint(Model):
    key: str = Field(min_length=1, max_length=317)
    value: str = ""
    effect: Annotated[TaintEffect, LAX]

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> "Taint":
        if problem := validation.taint_problem(self.key, self.value):
            raise ValueError(problem)
        return self


class NodePool(Model):
    name: Annotated[str, Field(pattern=_K8S_NAME)]
    slot: Int = Field(1, description="stable index of the pool's address blocks; set once, never change")
    instance_type: InstanceType
    count_per_zone: Int = Field(ge=0)
    zones: list[str] | None = None
    data_disk: Disk | None = None
    system_disk: SystemDisk | None = None
    # The older spelling of systemDisk.size (GiB, default 50); not both.
    system_disk_size: Int | None = Field(None, ge=20, le=1024)
    charge_type: Annotated[ChargeType, LAX] = ChargeType.POSTPAID_BY_HOUR
    prepaid: Prepaid | None = None  # required with chargeType PREPAID, refused otherwise
    spot: Spot | None = None  # only with chargeType SPOTPAID
    labels: dict[str, str] = {}
    taints: list[Taint] = []

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if problem := validation.pool_label_problem(key, value):
                raise ValueError(problem)
        return v

    @field_validator("slot")
    @classmethod
    def _slot(cls, v: int) -> int:
        # The upper bound is the layout's poolBlocks, checked with the whole spec (ClusterSpec._consistent).
        if v < 1:
            raise ValueError(f"{v} is not a pool slot: expected 1 or more (0 is the control plane)")
        return v


class PublicClb(Model):
    """What a CLB's exposure decides: `public` puts it on the internet, billed and capped by the two settings below
    (None: PUBLIC_CLB_CHARGE_TYPE, PUBLIC_CLB_BANDWIDTH_MBPS). They are refused on an internal CLB, as the provider
    refuses internet_charge_type there (ClusterSpec._check_public_clbs)."""

    exposure: Annotated[Exposure, LAX] = Exposure.internal
    internet_charge_type: Annotated[InternetChargeType, LAX] | None = None
    # clb/resource_tc_clb_instance.go internet_bandwidth_max_out: "Max bandwidth out, only applicable to open CLB.
    # Valid value ranges is [1, 2048]. Unit is Mbps." (v1.82.42; tencentcloud-iac-pulumi 0.2.3's clb.Instance says so).
    bandwidth: Int | None = None

    @field_validator("bandwidth")
    @classmethod
    def _bandwidth(cls, v: int | None) -> int | None:
        lo, hi = limits.CLB_BANDWIDTH_MBPS
        if v is not None and not lo <= v <= hi:
            raise ValueError(f"{v} Mbps is outside the {lo}..{hi} Mbps a public CLB's outbound bandwidth takes")
        return v

    @property
    def internet(self) -> tuple[str, int] | None:
        """(charge type, Mbps) for a public CLB, the defaults filled in; None for an internal one."""
        if self.exposure is not Exposure.public:
            return None
        return ((self.internet_charge_type or PUBLIC_CLB_CHARGE_TYPE).value,
                self.bandwidth if self.bandwidth is not None else PUBLIC_CLB_BANDWIDTH_MBPS)


class ApiEndpoint(PublicClb):
    # None means "the VPC CIDR only": the least that lets nodes and in-VPC tooling reach the API.
    allowed_cidrs: CidrList | None = None


class PodNetwork(Model):
    mode: Annotated[PodNetworkMode, LAX] = PodNetworkMode.vpcRoutes
    # CreateClusterRouteTable's IgnoreClusterCidrConflict: create the table although VPC route entries overlap the
    # pod CIDR, as they do while a vpcRoutes cluster switches (docs/concepts/pod-network.md); read only at creation.
    ignore_vpc_route_conflict: bool = False


def _power_of_two(lo: int, hi: int):
    def check(v: int) -> int:
        if not lo <= v <= hi or v & (v - 1):
            raise ValueError(f"{v} is not a power of two in {lo}..{hi}")
        return v
    return AfterValidator(check)


class AddressLayout(Model):
    """How the VPC and the pod CIDR are cut before node addresses (planning/addressing.py): set once, like podCidr."""

    # Zone number n takes block n-1, so zones 1..zoneBlocks fit.
    zone_blocks: Annotated[Int, _power_of_two(1, limits.ZONE_SLOTS)] = limits.ZONE_SLOTS
    # Block 0 is the control plane; pool slots 1..poolBlocks-1.
    pool_blocks: Annotated[Int, _power_of_two(2, limits.MAX_POOL_BLOCKS)] = limits.POOL_SLOTS


# ---- ingress: the workload entry point, a CLB in front of the workers ----------------------------
class IngressPorts(Model):
    """The CLB's listener ports (what clients connect to); the NodePorts behind them are planned, not set."""

    http: Int = Field(80, ge=1, le=65535)
    https: Int = Field(443, ge=1, le=65535)

    @model_validator(mode="after")
    def _distinct(self) -> "IngressPorts":
        if self.http == self.https:
            raise ValueError(f"http and https are both {self.http}: a CLB has one listener per port")
        return self


class Ingress(PublicClb):
    # Off unless asked: the staging and prod presets ask (stacks/presets.py), a spec built by hand says so itself.
    enabled: bool = False
    # None means "the VPC CIDR only", as for the API endpoint.
    allowed_cidrs: CidrList | None = None
    ports: IngressPorts = IngressPorts()
    # None means every node pool; else the pools whose workers run the controller and sit behind the CLB.
    pools: list[str] | None = None


class Quotas(Model):
    route_entries_per_table: Int = Field(50, ge=1, le=100_000)


# Kubernetes minors whose kubeadm still reads the v1beta3 config kubecvm renders (planning/bootstrap.py).
KUBERNETES_VERSION = r"^1\.(2[89]|3[0-2])\.(0|[1-9][0-9]*)$"


def _patch_release(version: str) -> str:
    # Only releases that exist: the table and its sources are in planning/kubernetes_releases.py.
    if problem := kubernetes_releases.version_problem(version):
        raise ValueError(problem)
    return version


class CloudApi(str, Enum):
    internal = "internal"  # <service>.internal.tencentcloudapi.com: inside the VPC, no NAT (planning/mirrors.py)
    public = "public"


def _image_regex(pattern: str) -> str:
    if problem := validation.image_regex_problem(pattern):
        raise ValueError(problem)
    return pattern


def _https_mirror(url: str) -> str:
    if not url.startswith("https://") and mirrors.host_of(url) != mirrors.host_of(mirrors.PACKAGES_IN_VPC):
        raise ValueError(f"{url!r}: use https:// (the apt signing key and tccli are fetched from it); plain http is "
                         f"accepted only for Tencent's in-VPC mirror {mirrors.PACKAGES_IN_VPC}")
    return url


# What is appended to a registry prefix to name an image: kubeadm's images under imageRepository (kubeadm
# cmd/kubeadm/app/images: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, pause, and
# coredns/coredns) and the registry.k8s.io add-ons mirrored there; the Tencent-hosted add-ons under imageRegistry.
_KUBEADM_IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd", "pause",
                   "coredns/coredns")
# (kube-state-metrics is not served from kubernetes.imageRepository: monitoring.prometheus.imageRepository.)
_REPOSITORY_SUFFIX = max(map(len, (*_KUBEADM_IMAGES, *(n for i in images.TABLE if i.registry == "k8s"
                                                      and i.name != "kube-state-metrics"
                                                      for n in (i.path, i.mirror_name or "")))))
_REGISTRY_SUFFIX = max(len(i.path) for i in images.TABLE if i.registry == "tencent")


def _image_prefix(longest_suffix: int):
    def check(value: str) -> str:
        if problem := validation.image_prefix_problem(value, longest_suffix):
            raise ValueError(problem)
        return value
    return AfterValidator(check)


def _url_host(url: str) -> str:
    if problem := validation.url_host_problem(url):
        raise ValueError(problem)
    return url


class Kubernetes(Model):
    version: Annotated[str, Field(pattern=KUBERNETES_VERSION, description="kubeadm/kubelet/kubectl x.y.z, 1.28..1.32"),
                       AfterValidator(_patch_release)] = kubernetes_releases.DEFAULT_VERSION
    # Serves /kubernetes_new/core:/stable:/v<minor>/deb/ (a pkgs.k8s.io mirror) and /pypi/simple/ (for tccli).
    # None: the region's default from planning/mirrors.py (Tencent's in-VPC mirror).
    # https only: the apt signing key and tccli come from it, so whoever can answer for it is root on every node.
    # The one exception is Tencent's in-VPC mirror (planning/mirrors.py PACKAGES_IN_VPC), served over http and
    # reached without leaving Tencent's network.
    package_mirror: Annotated[str, Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*[^/\s'\"])?$"),
                              AfterValidator(_url_host), AfterValidator(_https_mirror)] | None = None
    # kubeadm's imageRepository; None: the region's default (planning/mirrors.py).
    image_repository: Annotated[str, _image_prefix(_REPOSITORY_SUFFIX)] | None = None
    # containerd's docker.io mirror; None: the region's default, "": none (pull from Docker Hub itself).
    docker_hub_mirror: Annotated[str, Field(pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?)?$"),
                                 AfterValidator(lambda u: u and _url_host(u))] | None = None
    cloud_api: Annotated[CloudApi, LAX] = CloudApi.internal


class Addons(Model):
    cbs_csi: bool = True
    # Registry prefix of the Tencent-hosted add-on images; None: ccr.ccs.tencentyun.com (planning/mirrors.py).
    image_registry: Annotated[str, _image_prefix(_REGISTRY_SUFFIX)] | None = None
    metrics_server: bool = True  # metrics-server (kubectl top, HPA), verifying kubelets against the cluster CA
    # kubecvm's load-balancer controller: `type: LoadBalancer` Services on CLB, Nodes of gone CVMs deleted
    # (docs/load-balancer-services.md). Off: no controller, no CLB rights on the masters' CAM role.
    load_balancer_controller: bool = True


class ExistingSubnet(Model):
    # None only when the id comes as a pulumi Input (kubecvm.ClusterArgs.subnet_ids); stacks/config checks.
    id: Annotated[str, Field(pattern=r"^subnet-[a-z0-9]{8}$")] | None = None
    cidr: Cidr


class ExistingNetwork(Model):
    """A VPC kubecvm does not own: no VPC, subnet, route table or NAT is created; nodes go in the given subnets
    (one per cluster zone, their CIDRs planned like kubecvm's own zone subnets) and the pod routes into the given
    route table, which those subnets use."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[a-z0-9]{8}$")] | None = None
    route_table_id: Annotated[str, Field(pattern=r"^rtb-[a-z0-9]{8}$")] | None = None
    subnets: dict[str, ExistingSubnet] = Field(min_length=1)


class Backups(Model):
    etcd: bool = True  # etcd snapshots from every master to a COS bucket the stack creates (planning/backups.py)
    interval_hours: Int = Field(6, ge=1, le=24)
    retention_days: Int = Field(30, ge=1, le=3650)


# ---- monitoring: Cloud Monitor alarms (planning/monitoring.py) ----------------------------------------------
# Cloud Monitor's threshold-rule settings (tencentcloud-sdk-python-monitor v20180724 models.py AlarmPolicyRule; the
# facts are planning/tencent/monitor.py's).
def _one_of(allowed: tuple[int, ...], what: str):
    def check(v: int) -> int:
        if v not in allowed:
            raise ValueError(f"{v} is not {what}: expected one of {', '.join(map(str, allowed))}")
        return v
    return AfterValidator(check)


class Alarms(Model):
    """Cloud Monitor alarm policies for the nodes and the CLBs, bound by the cluster's tag. Off unless asked: the
    staging and prod presets ask (stacks/presets.py)."""

    enabled: bool = False
    cpu_percent: Int = Field(90, ge=1, le=100)
    memory_percent: Int = Field(90, ge=1, le=100)
    disk_percent: Int = Field(85, ge=1, le=100)
    # A CLB alarms when more than this many backends fail its health checks, or it drops more connections.
    unhealthy_backends: Int = Field(0, ge=0, le=10_000)
    dropped_connections: Int = Field(0, ge=0, le=10_000_000)
    period: Annotated[Int, _one_of(monitor.PERIODS, "a period (seconds) every watched metric is sampled at")] = 60
    # How many periods in a row a threshold must be crossed (the rule's ContinuePeriod).
    continue_periods: Int = Field(3, ge=1, le=30)
    # Seconds between repeated notifications while the alarm holds (NoticeFrequency; 0: once).
    notice_frequency: Annotated[Int, _one_of(monitor.NOTICE_FREQUENCIES, "a notice frequency Cloud Monitor takes")] = 3600


class PrometheusMode(str, Enum):
    tmp = "tmp"  # Tencent's managed Prometheus (TMP): a new instance in the cluster's VPC, or instanceId's
    remoteWrite = "remoteWrite"  # any Prometheus remote-write endpoint (url)


class RemoteWriteAuth(str, Enum):
    bearer = "bearer"  # Authorization: Bearer <token>
    basic = "basic"  # basic auth: username, and the token as the password


def _digest(value: str) -> str:
    if not images.DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not an image digest: expected sha256:<64 lower-case hex digits>")
    return value


Digest = Annotated[str, AfterValidator(_digest)]


class PrometheusDigests(Model):
    """The digests of the docker.io images the agents run, for the tags planning/images.py names: kubecvm has no
    source it can verify them with offline, so it pins what the user read from the registry (`crane digest
    docker.io/prom/prometheus:<tag>`) rather than a tag anyone can move (docs/monitoring.md)."""

    prometheus: Digest
    node_exporter: Digest


class Prometheus(Model):
    """Prometheus in agent mode writing to a remote store (planning/addons/prometheus.py). Off unless `mode` is set.
    The token the store is written with is a Pulumi secret: `pulumi config set --secret kubecvm:prometheusToken`."""

    mode: Annotated[PrometheusMode, LAX] | None = None
    # tmp: an existing instance (prom-xxxxxxxx) to write to; None: kubecvm creates one in the cluster's VPC.
    instance_id: Annotated[str, Field(pattern=r"^prom-[a-z0-9]{8}$")] | None = None
    # tmp with a new instance: how long it keeps the data (tencentcloud_monitor_tmp_instance data_retention_time).
    retention_days: Annotated[Int, _one_of(monitor.TMP_RETENTION_DAYS, "a TMP retention (days)")] = 15
    # remoteWrite: where the agents write (https).
    url: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*)?$"), AfterValidator(_url_host)] | None = None
    auth: Annotated[RemoteWriteAuth, LAX] = RemoteWriteAuth.bearer
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = None  # with auth basic
    digests: PrometheusDigests | None = None  # required with a mode
    # A registry prefix holding a copy of kube-state-metrics (<prefix>/kube-state-metrics:<tag>): required in
    # mainland regions, where registry.k8s.io is out of reach; elsewhere None pulls registry.k8s.io's, by digest.
    image_repository: Annotated[str, _image_prefix(len("kube-state-metrics"))] | None = None


def _check_prometheus(spec: "ClusterSpec") -> None:
    p = spec.monitoring.prometheus
    where = "monitoring.prometheus"
    if p.mode is None:
        given = [k for k, v in (("instanceId", p.instance_id), ("url", p.url), ("username", p.username),
                                ("digests", p.digests), ("imageRepository", p.image_repository)) if v is not None]
        if given:
            raise SpecError(f"{where}.{given[0]}", "only with a mode: set monitoring.prometheus.mode to tmp or remoteWrite")
        return
    if p.digests is None:
        raise SpecError(f"{where}.digests", "required: {prometheus: sha256:..., nodeExporter: sha256:...}, the digests of "
                        f"docker.io/{images.BY_NAME['prometheus'].path}:{images.BY_NAME['prometheus'].tag} and "
                        f"docker.io/{images.BY_NAME['node-exporter'].path}:{images.BY_NAME['node-exporter'].tag} "
                        "(kubecvm pins images by digest and cannot read these offline)")
    if p.mode is PrometheusMode.remoteWrite:
        if p.url is None:
            raise SpecError(f"{where}.url", "required with mode remoteWrite: the https URL the agents write to")
        if p.instance_id is not None:
            raise SpecError(f"{where}.instanceId", "only with mode tmp (mode remoteWrite writes to url)")
    elif p.url is not None:
        raise SpecError(f"{where}.url", "only with mode remoteWrite (mode tmp writes to the TMP instance's address)")
    if (p.auth is RemoteWriteAuth.basic) != (p.username is not None):
        raise SpecError(f"{where}.username", "required with auth basic, and only with it")
    if p.image_repository is None and spec.region in mirrors.MAINLAND:
        raise SpecError(f"{where}.imageRepository", f"required in {spec.region}: kube-state-metrics is published on "
                        "registry.k8s.io only, which a mainland VPC does not reach; copy "
                        f"registry.k8s.io/{images.BY_NAME['kube-state-metrics'].path}:"
                        f"{images.BY_NAME['kube-state-metrics'].tag} to your registry (e.g. ccr.ccs.tencentyun.com/<ns>) "
                        "and give its prefix")


class Monitoring(Model):
    alarms: Alarms = Alarms()
    prometheus: Prometheus = Prometheus()
    # Notification templates (Cloud Monitor's "通知模板", DescribeAlarmNotices) each alarm policy notifies.
    notice_ids: list[Annotated[str, Field(pattern=r"^notice-[a-z0-9]{8}$")]] = []

    @field_validator("notice_ids")
    @classmethod
    def _distinct_notices(cls, v: list[str]) -> list[str]:
        if twice := sorted({n for n in v if v.count(n) > 1}):
            raise ValueError(f"notice ids must be distinct; repeated: {', '.join(twice)}")
        return v


class ClusterSpec(Model):
    preset: Annotated[Preset, LAX]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+(-[a-z]+)?$")]
    name: Annotated[str, Field(pattern=_K8S_NAME)]
    zones: list[str] = Field(min_length=1)
    vpc_cidr: PrivateCidr = "10.0.0.0/16"
    pod_cidr: PrivateCidr = "172.16.0.0/12"
    service_cidr: PrivateCidr = "192.168.0.0/20"
    node_pod_mask: Int = Field(24, ge=8, le=30)
    max_pods_per_node: Int = Field(110, ge=8)
    image_id: Annotated[str, Field(pattern=r"^img-[a-z0-9]{8}$")] | None = None
    image_name_regex: Annotated[str, AfterValidator(_image_regex)] = "^Ubuntu Server 22.04 LTS 64bit$"
    ssh_key_ids: list[Annotated[str, Field(pattern=r"^skey-[a-z0-9]{8}$")]] = []
    control_plane: ControlPlane = ControlPlane()
    node_pools: list[NodePool] = Field(min_length=1)
    api_endpoint: ApiEndpoint = ApiEndpoint()
    ssh_allowed_cidrs: CidrList | None = None
    egress: Annotated[Egress, LAX] = Egress.nat
    protect: bool = False
    # Masters whose termination protection (prod) is lifted, so `pulumi up --replace` can delete them (docs/operations/masters.md).
    lift_termination_protection: list[str] = []
    quotas: Quotas = Quotas()
    pod_network: PodNetwork = PodNetwork()
    layout: AddressLayout = AddressLayout()
    kubernetes: Kubernetes = Kubernetes()
    addons: Addons = Addons()
    backups: Backups = Backups()
    ingress: Ingress = Ingress()
    monitoring: Monitoring = Monitoring()
    tags: dict[str, str] = {}
    existing_network: ExistingNetwork | None = None

    @field_validator("zones")
    @classmethod
    def _zones_unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({z for z in v if v.count(z) > 1})
        if dupes:
            raise ValueError(f"zones must be distinct; repeated: {', '.join(dupes)}")
        return v

    @field_validator("max_pods_per_node")
    @classmethod
    def _max_pods(cls, v: int) -> int:
        if v > limits.MAX_PODS_PER_NODE:
            raise ValueError(f"{v} exceeds the Kubernetes limit of {limits.MAX_PODS_PER_NODE} pods per node")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        reserved = sorted(k for k in v if k.startswith("kubecvm/"))
        if reserved:
            raise ValueError(f"tag keys under kubecvm/ are set by kubecvm itself: {', '.join(reserved)}")
        room = validation.TAGS_PER_RESOURCE - validation.KUBECVM_TAGS
        if len(v) > room:
            raise ValueError(f"{len(v)} tags; Tencent Cloud allows {validation.TAGS_PER_RESOURCE} per resource and "
                             f"kubecvm sets {validation.KUBECVM_TAGS} itself, so at most {room}")
        for key, value in v.items():
            if problem := validation.tag_problem(key, value):
                raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "ClusterSpec":
        # Each problem raises with the field path first; stacks.config turns it into the user's message.
        if self.region not in mirrors.MAINLAND | mirrors.OUTSIDE_MAINLAND:
            raise SpecError("region", f"{self.region!r} is not a Tencent Cloud region; expected one of "
                            f"{', '.join(sorted(mirrors.MAINLAND | mirrors.OUTSIDE_MAINLAND))} (tencentcloud:region)")
        # fullmatch, not match with $: "$" also matches before a trailing newline ("ap-guangzhou-3\n").
        zone_re = re.compile(rf"{re.escape(self.region)}-([1-9][0-9]*)")
        for i, zone in enumerate(self.zones):
            m = zone_re.fullmatch(zone)
            if not m:
                raise SpecError(f"zones[{i}]", f"{zone!r} is not a zone of region {self.region} (expected {self.region}-<n>)")
            if int(m[1]) > self.layout.zone_blocks:
                raise SpecError(f"zones[{i}]", f"zone number {m[1]} is above the {self.layout.zone_blocks} zone blocks "
                                f"of layout.zoneBlocks (zone <region>-n takes block n-1)")
        if self.control_plane.count == 1 and self.preset is not Preset.dev:
            raise SpecError("controlPlane.count", f"1 master has no etcd quorum to spare; the {self.preset.value} preset needs 3, 5 or 7")
        if problem := validation.service_cidr_problem(self.service_net):
            raise SpecError("serviceCidr", f"{self.service_cidr}: {problem}")
        for field, problem in checks.cidr_problems(
            vpc=self.vpc_net, pod=self.pod_net, service=self.service_net,
            node_pod_mask=self.node_pod_mask, max_pods=self.max_pods_per_node,
        ):
            raise SpecError(field, problem)
        lo, hi = limits.CLUSTER_CIDR_MASKS
        if self.pod_network.mode is PodNetworkMode.globalRouter and not lo <= self.pod_net.prefixlen <= hi:
            raise SpecError("podCidr", f"/{self.pod_net.prefixlen} is outside /{lo}../{hi}, the TKE API's range for "
                            "a cluster route table's CIDR (podNetwork.mode globalRouter)")
        masters = [names.master(self.name, i) for i in range(self.control_plane.count)]
        for i, machine in enumerate(self.lift_termination_protection):
            if machine not in masters:
                raise SpecError(f"liftTerminationProtection[{i}]", f"{machine!r} is not a master of this cluster "
                                f"(only masters are termination-protected; expected one of {', '.join(masters)})")
        self._check_existing_network()
        if self.control_plane.zones is not None and not self.control_plane.zones:
            raise SpecError("controlPlane.zones", "at least one zone (omit the key for every cluster zone)")
        self._check_zone_subset("controlPlane.zones", self.control_plane.zones)
        _check_billing("controlPlane", self.control_plane)
        _check_system_disk("controlPlane", self.control_plane)
        slots: dict[int, str] = {}
        for i, pool in enumerate(self.node_pools):
            self._check_zone_subset(f"nodePools[{i}].zones", pool.zones)
            _check_billing(f"nodePools[{i}]", pool)
            _check_system_disk(f"nodePools[{i}]", pool)
            if pool.name in {p.name for p in self.node_pools[:i]}:
                raise SpecError(f"nodePools[{i}].name", f"pool name {pool.name!r} is used twice")
            if pool.slot >= self.layout.pool_blocks:
                raise SpecError(f"nodePools[{i}].slot", f"{pool.slot} is not a pool slot of layout.poolBlocks "
                                f"{self.layout.pool_blocks}: expected 1..{self.layout.pool_blocks - 1} (0 is the control plane)")
            if pool.data_disk is not None and pool.charge_type is ChargeType.SPOTPAID:
                # A data disk outlives a non-postpaid instance (delete_with_instance may only be true on
                # POSTPAID_BY_HOUR, delete_with_instance_prepaid only on PREPAID: cvm/resource_tc_instance.go), so
                # every reclaimed spot node would leave a billed disk behind.
                raise SpecError(f"nodePools[{i}].dataDisk", "a SPOTPAID pool cannot have a data disk: Tencent deletes "
                                "data disks with the instance only for POSTPAID_BY_HOUR and PREPAID instances, so each "
                                "reclaimed spot node would leave its disk behind; drop dataDisk or use another chargeType")
            if pool.slot in slots:
                free = [s for s in range(1, self.layout.pool_blocks) if s not in {p.slot for p in self.node_pools}]
                raise SpecError(
                    f"nodePools[{i}].slot",
                    f"slot {pool.slot} is already pool {slots[pool.slot]!r}'s; give each pool its own slot "
                    f"(free: {', '.join(map(str, free)) or 'none'}) and never change it afterwards",
                )
            slots[pool.slot] = pool.name
            if twice := validation.duplicate_taint_problem([(t.key, t.effect.value) for t in pool.taints]):
                raise SpecError(f"nodePools[{i}].taints[{twice[0]}]", twice[1])
        if problem := checks.node_limit_problem(self.worker_count + self.control_plane.count):
            raise SpecError("nodePools", problem)
        self._check_ingress()
        self._check_public_clbs()
        _check_prometheus(self)
        return self

    def _check_public_clbs(self) -> None:
        for where, clb in (("apiEndpoint", self.api_endpoint), ("ingress", self.ingress)):
            if clb.exposure is Exposure.internal:
                for key, value in (("internetChargeType", clb.internet_charge_type), ("bandwidth", clb.bandwidth)):
                    if value is not None:
                        # clb/resource_tc_clb_instance.go (create): "INTERNAL network_type do not support internet
                        # charge type setting"; an internal CLB's traffic stays in the VPC.
                        raise SpecError(f"{where}.{key}", f"only a public CLB is billed and capped for the internet; "
                                        f"{where}.exposure is internal (set exposure: public, or drop {key})")
            elif clb.internet_charge_type is InternetChargeType.BANDWIDTH_PACKAGE:
                # The same file: bandwidth_package_id "If set, the `internet_charge_type` must be
                # `BANDWIDTH_PACKAGE`": the package is what bills it, and kubecvm takes no package id.
                raise SpecError(f"{where}.internetChargeType", "BANDWIDTH_PACKAGE bills the CLB through a shared "
                                "bandwidth package (bandwidth_package_id), which kubecvm does not set; use "
                                "TRAFFIC_POSTPAID_BY_HOUR or BANDWIDTH_POSTPAID_BY_HOUR")

    def _check_existing_network(self) -> None:
        if self.existing_network is None:
            return
        where = "existingNetwork.subnets"
        given = self.existing_network.subnets
        for zone in self.zones:
            if zone not in given:
                raise SpecError(where, f"no subnet for zone {zone}: give one per cluster zone")
        for zone in given:
            if zone not in self.zones:
                raise SpecError(f"{where}.{zone}", f"{zone!r} is not one of the cluster zones ({', '.join(self.zones)})")
        nets = {zone: ipaddress.IPv4Network(s.cidr) for zone, s in given.items()}
        for zone, n in nets.items():
            if not n.subnet_of(self.vpc_net):
                raise SpecError(f"{where}.{zone}.cidr", f"{n} is not inside vpcCidr {self.vpc_cidr} (set vpcCidr to the VPC's CIDR)")
        if len({n.prefixlen for n in nets.values()}) > 1:
            raise SpecError(where, "the subnets must be of one size: each is cut into the same pool blocks "
                            f"({', '.join(f'{z} /{n.prefixlen}' for z, n in sorted(nets.items()))})")
        for problem in checks.disjoint_problems({f"{where}.{z}": n for z, n in sorted(nets.items())}):
            raise SpecError(where, problem)
        if self.egress is Egress.nat:  # auto is none here: the network's owner gives the egress
            raise SpecError("egress", "nat would add a NAT gateway and a default route to a network kubecvm does not "
                            "own; set egress: none (the network's own route table gives the nodes their egress)")

    @property
    def nat(self) -> bool:
        """Whether the cluster gets a NAT gateway and a default route (`egress`, with `auto` resolved)."""
        if self.egress is Egress.auto:
            return self.existing_network is None and bool(mirrors.from_spec(self).egress_hosts)
        return self.egress is Egress.nat

    @property
    def subnet_nets(self) -> dict[int, ipaddress.IPv4Network]:
        """Zone number -> the given subnet's network, for an existing network (else empty: the layout cuts the VPC)."""
        if self.existing_network is None:
            return {}
        return {names.zone_number(z): ipaddress.IPv4Network(s.cidr) for z, s in self.existing_network.subnets.items()}

    def _check_ingress(self) -> None:
        pools = self.ingress.pools
        if not self.ingress.enabled or pools is None:
            return
        known = [p.name for p in self.node_pools]
        if not pools:
            raise SpecError("ingress.pools", "select at least one node pool (or leave it out for every pool)")
        for i, name in enumerate(pools):
            if name not in known:
                raise SpecError(f"ingress.pools[{i}]", f"{name!r} is not a node pool ({', '.join(known)})")
            if name in pools[:i]:
                raise SpecError(f"ingress.pools[{i}]", f"pool {name!r} is listed twice")

    # Derived views used by the planner; pure functions of the fields above.
    @property
    def vpc_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)

    @property
    def pod_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.pod_cidr)

    @property
    def service_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.service_cidr)

    def _check_zone_subset(self, where: str, zones: list[str] | None) -> None:
        """A controlPlane's or pool's `zones`: distinct cluster zones (None: every cluster zone)."""
        for j, zone in enumerate(zones or []):
            if zone not in self.zones:
                raise SpecError(f"{where}[{j}]", f"{zone!r} is not one of the cluster zones ({', '.join(self.zones)})")
        if zones is not None and len(set(zones)) != len(zones):
            raise SpecError(where, "zones must be distinct")

    @property
    def master_zones(self) -> list[str]:
        """The zones the masters go round-robin over, by zone number (controlPlane.zones, else every zone)."""
        return sorted(self.control_plane.zones or self.zones, key=names.zone_number)

    def pool_zones(self, pool: NodePool) -> list[str]:
        return sorted(pool.zones if pool.zones is not None else self.zones, key=names.zone_number)

    @property
    def ingress_pools(self) -> list[NodePool]:
        """The pools behind the ingress CLB, in spec order (every pool unless ingress.pools names some)."""
        names_ = self.ingress.pools
        return [p for p in self.node_pools if names_ is None or p.name in names_]

    @property
    def worker_count(self) -> int:
        return sum(p.count_per_zone * len(self.pool_zones(p)) for p in self.node_pools)


def _check_system_disk(where: str, machines: ControlPlane | NodePool) -> None:
    if machines.system_disk is not None and machines.system_disk_size is not None:
        raise SpecError(f"{where}.systemDiskSize", "set the size as systemDisk.size (systemDiskSize is its older "
                        "spelling), not both")


def system_disk_size(machines: ControlPlane | NodePool) -> int:
    """GiB: systemDisk.size, else systemDiskSize, else SystemDisk's default."""
    if machines.system_disk is not None:
        return machines.system_disk.size
    return machines.system_disk_size if machines.system_disk_size is not None else SystemDisk().size


def _check_billing(where: str, machines: ControlPlane | NodePool) -> None:
    """`prepaid` goes with chargeType PREPAID (and is required there), `spot` with SPOTPAID only."""
    charge = machines.charge_type
    if charge is ChargeType.PREPAID and machines.prepaid is None:
        raise SpecError(f"{where}.prepaid", "required with chargeType PREPAID: Tencent sells a prepaid instance for a "
                        f"term (RunInstances' InstanceChargePrepaid); set {{period: <months: "
                        f"{', '.join(map(str, PREPAID_PERIODS))}>, renewFlag: <{'|'.join(f.value for f in PrepaidRenewFlag)}>}}")
    if charge is not ChargeType.PREPAID and machines.prepaid is not None:
        raise SpecError(f"{where}.prepaid", f"only for chargeType PREPAID (chargeType is {charge.value}): the provider "
                        "ignores a prepaid term on other instances; drop prepaid or set chargeType: PREPAID")
    if charge is not ChargeType.SPOTPAID and machines.spot is not None:
        raise SpecError(f"{where}.spot", f"only for chargeType SPOTPAID (chargeType is {charge.value}); drop spot or "
                        "set chargeType: SPOTPAID")


class SpecError(ValueError):
    """A spec problem tied to one field path (camelCase, as the user wrote it)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
