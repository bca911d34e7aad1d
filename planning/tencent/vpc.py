"""VPC (vpc.tencentcloudapi.com): the network kubecvm plans, as the Tencent Pulumi provider makes it. Pure.

VPCs, subnets, route tables and their entries, security groups and their rule sets, the NAT gateway and its EIP:
the engine type tokens, each type's id prefix, its ForceNew inputs, what a create returns that kubecvm reads, and
what Tencent refuses.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens: tencentcloud_iac_pulumi/<module>/<resource>.py
  (vpc/instance.py registers tencentcloud:Vpc/instance:Instance, and so on).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/<file> as
  cited per entry, for ForceNew inputs (the schema's `ForceNew: true`, in the SDK's camelCase; a path `a[]` is
  the length of list `a`, `a[].b` a key of any element, `a.b` a key of the mapping `a`) and for refusals.

The emulator answers the security-group calls (kubecvm/emulator/vpc.py) and refuses a rule set with the rule-set
rules below; the route-entry rule is enforced offline only, by the simulated cloud (offline/simulated_cloud.py)
through account.CloudState.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import common
from .common import Refusal

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "vpc"

# Engine type tokens [sdk].
VPC = "tencentcloud:Vpc/instance:Instance"
SUBNET = "tencentcloud:Subnet/instance:Instance"
ROUTE_TABLE = "tencentcloud:Route/table:Table"
ROUTE_ENTRY = "tencentcloud:Route/tableEntry:TableEntry"
SECURITY_GROUP = "tencentcloud:Security/group:Group"
RULE_SET = "tencentcloud:Security/groupRuleSet:GroupRuleSet"
EIP = "tencentcloud:Eip/instance:Instance"  # the provider keeps it in cvm/resource_tc_eip.go; the API is VPC's
NAT = "tencentcloud:Nat/gateway:Gateway"
# Data source: the account's VPC quotas (vpc/data_source_tc_vpc_limits.go, DescribeVpcLimits); kubecvm reads
# route-table-max-policies, the route entries one table may hold.
LIMITS = "tencentcloud:Vpc/getLimits:getLimits"
ROUTE_TABLE_QUOTA = "route-table-max-policies"

# Tencent's id prefixes by type (vpc-xxxxxxxx, subnet-..., rtb-..., sg-..., eip-..., nat-...).
ID_PREFIX: dict[str, str] = {
    VPC: "vpc",
    SUBNET: "subnet",
    ROUTE_TABLE: "rtb",
    ROUTE_ENTRY: "rtb-entry",
    SECURITY_GROUP: "sg",
    RULE_SET: "sg-rules",
    EIP: "eip",
    NAT: "nat",
}

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    VPC: frozenset({"cidrBlock"}),  # vpc/resource_tc_vpc.go
    # vpc/resource_tc_subnet.go; cdc_id is in v1.82.42's schema (the SDK's subnet.Instance), ForceNew there.
    SUBNET: frozenset({"vpcId", "availabilityZone", "cidrBlock", "cdcId"}),
    ROUTE_TABLE: frozenset({"vpcId"}),  # vpc/resource_tc_route_table.go
    # vpc/resource_tc_route_table_entry.go: everything but `disabled`.
    ROUTE_ENTRY: frozenset({"routeTableId", "destinationCidrBlock", "nextType", "nextHub", "description"}),
    SECURITY_GROUP: frozenset({"projectId"}),  # vpc/resource_tc_security_group.go
    # vpc/resource_tc_security_group_rule_set.go: ingress/egress are rewritten in place (ModifySecurityGroupPolicies).
    RULE_SET: frozenset({"securityGroupId"}),
    NAT: frozenset({"vpcId", "subnetId", "natProductVersion"}),  # vpc/resource_tc_nat_gateway.go
    # cvm/resource_tc_eip.go (cdc_id is not ForceNew there).
    EIP: frozenset({"type", "anycastZone", "internetServiceProvider"}),
}

# What a create returns beyond its inputs that kubecvm reads: the EIP's address, which the NAT gateway is given
# (components/network.py assigned_eip_sets). Every other type is read by its id only.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {
    EIP: ("publicIp",),
}


# --- What Tencent refuses ------------------------------------------------------------------------------------


def route_destination(inputs: dict) -> tuple:
    """What a route table keeps unique: (its id, the route's destination)."""
    return inputs.get("routeTableId"), inputs.get("destinationCidrBlock")


def route_destination_free(state: CloudState, inputs: dict) -> str | None:
    """vpc/resource_tc_route_table_entry.go CreateRoutes: a route table holds one route per destination."""
    if state.holders(ROUTE_ENTRY, route_destination, route_destination(inputs)):
        return f"route table already has a route to {inputs.get('destinationCidrBlock')}"
    return None


PORT_RE = re.compile(r"^(\d+)(-(\d+))?$")

# --- Security-group rules: the rule set as a whole ------------------------------------------------------------
# The provider's rule_set resource sends every rule of the group in one ModifySecurityGroupPolicies (create and
# update; vpc/resource_tc_security_group_rule_set.go), so the group's rules are exactly the resource's inputs.
VERSION = "2017-03-12"
# [models] tencentcloud-sdk-python tencentcloud/vpc/v20170312/models.py: the members of each *Request, of the
# security-group calls the emulator answers (kubecvm/emulator/vpc.py).
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CreateSecurityGroup": (("GroupName", "GroupDescription"), ("ProjectId", "Tags")),
    "DeleteSecurityGroup": (("SecurityGroupId",), ()),
    "DescribeSecurityGroups": ((), ("SecurityGroupIds", "Filters", "Offset", "Limit", "OrderField", "OrderDirection")),
    "DescribeSecurityGroupLimits": ((), ()),
    "DescribeSecurityGroupPolicies": (("SecurityGroupId",), ("Filters",)),
    "CreateSecurityGroupPolicies": (("SecurityGroupId", "SecurityGroupPolicySet"), ()),
    "ModifySecurityGroupPolicies": (("SecurityGroupId", "SecurityGroupPolicySet"), ("SortPolicys",)),
}
# Error codes [errorcodes] tencentcloud-sdk-python tencentcloud/vpc/v20170312/errorcodes.py, with its comments;
# the SDKs list both among CreateSecurityGroupPolicies' and ModifySecurityGroupPolicies' answers.
POLICY_LIMIT_EXCEEDED = "LimitExceeded.SecurityGroupPolicySet"  # 安全组规则数量超过上限 (too many rules)
DUPLICATE_POLICY = "UnsupportedOperation.DuplicatePolicy"  # 安全组规则重复 (a rule given twice)
RESOURCE_NOT_FOUND = "ResourceNotFound"  # no such security group
VALUE_COMBINATION = "InvalidParameterValue.Combination"  # [errorcodes] 非法入参组合 (members that exclude each other)
# DescribeSecurityGroupsRequest [models]: Limit "默认为20，最大值为100"; "参数不支持同时指定SecurityGroupIds和Filters";
# the filters it names: security-group-id, project-id, security-group-name, tag-key, tag:<key>.
DESCRIBE_LIMIT = 100
# Rules per security group and direction. DescribeSecurityGroupLimits answers it per account as
# SecurityGroupLimitSet.SecurityGroupPolicyLimit ("安全组下的最大规则数", [models]); Tencent's pages give 100 inbound
# and 100 outbound, counted apart, and no way to raise it: "Each security group can configure up to 200 security
# group rules, including 100 inbound rules and 100 outbound rules" (tencentyun/intlcloud-documents yehe_doc/计算/
# 云服务器/常见问题/安全相关/安全组规则问题_intl_en.md; product_new/网络产品中心/私有网络/操作指南/安全管理/管理安全组/
# 限制_intl_en.md: "Access policy: Inbound: 100, outbound: 100").
POLICIES_PER_DIRECTION = 100
DIRECTIONS = ("ingresses", "egresses")  # the provider's inputs; on the wire Ingress and Egress
WIRE_DIRECTIONS = {"ingresses": "Ingress", "egresses": "Egress"}
# A rule in the provider's spelling <-> a SecurityGroupPolicy [models] (source_security_id is its SecurityGroupId).
WIRE_KEYS = {
    "action": "Action",
    "protocol": "Protocol",
    "port": "Port",
    "cidrBlock": "CidrBlock",
    "sourceSecurityId": "SecurityGroupId",
    "description": "PolicyDescription",
}


