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

The emulator does not answer VPC's actions (the Tencent provider plugin cannot be built here to drive them): these
rules are enforced offline only, by the simulated cloud (offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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

def route_destination_free(state: CloudState, inputs: dict) -> str | None:
    """vpc/resource_tc_route_table_entry.go CreateRoutes: a route table holds one route per destination."""
    same = [r for r in state.of_type(ROUTE_ENTRY)
            if (r.inputs.get("routeTableId"), r.inputs.get("destinationCidrBlock"))
            == (inputs.get("routeTableId"), inputs.get("destinationCidrBlock"))]
    return f"route table already has a route to {inputs.get('destinationCidrBlock')}" if same else None


PORT_RE = re.compile(r"^(\d+)(-(\d+))?$")


def rule_ports(state: CloudState, inputs: dict) -> str | None:
    """vpc/resource_tc_security_group_rule_set.go: protocol TCP, UDP, ICMP, ICMPv6 or ALL; port "all", a port, a
    range or a comma list; "If the Protocol value is set to ALL, the Port value also needs to be set to all"
    (ICMP carries no ports either)."""
    for side in ("ingresses", "egresses"):
        for i, rule in enumerate(inputs.get(side) or []):
            proto, port = str(rule.get("protocol") or "ALL").upper(), str(rule.get("port") or "ALL")
            where = f"{side}[{i}]"
            if proto not in ("TCP", "UDP", "ICMP", "ICMPV6", "ALL"):
                return f"{where}: protocol {proto} is not TCP, UDP, ICMP, ICMPv6 or ALL"
            if proto in ("ALL", "ICMP", "ICMPV6"):
                if port.upper() != "ALL":
                    return f"{where}: protocol {proto} takes port ALL, not {port}"
                continue
            if port.upper() == "ALL":
                continue
            for part in port.split(","):
                m = PORT_RE.match(part.strip())
                lo, hi = (int(m[1]), int(m[3] or m[1])) if m else (0, 0)
                if not m or not 1 <= lo <= hi <= 65535:
                    return f"{where}: port {port!r} is not a port, a range lo-hi or a list of them within 1..65535"
    return None


CREATE_RULES = {
    ROUTE_ENTRY: (route_destination_free,),
    RULE_SET: (rule_ports,),
}
DELETE_RULES: dict = {}
