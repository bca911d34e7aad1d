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


# The descriptions below (each model's `about`, each field's `description`) are the only prose about a setting: the
# component's ClusterArgs (components/args.py) and the configuration reference (docs/reference/configuration.md)
# are generated from them by tools/gen_schema_docs.py. Two markers in a field's json_schema_extra tell the generator
# what the annotations cannot: SHOWN_DEFAULT, the default in words where it is not a plain value (None meaning
# "the VPC CIDR", a value the loader fills in); INPUT, a value ClusterArgs takes as a pulumi Input (each item, for a
# list or map), because the planner only copies it.
SHOWN_DEFAULT = "kubecvmDefault"
INPUT = "kubecvmInput"


def about(text: str) -> ConfigDict:
    """A model's description for users (its docstring is for this code's readers)."""
    return ConfigDict(json_schema_extra={"description": text})


def shown(default: str, **extra: object) -> dict:
    return {SHOWN_DEFAULT: default, **extra}


class Disk(Model):
    model_config = about("A CBS data disk (a master's etcd disk, a pool's data disk).")

    type: Annotated[DiskType, LAX] = Field(DiskType.CLOUD_SSD, description="The CBS disk type.")
    size: Int = Field(100, description="GiB, 10..32000 in steps of 10; SSD-class disks (CLOUD_SSD, CLOUD_HSSD, "
                      "CLOUD_BSSD, CLOUD_TSSD) start at 20.")
    encrypted: bool = Field(True, description="CBS encryption of the disk.")

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

    model_config = about("The system disk of a group of CVMs.")

    type: Annotated[DiskType, LAX] | None = Field(None, description=(
        "CLOUD_SSD, CLOUD_PREMIUM or CLOUD_BSSD, as the instance family is sold with: Tencent sells neither CLOUD_HSSD "
        "nor CLOUD_TSSD as a system disk and no longer sells CLOUD_BASIC. A change is an in-place update that may "
        "force-stop the machine."), json_schema_extra=shown("the instance family's, CLOUD_SSD wherever sold"))
    size: Int = Field(50, ge=20, le=1024, description="GiB.")


class Prepaid(Model):
    """A PREPAID machine's term: RunInstances' InstanceChargePrepaid, which "若指定实例的付费模式为预付费则该参数必传"
    (must be given for a prepaid instance; Tencent CVM API RunInstances, cloud.tencent.com/document/api/213/15730)."""

    model_config = about("The term of PREPAID (monthly) instances.")

    period: Int = Field(description="Months: 1..12, 24, 36, 48 or 60.")
    # Auto-renewed by default: a prepaid node that expires is shut down into the recycle bin and the cluster loses
    # it; NOTIFY_AND_MANUAL_RENEW is the provider's own default.
    renew_flag: Annotated[PrepaidRenewFlag, LAX] = Field(
        PrepaidRenewFlag.NOTIFY_AND_AUTO_RENEW, description="How the term renews: auto-renewed by default, because a "
        "prepaid node that expires is shut down into the recycle bin and the cluster loses it.")

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

    model_config = about("The bid of SPOTPAID instances; without it Tencent bids its current spot price.")

    max_price: Annotated[str, BeforeValidator(_price), AfterValidator(_positive_price)] = Field(description=(
        'The bid per hour, a decimal string such as "0.50"; a new bid replaces the machines (the provider '
        "takes it as ForceNew)."))
    type: Annotated[SpotInstanceType, LAX] = Field(SpotInstanceType.ONE_TIME, description=(
        "The spot instance type: ONE-TIME is the only one Tencent offers."))


