"""The ingress rules on whole stacks: a public ingress in prod needs the stack's own permission, targets are the
cluster's workers (matched through the real program's dependencies), NodePorts stay out of reserved ranges."""

from __future__ import annotations

import datetime

from policy_helpers import evaluate_stack

PUBLIC = {"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}
RULE = "kubecvm-security-ingress-public"


def failing(evaluation) -> set[str]:
    return {v.policy for v in evaluation.violations if v.enforcement == "mandatory"}


def test_prod_with_a_public_ingress_fails_unless_the_stack_allows_it():
    assert failing(evaluate_stack("prod", ingress=PUBLIC)) == {RULE}
    allowed = evaluate_stack("prod", extra={RULE: {"allowPublicIngress": True}}, ingress=PUBLIC)
    assert failing(allowed) == set()
    expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    exempted = evaluate_stack(
        "prod",
        extra={
            RULE: {
                "exemptions": [
                    {"resource": "prod-ingress", "reason": "public storefront, reviewed SEC-42", "expires": expires}
                ]
            }
        },
        ingress=PUBLIC,
    )
    assert failing(exempted) == set() and [w.policy for w in exempted.waivers] == [RULE]


def test_staging_trusts_the_stacks_own_exposure_and_the_api_rule_ignores_the_ingress_clb():
    evaluation = evaluate_stack("staging", ingress=PUBLIC)
    assert not {v.policy for v in evaluation.violations} & {RULE, "kubecvm-security-clb-internal"}
    forbidden = evaluate_stack("staging", extra={RULE: {"allowPublicIngress": False}}, ingress=PUBLIC)
    assert [v.message for v in forbidden.violations if v.policy == RULE] == [
        "prod-ingress is a OPEN ingress CLB but no public ingress is allowed for this stack".replace("prod", "staging")
    ]


def test_the_shipped_stacks_pass_the_ingress_rules_with_real_dependencies():
    for stack in ("staging", "prod"):
        evaluation = evaluate_stack(stack)
        ingress_checks = [c for c in evaluation.checks if "ingress" in c.policy]
        assert ingress_checks and all(c.passed for c in ingress_checks)


def test_node_ports_in_a_reserved_range_fail():
    evaluation = evaluate_stack(
        "prod", extra={"kubecvm-network-ingress-nodeports": {"reservedNodePorts": ["30000-30099"]}}
    )
    messages = sorted(v.message for v in evaluation.violations if v.policy == "kubecvm-network-ingress-nodeports")
    assert messages == [
        "prod-ingress-http-targets forwards to NodePort 30080, inside the reserved range 30000-30099",
        "prod-ingress-https-targets forwards to NodePort 30081, inside the reserved range 30000-30099",
    ]
    narrow = evaluate_stack("prod", extra={"kubecvm-network-ingress-nodeports": {"nodePortRange": "31000-32767"}})
    assert len([v for v in narrow.violations if v.policy == "kubecvm-network-ingress-nodeports"]) == 2
