"""Cloud Monitor API 2018-07-24 (monitor.tencentcloudapi.com): alarm policies and their binding by tag, and managed
Prometheus (TMP) instances. Pure.

The engine type tokens, id prefixes, ForceNew inputs, what a create returns, the members of the actions the provider
calls, and what Tencent refuses, each with its source:
- [sdk] tencentcloud-iac-pulumi 0.2.3 (tencentcloud_iac_pulumi/monitor/alarm_policy.py): the type token and the
  bridged inputs (`policy_tags`, not the newer `hierarchical_notices`).
- [provider] terraform-provider-tencentcloud v1.82.42 tencentcloud/services/monitor/resource_tc_monitor_alarm_policy.go:
  the schema (ForceNew: monitor_type, namespace, project_id, conditon_template_id, policy_tag; remark
  ValidateStringLengthInRange(0, 100); enable Default 1) and the calls: Create is CreateAlarmPolicy (Module
  "monitor"), then, when policy_tag is set, BindingPolicyTag with `Tag: tagSet[0]` (only the first tag is bound),
  ServiceType the policy's namespace and GroupId the create's OriginId; Read is DescribeAlarmPolicy; Update is
  ModifyAlarmPolicyInfo (Key NAME / REMARK), ModifyAlarmPolicyStatus (enable) and ModifyAlarmPolicyCondition
  (conditions, event_conditions, group_by, filter); Delete is DeleteAlarmPolicy with PolicyIds.
- [models] tencentcloud-sdk-python-monitor 3.1.189 tencentcloud/monitor/v20180724/models.py: the members of each
  *Request and their documentation (CreateAlarmPolicyRequest.PolicyName "策略名称，不超过60字符", Remark "不超过100
  字符", Module "固定值，为monitor"; CreateAlarmPolicyResponse PolicyId and OriginId).
- [errorcodes] the same package's errorcodes.py: the codes answered below.
- [tmp] the provider's tencentcloud/services/tmp/resource_tc_monitor_tmp_instance.go and its service functions
  (services/monitor/service_tencentcloud_monitor.go DescribeMonitorTmpInstance, IsolateMonitorTmpInstanceById,
  DeleteMonitorTmpInstanceById): Create is CreatePrometheusMultiTenantInstancePostPayMode with InstanceName, VpcId,
  SubnetId, DataRetentionTime and Zone (all Required in its schema), then DescribePrometheusInstances (InstanceIds,
  paged by Offset and Limit 20) until InstanceStatus is 2 (running; 3 fails it); Read takes InstanceSet[0]'s
  InstanceName, VpcId, SubnetId, DataRetentionTime, Zone, IPv4Address, RemoteWrite, ApiRootPath and ProxyAddress
  (none found: gone); Update is ModifyPrometheusInstanceAttributes; Delete is TerminatePrometheusInstances, then
  DescribePrometheusInstances until InstanceStatus is 6 (stopped), then DestroyPrometheusInstance. The instance's
  tags go through the Tag API (ModifyResourceTags), not Cloud Monitor.

Binding by tag: BindingPolicyTag binds every instance of the policy's namespace that carries the tag, including those
created later, so scaling a node pool changes no policy and no binding resource (the per-object alternative,
tencentcloud_monitor_policy_binding_object, lists each instance and would change with every node). The emulator
(kubecvm/emulator/monitor.py) answers these actions and the TMP ones with the rules below; the simulated cloud
enforces the create rules through account.CloudState.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import common
from .common import Refusal

# Helpers that are not facts (planning/tencent/monitor_wire.py), re-exported here for their callers.
from .monitor_wire import TMP_API_PATH, TMP_WRITE_PATH, TMP_WRITE_PORT, tmp_addresses, to_wire_rule  # noqa: F401

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "monitor"  # the credential scope's service and the endpoint's first label: monitor.tencentcloudapi.com
VERSION = "2018-07-24"
MODULE = "monitor"  # [models] every alarm action's Module: "固定值，为monitor"

# Engine type tokens [sdk].
ALARM_POLICY = "tencentcloud:Monitor/alarmPolicy:AlarmPolicy"
# Tencent's managed Prometheus (TMP) [sdk] monitor/tmp_instance.py, and the data source of existing instances
# (monitor/get_tmp_instances.py: instance_sets[].remote_write).
TMP_INSTANCE = "tencentcloud:Monitor/tmpInstance:TmpInstance"
TMP_INSTANCES = "tencentcloud:Monitor/getTmpInstances:getTmpInstances"

# Tencent's id prefixes: policy-xxxxxxxx (the provider's import example, `policy-vor9w72r`), prom-xxxxxxxx (the
# tmp_instances data source: "The instance ID is like: prom-xxxx").
ID_PREFIX: dict[str, str] = {ALARM_POLICY: "policy", TMP_INSTANCE: "prom"}

# [provider] ForceNew inputs, in the SDK's camelCase (conditonTemplateId is the provider's spelling).
FORCE_NEW: dict[str, frozenset[str]] = {
    ALARM_POLICY: frozenset({"monitorType", "namespace", "projectId", "conditonTemplateId", "policyTags"}),
    # tencentcloud/services/tmp/resource_tc_monitor_tmp_instance.go: nothing is ForceNew; its Update refuses a change
    # of vpc_id, subnet_id or zone instead ("`vpc_id` do not support change now."), which kubecvm never plans (the
    # instance takes the first master's zone and subnet, both fixed).
    TMP_INSTANCE: frozenset(),
}
# What a create returns that kubecvm reads: the TMP instance's write address (remote_write, "Prometheus remote write
# address", Computed in the same file; the agents write to it).
CREATE_RETURNS: dict[str, tuple[str, ...]] = {TMP_INSTANCE: ("remoteWrite", "ipv4Address")}
# [models] CreatePrometheusMultiTenantInstancePostPayModeRequest.DataRetentionTime "限制值为15, 30, 45, 90, 180, 365, 730
# 之一" (the provider's data_retention_time: "Value range: 15, 30, 45, 90, 180, 365, 730.").
TMP_RETENTION_DAYS = (15, 30, 45, 90, 180, 365, 730)
# [models] PrometheusInstancesItem.InstanceStatus: 1 正在创建 (creating), 2 运行中 (running), 5 销毁中 (being
# destroyed), 6 已停服 (stopped); the provider waits for 2 after a create and for 6 after TerminatePrometheusInstances.
TMP_CREATING, TMP_RUNNING, TMP_TERMINATING, TMP_STOPPED = 1, 2, 5, 6
TMP_POSTPAID = 3  # [models] InstanceChargeType "3：按量" (pay as you go: the PostPayMode create)
TMP_DESCRIBE_MAX = 100  # [models] DescribePrometheusInstancesRequest: InstanceIds "上限为100", Limit "最大值为100"

# [provider] schema Defaults: enable 1, project_id -1 (not sent: "-1=无项目").
DEFAULTS: dict[str, dict[str, object]] = {ALARM_POLICY: {"enable": 1, "projectId": -1}}

# [models] CreateAlarmPolicyRequest.ProjectId: "对于区分项目的产品必须传入非 -1 的值 ... 如不传 默认为 -1" (a product with
# projects needs a project other than -1, the default when none is sent). CVMs and CLBs have projects, and kubecvm's
# are in the default project 0 (neither tencentcloud_instance nor tencentcloud_clb_instance is given a project_id:
# both default to 0), so every policy kubecvm makes is of project 0.
PROJECT_ID = 0
MONITOR_TYPE = "MT_QCE"  # [models] MonitorType: "MT_QCE=云产品监控" (cloud product monitoring)
POLICY_NAME_MAX = 60  # [models] CreateAlarmPolicyRequest.PolicyName
REMARK_MAX = 100  # [models] Remark; [provider] remark ValidateStringLengthInRange(0, 100)
REMARK_CHARS = re.compile(r"[A-Za-z0-9_\u4e00-\u9fff-]*")  # [models] Remark "仅支持中英文、数字、下划线、-"
# [models] AlarmPolicyRule.Operator: the comparison operators a threshold rule takes (the relative ones, day_increase
# and the like, and intelligent detection are not used by kubecvm).
OPERATORS = frozenset({"eq", "ge", "gt", "le", "lt", "ne"})
# [models] AlarmPolicyRule.NoticeFrequency: "0=不重复 300=每5分钟告警一次 ... 86400=每1天告警一次".
NOTICE_FREQUENCIES = (0, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)

# Action -> (required members, optional members) [models]; a member outside both is refused with UnknownParameter.
# Required: those the provider always sends and the API documents as 是 (required) in its API Explorer pages.
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CreateAlarmPolicy": (
        ("Module", "PolicyName", "MonitorType", "Namespace"),
        (
            "Remark",
            "Enable",
            "ProjectId",
            "ConditionTemplateId",
            "Condition",
            "EventCondition",
            "NoticeIds",
            "TriggerTasks",
            "Filter",
            "GroupBy",
            "IsBindAll",
            "Tags",
            "LogAlarmReqInfo",
            "HierarchicalNotices",
            "MigrateFlag",
            "EbSubject",
            "AdditionalAlarmContent",
            "NoticeContentTmplBindInfos",
        ),
    ),
    "BindingPolicyTag": (
        ("Module",),
        (
            "PolicyId",
            "GroupId",
            "ServiceType",
            "Tag",
            "InstanceGroupId",
            "BatchTag",
            "EbEventFlag",
            "EbSubject",
            "TagOperation",
        ),
    ),
    "DescribeAlarmPolicy": (("Module", "PolicyId"), ()),
    "ModifyAlarmPolicyInfo": (("Module", "PolicyId", "Key", "Value"), ()),
    "ModifyAlarmPolicyStatus": (("Module", "PolicyId", "Enable"), ()),
    "ModifyAlarmPolicyCondition": (
        ("Module", "PolicyId"),
        (
            "ConditionTemplateId",
            "Condition",
            "EventCondition",
            "Filter",
            "GroupBy",
            "LogAlarmReqInfo",
            "NoticeIds",
            "Enable",
            "PolicyName",
            "EbSubject",
        ),
    ),
    "DeleteAlarmPolicy": (("Module", "PolicyIds"), ("PromInsIds",)),
    # [tmp] the create's members the provider always sends (Required in its schema); [models] the others.
    "CreatePrometheusMultiTenantInstancePostPayMode": (
        ("InstanceName", "VpcId", "SubnetId", "DataRetentionTime", "Zone"),
        ("TagSpecification", "GrafanaInstanceId", "InstanceAttributes"),
    ),
    "DescribePrometheusInstances": (
        (),
        (
            "InstanceIds",
            "InstanceStatus",
            "InstanceName",
            "Zones",
            "TagFilters",
            "IPv4Address",
            "Limit",
            "Offset",
            "InstanceChargeType",
        ),
    ),
    "ModifyPrometheusInstanceAttributes": (
        ("InstanceId",),
        ("InstanceName", "DataRetentionTime", "InstanceAttributes"),
    ),
    "TerminatePrometheusInstances": (("InstanceIds",), ()),
    "DestroyPrometheusInstance": (("InstanceId",), ()),
}

# [errorcodes]
RESOURCE_NOT_FOUND = "ResourceNotFound"  # "资源不存在。"
PROM_INSTANCE_NOT_FOUND = "InvalidParameter.PromInstanceNotFound"
FAILED_OPERATION = "FailedOperation"
INVALID_PARAMETER_VALUE = common.INVALID_PARAMETER_VALUE
MISSING_PARAMETER = common.MISSING_PARAMETER

ERRORS: dict[str, str] = {RESOURCE_NOT_FOUND: "The resource does not exist."}


# --- What Tencent refuses: plain values in, the Refusal out (None: accepted) ---------------------------------


def policy_name_refusal(name: object) -> Refusal | None:
    """[models] PolicyName "不超过60字符" (at most 60 characters), and a policy has one."""
    text = str(name or "")
    if not text or len(text) > POLICY_NAME_MAX:
        return Refusal(INVALID_PARAMETER_VALUE, f"PolicyName {text!r} must be 1..{POLICY_NAME_MAX} characters")
    return None


def remark_refusal(remark: object) -> Refusal | None:
    """[models] Remark "不超过100字符，仅支持中英文、数字、下划线、-" (at most 100 characters: Chinese or English
    letters, digits, underscores and hyphens)."""
    if remark is None:
        return None
    text = str(remark)
    if len(text) > REMARK_MAX:
        return Refusal(INVALID_PARAMETER_VALUE, f"Remark is {len(text)} characters, above {REMARK_MAX}")
    if not REMARK_CHARS.fullmatch(text):
        return Refusal(INVALID_PARAMETER_VALUE, f"Remark {text!r} may hold only letters, digits, _ and -")
    return None


def rule_refusal(where: str, rule: dict) -> Refusal | None:
    """One threshold rule of Condition.Rules: an operator of [models] AlarmPolicyRule.Operator, a NoticeFrequency of
    its listed values."""
    op, freq = rule.get("Operator"), rule.get("NoticeFrequency")
    if op is not None and op not in OPERATORS:
        return Refusal(INVALID_PARAMETER_VALUE, f"{where}.Operator {op!r} is not one of {', '.join(sorted(OPERATORS))}")
    if freq is not None and freq not in NOTICE_FREQUENCIES:
        return Refusal(
            INVALID_PARAMETER_VALUE,
            f"{where}.NoticeFrequency {freq} is not one of {', '.join(map(str, NOTICE_FREQUENCIES))}",
        )
    return None


def project_refusal(namespace: object, project_id: object) -> Refusal | None:
    """A policy of a CVM or CLB type with no project (ProjectId -1, or none sent): PROJECT_ID above."""
    if namespace in PROJECT_SCOPED and project_id in (None, -1):
        return Refusal(INVALID_PARAMETER_VALUE, f"ProjectId: a {namespace} policy needs a project other than -1")
    return None


def create_policy_refusal(request: dict) -> Refusal | None:
    """CreateAlarmPolicy as the wire sends it (PascalCase members)."""
    rules = (request.get("Condition") or {}).get("Rules") or []
    return (
        policy_name_refusal(request.get("PolicyName"))
        or remark_refusal(request.get("Remark"))
        or next((r for i, rule in enumerate(rules) if (r := rule_refusal(f"Condition.Rules[{i}]", rule))), None)
        or project_refusal(request.get("Namespace"), request.get("ProjectId"))
    )


def policy_not_found(policy_id: str) -> Refusal:
    return Refusal(RESOURCE_NOT_FOUND, f"alarm policy {policy_id} does not exist")


# The same rules on the provider's inputs (camelCase, as the engine and the simulated cloud see them); the message
# names the code the wire answers with.
def _offline(refusal: Refusal | None) -> str | None:
    return f"{refusal.message} ({refusal.code})" if refusal else None


def alarm_policy_name(state: CloudState, inputs: dict) -> str | None:
    """CreateAlarmPolicy refuses a PolicyName above 60 characters."""
    return _offline(policy_name_refusal(inputs.get("policyName")))


def alarm_policy_remark(state: CloudState, inputs: dict) -> str | None:
    """CreateAlarmPolicy refuses a Remark above 100 characters or with other characters than letters, digits, _, -."""
    return _offline(remark_refusal(inputs.get("remark")))


def alarm_policy_rules(state: CloudState, inputs: dict) -> str | None:
    """CreateAlarmPolicy refuses an operator or a notice frequency Cloud Monitor does not know."""
    rules = (inputs.get("conditions") or {}).get("rules") or []
    for i, rule in enumerate(rules):
        wire = {"Operator": rule.get("operator"), "NoticeFrequency": rule.get("noticeFrequency")}
        if refusal := rule_refusal(f"conditions.rules[{i}]", wire):
            return _offline(refusal)
    return None


# --- TMP instances: the create's refusals, on plain values ([models] and [tmp]) ---------------------------------
TMP_REQUIRED = {
    "instanceName": "InstanceName",
    "vpcId": "VpcId",
    "subnetId": "SubnetId",
    "dataRetentionTime": "DataRetentionTime",
    "zone": "Zone",
}  # provider input -> request member


def tmp_retention_refusal(days: object) -> Refusal | None:
    """DataRetentionTime: one of the listed days."""
    if days not in TMP_RETENTION_DAYS:
        return Refusal(
            INVALID_PARAMETER_VALUE,
            f"DataRetentionTime {days} is not one of {', '.join(map(str, TMP_RETENTION_DAYS))} days",
        )
    return None


def tmp_subnet_refusal(subnet_id: str, vpc_id: str, zone: str, subnet: tuple[str, str] | None) -> Refusal | None:
    """[models] SubnetId "可通过 vpc:DescribeSubnets 接口获取" (a subnet of the account), VpcId "与实例同地域", Zone
    "与子网同可用区" (the subnet's zone). `subnet` is the account's (VPC, zone) of that subnet, None when it has none."""
    if subnet is None:
        return Refusal(INVALID_PARAMETER_VALUE, f"SubnetId {subnet_id} is not a subnet of the account")
    if subnet[0] != vpc_id:
        return Refusal(INVALID_PARAMETER_VALUE, f"SubnetId {subnet_id} is in {subnet[0]}, not VpcId {vpc_id}")
    if subnet[1] != zone:
        return Refusal(INVALID_PARAMETER_VALUE, f"SubnetId {subnet_id} is in {subnet[1]}, not Zone {zone}")
    return None


def tmp_describe_refusal(request: dict) -> Refusal | None:
    """[models] DescribePrometheusInstancesRequest: InstanceIds "上限为100", Limit "最大值为100"."""
    ids, limit = request.get("InstanceIds") or [], request.get("Limit")
    if len(ids) > TMP_DESCRIBE_MAX:
        return Refusal(INVALID_PARAMETER_VALUE, f"InstanceIds has {len(ids)} ids, above {TMP_DESCRIBE_MAX}")
    if limit is not None and not 0 < int(limit) <= TMP_DESCRIBE_MAX:
        return Refusal(INVALID_PARAMETER_VALUE, f"Limit {limit} is not 1..{TMP_DESCRIBE_MAX}")
    return None


def tmp_not_found(instance_id: str) -> Refusal:
    return Refusal(PROM_INSTANCE_NOT_FOUND, f"TMP instance {instance_id} does not exist")


def tmp_destroy_refusal(instance_id: str, status: int) -> Refusal | None:
    """[models] DestroyPrometheusInstanceRequest.InstanceId "该实例必须先被 terminate" (terminated first)."""
    if status != TMP_STOPPED:
        return Refusal(
            FAILED_OPERATION,
            f"TMP instance {instance_id} must be terminated before it is destroyed "
            f"(InstanceStatus {status}, not {TMP_STOPPED})",
        )
    return None


def alarm_policy_project(state: CloudState, inputs: dict) -> str | None:
    """CreateAlarmPolicy refuses a CVM or CLB policy without a project (the provider sends none for -1)."""
    return _offline(project_refusal(inputs.get("namespace"), inputs.get("projectId", -1)))


def tmp_required(state: CloudState, inputs: dict) -> str | None:
    """CreatePrometheusMultiTenantInstancePostPayMode needs an InstanceName, VpcId, SubnetId, DataRetentionTime and
    Zone."""
    if missing := [wire for k, wire in TMP_REQUIRED.items() if inputs.get(k) in (None, "")]:
        return f"CreatePrometheusMultiTenantInstancePostPayMode needs {', '.join(missing)} ({MISSING_PARAMETER})"
    return None


def tmp_retention(state: CloudState, inputs: dict) -> str | None:
    """CreatePrometheusMultiTenantInstancePostPayMode takes a DataRetentionTime of the listed days only."""
    return _offline(tmp_retention_refusal(inputs.get("dataRetentionTime")))


def tmp_subnet(state: CloudState, inputs: dict) -> str | None:
    """The instance's subnet is in its VPC and its zone (a subnet the account does not hold here is not judged)."""
    subnet = state.by_id(inputs.get("subnetId"))
    if subnet is None:
        return None
    where = (subnet.inputs.get("vpcId"), subnet.inputs.get("availabilityZone"))
    return _offline(tmp_subnet_refusal(str(inputs.get("subnetId")), inputs.get("vpcId"), inputs.get("zone"), where))


CREATE_RULES = {
    ALARM_POLICY: (alarm_policy_name, alarm_policy_remark, alarm_policy_rules, alarm_policy_project),
    TMP_INSTANCE: (tmp_required, tmp_retention, tmp_subnet),
}
DELETE_RULES: dict = {}


# --- What kubecvm watches: the policy types (Namespace) and metrics ------------------------------------------
# A policy's Namespace is an Id of DescribeAllNamespaces' QceNamespacesNew ([models] CreateAlarmPolicyRequest
# .Namespace: "对于云产品监控，取接口出参的 QceNamespacesNew.N.Id，例如 cvm_device"), and its rules may name only
# that type's metrics (DescribeAlarmMetrics with the same Namespace lists them): one policy per type.
# Nodes: cvm_device with CpuUsage, MemUsage and CvmDiskUsage, as the provider's acceptance test creates them
# (tencentcloud/services/monitor/resource_tc_monitor_alarm_policy_test.go testAccMonitorAlarmPolicy, and the third
# example of website/docs/r/monitor_alarm_policy.html.markdown, "cvm_device alarm policy binding cvm by tag"); every
# one is sampled at 60 s and 300 s (tencentyun/intlcloud-documents yehe_doc/开发者服务/云监控/云产品监控指标/
# 云服务器监控指标_intl_en.md).
NODE_NAMESPACE = "cvm_device"
NODE_CPU, NODE_MEMORY, NODE_DISK = "CpuUsage", "MemUsage", "CvmDiskUsage"
# CLBs: UnhealthRsCount (backends failing health checks; 60 s and 300 s) and DropTotalConns (dropped connections;
# 10, 60 and 300 s, reported for bill-by-IP accounts only): the metric names of the CLB metric pages
# (tencentyun/intlcloud-documents yehe_doc/开发者服务/云监控/云产品指标/负载均衡/负载均衡实例_intl_en.md, data
# namespaces QCE/LB_PRIVATE and QCE/LB_PUBLIC). They belong to different alarm types, so each gets its own policy
# (CLB_WATCHES). The alarm types are Ids of Cloud Monitor's answer to DescribeAllNamespaces (ST_ALARM, MT_QCE):
# - private_lb_client_to_lb_other ("Private Load Balancer About drop/usage monitor", QCE/LB_PRIVATE): Cloud
#   Monitor's DescribeAlarmMetrics answer for it lists DropTotalConns; clb_lb ("Public Load Balancer About
#   drop/usage monitor", QCE/LB_PUBLIC) is its public twin.
# - CLB_LISTENER_PRIVATE ("Private Load-Balancer L4-Listener LB-to-RS", QCE/LB_PRIVATE; the policy type Tencent's
#   policy-type list names "CLB - private network listener") and lb_hc_vport ("Cloud Load Balancer-Health Check
#   Monitoring-Per Listener", QCE/LB_PUBLIC): where the listeners' backend health is counted.
# No Tencent page lists those Ids with their metrics (the answer above is a published capture of the live API, not
# a document), so docs/monitoring.md gives the one command that confirms them for an account.
CLB_UNHEALTHY, CLB_DROPPED = "UnhealthRsCount", "DropTotalConns"
CLB_WATCHES = {"health": CLB_UNHEALTHY, "drops": CLB_DROPPED}  # what each CLB policy watches
CLB_NAMESPACE: dict[tuple[str, str], str] = {
    ("internal", "health"): "CLB_LISTENER_PRIVATE",
    ("internal", "drops"): "private_lb_client_to_lb_other",
    ("public", "health"): "lb_hc_vport",
    ("public", "drops"): "clb_lb",
}
# The types of products with projects (project_refusal).
PROJECT_SCOPED = frozenset({NODE_NAMESPACE, *CLB_NAMESPACE.values()})
# Periods (s) every metric above is sampled at.
PERIODS = (60, 300)