def policy_from_wire(policy: Mapping) -> dict:
    return {k: policy[w] for k, w in WIRE_KEYS.items() if policy.get(w) not in (None, "")}


def policy_to_wire(rule: Mapping) -> dict:
    return {w: rule[k] for k, w in WIRE_KEYS.items() if rule.get(k) not in (None, "")}


def rule_identity(rule: Mapping) -> tuple[str, str, str, str, str]:
    """What makes two rules the same rule: action, protocol, port and source (a CIDR or a security group), in
    Tencent's case-insensitive spelling; the description is a note, not part of the rule."""
    return (
        str(rule.get("action") or "").upper(),
        str(rule.get("protocol") or "ALL").upper(),
        str(rule.get("port") or "ALL").upper(),
        str(rule.get("cidrBlock") or ""),
        str(rule.get("sourceSecurityId") or ""),
    )


def ports_refusal(inputs: Mapping) -> Refusal | None:
    """vpc/resource_tc_security_group_rule_set.go: protocol TCP, UDP, ICMP, ICMPv6 or ALL; port "all", a port, a
    range or a comma list; "If the Protocol value is set to ALL, the Port value also needs to be set to all"
    (ICMP carries no ports either). Tencent names no code of its own for these: the common InvalidParameterValue."""
    for side in DIRECTIONS:
        for i, rule in enumerate(inputs.get(side) or []):
            proto, port = str(rule.get("protocol") or "ALL").upper(), str(rule.get("port") or "ALL")
            where = f"{side}[{i}]"
            if proto not in ("TCP", "UDP", "ICMP", "ICMPV6", "ALL"):
                return Refusal(
                    common.INVALID_PARAMETER_VALUE, f"{where}: protocol {proto} is not TCP, UDP, ICMP, ICMPv6 or ALL"
                )
            if proto in ("ALL", "ICMP", "ICMPV6"):
                if port.upper() != "ALL":
                    return Refusal(
                        common.INVALID_PARAMETER_VALUE, f"{where}: protocol {proto} takes port ALL, not {port}"
                    )
                continue
            if port.upper() == "ALL":
                continue
            for part in port.split(","):
                m = PORT_RE.match(part.strip())
                lo, hi = (int(m[1]), int(m[3] or m[1])) if m else (0, 0)
                if not m or not 1 <= lo <= hi <= 65535:
                    return Refusal(
                        common.INVALID_PARAMETER_VALUE,
                        f"{where}: port {port!r} is not a port, a range lo-hi or a list of them within 1..65535",
                    )
    return None