class ControlPlane(Model):
    model_config = about("The masters: kube-apiserver, etcd and the controllers, behind an internal CLB.")

    count: Int = Field(3, description="Masters, an odd etcd member count: 1, 3, 5 or 7 (1 only in the dev preset).")
    instance_type: Annotated[str, AfterValidator(_auto_or_instance_type)] = Field("auto", description=(
        "`auto` sizes the masters by node count (1-5 nodes 4C8G, 6-20 4C16G, 21-100 8C32G, 101-200 16C64G; above 200 "
        "set it yourself), or a CVM type such as S5.2XLARGE16 that Tencent sells in the masters' zones."))
    etcd_disk: Disk = Field(Disk(), description=(
        "Each master's own etcd CBS disk, a resource of its own so etcd data survives an instance replacement."))
    system_disk: SystemDisk | None = Field(None, description="The masters' system disk.",
                                           json_schema_extra=shown("the instance family's type, 50 GiB"))
    system_disk_size: Int | None = Field(None, ge=20, le=1024, description=(
        "GiB: the older spelling of systemDisk.size (not both)."), json_schema_extra=shown("50"))
    charge_type: Annotated[ChargeType, LAX] = Field(ChargeType.POSTPAID_BY_HOUR, description=(
        "The masters' billing. The policy kubecvm-ha-no-spot-masters refuses SPOTPAID masters (mandatory in "
        "staging and prod)."))
    prepaid: Prepaid | None = Field(None, description=(
        "The term of PREPAID masters: required with chargeType PREPAID, refused otherwise."))
    spot: Spot | None = Field(None, description="The bid of SPOTPAID masters: only with chargeType SPOTPAID.")
    # The zones the masters go round-robin over (by zone number); None: every cluster zone. Pinning them keeps the
    # masters where they are when a zone numbered lower than theirs is added (else master-0 and the API CLB move).
    zones: list[str] | None = Field(None, description=(
        "The cluster zones the masters go round-robin over, by zone number; pin them before adding a zone numbered "
        "lower than theirs (else master-0 and the API CLB move)."), json_schema_extra=shown("every cluster zone"))

    @field_validator("count")
    @classmethod
    def _count(cls, v: int) -> int:
        if v < 1 or v % 2 == 0 or v > limits.MAX_MASTERS:
            raise ValueError(f"{v} masters: etcd needs an odd member count of 1, 3, 5 or 7")
        return v


class Taint(Model):
    model_config = about("A Kubernetes taint every node of the pool registers with.")

    key: str = Field(min_length=1, max_length=317, description=(
        "The taint's key, a qualified name (an optional DNS-subdomain prefix and `/`, then a name of at most 63 "
        "characters)."))
    value: str = Field("", description="The taint's value: at most 63 letters, digits and `-_.` (may be empty).")
    effect: Annotated[TaintEffect, LAX] = Field(description=(
        "What the taint does to pods that do not tolerate it; no two taints of a pool may share key and effect."))

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> "Taint":
        if problem := validation.taint_problem(self.key, self.value):
            raise ValueError(problem)
        return self


