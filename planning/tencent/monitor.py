"""Cloud Monitor API 2018-07-24 (monitor.tencentcloudapi.com): alarm policies and their binding by tag. Pure.

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

Binding by tag: BindingPolicyTag binds every instance of the policy's namespace that carries the tag, including those
created later, so scaling a node pool changes no policy and no binding resource (the per-object alternative,
tencentcloud_monitor_policy_binding_object, lists each instance and would change with every node). The emulator
(kubecvm/emulator/monitor.py) answers these actions with the rules below; the simulated cloud enforces the create
rules through account.CloudState.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import common
from .common import Refusal

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
# resource_tc_monitor_tmp_instance.go data_retention_time (Required): "Value range: 15, 30, 45, 90, 180, 365, 730."
TMP_RETENTION_DAYS = (15, 30, 45, 90, 180, 365, 730)
TMP_WRITE_PORT, TMP_WRITE_PATH = 9090, "/api/v1/prom/write"  # the simulated cloud's shape of remote_write

# [provider] schema Defaults: enable 1, project_id -1 (not sent: "-1=无项目").
DEFAULTS: dict[str, dict[str, object]] = {ALARM_POLICY: {"enable": 1, "projectId": -1}}

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
    "CreateAlarmPolicy": (("Module", "PolicyName", "MonitorType", "Namespace"), (
        "Remark", "Enable", "ProjectId", "ConditionTemplateId", "Condition", "EventCondition", "NoticeIds",
        "TriggerTasks", "Filter", "GroupBy", "IsBindAll", "Tags", "LogAlarmReqInfo", "HierarchicalNotices",
        "MigrateFlag", "EbSubject", "AdditionalAlarmContent", "NoticeContentTmplBindInfos")),
    "BindingPolicyTag": (("Module",), ("PolicyId", "GroupId", "ServiceType", "Tag", "InstanceGroupId", "BatchTag",
                                       "EbEventFlag", "EbSubject", "TagOperation")),
    "DescribeAlarmPolicy": (("Module", "PolicyId"), ()),
    "ModifyAlarmPolicyInfo": (("Module", "PolicyId", "Key", "Value"), ()),
    "ModifyAlarmPolicyStatus": (("Module", "PolicyId", "Enable"), ()),
    "ModifyAlarmPolicyCondition": (("Module", "PolicyId"), (
        "ConditionTemplateId", "Condition", "EventCondition", "Filter", "GroupBy", "LogAlarmReqInfo", "NoticeIds",
        "Enable", "PolicyName", "EbSubject")),
    "DeleteAlarmPolicy": (("Module", "PolicyIds"), ("PromInsIds",)),
}

# [errorcodes]
RESOURCE_NOT_FOUND = "ResourceNotFound"  # "资源不存在。"
INVALID_PARAMETER_VALUE = common.INVALID_PARAMETER_VALUE

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
        return Refusal(INVALID_PARAMETER_VALUE, f"{where}.NoticeFrequency {freq} is not one of "
                       f"{', '.join(map(str, NOTICE_FREQUENCIES))}")
    return None


def create_policy_refusal(request: dict) -> Refusal | None:
    """CreateAlarmPolicy as the wire sends it (PascalCase members)."""
    rules = (request.get("Condition") or {}).get("Rules") or []
    return (policy_name_refusal(request.get("PolicyName")) or remark_refusal(request.get("Remark"))
            or next((r for i, rule in enumerate(rules) if (r := rule_refusal(f"Condition.Rules[{i}]", rule))), None))


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


def tmp_retention(state: CloudState, inputs: dict) -> str | None:
    """CreatePrometheusMultiTenantInstancePostPayMode takes a DataRetentionTime of the listed days only."""
    days = inputs.get("dataRetentionTime")
    if days not in TMP_RETENTION_DAYS:
        return (f"dataRetentionTime {days} is not one of {', '.join(map(str, TMP_RETENTION_DAYS))} days "
                f"({INVALID_PARAMETER_VALUE})")
    return None


CREATE_RULES = {ALARM_POLICY: (alarm_policy_name, alarm_policy_remark, alarm_policy_rules),
                TMP_INSTANCE: (tmp_retention,)}
DELETE_RULES: dict = {}


def to_wire_rule(rule: dict) -> dict:
    """A provider `conditions.rules` element (camelCase) as CreateAlarmPolicy's AlarmPolicyRule, as the provider
    copies it (resourceTencentMonitorAlarmPolicyCreate)."""
    keys = {"metricName": "MetricName", "period": "Period", "operator": "Operator", "value": "Value",
            "continuePeriod": "ContinuePeriod", "noticeFrequency": "NoticeFrequency", "isPowerNotice": "IsPowerNotice"}
    return {wire: rule[k] for k, wire in keys.items() if rule.get(k) is not None}


# --- What kubecvm watches: the policy types (Namespace) and metrics ------------------------------------------
# A policy's Namespace is an Id of DescribeAllNamespaces' QceNamespacesNew ([models] CreateAlarmPolicyRequest
# .Namespace: "对于云产品监控，取接口出参的 QceNamespacesNew.N.Id，例如 cvm_device").
# Nodes: cvm_device, with the metric names the provider's own example uses (CpuUsage, resource_tc_monitor_alarm_policy
# .md) and those Cloud Monitor documents for CVM (MemUsage, CvmDiskUsage: tencentyun/intlcloud-documents
# yehe_doc/管理工具/云监控/云产品指标/云服务器监控指标_intl_en.md); every one is sampled at 60 s and 300 s there.
NODE_NAMESPACE = "cvm_device"
NODE_CPU, NODE_MEMORY, NODE_DISK = "CpuUsage", "MemUsage", "CvmDiskUsage"
# CLBs: UnhealthRsCount (health check exceptions, 60 s and 300 s) and DropTotalConns (dropped connections, 10, 60 and
# 300 s; billed-by-IP accounts only) at the CLB instance level (tencentyun/intlcloud-documents, the CLB monitoring
# metrics page "CLB Instance Level"; the metrics' data namespaces are QCE/LB_PRIVATE and QCE/LB_PUBLIC,
# yehe_doc/开发者服务/云监控/云产品指标/负载均衡/内网负载均衡四层协议监控指标_intl_en.md). The alarm policy types of
# the two exposures below are the console's names for them; no offline source lists DescribeAllNamespaces' Ids for
# CLB, so they are the one input here not checked against a document (docs/monitoring.md says how to confirm them).
CLB_NAMESPACE = {"internal": "clb_private", "public": "clb_public"}
CLB_UNHEALTHY, CLB_DROPPED = "UnhealthRsCount", "DropTotalConns"
# Periods (s) every metric above is sampled at.
PERIODS = (60, 300)
