"""The machines: the masters (controlPlane) and the worker pools (nodePools), their disks, billing and taints."""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from .. import limits, validation
from ..sizing import parse_instance_type
from .base import _K8S_NAME, LAX, Int, Model, SpecError, about, shown


class DiskType(str, Enum):
    CLOUD_BASIC = "CLOUD_BASIC"
    CLOUD_PREMIUM = "CLOUD_PREMIUM"
    CLOUD_BSSD = "CLOUD_BSSD"
    CLOUD_SSD = "CLOUD_SSD"
    CLOUD_HSSD = "CLOUD_HSSD"
    CLOUD_TSSD = "CLOUD_TSSD"


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


class TaintEffect(str, Enum):
    NoSchedule = "NoSchedule"
    PreferNoSchedule = "PreferNoSchedule"
    NoExecute = "NoExecute"


def _instance_type(value: str) -> str:
    parse_instance_type(value)
    return value


def _auto_or_instance_type(value: str) -> str:
    return value if value == "auto" else _instance_type(value)


InstanceType = Annotated[str, AfterValidator(_instance_type)]


class Disk(Model):
    model_config = about("A CBS data disk (a master's etcd disk, a pool's data disk).")

    type: Annotated[DiskType, LAX] = Field(DiskType.CLOUD_SSD, description="The CBS disk type.")
    size: Int = Field(
        100,
        description="GiB, 10..32000 in steps of 10; SSD-class disks (CLOUD_SSD, CLOUD_HSSD, "
        "CLOUD_BSSD, CLOUD_TSSD) start at 20.",
    )
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

    type: Annotated[DiskType, LAX] | None = Field(
        None,
        description=(
            "CLOUD_SSD, CLOUD_PREMIUM or CLOUD_BSSD, as the instance family is sold with: Tencent sells neither CLOUD_HSSD "
            "nor CLOUD_TSSD as a system disk and no longer sells CLOUD_BASIC. A change is an in-place update that may "
            "force-stop the machine."
        ),
        json_schema_extra=shown("the instance family's, CLOUD_SSD wherever sold"),
    )
    size: Int = Field(50, ge=20, le=1024, description="GiB.")


class Prepaid(Model):
    """A PREPAID machine's term: RunInstances' InstanceChargePrepaid, which "若指定实例的付费模式为预付费则该参数必传"
    (must be given for a prepaid instance; Tencent CVM API RunInstances, cloud.tencent.com/document/api/213/15730)."""

    model_config = about("The term of PREPAID (monthly) instances.")

    period: Int = Field(description="Months: 1..12, 24, 36, 48 or 60.")
    # Auto-renewed by default: a prepaid node that expires is shut down into the recycle bin and the cluster loses
    # it; NOTIFY_AND_MANUAL_RENEW is the provider's own default.
    renew_flag: Annotated[PrepaidRenewFlag, LAX] = Field(
        PrepaidRenewFlag.NOTIFY_AND_AUTO_RENEW,
        description="How the term renews: auto-renewed by default, because a "
        "prepaid node that expires is shut down into the recycle bin and the cluster loses it.",
    )

    @field_validator("period")
    @classmethod
    def _period(cls, v: int) -> int:
        if v not in PREPAID_PERIODS:
            raise ValueError(
                f"{v} months is not a prepaid term Tencent sells: expected one of "
                f"{', '.join(map(str, PREPAID_PERIODS))}"
            )
        return v


_PRICE = re.compile(r"[0-9]+(\.[0-9]+)?")


def _price(value: object) -> object:
    """spot_max_price is a decimal string ("0.50"); a YAML number is taken as one (not a boolean)."""
    if isinstance(value, bool):
        raise ValueError(f'expected a price such as "0.50", got {value!r}')
    return str(value) if isinstance(value, int | float) else value


def _positive_price(value: str) -> str:
    # cvm/resource_tc_instance.go spot_max_price: ValidateStringNumber, "the format of decimal string, for example
    # \"0.50\""; a bid of 0 buys nothing.
    if not _PRICE.fullmatch(value) or float(value) <= 0:
        raise ValueError(f'{value!r} is not a price: a positive decimal such as "0.50", per hour')
    return value