class NodePool(Model):
    model_config = about("A group of identical workers, the same count in each of its zones.")

    name: Annotated[str, Field(pattern=_K8S_NAME)] = Field(description=(
        "Pool name: a lower-case DNS label of at most 20 characters, distinct among the pools."))
    slot: Int = Field(1, description=(
        "The pool's stable address block, 1..layout.poolBlocks-1 (1..7 by default), each pool its own; set once "
        "and never change it."))
    instance_type: InstanceType = Field(description=(
        "CVM type `FAMILY.SIZE<memory GiB>`, e.g. S5.2XLARGE32, one Tencent sells in the pool's zones."))
    count_per_zone: Int = Field(ge=0, description="Workers in each of the pool's zones.")
    zones: list[str] | None = Field(None, description="A subset of the cluster zones.",
                                    json_schema_extra=shown("every cluster zone"))
    data_disk: Disk | None = Field(None, description=(
        "A CBS data disk for each worker, encrypted by default, deleted with its instance; a SPOTPAID pool takes "
        "none."), json_schema_extra=shown("none"))
    system_disk: SystemDisk | None = Field(None, description="The pool's system disks.",
                                           json_schema_extra=shown("the instance family's type, 50 GiB"))
    system_disk_size: Int | None = Field(None, ge=20, le=1024, description=(
        "GiB: the older spelling of systemDisk.size (not both)."), json_schema_extra=shown("50"))
    charge_type: Annotated[ChargeType, LAX] = Field(ChargeType.POSTPAID_BY_HOUR, description=(
        "The pool's billing. A data disk goes with its instance only on POSTPAID_BY_HOUR and PREPAID, so a SPOTPAID "
        "pool cannot have a dataDisk."))
    prepaid: Prepaid | None = Field(None, description=(
        "The term of a PREPAID pool's nodes: required with chargeType PREPAID, refused otherwise."))
    spot: Spot | None = Field(None, description="The bid of a SPOTPAID pool's nodes: only with chargeType SPOTPAID.")
    labels: dict[str, str] = Field({}, description=(
        "Kubernetes labels every node of the pool registers with: qualified-name keys, values of at most 63 "
        "letters, digits and `-_.`; not the labels the kubelet and kubecvm set themselves (kubernetes.io/os, /arch, "
        "/hostname, topology.kubernetes.io/zone, /region, node.kubernetes.io/instance-type, their beta. and "
        "failure-domain. forms, anything under kubecvm/) nor kubernetes.io or k8s.io labels the kubelet may not "
        "set (node-role.kubernetes.io/*)."))
    taints: list[Taint] = Field([], description="Kubernetes taints every node of the pool registers with.")

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

    exposure: Annotated[Exposure, LAX] = Field(Exposure.internal, description=(
        "`public` puts this CLB (only it) on the internet."))
    internet_charge_type: Annotated[InternetChargeType, LAX] | None = Field(None, description=(
        "A public CLB's billing: TRAFFIC_POSTPAID_BY_HOUR or "
        "BANDWIDTH_POSTPAID_BY_HOUR (BANDWIDTH_PACKAGE needs a bandwidth package id kubecvm does not take); public "
        "only, changes in place."), json_schema_extra=shown(PUBLIC_CLB_CHARGE_TYPE.value))
    # clb/resource_tc_clb_instance.go internet_bandwidth_max_out: "Max bandwidth out, only applicable to open CLB.
    # Valid value ranges is [1, 2048]. Unit is Mbps." (v1.82.42; tencentcloud-iac-pulumi 0.2.3's clb.Instance says so).
    bandwidth: Int | None = Field(None, description=(
        "A public CLB's outbound bandwidth cap in Mbps, 1..2048 (without it Tencent would cap "
        "a public CLB at 10 Mbps); public only, changes in place."), json_schema_extra=shown(str(PUBLIC_CLB_BANDWIDTH_MBPS)))

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
    model_config = about("The Kubernetes API's CLB (port 6443).")

    # None means "the VPC CIDR only": the least that lets nodes and in-VPC tooling reach the API.
    allowed_cidrs: CidrList | None = Field(None, description=(
        "Who may reach port 6443, each CIDR once (the cluster's own ranges always may)."),
        json_schema_extra=shown("the VPC CIDR"))


class PodNetwork(Model):
    model_config = about("How the VPC forwards each node's pod CIDR to the node.")

    mode: Annotated[PodNetworkMode, LAX] = Field(PodNetworkMode.vpcRoutes, description=(
        "vpcRoutes: one VPC route-table entry per node (bounded by the route quota); globalRouter: one TKE cluster "
        "route table for podCidr (a /10../24) with one cluster route per node, beyond the VPC quota."))
    # CreateClusterRouteTable's IgnoreClusterCidrConflict: create the table although VPC route entries overlap the
    # pod CIDR, as they do while a vpcRoutes cluster switches (docs/concepts/pod-network.md); read only at creation.
    ignore_vpc_route_conflict: bool = Field(False, description=(
        "Create the cluster route table although VPC route entries overlap podCidr (only while switching from "
        "vpcRoutes); read only when the table is created."))


def _power_of_two(lo: int, hi: int):
    def check(v: int) -> int:
        if not lo <= v <= hi or v & (v - 1):
            raise ValueError(f"{v} is not a power of two in {lo}..{hi}")
        return v
    return AfterValidator(check)


