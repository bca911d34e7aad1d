"""The refusal rules of VPC and of TKE's cluster route tables (kubecvm/planning/tencent/vpc.py, tke.py): one case
each, refused by the offline plan and, where the emulator answers the action, on the wire with the same code
(tests/emulator/refusal_case.py)."""

from __future__ import annotations

from refusal_case import Case, rule_tests

from kubecvm.planning.tencent import tke, vpc
from kubecvm.planning.tencent import common as common_codes

CRT = {"region": "ap-guangzhou", "routes": {}}


def RULE(i: int) -> dict:  # noqa: N802 (a rule in the provider's spelling, one source address each)
    return {"action": "ACCEPT", "protocol": "TCP", "port": "443", "cidrBlock": f"10.0.{i // 256}.{i % 256}/32"}


def WIRE(i: int) -> dict:  # noqa: N802 (the same rule as a SecurityGroupPolicy)
    return vpc.policy_to_wire(RULE(i))


CASES = [
    Case(
        vpc.route_destination_free,
        "CreateRoutes",
        vpc.ROUTE_ENTRY,
        {
            "routeTableId": "rtb-1",
            "destinationCidrBlock": "10.8.0.0/24",
            "nextType": "NORMAL_CVM",
            "nextHub": "10.0.0.5",
        },
        "route table already has a route to 10.8.0.0/24",
        before=((vpc.ROUTE_ENTRY, {"routeTableId": "rtb-1", "destinationCidrBlock": "10.8.0.0/24"}),),
    ),
    Case(
        vpc.rule_ports,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "ingresses": [{"protocol": "ALL", "port": "22", "action": "ACCEPT"}]},
        r"ingresses\[0\]: protocol ALL takes port ALL, not 22 \(InvalidParameterValue\)$",
        wire=(
            {
                "SecurityGroupId": "sg-1",
                "SecurityGroupPolicySet": {
                    "Ingress": [{"Protocol": "ALL", "Port": "22", "Action": "ACCEPT", "CidrBlock": "10.0.0.0/8"}]
                },
            },
        ),
        code=common_codes.INVALID_PARAMETER_VALUE,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
    ),
    Case(
        vpc.rules_within_limit,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "ingresses": [RULE(i) for i in range(101)]},
        r"ingresses: 101 rules; a security group takes at most 100 per direction .*"
        r"\(LimitExceeded.SecurityGroupPolicySet\)$",
        # 60 rules, then 41 more: CreateSecurityGroupPolicies adds to what the group has.
        wire=(
            {"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Ingress": [WIRE(i) for i in range(60)]}},
            {"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Ingress": [WIRE(i) for i in range(60, 101)]}},
        ),
        code=vpc.POLICY_LIMIT_EXCEEDED,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
        wire_action="CreateSecurityGroupPolicies",
    ),
    Case(
        vpc.rules_distinct,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "egresses": [RULE(0), RULE(1), RULE(0) | {"description": "again"}]},
        r"egresses\[2\] repeats egresses\[0\]: ACCEPT TCP 443 from 10.0.0.0/32 \(UnsupportedOperation.DuplicatePolicy\)$",
        wire=({"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Egress": [WIRE(0), WIRE(1), WIRE(0)]}},),
        code=vpc.DUPLICATE_POLICY,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
    ),
    Case(
        tke.cluster_route_tables_disjoint,
        "CreateClusterRouteTable",
        tke.CLUSTER_ROUTE_TABLE,
        CRT | {"routeTableName": "mine", "routeTableCidrBlock": "172.16.0.0/12", "vpcId": "vpc-1"},
        r"overlaps route table other \(172.20.0.0/16\) in vpc-1 \(InvalidParameter.CidrConflictWithOtherCluster\)$",
        before=(
            (
                tke.CLUSTER_ROUTE_TABLE,
                CRT | {"routeTableName": "other", "routeTableCidrBlock": "172.20.0.0/16", "vpcId": "vpc-1"},
            ),
        ),
        wire=(
            {"RouteTableName": "other", "RouteTableCidrBlock": "172.20.0.0/16", "VpcId": "vpc-1"},
            {"RouteTableName": "mine", "RouteTableCidrBlock": "172.16.0.0/12", "VpcId": "vpc-1"},
        ),
        code=tke.CIDR_CONFLICT_WITH_OTHER_CLUSTER,
    ),
    Case(
        tke.cluster_route_table_vs_vpc_routes,
        "CreateClusterRouteTable",
        tke.CLUSTER_ROUTE_TABLE,
        lambda ids: CRT | {"routeTableName": "mine", "routeTableCidrBlock": "172.16.0.0/12", "vpcId": "vpc-1"},
        r"\(InvalidParameter.CidrConflictWithVpcGlobalRoute\); set podNetwork.ignoreVpcRouteConflict: true",
        before=(
            (vpc.ROUTE_TABLE, {"vpcId": "vpc-1"}),
            (vpc.ROUTE_ENTRY, {"routeTableId": "rtb-x", "destinationCidrBlock": "172.16.3.0/24"}),
        ),
        wire=({"RouteTableName": "mine", "RouteTableCidrBlock": "172.16.0.0/12", "VpcId": "vpc-1"},),
        code=tke.CIDR_CONFLICT_WITH_VPC_GLOBAL_ROUTE,
        arrange=lambda emulator: emulator.tke.vpc_routes.setdefault("vpc-1", []).append("172.16.3.0/24"),
    ),
]

(
    test_the_offline_plan_refuses_what_the_rule_refuses,
    test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code,
) = rule_tests(CASES)