class Spot(Model):
    """A SPOTPAID machine's bid: RunInstances' InstanceMarketOptions (spot_max_price, spot_instance_type). Without it
    Tencent bids the current spot price."""

    model_config = about("The bid of SPOTPAID instances; without it Tencent bids its current spot price.")

    max_price: Annotated[str, BeforeValidator(_price), AfterValidator(_positive_price)] = Field(
        description=(
            'The bid per hour, a decimal string such as "0.50"; a new bid replaces the machines (the provider '
            "takes it as ForceNew)."
        )
    )
    type: Annotated[SpotInstanceType, LAX] = Field(
        SpotInstanceType.ONE_TIME, description=("The spot instance type: ONE-TIME is the only one Tencent offers.")
    )


class ControlPlane(Model):
    model_config = about("The masters: kube-apiserver, etcd and the controllers, behind an internal CLB.")

    count: Int = Field(3, description="Masters, an odd etcd member count: 1, 3, 5 or 7 (1 only in the dev preset).")
    instance_type: Annotated[str, AfterValidator(_auto_or_instance_type)] = Field(
        "auto",
        description=(
            "`auto` sizes the masters by node count (1-5 nodes 4C8G, 6-20 4C16G, 21-100 8C32G, 101-200 16C64G; above 200 "
            "set it yourself), or a CVM type such as S5.2XLARGE16 that Tencent sells in the masters' zones."
        ),
    )
    etcd_disk: Disk = Field(
        Disk(),
        description=(
            "Each master's own etcd CBS disk, a resource of its own so etcd data survives an instance replacement."
        ),
    )
    system_disk: SystemDisk | None = Field(
        None, description="The masters' system disk.", json_schema_extra=shown("the instance family's type, 50 GiB")
    )
    system_disk_size: Int | None = Field(
        None,
        ge=20,
        le=1024,
        description=("GiB: the older spelling of systemDisk.size (not both)."),
        json_schema_extra=shown("50"),
    )
    charge_type: Annotated[ChargeType, LAX] = Field(
        ChargeType.POSTPAID_BY_HOUR,
        description=(
            "The masters' billing. The policy kubecvm-ha-no-spot-masters refuses SPOTPAID masters (mandatory in "
            "staging and prod)."
        ),
    )
    prepaid: Prepaid | None = Field(
        None, description=("The term of PREPAID masters: required with chargeType PREPAID, refused otherwise.")
    )
    spot: Spot | None = Field(None, description="The bid of SPOTPAID masters: only with chargeType SPOTPAID.")
    # The zones the masters go round-robin over (by zone number); None: every cluster zone. Pinning them keeps the
    # masters where they are when a zone numbered lower than theirs is added (else master-0 and the API CLB move).
    zones: list[str] | None = Field(
        None,
        description=(
            "The cluster zones the masters go round-robin over, by zone number; pin them before adding a zone numbered "
            "lower than theirs (else master-0 and the API CLB move)."
        ),
        json_schema_extra=shown("every cluster zone"),
    )

    @field_validator("count")
    @classmethod
    def _count(cls, v: int) -> int:
        if v < 1 or v % 2 == 0 or v > limits.MAX_MASTERS:
            raise ValueError(f"{v} masters: etcd needs an odd member count of 1, 3, 5 or 7")
        return v


class Taint(Model):
    model_config = about("A Kubernetes taint every node of the pool registers with.")

    key: str = Field(
        min_length=1,
        max_length=317,
        description=(
            "The taint's key, a qualified name (an optional DNS-subdomain prefix and `/`, then a name of at most 63 "
            "characters)."
        ),
    )
    value: str = Field("", description="The taint's value: at most 63 letters, digits and `-_.` (may be empty).")
    effect: Annotated[TaintEffect, LAX] = Field(
        description=(
            "What the taint does to pods that do not tolerate it; no two taints of a pool may share key and effect."
        )
    )

    @model_validator(mode="after")
    def _kubernetes_rules(self) -> "Taint":
        if problem := validation.taint_problem(self.key, self.value):
            raise ValueError(problem)
        return self