class AddressLayout(Model):
    """How the VPC and the pod CIDR are cut before node addresses (planning/addressing.py): set once, like podCidr."""

    model_config = about("How the VPC CIDR and podCidr are cut into zone and pool blocks; set once, like podCidr.")

    # Zone number n takes block n-1, so zones 1..zoneBlocks fit.
    zone_blocks: Annotated[Int, _power_of_two(1, limits.ZONE_SLOTS)] = Field(limits.ZONE_SLOTS, description=(
        f"Blocks the VPC CIDR and podCidr are cut into, one per zone number: a power of two, 1..{limits.ZONE_SLOTS}; "
        "zones <region>-1 to <region>-zoneBlocks fit."))
    # Block 0 is the control plane; pool slots 1..poolBlocks-1.
    pool_blocks: Annotated[Int, _power_of_two(2, limits.MAX_POOL_BLOCKS)] = Field(limits.POOL_SLOTS, description=(
        f"Blocks each zone's block is cut into, one per pool slot, block 0 for the masters: a power of two, "
        f"2..{limits.MAX_POOL_BLOCKS}; pool slots 1..poolBlocks-1."))


# ---- ingress: the workload entry point, a CLB in front of the workers ----------------------------
class IngressPorts(Model):
    """The CLB's listener ports (what clients connect to); the NodePorts behind them are planned, not set."""

    model_config = about("The ingress CLB's listener ports; the NodePorts behind them are fixed (30080, 30081).")

    http: Int = Field(80, ge=1, le=65535, description="The HTTP listener's port (not the HTTPS one's).")
    https: Int = Field(443, ge=1, le=65535, description="The HTTPS listener's port.")

    @model_validator(mode="after")
    def _distinct(self) -> "IngressPorts":
        if self.http == self.https:
            raise ValueError(f"http and https are both {self.http}: a CLB has one listener per port")
        return self


class Ingress(PublicClb):
    model_config = about("A CLB in front of the workers that runs ingress-nginx: the entry point of the cluster's "
                         "workloads (prod policy refuses a public one unless the stack allows it).")

    # Off unless asked: the staging and prod presets ask (stacks/presets.py), a spec built by hand says so itself.
    enabled: bool = Field(False, description="An ingress CLB and ingress-nginx in front of the workers.")
    # None means "the VPC CIDR only", as for the API endpoint.
    allowed_cidrs: CidrList | None = Field(None, description=(
        "Who may reach the ingress listeners (the CLB's group and the workers' NodePort rules), each CIDR once."),
        json_schema_extra=shown("the VPC CIDR"))
    ports: IngressPorts = Field(IngressPorts(), description="The CLB's listener ports.")
    # None means every node pool; else the pools whose workers run the controller and sit behind the CLB.
    pools: list[str] | None = Field(None, description=(
        "The node pools whose workers run the controller and sit behind the CLB, at most 100 workers (a CLB "
        "attachment's limit)."), json_schema_extra=shown("every pool"))


