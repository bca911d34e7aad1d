"""Config -> spec: merge a preset with a stack's overrides and validate, with one clear message per mistake.

Used by `__main__.py` (values from pulumi.Config) and by the offline plan (values from Pulumi.<stack>.yaml),
so both read a stack exactly alike. No pulumi import here. Reading a stack file is stacks/stack_file.py's; a Python
caller's arguments become overrides in stacks/arguments.py.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from kubecvm.planning import ClusterPlan, ClusterSpec, SpecError, build_plan
from kubecvm.stacks.errors import PROJECT, ConfigError
from kubecvm.stacks.presets import PRESET_ZONES, PRESETS
from kubecvm.stacks.stack_file import NAMESPACES as NAMESPACES  # the offline plan reads it here
from kubecvm.stacks.stack_file import read_stack_file


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else (lists included) in `override` replaces `base`."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        return {k: merge(base[k], v) if k in base else v for k, v in override.items()} | {
            k: v for k, v in base.items() if k not in override
        }
    return override


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown(value: Any, limit: int = 80) -> str:
    """A value as a message shows it: repr, cut short (a hostile value may be a megabyte long)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _describe(err: dict) -> tuple[str, str]:
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, SpecError):
        return cause.field, cause.problem
    path = _path(err["loc"]) or "cluster"
    kind = err["type"]
    if kind == "extra_forbidden":
        key = err["loc"][-1] if err["loc"] else ""
        if isinstance(key, str) and "_" in key and to_camel(key) != key:
            return path, f"unknown key; stack config keys are camelCase: write {to_camel(key)}"
        return path, "unknown key"
    if kind == "missing":
        return path, "required"
    msg = err["msg"].removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        msg = msg.replace("Input should be", "expected")
    elif kind == "string_pattern_mismatch":
        msg = f"{_shown(err['input'])} does not match {err['ctx']['pattern']}"
    elif kind in _STRICT_TYPES:  # strict types (planning/spec/base.py Model): say what came, not only what was expected
        msg = f"expected {_STRICT_TYPES[kind]}, got {_article(err['input'])}"
    return path, msg


_STRICT_TYPES = {
    "bool_type": "true or false",
    "int_type": "an integer",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "float_type": "a number",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _article(value: Any) -> str:
    kind = _kind(value)
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} {_shown(value, 40)}"


# What each top-level key must be, checked before anything else reads it (pulumi.Config hands the program
# whatever JSON the stack holds, and the stack file reader returns any JSON value).
_KEY_TYPES = {
    f"{PROJECT}:preset": (str, "one of " + ", ".join(PRESETS)),
    f"{PROJECT}:cluster": (Mapping, "a mapping of overrides"),
    "tencentcloud:region": (str, "a region name such as ap-guangzhou"),
}


def _check_type(key: str, value: Any) -> None:
    expected, what = _KEY_TYPES[key]
    if not isinstance(value, expected):
        raise ConfigError(
            f"{key}: expected {what}, got {'null' if value is None else ('an ' if _kind(value)[0] in 'aeiou' else 'a ') + _kind(value)} {_shown(value, 40) if value is not None else ''}".rstrip()
        )


_CLUSTER_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$")  # planning/spec/cluster.py ClusterSpec.name


def default_cluster_name(stack: str) -> str:
    """The cluster name a stack gets when kubecvm:cluster.name is not set: the stack name, lower-cased with `_`
    and `.` as `-` (Pulumi allows letters, digits, `-`, `_`, `.` in stack names; a cluster name is a DNS label).
    ConfigError when even that is no cluster name (too long, or not starting with a letter)."""
    name = re.sub(r"[_.]", "-", stack.lower())
    if not _CLUSTER_NAME.fullmatch(name):
        raise ConfigError(
            f"{PROJECT}:cluster.name: required for stack {stack!r}: the stack name cannot be a cluster name "
            "(lower-case letters, digits and '-', starting with a letter, at most 20 characters); "
            f"set {PROJECT}:cluster.name"
        )
    return name


