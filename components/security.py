from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan
from kubecvm.planning.plan import Rule

from .lifecycle import with_lifecycle

TYPE = "kubecvm:index:SecurityGroups"


def _rules(rules: tuple[Rule, ...], group_ids: dict[str, pulumi.Output[str]]) -> list[dict]:
    """The plan's ordered rules as the provider takes them: a CIDR, or the source group's id (source_security_id)."""
    return [
        {
            "action": r.action,
            "protocol": r.protocol,
            "port": r.port,
            "description": r.description,
            **({"source_security_id": group_ids[r.source_group]} if r.source_group else {"cidr_block": r.cidr}),
        }
        for r in rules
    ]


class SecurityGroups(pulumi.ComponentResource):
    """One security group per role (master, worker, lb) with the plan's ordered, least-privilege rules."""

    def __init__(self, name: str, plan: ClusterPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        child = pulumi.ResourceOptions(parent=self)
        self.groups: dict[str, tc.security.Group] = {}
        for g in plan.security_groups:
            self.groups[g.role] = tc.security.Group(
                g.name,
                name=g.name,
                description=f"kubecvm {plan.name} {g.role}",
                tags=plan.tagged("network"),
                opts=child,
            )
        ids = {role: group.id for role, group in self.groups.items()}
        for g in plan.security_groups:  # after every group: the node rules name the master and worker groups
            tc.security.GroupRuleSet(
                g.rules_name,
                security_group_id=ids[g.role],
                ingresses=_rules(g.ingress, ids),
                egresses=_rules(g.egress, ids),
                opts=child,
            )
        self.register_outputs({f"{role}GroupId": g.id for role, g in self.groups.items()})