class Quotas(Model):
    model_config = about("Account quotas kubecvm plans against (offline there is no account to ask).")

    route_entries_per_table: Int = Field(50, ge=1, le=100_000, description=(
        "Your account's route-table quota (route-table-max-policies): one route per node plus the NAT route, and an "
        "existing network's own entries, must fit."))


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
    model_config = about("The Kubernetes release and where the nodes fetch it from.")

    version: Annotated[str, Field(pattern=KUBERNETES_VERSION), AfterValidator(_patch_release)] = Field(
        kubernetes_releases.DEFAULT_VERSION, description=(
            "kubeadm/kubelet/kubectl version x.y.z: a released patch of 1.28..1.32, as the upstream changelogs list "
            "them; upgrade one minor at a time."))
    # Serves /kubernetes_new/core:/stable:/v<minor>/deb/ (a pkgs.k8s.io mirror) and /pypi/simple/ (for tccli).
    # None: the region's default from planning/mirrors.py (Tencent's in-VPC mirror).
    # https only: the apt signing key and tccli come from it, so whoever can answer for it is root on every node.
    # The one exception is Tencent's in-VPC mirror (planning/mirrors.py PACKAGES_IN_VPC), served over http and
    # reached without leaving Tencent's network.
    package_mirror: Annotated[str, Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*[^/\s'\"])?$"),
                              AfterValidator(_url_host), AfterValidator(_https_mirror)] | None = Field(None, description=(
        "Serves the Kubernetes apt repository and PyPI (for tccli): https:// only, except Tencent's in-VPC mirror; a "
        "DNS host name or IPv4 address, port 1..65535."), json_schema_extra=shown(f"{mirrors.PACKAGES_IN_VPC} (in the VPC)"))
    # kubeadm's imageRepository; None: the region's default (planning/mirrors.py).
    image_repository: Annotated[str, _image_prefix(_REPOSITORY_SUFFIX)] | None = Field(None, description=(
        "Where kubeadm pulls the control-plane images and the pause image: `host[:port][/path]` under the "
        "distribution reference grammar, the host a registry's (with a `.`, a port or `localhost`), port 1..65535, "
        "every image name under it at most 255 characters."), json_schema_extra=shown(
        f"by region: {mirrors.MAINLAND_K8S} in mainland China, {mirrors.UPSTREAM_K8S} elsewhere"))
    # containerd's docker.io mirror; None: the region's default, "": none (pull from Docker Hub itself).
    docker_hub_mirror: Annotated[str, Field(pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?)?$"),
                                 AfterValidator(lambda u: u and _url_host(u))] | None = Field(None, description=(
        "containerd's docker.io mirror, tried before Docker Hub itself; \"\" for none; host and port as for "
        "packageMirror."), json_schema_extra=shown(mirrors.DOCKER_HUB_MIRROR))
    cloud_api: Annotated[CloudApi, LAX] = Field(CloudApi.internal, description=(
        "The Tencent Cloud API endpoints the nodes call: internal, <service>.internal.tencentcloudapi.com (no NAT "
        "needed); public, <service>.tencentcloudapi.com."))


class Addons(Model):
    model_config = about("Add-ons installed into the cluster once its API server answers.")

    cbs_csi: bool = Field(True, description="Install the CBS CSI driver and the default StorageClass.")
    # Registry prefix of the Tencent-hosted add-on images; None: ccr.ccs.tencentyun.com (planning/mirrors.py).
    image_registry: Annotated[str, _image_prefix(_REGISTRY_SUFFIX)] | None = Field(None, description=(
        "Registry prefix of the Tencent-hosted add-on images (the same rules as kubernetes.imageRepository)."),
        json_schema_extra=shown(mirrors.TENCENT_REGISTRY))
    metrics_server: bool = Field(True, description=(
        "Install metrics-server (kubectl top, HPA), verifying kubelets against the cluster CA and verified by the "
        "API server (its own certificate from the stack, renewed by `pulumi up` in its last 90 days)."))
    load_balancer_controller: bool = Field(True, description=(
        "kubecvm's load-balancer controller: `type: LoadBalancer` Services on CLBs, and the Nodes of CVMs that are "
        "gone deleted (docs/load-balancer-services.md). Off: no controller, and no CLB rights on the masters' CAM "
        "role."))


class ExistingSubnet(Model):
    model_config = about("One given subnet of an existing network.")

    # None only when the id comes as a pulumi Input (kubecvm.ClusterArgs.subnet_ids); stacks/config checks.
    id: Annotated[str, Field(pattern=r"^subnet-[a-z0-9]{8}$")] | None = Field(None, description=(
        "The subnet's id (subnet-xxxxxxxx), one per cluster zone."), json_schema_extra={INPUT: True})
    cidr: Cidr = Field(description=(
        "The subnet's CIDR, inside vpcCidr, all of one size (plain: every node address is planned inside it)."))


class ExistingNetwork(Model):
    """A VPC kubecvm does not own: no VPC, subnet, route table or NAT is created; nodes go in the given subnets
    (one per cluster zone, their CIDRs planned like kubecvm's own zone subnets) and the pod routes into the given
    route table, which those subnets use."""

    model_config = about(
        "Bring your own VPC: kubecvm then creates no VPC, subnet, route table or NAT; nodes are planned inside the "
        "given subnets as in its own (masters in block 0, pools in their slot) and the pod routes go into the given "
        "route table, which those subnets must use. egress becomes none: the network's own routes give egress.")

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[a-z0-9]{8}$")] | None = Field(None, description=(
        "The VPC (vpc-xxxxxxxx); set vpcCidr to its CIDR."), json_schema_extra={INPUT: True})
    route_table_id: Annotated[str, Field(pattern=r"^rtb-[a-z0-9]{8}$")] | None = Field(None, description=(
        "The route table the given subnets use (rtb-xxxxxxxx): kubecvm adds one pod route per node to it, and its "
        "existing entries count against quotas.routeEntriesPerTable."), json_schema_extra={INPUT: True})
    subnets: dict[str, ExistingSubnet] = Field(min_length=1, description=(
        "Zone -> that zone's subnet, one per cluster zone."))