def default_name_note(stack: str, overrides: Mapping | None) -> str | None:
    """What to tell the user when the cluster is named after a stack name that had to be mapped."""
    if isinstance(overrides, Mapping) and "name" in overrides:
        return None
    try:
        name = default_cluster_name(stack)
    except ConfigError:
        return None  # spec_from_config raises it with the field named
    if name == stack:
        return None
    return (
        f"stack {stack!r} is not a valid cluster name; the cluster is named {name!r} "
        f"(set {PROJECT}:cluster.name to choose another)"
    )


def spec_from_config(
    *,
    preset: str | None,
    overrides: Mapping | None,
    region: str | None,
    stack: str,
    subject: str | None = None,
    given_ids: frozenset[str] = frozenset(),
) -> ClusterSpec:
    """Validate a stack's config into a ClusterSpec, or raise ConfigError naming every bad field.

    `subject` names what was invalid in the message (default: the stack's kubecvm:cluster). `given_ids` are the
    existingNetwork id paths the caller passes as pulumi Inputs instead (kubecvm.ClusterArgs).
    Stack config is camelCase only (`vpcCidr`); snake_case is Python's `ClusterArgs`, not a second spelling here.
    """
    for key, value in (
        (f"{PROJECT}:preset", preset),
        (f"{PROJECT}:cluster", overrides),
        ("tencentcloud:region", region),
    ):
        if value is not None:
            _check_type(key, value)
    for key, value in ((f"{PROJECT}:preset", preset), ("tencentcloud:region", region)):
        if value == "":  # set, but to nothing: not the same as leaving it out (which means dev / the environment)
            raise ConfigError(f"{key}: empty; expected {_KEY_TYPES[key][1]} (leave the key out for the default)")
    preset = preset if preset is not None else "dev"
    if preset not in PRESETS:
        raise ConfigError(
            f"{PROJECT}:preset: {_shown(preset, 40)} is not a preset; expected one of {', '.join(PRESETS)}"
        )
    overrides = dict(overrides or {})
    for key in ("preset", "region"):
        if key in overrides:
            raise ConfigError(
                f"{PROJECT}:cluster.{key}: set {'kubecvm:preset' if key == 'preset' else 'tencentcloud:region'} instead"
            )
    region = region if region is not None else os.environ.get("TENCENTCLOUD_REGION")
    if not region:
        raise ConfigError("tencentcloud:region: required (for example ap-guangzhou), or set TENCENTCLOUD_REGION")
    if "zones" not in overrides:
        n = PRESET_ZONES[preset]
        raise ConfigError(
            f"{PROJECT}:cluster.zones: required; the {preset} preset is laid out over {n} zone{'s' * (n > 1)} of {region} "
            f"(for example [{', '.join(f'{region}-{i}' for i in range(3, 3 + n))}])"
        )
    doc = merge(PRESETS[preset], overrides) | {"preset": preset, "region": region}
    if "existingNetwork" in overrides and "egress" not in overrides:
        doc["egress"] = "none"  # the network's owner provides egress; kubecvm adds no NAT to it
    if "name" not in doc:
        doc["name"] = default_cluster_name(stack)
    subject = subject or f"{PROJECT}:cluster for stack {stack!r}"
    try:
        spec = ClusterSpec.model_validate(doc, by_alias=True, by_name=False)
    except ValidationError as exc:
        problems = [": ".join(_describe(e)) for e in exc.errors()]
        raise ConfigError(f"invalid {subject} (preset {preset}): " + "; ".join(dict.fromkeys(problems))) from None
    if spec.existing_network is not None:
        net = spec.existing_network
        ids = {"existingNetwork.vpcId": net.vpc_id, "existingNetwork.routeTableId": net.route_table_id}
        ids |= {f"existingNetwork.subnets.{z}.id": s.id for z, s in net.subnets.items()}
        missing = [path for path, value in ids.items() if value is None and path not in given_ids]
        if missing:
            raise ConfigError(
                f"invalid {subject} (preset {preset}): {missing[0]}: required with existingNetwork "
                "(the network kubecvm uses but does not create)"
            )
    return spec


