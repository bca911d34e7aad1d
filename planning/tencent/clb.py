"""CLB (clb.tencentcloudapi.com): load balancers, their listeners and the targets attached to them. Pure.

The engine type tokens, each type's id prefix and id form, its ForceNew inputs, what a create returns that kubecvm
reads, and what Tencent refuses.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/clb/instance.py,
  clb/listener.py, clb/attachment.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/clb/ as cited
  per entry (ForceNew inputs in the SDK's camelCase).

The emulator does not answer CLB's actions (the Tencent provider plugin cannot be built here to drive them): these
rules are enforced offline only, by the simulated cloud (offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import limits
from . import common
from .common import Refusal

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "clb"

# Engine type tokens [sdk].
INSTANCE = "tencentcloud:Clb/instance:Instance"
LISTENER = "tencentcloud:Clb/listener:Listener"
ATTACHMENT = "tencentcloud:Clb/attachment:Attachment"

# Tencent's id prefixes (lb-..., lbl-...). A listener's resource id is `<clbId>#<listenerId>`
# (clb/resource_tc_clb_listener.go d.SetId), its listenerId output the lbl- part.
ID_PREFIX: dict[str, str] = {INSTANCE: "lb", LISTENER: "lbl", ATTACHMENT: "lb-attach"}
LISTENER_ID_SEPARATOR = "#"

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    # clb/resource_tc_clb_instance.go (exclusive_cluster is newer than v1.82.42: not in the SDK's clb.Instance).
    # internet_charge_type and internet_bandwidth_max_out are not ForceNew: Update sends them as
    # ModifyLoadBalancerAttributes' InternetChargeInfo, so a public CLB's billing or cap changes in place.
    INSTANCE: frozenset({"networkType", "vpcId", "subnetId", "clusterId", "vipIsp", "vip"}),
    LISTENER: frozenset(
        {"clbId", "port", "protocol", "sniSwitch", "endPort", "h2cSwitch"}
    ),  # clb/resource_tc_clb_listener.go
    ATTACHMENT: frozenset({"clbId", "listenerId", "ruleId", "domain", "url"}),  # clb/resource_tc_clb_attachment.go
}

# What a create returns beyond its inputs that kubecvm reads: the CLB's address (vip, clbVips: the API server's
# and the ingress's endpoint, components/control_plane.py and ingress.py) and the listener's own id (listenerId,
# which an attachment names).
CREATE_RETURNS: dict[str, tuple[str, ...]] = {
    INSTANCE: ("vip", "clbVips"),
    LISTENER: ("listenerId",),
}


# --- What Tencent refuses ------------------------------------------------------------------------------------


def clb_name(inputs: dict):
    return inputs.get("clbName")


def listener_key(inputs: dict) -> tuple:
    """What a CLB keeps unique: (its id, a listener's port, its protocol)."""
    return inputs.get("clbId"), int(inputs.get("port") or 0), str(inputs.get("protocol")).upper()


def clb_name_unique(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): checkSameName, "Same CLB name %s exists!"."""
    name = inputs.get("clbName")
    if state.holders(INSTANCE, clb_name, name):
        return f"Same CLB name {name} exists"
    return None


def clb_internet(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): "INTERNAL network_type do not support internet charge type setting";
    internet_bandwidth_max_out "Valid value ranges is [1, 2048]", and it goes into the InternetAccessible that only
    internet_charge_type creates (set alone, v1.82.42 dereferences a nil InternetAccessible)."""
    charge, bandwidth = inputs.get("internetChargeType"), inputs.get("internetBandwidthMaxOut")
    if charge is not None and inputs.get("networkType") == "INTERNAL":
        return "INTERNAL network_type do not support internet charge type setting"
    if bandwidth is not None:
        lo, hi = limits.CLB_BANDWIDTH_MBPS
        if not lo <= int(bandwidth) <= hi:
            return f"internetBandwidthMaxOut {bandwidth} is outside {lo}..{hi} Mbps"
        if charge is None:
            return "internetBandwidthMaxOut without internetChargeType (the provider has no InternetAccessible to put it in)"
    return None


def port_taken(listeners: Iterable[tuple[str, int]], protocol: str, port: int) -> Refusal | None:
    """CreateListener on a port and protocol the CLB already listens on fails ([errorcodes]
    InvalidParameter.PortCheckFailed, "监听器端口检查失败，比如端口冲突"; clb/resource_tc_clb_listener.go)."""
    if (str(protocol).upper(), int(port)) in {(str(p).upper(), int(n)) for p, n in listeners}:
        return Refusal(PORT_CHECK_FAILED, f"the CLB already listens on {protocol} {port}")
    return None


def listener_port_free(state: CloudState, inputs: dict) -> str | None:
    """The provider's listener: port_taken, the CLB's listeners found through the index of listener_key."""
    port, protocol = int(inputs.get("port") or 0), str(inputs.get("protocol"))
    taken = [(protocol, port)] if state.holders(LISTENER, listener_key, listener_key(inputs)) else []
    refusal = port_taken(taken, protocol, port)
    return f"{refusal.message} ({refusal.code})" if refusal else None


CREATE_RULES = {
    INSTANCE: (clb_name_unique, clb_internet),
    LISTENER: (listener_port_free,),
}
DELETE_RULES: dict = {}


# --- The API the load-balancer controller calls (on the wire: kubecvm/emulator/clb.py) --------------------------

VERSION = "2018-03-17"

# Action -> (required members, optional members) [models]; required as the [api] pages mark them. Only the members
# kubecvm's controller may send are optional here: any other is UnknownParameter, so a typo cannot pass unseen.
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # api/214/30692: LoadBalancerType OPEN | INTERNAL; VpcId, SubnetId (an internal CLB's), InternetAccessible, Tags.
    "CreateLoadBalancer": (
        ("LoadBalancerType",),
        (
            "LoadBalancerName",
            "VpcId",
            "SubnetId",
            "InternetAccessible",
            "Tags",
            "Forward",
            "ProjectId",
            "AddressIPVersion",
            "Number",
            "LoadBalancerPassToTarget",
        ),
    ),
    "DescribeLoadBalancers": ((), ("LoadBalancerIds", "Filters", "Offset", "Limit", "VpcId", "LoadBalancerType")),
    "DeleteLoadBalancer": (("LoadBalancerIds",), ("ForceDelete",)),
    "CreateListener": (
        ("LoadBalancerId", "Ports", "Protocol"),
        ("ListenerNames", "HealthCheck", "Scheduler", "SessionExpireTime"),
    ),
    "DescribeListeners": (("LoadBalancerId",), ("ListenerIds", "Protocol", "Port")),
    "ModifyListener": (("LoadBalancerId", "ListenerId"), ("ListenerName", "HealthCheck", "Scheduler")),
    "DeleteListener": (("LoadBalancerId", "ListenerId"), ()),
    "RegisterTargets": (("LoadBalancerId", "ListenerId", "Targets"), ()),
    "DeregisterTargets": (("LoadBalancerId", "ListenerId", "Targets"), ()),
    "DescribeTargets": (("LoadBalancerId",), ("ListenerIds", "Protocol", "Port")),
    # api/214/30683: one of TaskId (an asynchronous write's RequestId) or DealName (a prepaid purchase's).
    "DescribeTaskStatus": ((), ("TaskId", "DealName")),
    "SetLoadBalancerSecurityGroups": (("LoadBalancerId",), ("SecurityGroups",)),
    # api/214/30680 (tencentcloud-sdk-python clb ModifyLoadBalancerAttributesRequest): "不填则不修改", each
    # attribute left out is left as it is.
    "ModifyLoadBalancerAttributes": (("LoadBalancerId",), ("LoadBalancerName", "LoadBalancerPassToTarget")),
}
# [api] "该接口为异步接口" (asynchronous): the answer's RequestId is the TaskId DescribeTaskStatus reads; until the
# task ends, another write to that CLB answers FailedOperation.ResourceInOperating.
ASYNC_ACTIONS = frozenset(
    {
        "CreateLoadBalancer",
        "DeleteLoadBalancer",
        "CreateListener",
        "ModifyListener",
        "DeleteListener",
        "RegisterTargets",
        "DeregisterTargets",
        "SetLoadBalancerSecurityGroups",
        "ModifyLoadBalancerAttributes",  # clb_client.py: "本接口为异步接口"
    }
)
# DescribeTaskStatus Status (api/214/30683): 0 succeeded, 1 failed, 2 in progress.
TASK_SUCCEEDED, TASK_FAILED, TASK_RUNNING = 0, 1, 2

