"""The emulator's VPC security-group calls: a group's rules kept as the provider sends them, and the rule set refused
as Tencent refuses it (kubecvm/planning/tencent/vpc.py), with the same verdict and code the simulated cloud gives."""

from __future__ import annotations

import pytest
from emulator_helpers import common, refused
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.mocks import MockResourceArgs

from kubecvm.emulator import Emulator
from kubecvm.emulator.service import ApiError
from kubecvm.offline import simulated_cloud as sim
from kubecvm.planning.tencent import vpc


def wire(i: int, action: str = "ACCEPT") -> dict:
    return {"Action": action, "Protocol": "TCP", "Port": "443", "CidrBlock": f"10.0.{i // 256}.{i % 256}/32"}


def test_a_group_takes_100_rules_a_direction_and_refuses_the_101st_keeping_what_it_had():
    emulator = Emulator()
    with emulator.serve() as url:
        client = common(url, "vpc", vpc.VERSION)
        group = client.call_json("CreateSecurityGroup", {"GroupName": "w", "GroupDescription": "workers"})["Response"][
            "SecurityGroup"
        ]["SecurityGroupId"]
        full = {"Ingress": [wire(i) for i in range(100)], "Egress": [wire(i) for i in range(100)]}
        client.call_json("ModifySecurityGroupPolicies", {"SecurityGroupId": group, "SecurityGroupPolicySet": full})
        assert refused(
            client.call_json,
            "CreateSecurityGroupPolicies",
            {"SecurityGroupId": group, "SecurityGroupPolicySet": {"Ingress": [wire(100)]}},
        ) == (
            vpc.POLICY_LIMIT_EXCEEDED,
            "ingresses: 101 rules; a security group takes at most 100 per direction "
            "(DescribeSecurityGroupLimits SecurityGroupPolicyLimit)",
        )
        kept = client.call_json("DescribeSecurityGroupPolicies", {"SecurityGroupId": group})["Response"]
        assert kept["SecurityGroupPolicySet"]["Version"] == "1"
        assert kept["SecurityGroupPolicySet"]["Ingress"] == [wire(i) | {"PolicyIndex": i} for i in range(100)]
        limits = client.call_json("DescribeSecurityGroupLimits", {})["Response"]["SecurityGroupLimitSet"]
        assert limits == {"SecurityGroupPolicyLimit": 100}
        assert emulator.summary()["resources"]["vpc/SecurityGroupPolicy"] == 200
        client.call_json("DeleteSecurityGroup", {"SecurityGroupId": group})
        assert refused(client.call_json, "DescribeSecurityGroupPolicies", {"SecurityGroupId": group}) == (
            vpc.RESOURCE_NOT_FOUND,
            f"security group {group} does not exist",
        )


# --- fuzz: the wire and the simulated cloud judge any rule set alike -----------------------------------------------
RULES = st.lists(st.builds(wire, st.integers(0, 120), st.sampled_from(["ACCEPT", "DROP"])), max_size=104)


@settings(max_examples=80, deadline=None)
@given(RULES, RULES)
def test_fuzz_the_wire_and_the_simulated_cloud_refuse_the_same_rule_sets_with_the_same_code(ingress, egress):
    emulator = Emulator()
    group = emulator.vpc.add_group()
    try:
        emulator.vpc.call(
            "ModifySecurityGroupPolicies",
            {"SecurityGroupId": group, "SecurityGroupPolicySet": {"Ingress": ingress, "Egress": egress}},
        )
        wire_code = None
    except ApiError as error:
        wire_code = error.code
    inputs = {
        "securityGroupId": group,
        "ingresses": [vpc.policy_from_wire(p) for p in ingress],
        "egresses": [vpc.policy_from_wire(p) for p in egress],
    }
    try:
        sim.SimulatedCloud().new_resource(MockResourceArgs(vpc.RULE_SET, "rules", inputs, custom=True))
        offline = None
    except sim.CloudRefusal as refusal:
        offline = str(refusal)
    expected = next((r.code for r in (vpc.count_refusal(inputs), vpc.duplicate_refusal(inputs)) if r), None)
    assert wire_code == expected and (offline is None) == (expected is None)
    if expected:
        assert offline.endswith(f"({expected})")
    if len(ingress) > 100 or len(egress) > 100:
        assert expected == vpc.POLICY_LIMIT_EXCEEDED
    elif len({tuple(p.values()) for p in ingress}) < len(ingress) or len({tuple(p.values()) for p in egress}) < len(
        egress
    ):
        assert expected == vpc.DUPLICATE_POLICY
    else:
        assert expected is None
        assert len(emulator.vpc.groups[group]["ingresses"]) == len(ingress)


def test_rules_of_a_group_that_does_not_exist_are_refused():
    emulator = Emulator()
    with pytest.raises(ApiError) as error:
        emulator.vpc.call(
            "ModifySecurityGroupPolicies", {"SecurityGroupId": "sg-missing", "SecurityGroupPolicySet": {}}
        )
    assert (error.value.code, error.value.message) == (
        vpc.RESOURCE_NOT_FOUND,
        "security group sg-missing does not exist",
    )