# prometheusToken: the remote store's token, a secret (components/prometheus.py), read by the program only.
KNOWN_KEYS = (f"{PROJECT}:preset", f"{PROJECT}:cluster", f"{PROJECT}:prometheusToken")


def check_keys(keys, where: str) -> None:
    """Refuse a kubecvm:* key kubecvm does not read (a typo such as kubecvm:presets would silently mean dev).

    One check for the offline plan and for the program `pulumi up` runs (kubecvm.program)."""
    unknown = sorted(k for k in keys if k.startswith(f"{PROJECT}:") and k not in KNOWN_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], KNOWN_KEYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(
            f"{where}: unknown key {unknown[0]}{hint}; expected {', '.join(KNOWN_KEYS[:-1])} or {KNOWN_KEYS[-1]}"
        )


def config_args(config: Mapping[str, Any], stack: str, where: str) -> dict:
    """The spec_from_config arguments a stack's full config gives, as `pulumi up` would read them."""
    check_keys(config, where)
    for key in _KEY_TYPES:
        if key in config:
            _check_type(key, config[key])  # a null here is a mistake, not "unset": leave the key out for that
    return {
        "preset": config.get(f"{PROJECT}:preset"),
        "overrides": config.get(f"{PROJECT}:cluster"),
        "region": config.get("tencentcloud:region"),
        "stack": stack,
    }


def _stack_file_args(path: Path, stack: str | None) -> tuple[dict, dict]:
    config = read_stack_file(path)
    return config, config_args(config, stack or path.stem.removeprefix("Pulumi."), str(path))


def spec_from_stack_file(path: Path, stack: str | None = None) -> ClusterSpec:
    """Read a stack file as `pulumi up` would: kubecvm:preset, kubecvm:cluster, tencentcloud:region."""
    return spec_from_config(**_stack_file_args(path, stack)[1])


def plan_from_stack_file(path: Path, stack: str | None = None) -> tuple[dict, ClusterPlan]:
    """The stack file's config and its plan; every mistake a ConfigError."""
    config, args = _stack_file_args(path, stack)
    return config, plan_from_config(**args)


def plan_from_config(**kwargs) -> ClusterPlan:
    """spec_from_config, then build_plan; a spec that cannot be laid out is a ConfigError too."""
    spec = spec_from_config(**kwargs)
    subject = kwargs.get("subject") or f"{PROJECT}:cluster for stack {kwargs['stack']!r}"
    try:
        plan = build_plan(spec)
        check_user_data_size(plan)
    except SpecError as exc:
        raise ConfigError(f"invalid {subject} (preset {spec.preset.value}): {exc}") from None
    return plan


# The CA hash is known only once the PKI exists; every one has this length (sha256:<64 hex>).
_SIZING_CA_HASH = "sha256:" + "0" * 64


def check_user_data_size(plan: ClusterPlan) -> None:
    """Render the largest user data of each role and pool now, so one over the CVM limit is a field-named error
    before any resource is registered (it would otherwise fail inside `pulumi up`). The first master's carries the
    init config; in a pool, the last node has the longest name."""
    from kubecvm.planning import bootstrap

    candidates = [("controlPlane", plan.masters[0])] if plan.masters else []
    pools = {p.name: i for i, p in enumerate(plan.spec.node_pools)}
    candidates += [(f"nodePools[{pools.get(p.name, 0)}]", p.nodes[-1]) for p in plan.pools if p.nodes]
    for field, machine in candidates:
        try:
            bootstrap.render_user_data(plan, machine, ca_hash=_SIZING_CA_HASH)
        except bootstrap.UserDataTooLarge as exc:
            raise SpecError(field, f"{exc}; use fewer or shorter labels and taints") from None