class Backups(Model):
    model_config = about("etcd snapshots to COS.")

    etcd: bool = Field(True, description=(  # planning/backups.py
        "etcd snapshots from every master to a private, encrypted COS bucket the stack creates."))
    interval_hours: Int = Field(6, ge=1, le=24, description="Hours between snapshots.")
    retention_days: Int = Field(30, ge=1, le=3650, description="Days a snapshot is kept.")


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

    model_config = about("Cloud Monitor alarm policies for the nodes and the CLBs, bound by the cluster's tag.")

    enabled: bool = Field(False, description="Cloud Monitor alarm policies for the nodes and the CLBs.")
    cpu_percent: Int = Field(90, ge=1, le=100, description="Node CPU use, in percent, that alarms.")
    memory_percent: Int = Field(90, ge=1, le=100, description="Node memory use, in percent, that alarms.")
    disk_percent: Int = Field(85, ge=1, le=100, description="Node disk use, in percent, that alarms.")
    # A CLB alarms when more than this many backends fail its health checks, or it drops more connections.
    unhealthy_backends: Int = Field(0, ge=0, le=10_000, description=(
        "A CLB alarms when more backends than this fail its health checks."))
    dropped_connections: Int = Field(0, ge=0, le=10_000_000, description=(
        "A CLB alarms when it drops more connections than this in a period."))
    period: Annotated[Int, _one_of(monitor.PERIODS, "a period (seconds) every watched metric is sampled at")] = Field(
        60, description=f"Seconds every watched metric is sampled at: {', '.join(map(str, monitor.PERIODS))}.")
    # How many periods in a row a threshold must be crossed (the rule's ContinuePeriod).
    continue_periods: Int = Field(3, ge=1, le=30, description="Periods in a row a threshold must be crossed.")
    # Seconds between repeated notifications while the alarm holds (NoticeFrequency; 0: once).
    notice_frequency: Annotated[Int, _one_of(monitor.NOTICE_FREQUENCIES, "a notice frequency Cloud Monitor takes")] = Field(
        3600, description="Seconds between repeated notifications while the alarm holds (0: once): "
        f"{', '.join(map(str, monitor.NOTICE_FREQUENCIES))}.")


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

    model_config = about("The digests of the docker.io images the Prometheus agents run, read from the registry "
                         "(`crane digest docker.io/prom/prometheus:<tag>`): kubecvm pins them rather than a tag.")

    prometheus: Digest = Field(description="sha256:... of docker.io/prom/prometheus at kubecvm's tag.")
    node_exporter: Digest = Field(description="sha256:... of docker.io/prom/node-exporter at kubecvm's tag.")


