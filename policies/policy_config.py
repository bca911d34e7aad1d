"""Reading a policy config: the built-in ones and a user's file, every setting checked against the JSON Schema
the pack declares (policies/schema.py) and every rule's defaults merged in, before any rule runs.

Separate from the engine (policies/engine.py), which evaluates rules under a config this module made; every name
here is still importable from there.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from kubecvm.stacks.reading import DuplicateKey, TooLarge, json_without_duplicates, read_bounded

from . import patterns, schema
from . import rules as _rules  # noqa: F401  (registers every rule, whose defaults a config merges in)
from .registry import LEVELS, RULES, RuleSpec

CONFIG_DIR = Path(__file__).resolve().parent / "config"
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
