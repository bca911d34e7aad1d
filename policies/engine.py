"""Evaluate every kubecvm rule against a stack's resources: enforcement levels, config defaults, exemptions.

Pure Python with planning imports only (no pulumi_policy): the offline plan calls `evaluate` directly and
policies/__main__.py wraps the same rules for CrossGuard, so a rule is written once.

Config (a Pulumi policy-pack config file, see policies/README.md):
    {"all": "mandatory",
     "<rule id>": "advisory" | {"enforcementLevel": ..., <rule params>, "exemptions": [{resource, reason, expires}]},
     "cluster": {"podCidr", "serviceCidr", "maxPodsPerNode", "nodePodMask", "routeEntriesPerTable", "apiExposure"},
     "exemptions": [{policy, resource, reason, expires}]}   # programmatic form; files use the per-rule form
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubecvm.planning.plan import policy_facts as cluster_settings

from . import patterns
from . import rules as _rules  # noqa: F401  (registers every rule)
from .policy_config import (
    CLUSTER_KEYS,
    CONFIG_DIR,
    DEFAULT_LEVEL,
    MAX_POLICY_CONFIG_BYTES,
    PolicyConfigError,
    load_policy_config,
    normalize_config,
)
from .registry import RULES, Context, Resource, RuleSpec, by_type

EXPIRED = "kubecvm-exemption-expired"

__all__ = [
    "CLUSTER_KEYS",
    "CONFIG_DIR",
    "DEFAULT_LEVEL",
    "MAX_POLICY_CONFIG_BYTES",
    "Check",
    "Evaluation",
    "PolicyConfigError",
    "PolicyInfo",
    "Resource",
    "Violation",
    "Waiver",
    "cluster_settings",
    "evaluate",
    "load_policy_config",
    "normalize_config",
    "policies",
]


@dataclass(frozen=True)
class Violation:
    policy: str  # rule id, e.g. "kubecvm-ha-masters-distinct-zones"
    enforcement: str  # "mandatory" | "advisory"
    severity: str  # "critical" | "high" | "medium" | "low"
    message: str
    urn: str | None  # None for stack-level findings


@dataclass(frozen=True)
class Waiver:
    """A finding suppressed by an exemption."""

    policy: str
    urn: str | None
    reason: str
    expires: str | None


@dataclass(frozen=True)
class Check:
    """One (policy x resource-or-stack) evaluation, for JUnit."""

    policy: str
    urn: str | None
    passed: bool


@dataclass(frozen=True)
class Evaluation:
    violations: tuple[Violation, ...]
    waivers: tuple[Waiver, ...]
    checks: tuple[Check, ...]

    @property
    def mandatory_failed(self) -> bool:
        return any(v.enforcement == "mandatory" for v in self.violations)


@dataclass(frozen=True)
class PolicyInfo:
    """Metadata per rule, for SARIF rule entries and docs."""

    id: str
    group: str
    severity: str
    description: str
    remediation: str


_EXPIRED_INFO = PolicyInfo(
    id=EXPIRED,
    group="exemption",
    severity="high",
    description="Every exemption in the policy config is still within its expiry date.",
    remediation="Fix the exempted finding, or renew the exemption with a new reason and expiry date.",
)


def policies() -> tuple[PolicyInfo, ...]:
    """Every rule's metadata (sorted by id), then the exemption-expiry check the engine itself applies."""
    infos = tuple(
        PolicyInfo(s.id, s.group, s.severity, s.description, s.remediation)
        for s in sorted(RULES.values(), key=lambda s: s.id)
    )
    return (*infos, _EXPIRED_INFO)


def _matches(exemption: Mapping[str, Any], policy: str, urn: str | None, name: str | None) -> bool:
    """A missing resource pattern exempts the whole rule; stack-level findings match as the empty name."""
    if exemption["policy"] != policy:
        return False
    pattern = exemption["resource"]
    if pattern is None:
        return True
    return any(patterns.fullmatch(pattern, s) for s in ((name or "", urn or "") if urn else ("",)))


def _of_types(
    resources: Sequence[Resource], grouped: Mapping[str, tuple[Resource, ...]], types: tuple[str, ...]
) -> Sequence[Resource]:
    """The resources of these types in their order: one group for one type, else a scan."""
    return grouped.get(types[0], ()) if len(types) == 1 else [r for r in resources if r.type in types]


def _run(spec: RuleSpec, ctx: Context) -> list[tuple[str | None, str]]:
    return list(dict.fromkeys(spec.fn(ctx)))  # a finding reported twice is one finding