class Prometheus(Model):
    """Prometheus in agent mode writing to a remote store (planning/addons/prometheus.py). Off unless `mode` is set.
    The token the store is written with is a Pulumi secret: `pulumi config set --secret kubecvm:prometheusToken`."""

    model_config = about("Prometheus in agent mode writing to a remote store; the token it writes with is the "
                         "secret config kubecvm:prometheusToken (`pulumi config set --secret`).")

    mode: Annotated[PrometheusMode, LAX] | None = Field(None, description=(
        "tmp: Tencent's managed Prometheus (a new instance in the cluster's VPC, or instanceId's); remoteWrite: any "
        "Prometheus remote-write endpoint (url)."), json_schema_extra=shown("none: no Prometheus"))
    # tmp: an existing instance (prom-xxxxxxxx) to write to; None: kubecvm creates one in the cluster's VPC.
    instance_id: Annotated[str, Field(pattern=r"^prom-[a-z0-9]{8}$")] | None = Field(None, description=(
        "mode tmp: an existing instance (prom-xxxxxxxx) to write to."), json_schema_extra=shown(
        "a new instance in the cluster's VPC"))
    # tmp with a new instance: how long it keeps the data (tencentcloud_monitor_tmp_instance data_retention_time).
    retention_days: Annotated[Int, _one_of(monitor.TMP_RETENTION_DAYS, "a TMP retention (days)")] = Field(15, description=(
        f"A new TMP instance's retention in days: {', '.join(map(str, monitor.TMP_RETENTION_DAYS))}."))
    # remoteWrite: where the agents write (https).
    url: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*)?$"), AfterValidator(_url_host)] | None = Field(
        None, description="mode remoteWrite: the https URL the agents write to.")
    auth: Annotated[RemoteWriteAuth, LAX] = Field(RemoteWriteAuth.bearer, description=(
        "How the agents authenticate: bearer (Authorization: Bearer <token>) or basic (username, the token as the "
        "password)."))
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(None, description=(
        "The basic-auth user name: with auth basic, and only with it."))
    digests: PrometheusDigests | None = Field(None, description="The agents' image digests: required with a mode.")
    # A registry prefix holding a copy of kube-state-metrics (<prefix>/kube-state-metrics:<tag>): required in
    # mainland regions, where registry.k8s.io is out of reach; elsewhere None pulls registry.k8s.io's, by digest.
    image_repository: Annotated[str, _image_prefix(len("kube-state-metrics"))] | None = Field(None, description=(
        "A registry prefix holding a copy of kube-state-metrics: required in mainland regions, where "
        "registry.k8s.io is out of reach."), json_schema_extra=shown("registry.k8s.io, by digest"))


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
    model_config = about("Cloud Monitor alarms and Prometheus agents.")

    alarms: Alarms = Field(Alarms(), description="Cloud Monitor alarm policies.")
    prometheus: Prometheus = Field(Prometheus(), description="Prometheus agents writing to a remote store.")
    # Notification templates (Cloud Monitor's "通知模板", DescribeAlarmNotices) each alarm policy notifies.
    notice_ids: list[Annotated[str, Field(pattern=r"^notice-[a-z0-9]{8}$")]] = Field([], description=(
        "Cloud Monitor notification templates (notice-xxxxxxxx) every alarm policy notifies, each once."))

    @field_validator("notice_ids")
    @classmethod
    def _distinct_notices(cls, v: list[str]) -> list[str]:
        if twice := sorted({n for n in v if v.count(n) > 1}):
            raise ValueError(f"notice ids must be distinct; repeated: {', '.join(twice)}")
        return v


