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
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubecvm.planning.plan import policy_facts as cluster_settings
from kubecvm.stacks.reading import DuplicateKey, TooLarge, json_without_duplicates, read_bounded

import jsonschema

from . import patterns, schema
from . import rules as _rules  # noqa: F401  (registers every rule)
from .registry import LEVELS, RULES, Context, Resource, RuleSpec

__all__ = [
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

CONFIG_DIR = Path(__file__).resolve().parent / "config"
EXPIRED = "kubecvm-exemption-expired"
CLUSTER_KEYS = (
    "podCidr",
    "serviceCidr",
    "maxPodsPerNode",
    "nodePodMask",
    "routeEntriesPerTable",
    "apiExposure",
    "bootEgressHosts",
    "existingSubnets",
    "ingressExposure",
)
DEFAULT_LEVEL = "mandatory"  # when neither the rule's entry nor "all" says: fail closed


class PolicyConfigError(ValueError):
    """A mistake in a policy config; the message names the key."""


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


def _level(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in LEVELS:
        raise PolicyConfigError(
            f"{where}: {_shown(value)} is not an enforcement level; expected one of {', '.join(LEVELS)}"
        )
    return value


def _shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validate(instance: Any, json_schema: Mapping[str, Any], where: str, unknown: str = "unknown key") -> None:
    """Refuse `instance` unless it is valid under `json_schema` (Draft 7, as gojsonschema reads it), naming the key.
    `unknown` says what a key the schema does not declare is, for the message."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(json_schema).iter_errors(instance))
    if error is None:
        return
    path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in known)
        raise PolicyConfigError(f"{path}.{extra[0]}: {unknown}")
    message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    raise PolicyConfigError(f"{path}: {message}")


def _finite(value: Any, where: str) -> None:
    """NaN and infinities pass JSON Schema's `number` (and every comparison with them is False): refuse them."""
    stack = [(value, where)]
    while stack:
        v, path = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise PolicyConfigError(f"{path}: {v} is not a finite number")
        if isinstance(v, Mapping):
            stack.extend((child, f"{path}.{k}" if path else str(k)) for k, child in v.items())
        elif isinstance(v, list | tuple):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(v))


def _exemption(raw: Any, where: str, policy: str | None) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise PolicyConfigError(f"{where}: expected {{policy, resource, reason, expires}}, got {_shown(raw)}")
    unknown = sorted(str(k) for k in raw if k not in schema.EXEMPTION["properties"])
    if unknown:
        raise PolicyConfigError(f"{where}.{unknown[0]}: unknown key; expected policy, resource, reason, expires")
    policy = raw.get("policy", policy)
    if not isinstance(policy, str) or policy not in RULES:
        raise PolicyConfigError(f"{where}.policy: {_shown(policy)} is not a kubecvm rule id")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyConfigError(f"{where}.reason: required, a string (say why the finding is accepted)")
    try:
        expires = datetime.date.fromisoformat(raw.get("expires"))
    except (TypeError, ValueError):
        raise PolicyConfigError(
            f"{where}.expires: {_shown(raw.get('expires'))} is not a date YYYY-MM-DD (required)"
        ) from None
    resource = raw.get("resource")
    if resource is not None:
        if not isinstance(resource, str):
            raise PolicyConfigError(
                f"{where}.resource: expected a regular expression (a string), got {_shown(resource)}"
            )
        try:
            patterns.compile_pattern(resource)
        except patterns.PatternError as exc:
            raise PolicyConfigError(f"{where}.resource: {exc}") from None
    _validate(raw, schema.EXEMPTION, where)  # and the schema the pack declares, so both agree on everything else
    return {"policy": policy, "resource": resource, "reason": reason, "expires": expires.isoformat()}


def _settings(spec: RuleSpec, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A rule's settings checked against its JSON Schema (policies/schema.py, the one the pack declares)."""
    takes = ", ".join(spec.defaults) or "none"
    if not isinstance(entry.get("exemptions") or [], list):
        raise PolicyConfigError(f"{spec.id}.exemptions: expected a list")
    # Exemptions are checked one by one in _exemption (against the same schema), for messages that say more.
    _validate(
        {k: v for k, v in entry.items() if k != "exemptions"},
        schema.rule_schema(spec),
        spec.id,
        f"unknown setting (this rule takes: {takes}, enforcementLevel, exemptions)",
    )
    for name, pattern in (entry.get("patterns") or {}).items():
        try:
            patterns.compile_pattern(pattern)
        except patterns.PatternError as exc:
            raise PolicyConfigError(f"{spec.id}.patterns.{name}: {exc}") from None
    return dict(entry)


def normalize_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a config and merge every rule's defaults in; idempotent, raises PolicyConfigError naming the key.

    Every setting is validated against its rule's JSON Schema before any rule runs: a wrong type is refused, never
    read as something else (`allowPublicApi: "false"` is a string, not a boolean, and would have been truthy).
    Result: {"all": level, "cluster": {...}, "exemptions": [flat list], "<rule id>": {"enforcementLevel", params}}.
    """
    if config is not None and not isinstance(config, Mapping):
        raise PolicyConfigError(f"expected an object keyed by rule id, got {type(config).__name__}")
    config = dict(config or {})
    _finite(config, "")
    unknown = sorted(str(k) for k in config if k not in RULES and k not in ("all", "cluster", "exemptions"))
    if unknown:
        raise PolicyConfigError(f"{unknown[0]}: not a kubecvm rule id nor one of all, cluster, exemptions")
    all_level = _level(config.get("all", DEFAULT_LEVEL), "all")
    cluster = config.get("cluster") or {}
    if not isinstance(cluster, Mapping) or set(cluster) - set(CLUSTER_KEYS):
        raise PolicyConfigError(f"cluster: expected a mapping with keys among {', '.join(CLUSTER_KEYS)}")
    _validate(cluster, schema.cluster_schema(CLUSTER_KEYS), "cluster")
    raw_exemptions = config.get("exemptions") or []
    if not isinstance(raw_exemptions, list):
        raise PolicyConfigError("exemptions: expected a list")
    placed = [(f"exemptions[{i}]", _exemption(e, f"exemptions[{i}]", None)) for i, e in enumerate(raw_exemptions)]
    out: dict[str, Any] = {"all": all_level, "cluster": dict(cluster)}
    for spec in sorted(RULES.values(), key=lambda s: s.id):
        entry = config.get(spec.id, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        elif not isinstance(entry, Mapping):
            raise PolicyConfigError(
                f"{spec.id}: expected an enforcement level ({', '.join(LEVELS)}) or an object of settings, "
                f"got {'null' if entry is None else type(entry).__name__} {_shown(entry, 40) if entry is not None else ''}".rstrip()
            )
        entry = dict(entry)
        level = _level(entry.pop("enforcementLevel", all_level), f"{spec.id}.enforcementLevel")
        entry = _settings(spec, entry)
        for i, e in enumerate(entry.pop("exemptions", None) or []):
            placed.append((f"{spec.id}.exemptions[{i}]", _exemption(e, f"{spec.id}.exemptions[{i}]", spec.id)))
        out[spec.id] = {"enforcementLevel": level, **spec.defaults, **entry}
    for where, e in placed:
        if out[e["policy"]]["enforcementLevel"] == "disabled":
            # A disabled rule never runs, so its exemption would never be used, and nothing would say so.
            raise PolicyConfigError(
                f"{where}: exempts {e['policy']}, which this config disables; an exemption of a "
                "rule that does not run is never used: remove it, or enable the rule"
            )
    out["exemptions"] = list({json.dumps(e, sort_keys=True): e for _, e in placed}.values())
    return out


def _reject_constant(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


MAX_POLICY_CONFIG_BYTES = 1024 * 1024


def load_policy_config(name_or_path: str) -> dict:
    """ "dev" | "staging" | "prod" (policies/config/<name>.json) or a path to a JSON file; defaults merged."""
    path = CONFIG_DIR / f"{name_or_path}.json" if name_or_path in ("dev", "staging", "prod") else Path(name_or_path)
    try:
        raw = json_without_duplicates(read_bounded(path, MAX_POLICY_CONFIG_BYTES), parse_constant=_reject_constant)
    except DuplicateKey as exc:
        # The Pulumi CLI reads --policy-pack-config with Go's encoding/json, which keeps the last of the two
        # (pulumi/pulumi pkg/resource/analyzer/config.go): `"all"` twice could switch every rule off unseen.
        raise PolicyConfigError(
            f"{path}: {exc.path}: given twice in one object; a JSON reader keeps only the "
            "last without a word, so say it once"
        ) from None
    except TooLarge:
        raise PolicyConfigError(f"{path}: over {MAX_POLICY_CONFIG_BYTES} bytes; not a policy config") from None
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: no such policy config file") from None
    except RecursionError:
        raise PolicyConfigError(f"{path}: cannot read it as JSON (nested too deep)") from None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise PolicyConfigError(f"{path}: cannot read it as JSON ({str(exc)[:200]})") from None
    if not isinstance(raw, Mapping):
        raise PolicyConfigError(f"{path}: expected a JSON object keyed by rule id")
    try:
        return normalize_config(raw)
    except PolicyConfigError as exc:
        raise PolicyConfigError(f"{path}: {exc}") from None


def _matches(exemption: Mapping[str, Any], policy: str, urn: str | None, name: str | None) -> bool:
    """A missing resource pattern exempts the whole rule; stack-level findings match as the empty name."""
    if exemption["policy"] != policy:
        return False
    pattern = exemption["resource"]
    if pattern is None:
        return True
    return any(patterns.fullmatch(pattern, s) for s in ((name or "", urn or "") if urn else ("",)))


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
        ctx = Context(resources=resources, params=params, cluster=cfg["cluster"])
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
            scoped = [r.urn for r in resources if spec.in_scope(r)]
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
