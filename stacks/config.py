"""Config -> spec: merge a preset with a stack's overrides and validate, with one clear message per mistake.

Used by `__main__.py` (values from pulumi.Config) and by the offline plan (values from Pulumi.<stack>.yaml),
so both read a stack exactly alike. No pulumi import here.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typing

from pydantic import BaseModel, ValidationError
import yaml

from kubecvm.planning import ClusterPlan, ClusterSpec, SpecError, build_plan
from kubecvm.stacks.presets import PRESET_ZONES, PRESETS

PROJECT = "kubecvm"


class ConfigError(Exception):
    """A user mistake in stack configuration; the message names the field and what was expected."""


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


def _describe(err: dict) -> tuple[str, str]:
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, SpecError):
        return cause.field, cause.problem
    path = _path(err["loc"]) or "cluster"
    kind = err["type"]
    if kind == "extra_forbidden":
        return path, "unknown key"
    if kind == "missing":
        return path, "required"
    msg = err["msg"].removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        msg = msg.replace("Input should be", "expected")
    elif kind == "string_pattern_mismatch":
        msg = f"{err['input']!r} does not match {err['ctx']['pattern']}"
    return path, msg


_CLUSTER_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$")  # planning/spec.py ClusterSpec.name


def default_cluster_name(stack: str) -> str:
    """The cluster name a stack gets when kubecvm:cluster.name is not set: the stack name, lower-cased with `_`
    and `.` as `-` (Pulumi allows letters, digits, `-`, `_`, `.` in stack names; a cluster name is a DNS label).
    ConfigError when even that is no cluster name (too long, or not starting with a letter)."""
    name = re.sub(r"[_.]", "-", stack.lower())
    if not _CLUSTER_NAME.match(name):
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
    return (f"stack {stack!r} is not a valid cluster name; the cluster is named {name!r} "
            f"(set {PROJECT}:cluster.name to choose another)")


def spec_from_config(
    *, preset: str | None, overrides: Mapping | None, region: str | None, stack: str, subject: str | None = None,
) -> ClusterSpec:
    """Validate a stack's config into a ClusterSpec, or raise ConfigError naming every bad field.

    `subject` names what was invalid in the message (default: the stack's kubecvm:cluster)."""
    preset = preset or "dev"
    if preset not in PRESETS:
        raise ConfigError(f"{PROJECT}:preset: {preset!r} is not a preset; expected one of {', '.join(PRESETS)}")
    overrides = dict(overrides or {})
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{PROJECT}:cluster: expected a mapping of overrides, got {type(overrides).__name__}")
    for key in ("preset", "region"):
        if key in overrides:
            raise ConfigError(f"{PROJECT}:cluster.{key}: set {'kubecvm:preset' if key == 'preset' else 'tencentcloud:region'} instead")
    region = region or os.environ.get("TENCENTCLOUD_REGION")
    if not region:
        raise ConfigError("tencentcloud:region: required (for example ap-guangzhou), or set TENCENTCLOUD_REGION")
    if "zones" not in overrides:
        n = PRESET_ZONES[preset]
        raise ConfigError(
            f"{PROJECT}:cluster.zones: required; the {preset} preset is laid out over {n} zone{'s' * (n > 1)} of {region} "
            f"(for example [{', '.join(f'{region}-{i}' for i in range(3, 3 + n))}])"
        )
    doc = merge(PRESETS[preset], overrides) | {"preset": preset, "region": region}
    if "name" not in doc:
        doc["name"] = default_cluster_name(stack)
    try:
        return ClusterSpec.model_validate(doc)
    except ValidationError as exc:
        problems = [": ".join(_describe(e)) for e in exc.errors()]
        raise ConfigError(
            f"invalid {subject or f'{PROJECT}:cluster for stack {stack!r}'} (preset {preset}): "
            + "; ".join(dict.fromkeys(problems))
        ) from None


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader with YAML 1.2 booleans only, as Pulumi reads stack files (Go yaml.v3: `yes`, `no`,
    `on`, `off` stay strings unless decoded into a bool; gopkg.in/yaml.v3 README, "Compatibility")."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(path: Path) -> Any:
    """A YAML file's document; ConfigError naming the file if it cannot be read."""
    try:
        return yaml.load(path.read_text(), Loader=_Yaml12Loader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such stack file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML ({str(exc).splitlines()[0]})") from None


def read_stack_file(path: Path) -> dict:
    """The `config:` mapping of a Pulumi.<stack>.yaml file; ConfigError if unreadable."""
    doc = load_yaml(path)
    config = (doc or {}).get("config", {}) if isinstance(doc, Mapping) else None
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: expected a mapping with a 'config:' key")
    return dict(config)


KNOWN_KEYS = (f"{PROJECT}:preset", f"{PROJECT}:cluster")


def check_keys(keys, where: str) -> None:
    """Refuse a kubecvm:* key kubecvm does not read (a typo such as kubecvm:presets would silently mean dev).

    One check for the offline plan and for the program `pulumi up` runs (kubecvm.program)."""
    unknown = sorted(k for k in keys if k.startswith(f"{PROJECT}:") and k not in KNOWN_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], KNOWN_KEYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]}{hint}; expected {' or '.join(KNOWN_KEYS)}")


def config_args(config: Mapping[str, Any], stack: str, where: str) -> dict:
    """The spec_from_config arguments a stack's full config gives, as `pulumi up` would read them."""
    check_keys(config, where)
    return {
        "preset": config.get(f"{PROJECT}:preset"), "overrides": config.get(f"{PROJECT}:cluster"),
        "region": config.get("tencentcloud:region"), "stack": stack,
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
    try:
        return build_plan(spec)
    except SpecError as exc:
        subject = kwargs.get("subject") or f"{PROJECT}:cluster for stack {kwargs['stack']!r}"
        raise ConfigError(f"invalid {subject} (preset {spec.preset.value}): {exc}") from None


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The spec model a field holds (itself, optional, or as list items), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in typing.get_args(annotation) if (m := _nested_model(a))), None)


def overrides_from_args(args: Mapping[str, Any], model: type[BaseModel] = ClusterSpec, where: str = "") -> dict:
    """snake_case arguments (kubecvm.ClusterArgs) -> the camelCase overrides a stack's kubecvm:cluster holds.
    Keys of user maps (labels, tags) stay as given; an argument the spec does not have is a ConfigError."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        field_info = model.model_fields.get(key)
        if field_info is None:
            expected = ", ".join(sorted(model.model_fields))
            raise ConfigError(f"{where}{key}: unknown argument; expected one of {expected}")
        nested = _nested_model(field_info.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = overrides_from_args(value, nested, f"{where}{key}.")
        elif nested is not None and isinstance(value, list | tuple):
            value = [overrides_from_args(v, nested, f"{where}{key}[{i}].") if isinstance(v, Mapping) else v
                     for i, v in enumerate(value)]
        out[field_info.alias or key] = value
    return out