class ClusterSpec(Model):
    model_config = about("Everything a stack's kubecvm:cluster holds, with the preset and the region.")

    preset: Annotated[Preset, LAX] = Field(description=(
        "The defaults the other settings override (see Presets)."), json_schema_extra=shown("dev", key="kubecvm:preset"))
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+(-[a-z]+)?$")] = Field(description=(
        "Tencent Cloud region, e.g. ap-guangzhou."), json_schema_extra=shown(
        "TENCENTCLOUD_REGION from the environment; a component first takes its stack's region", key="tencentcloud:region"))
    name: Annotated[str, Field(pattern=_K8S_NAME)] = Field(description=(
        "Cluster name, prefix of every resource name: a lower-case DNS label of at most 20 characters."),
        json_schema_extra=shown("the stack name"))
    zones: list[str] = Field(min_length=1, description=(
        "Zones of the region, `<region>-<n>` with n in 1..layout.zoneBlocks (1..8 by default); the masters go "
        "round-robin over them in zone-number order."))
    vpc_cidr: PrivateCidr = Field("10.0.0.0/16", description=(
        "The VPC's CIDR, inside 10.0.0.0/8 or 172.16.0.0/12 (/12../28) or 192.168.0.0/16 (/16../28), at most a /22 "
        "so each zone and pool gets addresses; with an existing network, that VPC's CIDR. Set once."))
    pod_cidr: PrivateCidr = Field("172.16.0.0/12", description=(
        "Pod addresses, outside the VPC CIDR (VPC routes cannot point inside it); set once."))
    service_cidr: PrivateCidr = Field("192.168.0.0/20", description=(
        "Service ClusterIPs, a /12 (kube-apiserver's largest) to a /28 (room for the DNS address at the 10th); the "
        "VPC, pod and service ranges must be disjoint. Set once."))
    node_pod_mask: Int = Field(24, ge=8, le=30, description=(
        "Prefix length of each node's pod CIDR, which must hold maxPodsPerNode + 2 addresses; set once."))
    max_pods_per_node: Int = Field(110, ge=8, description="The kubelet's maxPods, at most 110 (the Kubernetes limit).")
    image_id: Annotated[str, Field(pattern=r"^img-[a-z0-9]{8}$")] | None = Field(None, description=(
        "The CVM image (img-xxxxxxxx), used by machines created from now on: running machines keep theirs."),
        json_schema_extra=shown("the newest public image matching imageNameRegex", **{INPUT: True}))
    image_name_regex: Annotated[str, AfterValidator(_image_regex)] = Field("^Ubuntu Server 22.04 LTS 64bit$", description=(
        "Picks the newest public image whose name matches, when imageId is not set: Go (RE2) syntax as the "
        "provider matches it, no lookaround or backreferences; one that matches no image is an error naming it."))
    ssh_key_ids: list[Annotated[str, Field(pattern=r"^skey-[a-z0-9]{8}$")]] = Field([], description=(
        "Key pairs (skey-xxxxxxxx) for every CVM; no password is ever set."), json_schema_extra={INPUT: True})
    control_plane: ControlPlane = Field(ControlPlane(), description=(
        "The masters (their count, instance type and etcd disk default from the preset)."))
    node_pools: list[NodePool] = Field(min_length=1, description="The worker pools.")
    api_endpoint: ApiEndpoint = Field(ApiEndpoint(), description=(
        "The Kubernetes API's CLB (internal, reachable from the VPC, by default)."))
    ssh_allowed_cidrs: CidrList | None = Field(None, description="Who may reach port 22 of the nodes, each CIDR once.",
                                               json_schema_extra=shown("the VPC CIDR"))
    egress: Annotated[Egress, LAX] = Field(Egress.nat, description=(
        "nat: a NAT gateway with an EIP and a default route; none: no NAT; auto: a NAT exactly when a booting node "
        "must reach a host outside the VPC. none with an existing network, whose egress is its owner's."))
    protect: bool = Field(False, description=(
        "Pulumi protect on what holds state (the VPC, the etcd disks, the backup bucket); always on in prod, whose "
        "masters also get disableApiTermination."))
    # Masters whose termination protection (prod) is lifted, so `pulumi up --replace` can delete them (docs/operations/masters.md).
    lift_termination_protection: list[str] = Field([], description=(
        "Prod masters (by name, e.g. prod-master-1) whose termination protection is lifted so they can be replaced."))
    quotas: Quotas = Field(Quotas(), description="Account quotas the plan checks against.")
    pod_network: PodNetwork = Field(PodNetwork(), description="How pod traffic reaches its node.")
    layout: AddressLayout = Field(AddressLayout(), description=(
        "How the VPC and pod CIDRs are cut into zone and pool blocks (set once)."))
    kubernetes: Kubernetes = Field(Kubernetes(), description="The Kubernetes release and its mirrors.")
    addons: Addons = Field(Addons(), description="Add-ons installed into the cluster.")
    backups: Backups = Field(Backups(), description="etcd snapshots to COS.")
    ingress: Ingress = Field(Ingress(), description="The ingress CLB and controller.")
    monitoring: Monitoring = Field(Monitoring(), description="Cloud Monitor alarms and Prometheus.")
    tags: dict[str, str] = Field({}, description=(
        "Added to every taggable resource: at most 47 (Tencent's 50 less kubecvm's 3), keys 1..127 and values up to "
        "255 letters, digits, spaces, Chinese characters or `+-=._:/@`, no qcloud, tencent or project key prefix, "
        "no key under kubecvm/."))
    existing_network: ExistingNetwork | None = Field(None, description=(
        "A network made elsewhere to put the cluster in."), json_schema_extra=shown("none: kubecvm creates its own"))

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
