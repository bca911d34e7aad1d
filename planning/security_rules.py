"""What Tencent would refuse in the plan's security groups, checked before anything registers. Pure.

A security group takes at most vpc.POLICIES_PER_DIRECTION rules a direction and no rule twice
(planning/tencent/vpc.py: LimitExceeded.SecurityGroupPolicySet, UnsupportedOperation.DuplicatePolicy, with their
sources); the simulated cloud and the emulator refuse a rule set that breaks either. The plan's rule counts grow
with the spec's CIDR lists, one rule per entry, so a refusal here names the list that drives the count (in the
stack config's spelling), how many entries it may hold, and the CIDR that makes a rule twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from . import ingress as ingress_plan
from .firewall import RuleLike
from .spec import ClusterSpec, SpecError
from .tencent import vpc

API, SSH, INGRESS = "apiEndpoint.allowedCidrs", "sshAllowedCidrs", "ingress.allowedCidrs"
# Which of the spec's lists give each role's group one ingress rule per entry (planning/security_groups.py
# _security_groups).
LISTS_OF_ROLE: dict[str, tuple[str, ...]] = {
    "master": (API, SSH),
    "worker": (INGRESS, SSH),
    "lb": (API,),
    ingress_plan.ROLE: (INGRESS,),
}


class GroupLike(Protocol):
    role: str
    ingress: Sequence[RuleLike]
    egress: Sequence[RuleLike]


def spec_lists(spec: ClusterSpec) -> dict[str, list[str]]:
    """The lists as the user set them ([] when unset: the VPC CIDR they default to is kubecvm's own rule)."""
    return {
        API: list(spec.api_endpoint.allowed_cidrs or []),
        SSH: list(spec.ssh_allowed_cidrs or []),
        INGRESS: list(spec.ingress.allowed_cidrs or []) if spec.ingress.enabled else [],
    }


def _provider_rule(r: RuleLike) -> dict:
    return {
        "action": r.action,
        "protocol": r.protocol,
        "port": r.port,
        "cidrBlock": r.cidr,
        "sourceSecurityId": r.source_group or "",
    }


def _count_problem(role: str, side: str, rules: Sequence[RuleLike], lists: Mapping[str, list[str]]) -> SpecError | None:
    limit = vpc.POLICIES_PER_DIRECTION
    if len(rules) <= limit:
        return None
    sizes = {f: len(lists[f]) for f in LISTS_OF_ROLE[role] if lists[f]}
    if not sizes:  # kubecvm's own rules alone: a mistake in the planner, not in the spec
        raise ValueError(f"the {role} security group plans {len(rules)} {side} rules, over {limit}")
    field = max(sizes, key=lambda f: sizes[f])  # the longest list drives the count
    others = ", ".join(f"{f} {n}" for f, n in sizes.items() if f != field)
    own = len(rules) - sum(sizes.values())
    room = limit - (len(rules) - sizes[field])
    return SpecError(
        field,
        (
            f"{sizes[field]} entries give the {role} security group {len(rules)} {side} rules (one rule an entry; "
            f"{others + ', ' if others else ''}kubecvm's own {own}), and Tencent takes at most {limit} {side} rules in a "
            f"security group (DescribeSecurityGroupLimits SecurityGroupPolicyLimit; LimitExceeded.SecurityGroupPolicySet): "
            f"list at most {max(room, 0)}, or wider CIDRs"
        ),
    )


def _duplicate_problem(
    role: str, side: str, rules: Sequence[RuleLike], lists: Mapping[str, list[str]]
) -> SpecError | None:
    seen: dict[tuple, RuleLike] = {}
    for r in rules:
        first = seen.setdefault(vpc.rule_identity(_provider_rule(r)), r)
        if first is r:
            continue
        field = next((f for f in LISTS_OF_ROLE[role] if r.cidr in lists[f]), None)
        if field is None:  # both rules are kubecvm's own: a mistake in the planner, not in the spec
            raise ValueError(
                f"the {role} security group plans the {side} rule {r.action} {r.protocol} {r.port} from "
                f"{r.cidr or r.source_group} twice"
            )
        return SpecError(
            field,
            (
                f"{r.cidr} makes the {side} rule {r.action} {r.protocol} {r.port} from {r.cidr} twice in the {role} "
                f"security group ({first.description}; {r.description}), and Tencent refuses a rule twice in a group "
                f"(UnsupportedOperation.DuplicatePolicy): leave {r.cidr} out"
            ),
        )
    return None


def check(spec: ClusterSpec, groups: Iterable[GroupLike]) -> None:
    """Raise SpecError, naming the spec list to change, for the first planned group Tencent would refuse."""
    lists = spec_lists(spec)
    for g in groups:
        for side, rules in (("ingress", g.ingress), ("egress", g.egress)):
            if problem := _duplicate_problem(g.role, side, rules, lists) or _count_problem(g.role, side, rules, lists):
                raise problem