def count_refusal(inputs: Mapping, limit: int = POLICIES_PER_DIRECTION) -> Refusal | None:
    """More than `limit` rules in one direction of one group: LimitExceeded.SecurityGroupPolicySet."""
    for side in DIRECTIONS:
        if (n := len(inputs.get(side) or [])) > limit:
            return Refusal(
                POLICY_LIMIT_EXCEEDED,
                f"{side}: {n} rules; a security group takes at most {limit} per "
                "direction (DescribeSecurityGroupLimits SecurityGroupPolicyLimit)",
            )
    return None


def duplicate_refusal(inputs: Mapping) -> Refusal | None:
    """The same rule twice in one direction of one group: UnsupportedOperation.DuplicatePolicy."""
    for side in DIRECTIONS:
        seen: dict[tuple, int] = {}
        for i, rule in enumerate(inputs.get(side) or []):
            if (first := seen.setdefault(rule_identity(rule), i)) != i:
                action, protocol, port, cidr, group = rule_identity(rule)
                return Refusal(
                    DUPLICATE_POLICY,
                    f"{side}[{i}] repeats {side}[{first}]: {action} {protocol} {port} from {cidr or group}",
                )
    return None


def _message(refusal: Refusal | None) -> str | None:
    return f"{refusal.message} ({refusal.code})" if refusal else None


# The rule set's refusal rules read the request alone (the group's whole rule set), not the account.
def rule_ports(state: CloudState, inputs: dict) -> str | None:
    """A protocol or port Tencent does not take: ports_refusal."""
    return _message(ports_refusal(inputs))


def rules_within_limit(state: CloudState, inputs: dict) -> str | None:
    """At most POLICIES_PER_DIRECTION rules a direction: count_refusal."""
    return _message(count_refusal(inputs))


def rules_distinct(state: CloudState, inputs: dict) -> str | None:
    """No rule twice in a direction: duplicate_refusal."""
    return _message(duplicate_refusal(inputs))


def describe_groups_refusal(p: Mapping) -> Refusal | None:
    """DescribeSecurityGroups: SecurityGroupIds and Filters together, or a Limit outside 0..DESCRIBE_LIMIT."""
    if p.get("SecurityGroupIds") and p.get("Filters"):
        return Refusal(VALUE_COMBINATION, "SecurityGroupIds and Filters cannot be given together")
    limit = str(p.get("Limit") or "20")
    if not limit.isdigit() or not 0 <= int(limit) <= DESCRIBE_LIMIT:
        return Refusal(common.INVALID_PARAMETER_VALUE, f"Limit {limit} is outside 0..{DESCRIBE_LIMIT}")
    return None


# The pure checks behind the rule-set rules, in their order, for the emulator's answers.
RULE_SET_REFUSALS = (ports_refusal, count_refusal, duplicate_refusal)

CREATE_RULES = {
    ROUTE_ENTRY: (route_destination_free,),
    RULE_SET: (rule_ports, rules_within_limit, rules_distinct),
}
DELETE_RULES: dict = {}