class NodePool(Model):
    model_config = about("A group of identical workers, the same count in each of its zones.")

    name: Annotated[str, Field(pattern=_K8S_NAME)] = Field(
        description=("Pool name: a lower-case DNS label of at most 20 characters, distinct among the pools.")
    )
    slot: Int = Field(
        1,
        description=(
            "The pool's stable address block, 1..layout.poolBlocks-1 (1..7 by default), each pool its own; set once "
            "and never change it."
        ),
    )
    instance_type: InstanceType = Field(
        description=("CVM type `FAMILY.SIZE<memory GiB>`, e.g. S5.2XLARGE32, one Tencent sells in the pool's zones.")
    )
    count_per_zone: Int = Field(ge=0, description="Workers in each of the pool's zones.")
    zones: list[str] | None = Field(
        None, description="A subset of the cluster zones.", json_schema_extra=shown("every cluster zone")
    )
    data_disk: Disk | None = Field(
        None,
        description=(
            "A CBS data disk for each worker, encrypted by default, deleted with its instance; a SPOTPAID pool takes "
            "none."
        ),
        json_schema_extra=shown("none"),
    )
    system_disk: SystemDisk | None = Field(
        None, description="The pool's system disks.", json_schema_extra=shown("the instance family's type, 50 GiB")
    )
    system_disk_size: Int | None = Field(
        None,
        ge=20,
        le=1024,
        description=("GiB: the older spelling of systemDisk.size (not both)."),
        json_schema_extra=shown("50"),
    )
    charge_type: Annotated[ChargeType, LAX] = Field(
        ChargeType.POSTPAID_BY_HOUR,
        description=(
            "The pool's billing. A data disk goes with its instance only on POSTPAID_BY_HOUR and PREPAID, so a SPOTPAID "
            "pool cannot have a dataDisk."
        ),
    )
    prepaid: Prepaid | None = Field(
        None, description=("The term of a PREPAID pool's nodes: required with chargeType PREPAID, refused otherwise.")
    )
    spot: Spot | None = Field(None, description="The bid of a SPOTPAID pool's nodes: only with chargeType SPOTPAID.")
    labels: dict[str, str] = Field(
        {},
        description=(
            "Kubernetes labels every node of the pool registers with: qualified-name keys, values of at most 63 "
            "letters, digits and `-_.`; not the labels the kubelet and kubecvm set themselves (kubernetes.io/os, /arch, "
            "/hostname, topology.kubernetes.io/zone, /region, node.kubernetes.io/instance-type, their beta. and "
            "failure-domain. forms, anything under kubecvm/) nor kubernetes.io or k8s.io labels the kubelet may not "
            "set (node-role.kubernetes.io/*)."
        ),
    )
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


def _check_system_disk(where: str, machines: ControlPlane | NodePool) -> None:
    if machines.system_disk is not None and machines.system_disk_size is not None:
        raise SpecError(
            f"{where}.systemDiskSize",
            "set the size as systemDisk.size (systemDiskSize is its older spelling), not both",
        )


def system_disk_size(machines: ControlPlane | NodePool) -> int:
    """GiB: systemDisk.size, else systemDiskSize, else SystemDisk's default."""
    if machines.system_disk is not None:
        return machines.system_disk.size
    return machines.system_disk_size if machines.system_disk_size is not None else SystemDisk().size


def _check_billing(where: str, machines: ControlPlane | NodePool) -> None:
    """`prepaid` goes with chargeType PREPAID (and is required there), `spot` with SPOTPAID only."""
    charge = machines.charge_type
    if charge is ChargeType.PREPAID and machines.prepaid is None:
        raise SpecError(
            f"{where}.prepaid",
            "required with chargeType PREPAID: Tencent sells a prepaid instance for a "
            f"term (RunInstances' InstanceChargePrepaid); set {{period: <months: "
            f"{', '.join(map(str, PREPAID_PERIODS))}>, renewFlag: <{'|'.join(f.value for f in PrepaidRenewFlag)}>}}",
        )
    if charge is not ChargeType.PREPAID and machines.prepaid is not None:
        raise SpecError(
            f"{where}.prepaid",
            f"only for chargeType PREPAID (chargeType is {charge.value}): the provider "
            "ignores a prepaid term on other instances; drop prepaid or set chargeType: PREPAID",
        )
    if charge is not ChargeType.SPOTPAID and machines.spot is not None:
        raise SpecError(
            f"{where}.spot",
            f"only for chargeType SPOTPAID (chargeType is {charge.value}); drop spot or set chargeType: SPOTPAID",
        )