def evaluate(
    resources: Sequence[Resource],
    config: Mapping | None = None,
    *,
    today: datetime.date | None = None,
    only: str | None = None,
) -> Evaluation:
    """Run every enabled rule (or just `only`) over the resources; exemptions turn findings into waivers."""
    cfg = normalize_config(config)
    today = today or datetime.date.today()
    resources = tuple(resources)
    names = {r.urn: r.name for r in resources}
    grouped = by_type(resources)
    violations: list[Violation] = []
    waivers: list[Waiver] = []
    checks: list[Check] = []

    live = []
    for e in cfg["exemptions"]:
        if only is not None and e["policy"] != only:
            continue
        if datetime.date.fromisoformat(e["expires"]) < today:
            violations.append(
                Violation(
                    EXPIRED,
                    "mandatory",
                    _EXPIRED_INFO.severity,
                    f"the exemption of {e['policy']} for {e['resource'] or 'every resource'} expired on {e['expires']} "
                    f"({e['reason']}); it no longer applies",
                    None,
                )
            )
        else:
            live.append(e)
    if only is None:
        checks.append(Check(EXPIRED, None, not violations))

    for spec in sorted(RULES.values(), key=lambda s: s.id):
        if only is not None and spec.id != only:
            continue
        params = dict(cfg[spec.id])
        level = params.pop("enforcementLevel")
        if level == "disabled":
            continue
        level = "mandatory" if level == "remediate" else level  # nothing here remediates: fail like mandatory
        ctx = Context(resources=resources, params=params, cluster=cfg["cluster"], by_type=grouped)
        failed: set[str | None] = set()
        try:
            found = [
                (urn, message, next((e for e in live if _matches(e, spec.id, urn, names.get(urn))), None))
                for urn, message in _run(spec, ctx)
            ]
        except patterns.PatternError as exc:  # a user pattern (exemption resource, user-data pattern) ran too long
            raise PolicyConfigError(f"{spec.id}: {exc}") from None
        for urn, message, exemption in found:
            if exemption is not None:
                waivers.append(Waiver(spec.id, urn, exemption["reason"], exemption["expires"]))
                continue
            violations.append(Violation(spec.id, level, spec.severity, message, urn))
            failed.add(urn)
        if spec.scope is None:
            checks.append(Check(spec.id, None, not failed))
        else:
            scoped = [r.urn for r in _of_types(resources, grouped, spec.scope) if spec.in_scope(r)]
            checks.extend(Check(spec.id, urn, urn not in failed) for urn in scoped)
            # Findings on the stack, or on resources outside the scope, still need a failing test case.
            checks.extend(Check(spec.id, urn, False) for urn in sorted(failed - set(scoped), key=str))
    return Evaluation(tuple(violations), tuple(waivers), tuple(checks))


CLUSTER_TYPE = "kubecvm:index:Cluster"


def cluster_groups(
    resources: Sequence[Any], urn: Any, type_of: Any, name: Any, parent: Any, primary: str | None = None
) -> list[tuple[str | None, list]]:
    """The resources split by the Cluster component each belongs to (walking parents), in first-seen cluster
    order: [(cluster name, its resources), ...]. What belongs to no cluster joins the `primary` cluster's group (or
    the first), never a group of its own: judged alone, a user's own bucket would fail every "the cluster has ..."
    rule. The accessors read a resource's URN, type, name and parent URN."""
    by_urn = {urn(r): r for r in resources}
    groups: dict[str | None, list] = {}
    rest = []
    for r in resources:
        node, owner = r, None
        while node is not None:
            if type_of(node) == CLUSTER_TYPE:
                owner = name(node)
                break
            node = by_urn.get(parent(node))
        (groups.setdefault(owner, []) if owner is not None else rest).append(r)
    if not groups:
        return [(None, rest)]
    first = primary if primary in groups else next(iter(groups))
    groups[first] = [*groups[first], *rest]
    return list(groups.items())


def merged(evaluations: Sequence[Evaluation]) -> Evaluation:
    """One evaluation from several (one per cluster), each finding once: an expired exemption is found by all."""
    return Evaluation(
        violations=tuple(dict.fromkeys(v for e in evaluations for v in e.violations)),
        waivers=tuple(dict.fromkeys(w for e in evaluations for w in e.waivers)),
        checks=tuple(dict.fromkeys(c for e in evaluations for c in e.checks)),
    )
