from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan
from kubecvm.planning.plan import Rule

TYPE = "kubecvm:index:SecurityGroups"


def _rules(rules: tuple[Rule, ...]) -> list[dict]:
    return [
        {"action": r.action, "protocol": r.protocol, "port": r.port, "cidr_block": r.cidr, "description": r.description}
        for r in rules
    ]


class SecurityGroups(pulumi.ComponentResource):
    """One security group per role (master, worker, lb) with the plan's ordered, least-privilege rules."""

    def __init__(self, name: str, plan: ClusterPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.groups: dict[str, tc.security.Group] = {}
        for g in plan.security_groups:
            group = tc.security.Group(
                g.name, name=g.name, description=f"kubecvm {plan.name} {g.role}", tags=plan.tagged("network"), opts=child,
            )
            tc.security.GroupRuleSet(
                g.rules_name, security_group_id=group.id, ingresses=_rules(g.ingress), egresses=_rules(g.egress),
                opts=child,
            )
            self.groups[g.role] = group
        self.register_outputs({f"{role}GroupId": g.id for role, g in self.groups.items()})