# [errorcodes], those the emulator answers and the controller reads.
RESOURCE_IN_OPERATING = "FailedOperation.ResourceInOperating"  # "正在操作指定的资源，请稍后重试"
LB_ID_NOT_FOUND = "InvalidParameter.LBIdNotFound"
LISTENER_ID_NOT_FOUND = "InvalidParameter.ListenerIdNotFound"
PORT_CHECK_FAILED = "InvalidParameter.PortCheckFailed"
PROTOCOL_CHECK_FAILED = "InvalidParameter.ProtocolCheckFailed"
INVALID_PARAMETER_COMBINATION = "InvalidParameterCombination"
VALUE_RANGE = "InvalidParameterValue.Range"
VALUE_DUPLICATE = "InvalidParameterValue.Duplicate"
LIMIT_EXCEEDED = "LimitExceeded"
# What a client retries with backoff: the common rate limit (and its sub-codes) and a CLB busy with a task.
RETRYABLE = frozenset({common.REQUEST_LIMIT_EXCEEDED, RESOURCE_IN_OPERATING})

NETWORK_TYPES = ("OPEN", "INTERNAL")
LISTENER_PROTOCOLS = ("TCP", "UDP")  # the layer-4 listeners a Service's ports become
# InternetAccessible.InternetChargeType for a public CLB (api/214/30694 InternetAccessible; TKE's annotation
# kubernetes.io/service.internetChargeType documents the two hourly ones).
CHARGE_TYPES = ("TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE")
DESCRIBE_LIMIT = 100  # DescribeLoadBalancers' Limit: "默认返回20，最大值100" (api/214/30685)
# HealthCheck.CheckType [models]: TCP, HTTP, HTTPS, GRPC, PING, CUSTOM; HTTP on a TCP listener needs a path.
CHECK_TYPES = ("TCP", "HTTP", "HTTPS", "GRPC", "PING", "CUSTOM")


