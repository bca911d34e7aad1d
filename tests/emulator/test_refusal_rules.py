"""Every refusal rule of the model (kubecvm/planning/tencent/<service>.py) is reachable from the offline plan: a
create through the simulated cloud's new_resource (what `kubecvm plan` registers through), a delete through the
replay of `kubecvm diff --replay`. Where the emulator answers the rule's action, the wire refuses the same request
with the same code. Where it does not (VPC's route entries, cvm, cbs, ssm, cos, CAM's CreateRole and CreatePolicy,
and the CLB checks the provider makes itself), the rule is enforced offline only, as
docs/emulator.md says. The refusals of the load-balancer controller's calls, which only the wire faces, have their
cases in test_refusal_rules_controller.py. The cases are split by service, test_refusal_rules_<service>.py; here,
that together they cover every rule."""

from __future__ import annotations

import test_refusal_rules_clb
import test_refusal_rules_cvm
import test_refusal_rules_monitor
import test_refusal_rules_ssm_cam_cos
import test_refusal_rules_vpc

from kubecvm.planning.tencent import services

CASES = [
    *test_refusal_rules_vpc.CASES,
    *test_refusal_rules_cvm.CASES,
    *test_refusal_rules_clb.CASES,
    *test_refusal_rules_ssm_cam_cos.CASES,
    *test_refusal_rules_monitor.CASES,
]


def test_every_rule_of_the_model_has_a_case():
    rules = {r for table in (services.CREATE_RULES, services.DELETE_RULES) for rs in table.values() for r in rs}
    assert rules == {c.rule for c in CASES}
    for c in CASES:
        applied = (*services.CREATE_RULES.get(c.type, ()), *services.DELETE_RULES.get(c.type, ()))
        assert c.rule in applied, f"{c.rule.__name__} is not a rule of {c.type}"
