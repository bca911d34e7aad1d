"""CVM (cvm.tencentcloudapi.com): instances, placement groups, and the image and instance-type look-ups. Pure.

The engine type tokens, each type's id prefix, its ForceNew inputs and the updates that stop an instance, what a
create returns that kubecvm reads, and what Tencent refuses on create and delete.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/instance/instance.py,
  placement/group.py, images/get_instance.py, instance/get_types.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/cvm/ as cited
  per entry (ForceNew inputs in the SDK's camelCase; a path `a[]` is the length of list `a`, `a[].b` a key of any
  element).
- [api] Tencent's RunInstances page (cloud.tencent.com/document/api/213/15730) and tencentcloud-sdk-go
  cvm/v20170312/errors.go for the codes.

kubecvm takes SSH key pairs by id (ssh_key_ids) and creates none, so the key-pair type is not modelled here. The
provider's resources are checked offline only, by the simulated cloud (offline/simulated_cloud.py) through
account.CloudState. The one action kubecvm's load-balancer controller calls, DescribeInstances, is answered on the wire
by the emulator (kubecvm/emulator/cvm.py) with the facts at the end of this module ([models]
tencentcloud-sdk-python-cvm tencentcloud/cvm/v20170312/models.py, [errorcodes] its errorcodes.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import disks, sizing
from ..spec import PREPAID_PERIODS
from . import cbs
from .common import Refusal

if TYPE_CHECKING:
    from .account import CloudState, Live

SERVICE = "cvm"

# Engine type tokens [sdk].
INSTANCE = "tencentcloud:Instance/instance:Instance"
PLACEMENT_GROUP = "tencentcloud:Placement/group:Group"
# Data sources: public images by name (cvm/data_source_tc_images.go, DescribeImages) and the instance types a zone
# sells (cvm/data_source_tc_instance_types.go, DescribeZoneInstanceConfigInfos; with a cbs_filter also
# DescribeDiskConfigQuota).
IMAGES = "tencentcloud:Images/getInstance:getInstance"
INSTANCE_TYPES = "tencentcloud:Instance/getTypes:getTypes"

ID_PREFIX: dict[str, str] = {INSTANCE: "ins", PLACEMENT_GROUP: "ps"}

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    # cvm/resource_tc_instance.go. data_disks is ForceNew as a list: its length and the elements' ForceNew keys;
    # data_disk_size resizes in place. placement_group_id is not ForceNew (force_replace_placement_group_id).
    INSTANCE: frozenset(
        {
            "availabilityZone",
            "dedicatedClusterId",
            "spotMaxPrice",
            "cdhHostId",
            "allocatePublicIp",
            "ipv4AddressType",
            "ipv6AddressType",
            "ipv6AddressCount",
            "antiDdosPackageId",
            "hpcClusterId",
            "launchTemplateId",
            "launchTemplateVersion",
            "dataDisks[]",
            "dataDisks[].dataDiskType",
            "dataDisks[].dataDiskSnapshotId",
            "dataDisks[].deleteWithInstance",
            "dataDisks[].deleteWithInstancePrepaid",
            "dataDisks[].kmsKeyId",
            "dataDisks[].encrypt",
            "dataDisks[].throughputPerformance",
        }
    ),
    PLACEMENT_GROUP: frozenset({"type"}),  # cvm/resource_tc_placement_group.go
}
# Inputs whose schema Default the provider writes into the state when they are not given (Optional, Default false:
# cvm/resource_tc_instance.go disable_monitor_service): stating the default later changes nothing.
DEFAULTS: dict[str, dict[str, object]] = {INSTANCE: {"disableMonitorService": False}}
# CustomizeDiff in resource_tc_instance.go: ForceNewIf(user_data / user_data_raw, user_data_replace_on_change).
FORCE_NEW_IF: dict[str, dict[str, str]] = {
    INSTANCE: {"userData": "userDataReplaceOnChange", "userDataRaw": "userDataReplaceOnChange"},
}
# In place, but the instance restarts, migrates or is reinstalled (resourceTencentCloudInstanceUpdate):
# input -> (what the update does, whether the machine stops serving meanwhile).
DISRUPTIVE: dict[str, dict[str, tuple[str, bool]]] = {
    INSTANCE: {
        "imageId": ("reinstalls the OS (ResetInstance)", True),
        "keyIds": ("may reinstall the OS", True),
        "password": ("restarts the instance", True),
        "hostname": ("restarts the instance", True),
        "privateIp": ("migrates the instance's network (ModifyVpc) and restarts it", True),
        "vpcId": ("migrates the instance's network (ModifyVpc) and restarts it", True),
        "subnetId": ("migrates the instance's network (ModifyVpc) and restarts it", True),
        "instanceType": ("resizes the instance (ResetInstancesType with ForceStop), which stops it", True),
        "systemDiskType": ("may force-stop the instance", True),
        "systemDiskSize": ("may force-stop the instance", True),
        # "Modifications may lead to the reinstallation of the instance's operating system" (the schema's own words
        # for disable_monitor_service, disable_security_service and disable_automation_service).
        "disableMonitorService": ("may reinstall the OS", True),
        "userData": ("updated in place, but a running node does not run it again (cloud-init runs once)", False),
        "userDataRaw": ("updated in place, but a running node does not run it again (cloud-init runs once)", False),
    },
}

# The processor architecture of each family. Tencent's instance-type page (tencentyun/qcloud-documents
# product/计算与网络/云服务器/产品简介/实例/实例规格.md @ 00601f931aa6849e3cb49fa331af05525c35aa02): "标准型 SR1 实例是
# 最新一代的 ARM 标准型实例", "采用 Ampere® Altra® 处理器" (aarch64); its other families are x86_64 ("每个 vCPU 对应
# 一个 Intel Xeon 处理器核心的超线程或一个 AMD EPYC 处理器核心的超线程", 名词解释). By series letters, so a later
# generation of the ARM series (SR2) is ARM too.
ARM_SERIES = frozenset({"SR"})
ARM64, X86_64 = "aarch64", "x86_64"
_SERIES = re.compile(r"^([A-Z]+)[0-9]")


def architecture(instance_type: str) -> str:
    """aarch64 for a type of an ARM series (SR1.LARGE8), else x86_64."""
    m = _SERIES.match(sizing.instance_family(instance_type))
    return ARM64 if m and m[1] in ARM_SERIES else X86_64


# What a create returns beyond its inputs: the instance's shape (vCPU `cpu`, memory GiB `memory`) and state, as
# DescribeInstances answers them. kubecvm reads an instance by its id and its planned privateIp (an input).
CREATE_RETURNS: dict[str, tuple[str, ...]] = {
    INSTANCE: ("cpu", "memory", "instanceStatus"),
}
RUNNING = "RUNNING"


# --- What Tencent refuses ------------------------------------------------------------------------------------


def subnet_address(inputs: dict) -> tuple:
    """What a subnet keeps unique: (its id, an instance's private address in it)."""
    return inputs.get("subnetId"), inputs.get("privateIp")


def private_ip_in_subnet(state: CloudState, inputs: dict) -> str | None:
    """cvm/resource_tc_instance.go private_ip: "must be in the provided subnet and available" (the subnet, a
    vpc.SUBNET, found by its id)."""
    ip, subnet = inputs.get("privateIp"), state.by_id(inputs.get("subnetId"))
    if not ip or subnet is None:
        return None
    if ipaddress.ip_address(ip) not in ipaddress.ip_network(subnet.inputs["cidrBlock"]):
        return f"privateIp {ip} is outside subnet {subnet.inputs['cidrBlock']} (InvalidParameterValue)"
    if holders := state.holders(INSTANCE, subnet_address, subnet_address(inputs)):
        return f"privateIp {ip} is already used in its subnet (by {holders[0].id}): an address is not available until released"
    return None


def instance_type_sold(state: CloudState, inputs: dict) -> str | None:
    """RunInstances refuses a type Tencent does not sell: InvalidParameterValue.InstanceTypeNotFound ("指定机型不存在",
    tencentcloud-sdk-go cvm/v20170312/errors.go). What it sells: the account's catalogue (the simulated cloud's is
    offline/instance_types.py, from Tencent's instance-type pages; any size of a family they name without sizes is
    taken as sold, never a false refusal)."""
    instance_type = inputs.get("instanceType")  # optional: RunInstances then picks its default type
    if instance_type is not None and state.catalogue is not None and state.catalogue(str(instance_type)) is None:
        return (
            f"instanceType {instance_type!r} is not a type Tencent sells (InvalidParameterValue.InstanceTypeNotFound)"
        )
    return None


def data_disks_go_with_postpaid_only(state: CloudState, inputs: dict) -> str | None:
    """cvm/resource_tc_instance.go (create): "param `delete_with_instance` only can be true when
    `instance_charge_type` is POSTPAID_BY_HOUR" (its default is true)."""
    charge = inputs.get("instanceChargeType") or "POSTPAID_BY_HOUR"
    for i, disk in enumerate(inputs.get("dataDisks") or []):
        if charge != "POSTPAID_BY_HOUR" and disk.get("deleteWithInstance", True):
            return f"dataDisks[{i}].deleteWithInstance may be true only on POSTPAID_BY_HOUR instances, not {charge}"
    return None


def system_disk_sold(state: CloudState, inputs: dict) -> str | None:
    """RunInstances refuses a system disk type Tencent does not sell with the instance's family (what
    DescribeDiskConfigQuota lists as its SYSTEM_DISK configurations); which ones it does: planning/disks.py, with its
    sources (Tencent's CBS use limits: Enhanced and Tremendous SSDs are never system disks)."""
    disk_type, instance_type = inputs.get("systemDiskType"), inputs.get("instanceType")
    if disk_type is None or instance_type is None:  # optional: RunInstances then picks what is in stock
        return None
    if problem := disks.system_disk_problem(str(disk_type), sizing.instance_family(str(instance_type))):
        return f"systemDiskType: {problem}"
    return None


def prepaid_needs_its_term(state: CloudState, inputs: dict) -> str | None:
    """RunInstances' InstanceChargePrepaid "若指定实例的付费模式为预付费则该参数必传" (required for a PREPAID instance;
    cloud.tencent.com/document/api/213/15730), which the provider fills from instance_charge_type_prepaid_period
    (cvm/resource_tc_instance.go, one of CVM_PREPAID_PERIOD in cvm/extension_cvm.go)."""
    if inputs.get("instanceChargeType") != "PREPAID":
        return None
    period = inputs.get("instanceChargeTypePrepaidPeriod")
    if period is None:
        return "a PREPAID instance needs instanceChargeTypePrepaidPeriod (InstanceChargePrepaid.Period)"
    if int(period) not in PREPAID_PERIODS:
        return f"instanceChargeTypePrepaidPeriod {period} is not one of {', '.join(map(str, PREPAID_PERIODS))}"
    return None


def data_disk_sizes(state: CloudState, inputs: dict) -> str | None:
    """A data disk's size within its CBS type's range (cbs.size_problem, the same as a CBS disk of its own)."""
    return next(
        (
            p
            for i, d in enumerate(inputs.get("dataDisks") or [])
            if (p := cbs.size_problem(f"dataDisks[{i}].dataDiskSize", d.get("dataDiskType"), d.get("dataDiskSize")))
        ),
        None,
    )


def termination_protection(state: CloudState, r: Live) -> str | None:
    """cvm/resource_tc_instance.go disable_api_termination: "this instance can not be deleted by an API action"."""
    if r.inputs.get("disableApiTermination") is True:
        return "termination protection is on (disableApiTermination): TerminateInstances is refused"
    return None


CREATE_RULES = {
    INSTANCE: (
        instance_type_sold,
        system_disk_sold,
        private_ip_in_subnet,
        prepaid_needs_its_term,
        data_disks_go_with_postpaid_only,
        data_disk_sizes,
    ),
}
DELETE_RULES = {INSTANCE: (termination_protection,)}


# --- DescribeInstances, as the load-balancer controller calls it (on the wire: kubecvm/emulator/cvm.py) --------

VERSION = "2017-03-12"
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DescribeInstances": ((), ("InstanceIds", "Filters", "Offset", "Limit")),
}
# InstanceState [models Instance]: PENDING, LAUNCH_FAILED, RUNNING, STOPPED, STARTING, STOPPING, REBOOTING,
# SHUTDOWN (isolated, awaiting destruction), TERMINATING.
INSTANCE_STATES = (
    "PENDING",
    "LAUNCH_FAILED",
    "RUNNING",
    "STOPPED",
    "STARTING",
    "STOPPING",
    "REBOOTING",
    "SHUTDOWN",
    "TERMINATING",
)
STOPPED = "STOPPED"
# "每次请求的实例的上限为100" (InstanceIds, api/213/15728); Limit "最大值为100".
DESCRIBE_LIMIT = 100
INSTANCE_ID = re.compile(r"^ins-[0-9a-z]{8}$")
INSTANCE_ID_MALFORMED = "InvalidInstanceId.Malformed"  # [errorcodes] "指定的实例ID格式错误"
VALUE_LIMIT_EXCEEDED = "InvalidParameterValue.LimitExceeded"  # [errorcodes] "参数值数量超过限制"
INVALID_FILTER = "InvalidFilter"


def describe_instances_refusal(ids: Sequence[object], limit: object) -> Refusal | None:
    """DescribeInstances refuses more than 100 ids or a Limit above 100, and a malformed id; an id of the right form
    that the account does not have is not an error: the answer leaves it out (which is how a caller learns an
    instance is gone)."""
    if len(ids) > DESCRIBE_LIMIT or (limit is not None and not 0 <= int(limit) <= DESCRIBE_LIMIT):
        return Refusal(VALUE_LIMIT_EXCEEDED, f"at most {DESCRIBE_LIMIT} InstanceIds and Limit <= {DESCRIBE_LIMIT}")
    if bad := [i for i in ids if not INSTANCE_ID.fullmatch(str(i))]:
        return Refusal(INSTANCE_ID_MALFORMED, f"{bad[0]!r} is not an instance id (ins- and 8 characters)")
    return None