def create_lb_refusal(p: Mapping[str, Any]) -> Refusal | None:
    """CreateLoadBalancer's refusals on the request's form (api/214/30692): the network type; an internal CLB in a
    VPC names its subnet ("在私有网络内购买内网负载均衡实例的情况下，必须指定子网 ID"); InternetAccessible only for a
    public one (the provider's "INTERNAL network_type do not support internet charge type setting" is this
    refusal); the bandwidth cap within limits.CLB_BANDWIDTH_MBPS."""
    kind = p.get("LoadBalancerType")
    if kind not in NETWORK_TYPES:
        return Refusal(common.INVALID_PARAMETER_VALUE, f"LoadBalancerType {kind!r} is not OPEN or INTERNAL")
    internet = p.get("InternetAccessible") or {}
    if kind == "INTERNAL" and p.get("VpcId") and not p.get("SubnetId"):
        return Refusal(common.INVALID_PARAMETER, "an INTERNAL CLB in a VPC needs SubnetId")
    if kind == "INTERNAL" and internet:
        return Refusal(INVALID_PARAMETER_COMBINATION, "InternetAccessible is for OPEN CLBs only")
    if internet.get("InternetChargeType") not in (None, *CHARGE_TYPES):
        return Refusal(common.INVALID_PARAMETER_VALUE, f"InternetChargeType {internet['InternetChargeType']!r}")
    bandwidth = internet.get("InternetMaxBandwidthOut")
    lo, hi = limits.CLB_BANDWIDTH_MBPS
    if bandwidth is not None and not lo <= int(bandwidth) <= hi:
        return Refusal(VALUE_RANGE, f"InternetMaxBandwidthOut {bandwidth} is outside {lo}..{hi}")
    return None


def health_check_refusal(protocol: str, check: Mapping[str, Any] | None) -> Refusal | None:
    """A listener's HealthCheck [models]: a known CheckType; an HTTP check only on a TCP listener and with a path
    that starts with "/" (HttpCheckPath); CheckPort a port."""
    check = check or {}
    kind = check.get("CheckType")
    if kind is not None and kind not in CHECK_TYPES:
        return Refusal(common.INVALID_PARAMETER_VALUE, f"HealthCheck.CheckType {kind!r}")
    if kind == "HTTP" and protocol != "TCP":
        return Refusal(PROTOCOL_CHECK_FAILED, f"an HTTP health check on a {protocol} listener")
    if kind == "HTTP" and not str(check.get("HttpCheckPath") or "").startswith("/"):
        return Refusal(common.INVALID_PARAMETER_VALUE, "HealthCheck.HttpCheckPath must start with /")
    port = check.get("CheckPort")
    if port is not None and not 1 <= int(port) <= 65535:
        return Refusal(VALUE_RANGE, f"HealthCheck.CheckPort {port}")
    return None


def create_listener_refusal(existing: Iterable[tuple[str, int]], p: Mapping[str, Any]) -> Refusal | None:
    """CreateListener's refusals: a layer-4 protocol, ports within 1..65535, none taken (port_taken), the health
    check (health_check_refusal)."""
    protocol = str(p.get("Protocol"))
    if protocol not in (*LISTENER_PROTOCOLS, "TCP_SSL", "QUIC", "HTTP", "HTTPS"):
        return Refusal(PROTOCOL_CHECK_FAILED, f"Protocol {protocol!r}")
    existing = list(existing)
    for port in p.get("Ports") or []:
        if not 1 <= int(port) <= 65535:
            return Refusal(VALUE_RANGE, f"port {port}")
        if refusal := port_taken(existing, protocol, int(port)):
            return refusal
    return health_check_refusal(protocol, p.get("HealthCheck"))


def targets_refusal(targets: Iterable[Mapping[str, Any]], known_instances: Iterable[str] | None) -> Refusal | None:
    """Register/DeregisterTargets' Targets [models Target]: a port, a weight in 0..100, an instance the account
    has (when the account's instances are known)."""
    known = None if known_instances is None else set(known_instances)
    for t in targets:
        if not 1 <= int(t.get("Port") or 0) <= 65535:
            return Refusal(VALUE_RANGE, f"target port {t.get('Port')}")
        if not 0 <= int(t.get("Weight", 10)) <= 100:
            return Refusal(VALUE_RANGE, f"target weight {t.get('Weight')}")
        if known is not None and t.get("InstanceId") not in known:
            return Refusal(common.INVALID_PARAMETER, f"instance {t.get('InstanceId')} is not a CVM of the account")
    return None


def busy_refusal(lb_id: str, task: str | None) -> Refusal | None:
    """A write to a CLB whose last asynchronous task has not ended ([errorcodes] ResourceInOperating)."""
    if task:
        return Refusal(RESOURCE_IN_OPERATING, f"{lb_id} is still running task {task}")
    return None
