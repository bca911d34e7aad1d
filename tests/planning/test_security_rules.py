"""planning/security_rules.py: a planned security group Tencent would refuse (over 100 rules a direction, or one rule
twice) is refused before anything registers, naming the spec list to change; what passes, the cloud takes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm.planning import SpecError, build_plan, security_rules
from kubecvm.planning.tencent import vpc
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec

LISTS = {
    "apiEndpoint.allowedCidrs": ("apiEndpoint", "allowedCidrs"),
    "sshAllowedCidrs": (None, "sshAllowedCidrs"),
    "ingress.allowedCidrs": ("ingress", "allowedCidrs"),
}


def cidrs(start: int, n: int) -> list[str]:
    return [f"203.0.{i // 256}.{i % 256}/32" for i in range(start, start + n)]


def overrides(sizes: dict[str, int]) -> dict:
    """Each list given `n` distinct public /32s (None when 0: the VPC CIDR by default); ingress on."""
    out: dict = {"ingress": {"enabled": True}}
    for start, (field, n) in enumerate(sizes.items()):
        parent, key = LISTS[field]
        value = cidrs(1000 * start, n) if n else None
        (out.setdefault(parent, {}) if parent else out)[key] = value
    return out


def provider_form(rules) -> list[dict]:
    return [
        {
            "action": r.action,
            "protocol": r.protocol,
            "port": r.port,
            "cidrBlock": r.cidr,
            "sourceSecurityId": r.source_group or "",
        }
        for r in rules
    ]


def unchecked_plan(spec):
    """The plan as built before the check (what would reach the cloud without it)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(security_rules, "check", lambda spec, groups: None)
        return build_plan(spec)


def test_150_ingress_sources_give_162_worker_rules_and_are_refused_naming_the_list():
    spec = make_spec("prod", overrides({"ingress.allowedCidrs": 150}))
    with pytest.raises(SpecError) as error:
        build_plan(spec)
    assert error.value.field == "ingress.allowedCidrs"
    assert error.value.problem == (
        "150 entries give the worker security group 162 ingress rules (one rule an entry; kubecvm's own 12), and "
        "Tencent takes at most 100 ingress rules in a security group (DescribeSecurityGroupLimits "
        "SecurityGroupPolicyLimit; LimitExceeded.SecurityGroupPolicySet): list at most 88, or wider CIDRs"
    )


@settings(max_examples=40, deadline=None)
@given(st.fixed_dictionaries({f: st.integers(0, 130) for f in LISTS}))
def test_fuzz_a_plan_is_refused_exactly_when_a_group_has_more_rules_than_tencent_takes(sizes):
    spec = make_spec("prod", overrides(sizes))
    plan = unchecked_plan(spec)
    over = [
        (g.role, side, len(rules))
        for g in plan.security_groups
        for side, rules in (("ingress", g.ingress), ("egress", g.egress))
        if len(rules) > vpc.POLICIES_PER_DIRECTION
    ]
    try:
        checked = build_plan(spec)
    except SpecError as error:
        assert over, f"refused without a group over the limit: {error}"
        role, side, count = over[0]
        assert error.field in security_rules.LISTS_OF_ROLE[role] and sizes[error.field] > 0
        assert f"give the {role} security group {count} {side} rules" in error.problem
        room = int(re.search(r"list at most (\d+)", error.problem)[1])
        assert room == max(vpc.POLICIES_PER_DIRECTION - (count - sizes[error.field]), 0)
        # The cloud refuses that group too, with the code the message names.
        refusal = vpc.count_refusal(
            {"ingresses": provider_form(next(g for g in plan.security_groups if g.role == role).ingress)}
        )
        assert refusal is not None and refusal.code in error.problem
        return
    assert not over
    for g in checked.security_groups:  # what the planner lets through, the cloud takes
        inputs = {"ingresses": provider_form(g.ingress), "egresses": provider_form(g.egress)}
        assert [check(inputs) for check in vpc.RULE_SET_REFUSALS] == [None, None, None]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(LISTS)), st.integers(1, 6), st.data())
def test_fuzz_a_cidr_listed_twice_is_refused_naming_the_list_and_the_cidr(field, n, data):
    values = cidrs(0, n)
    twice = data.draw(st.sampled_from(values))
    at = data.draw(st.integers(0, n))
    values.insert(at, twice)
    config = overrides({field: 0})
    parent, key = LISTS[field]
    (config.setdefault(parent, {}) if parent else config)[key] = values
    with pytest.raises(ConfigError) as error:
        make_spec("prod", config)
    first = values.index(twice)
    assert str(error.value).endswith(
        f": {field}: {twice} is listed twice (entries {first} and {values.index(twice, first + 1)}): each entry becomes "
        "a security-group rule, and Tencent refuses a rule twice in a group (UnsupportedOperation.DuplicatePolicy)"
    )


@pytest.mark.parametrize(
    ("field", "role", "rule"),
    [
        ("ingress.allowedCidrs", "worker", "ACCEPT TCP 30080,30081 from 100.64.0.0/10"),
        ("apiEndpoint.allowedCidrs", "master", "ACCEPT TCP 6443 from 100.64.0.0/10"),
    ],
)
def test_a_source_that_repeats_one_of_kubecvms_own_rules_is_refused_naming_it(field, role, rule):
    # 100.64.0.0/10 is where the CLB health checks come from, which kubecvm opens itself (planning/ingress.py).
    config = overrides({field: 0})
    parent, key = LISTS[field]
    config[parent][key] = ["198.51.100.0/24", "100.64.0.0/10"]
    with pytest.raises(SpecError) as error:
        build_plan(make_spec("prod", config))
    assert error.value.field == field
    assert error.value.problem.startswith(
        f"100.64.0.0/10 makes the ingress rule {rule} twice in the {role} security group ("
    )
    assert error.value.problem.endswith("(UnsupportedOperation.DuplicatePolicy): leave 100.64.0.0/10 out")
