"""Config -> spec: merge a preset with a stack's overrides and validate, with one clear message per mistake.

Used by `__main__.py` (values from pulumi.Config) and by the offline plan (values from Pulumi.<stack>.yaml),
so both read a stack exactly alike. No pulumi import here.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typing

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from kubecvm.planning import ClusterPlan, ClusterSpec, SpecError, build_plan
from kubecvm.stacks.presets import PRESET_ZONES, PRESETS
from kubecvm.stacks.reading import TooLarge, read_bounded

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


def _shown(value: Any, limit: int = 80) -> str:
    """A value as a message shows it: repr, cut short (a hostile value may be a megabyte long)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean", int: "integer", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


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


_STRICT_TYPES = {"bool_type": "true or false", "int_type": "an integer", "string_type": "a string",
                 "list_type": "a list", "dict_type": "a mapping", "float_type": "a number",
                 "model_type": "a mapping", "model_attributes_type": "a mapping"}


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
        raise ConfigError(f"{key}: expected {what}, got {'null' if value is None else ('an ' if _kind(value)[0] in 'aeiou' else 'a ') + _kind(value)} {_shown(value, 40) if value is not None else ''}".rstrip())


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
    return (f"stack {stack!r} is not a valid cluster name; the cluster is named {name!r} "
            f"(set {PROJECT}:cluster.name to choose another)")


def spec_from_config(
    *, preset: str | None, overrides: Mapping | None, region: str | None, stack: str, subject: str | None = None,
    given_ids: frozenset[str] = frozenset(),
) -> ClusterSpec:
    """Validate a stack's config into a ClusterSpec, or raise ConfigError naming every bad field.

    `subject` names what was invalid in the message (default: the stack's kubecvm:cluster). `given_ids` are the
    existingNetwork id paths the caller passes as pulumi Inputs instead (kubecvm.ClusterArgs).
    Stack config is camelCase only (`vpcCidr`); snake_case is Python's `ClusterArgs`, not a second spelling here.
    """
    for key, value in ((f"{PROJECT}:preset", preset), (f"{PROJECT}:cluster", overrides), ("tencentcloud:region", region)):
        if value is not None:
            _check_type(key, value)
    for key, value in ((f"{PROJECT}:preset", preset), ("tencentcloud:region", region)):
        if value == "":  # set, but to nothing: not the same as leaving it out (which means dev / the environment)
            raise ConfigError(f"{key}: empty; expected {_KEY_TYPES[key][1]} (leave the key out for the default)")
    preset = preset if preset is not None else "dev"
    if preset not in PRESETS:
        raise ConfigError(f"{PROJECT}:preset: {_shown(preset, 40)} is not a preset; expected one of {', '.join(PRESETS)}")
    overrides = dict(overrides or {})
    for key in ("preset", "region"):
        if key in overrides:
            raise ConfigError(f"{PROJECT}:cluster.{key}: set {'kubecvm:preset' if key == 'preset' else 'tencentcloud:region'} instead")
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
            raise ConfigError(f"invalid {subject} (preset {preset}): {missing[0]}: required with existingNetwork "
                              "(the network kubecvm uses but does not create)")
    return spec


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader with YAML 1.2 booleans only, as Pulumi reads stack files (Go yaml.v3: `yes`, `no`,
    `on`, `off` stay strings unless decoded into a bool; gopkg.in/yaml.v3 README, "Compatibility")."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


# --- reading a stack file, with bounded work -------------------------------------------------------------------
# A stack file is a few KB; these bounds only stop hostile input (an alias bomb, 100000-deep nesting, a huge
# integer) from hanging the reader or taking gigabytes, and every refusal names where it happened.
MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64             # nested collections in one value (kubecvm's own config nests 4 deep)
MAX_NODES = 100_000        # values after alias expansion, over the whole file's kubecvm/tencentcloud keys
MAX_INT_DIGITS = 30        # any integer kubecvm reads fits in far fewer
# Only these namespaces are read (and handed to the program as config); a stack file may hold others (a secrets
# provider's, another program's), which kubecvm neither validates nor passes on.
NAMESPACES = (f"{PROJECT}:", "tencentcloud:")
_JSON_SCALARS = (str, int, float, bool, type(None))


def _flow_depth(text: str) -> int:
    """The deepest nesting of flow collections ([ and {), skipping quoted scalars and comments.

    Checked before libyaml sees the text: its scanner keeps one candidate key per open flow level and re-checks
    all of them at every token, so its time grows with the square of the nesting (200000 levels took 10 minutes).
    Brackets inside plain scalars are counted too, which can only make this stricter.
    """
    depth = deepest = 0
    quote = None
    comment = False
    for ch in text:
        if comment:
            comment = ch != "\n"
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


class _Reader:
    """Turns composed YAML nodes into plain JSON values with a path for every refusal and a budget on the work."""

    def __init__(self, loader: yaml.SafeLoader, where: str):
        self.loader, self.where, self.nodes = loader, where, 0

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {path}: {problem}")

    def value(self, node: yaml.Node, path: str, depth: int = 0, active: frozenset = frozenset()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(path, f"more than {MAX_NODES} values after expanding YAML aliases (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise self.fail(path, f"nested more than {MAX_DEPTH} deep")
        if id(node) in active:
            raise self.fail(path, "a recursive YAML alias (a value that contains itself)")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, f"{path}[{i}]", depth + 1, active) for i, child in enumerate(node.value)]
        try:
            self.loader.flatten_mapping(node)  # YAML merge keys (<<), which Pulumi's YAML reader honours too
        except yaml.YAMLError as exc:
            raise self.fail(path, f"a bad YAML merge key ({str(exc).splitlines()[0][:200]})") from None
        out: dict[str, Any] = {}
        for key_node, child in node.value:
            key = self.key(key_node, path)
            if key in out:
                raise self.fail(_join(path, key), "this key appears twice")
            out[key] = self.value(child, _join(path, key), depth + 1, active)
        return out

    def key(self, node: yaml.Node, path: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            shown = node.value if isinstance(node, yaml.ScalarNode) else f"a {type(node).__name__.removesuffix('Node').lower()}"
            raise self.fail(path or "config", f"key {str(shown)[:40]!r} is not a string; keys are strings (quote it)")
        return node.value

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag == "tag:yaml.org,2002:int" and len(node.value.lstrip("+-0")) > MAX_INT_DIGITS:
            raise self.fail(path, f"an integer of {len(node.value)} digits; no kubecvm setting takes more than {MAX_INT_DIGITS}")
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise self.fail(path, f"cannot read the value ({str(exc).splitlines()[0][:200]})") from None
        if not isinstance(value, _JSON_SCALARS):
            raise self.fail(path, f"a {node.tag.rsplit(':', 1)[-1]} value; expected a string, number, boolean or null")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(path, f"{node.value} is not a finite number")
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _read_text(path: Path, missing: str) -> str:
    """A YAML file's text, refused before parsing when it is too big, not UTF-8 or nested too deep."""
    try:
        data = read_bounded(path, MAX_STACK_FILE_BYTES)  # what is read, not the stat size: a device or pipe too
    except TooLarge as exc:
        raise ConfigError(f"{path}: {exc}; a stack or project file may have at most {MAX_STACK_FILE_BYTES} bytes") from None
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{path}: {missing}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); Pulumi stack and project files are UTF-8") from None
    if _flow_depth(text) > MAX_DEPTH:
        raise ConfigError(f"{path}: cannot read it as YAML (collections nested more than {MAX_DEPTH} deep)")
    return text


def _compose(path: Path, missing: str = "no such stack file") -> tuple[yaml.Node | None, _Reader]:
    text = _read_text(path, missing)
    loader = _Yaml12Loader(text)
    try:
        return loader.get_single_node(), _Reader(loader, str(path))
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(yaml_problem(path, exc)) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML ({str(exc).splitlines()[0] if str(exc) else 'nested too deep'})") from None
    finally:
        loader.dispose()


def yaml_problem(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """`FILE:LINE:COLUMN: cannot read it as YAML: <problem> (<context> at line L)`, 1-based as editors and
    compilers count, so a terminal or an editor jumps to the spot."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    what = exc.problem or exc.context or "not YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        what += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return f"{where}: cannot read it as YAML: {what}"


def load_yaml(path: Path) -> Any:
    """A YAML file's document as JSON values (bounded as above); ConfigError naming the file and key if not."""
    root, reader = _compose(path)
    return None if root is None else reader.value(root, "")


def read_stack_file(path: Path, namespaces: tuple[str, ...] | None = NAMESPACES) -> dict:
    """The `config:` keys of a Pulumi.<stack>.yaml file in `namespaces` (None: every namespace, for another
    project's program); ConfigError if unreadable.

    Values come back as JSON values (str, int, float, bool, None, list, dict with str keys), so the program and
    the runner can serialize them; anything else is refused with the key path that holds it. Keys outside
    `namespaces` are not even converted: whatever they hold cannot fail the read.
    """
    root, reader = _compose(path)
    config_node = None
    if isinstance(root, yaml.MappingNode):
        config_node = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "config"), None)
    if root is not None and not isinstance(root, yaml.MappingNode) or config_node is not None and not isinstance(config_node, yaml.MappingNode):
        raise ConfigError(f"{path}: expected a mapping with a 'config:' key")
    config: dict[str, Any] = {}
    seen: set[str] = set()
    for key_node, value_node in (config_node.value if config_node is not None else []):
        key = reader.key(key_node, "config")
        if key in seen:
            raise reader.fail(f"config.{key}", "this key appears twice")
        seen.add(key)
        if namespaces is None or key.startswith(namespaces):
            config[key] = reader.value(value_node, key)
    return config


# prometheusToken: the remote store's token, a secret (components/prometheus.py), read by the program only.
KNOWN_KEYS = (f"{PROJECT}:preset", f"{PROJECT}:cluster", f"{PROJECT}:prometheusToken")


def check_keys(keys, where: str) -> None:
    """Refuse a kubecvm:* key kubecvm does not read (a typo such as kubecvm:presets would silently mean dev).

    One check for the offline plan and for the program `pulumi up` runs (kubecvm.program)."""
    unknown = sorted(k for k in keys if k.startswith(f"{PROJECT}:") and k not in KNOWN_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], KNOWN_KEYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]}{hint}; expected "
                          f"{', '.join(KNOWN_KEYS[:-1])} or {KNOWN_KEYS[-1]}")


def config_args(config: Mapping[str, Any], stack: str, where: str) -> dict:
    """The spec_from_config arguments a stack's full config gives, as `pulumi up` would read them."""
    check_keys(config, where)
    for key in _KEY_TYPES:
        if key in config:
            _check_type(key, config[key])  # a null here is a mistake, not "unset": leave the key out for that
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


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The spec model a field holds (itself, optional, or as list items), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in typing.get_args(annotation) if (m := nested_model(a))), None)


def _plain(value: Any) -> Any:
    """A Python argument as the JSON value a stack file would hold: a tuple is a list, a Mapping a dict (the spec's
    types are strict; a set stays a set, to be refused: its order, and so the plan's, is not the caller's)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def overrides_from_args(args: Mapping[str, Any], model: type[BaseModel] = ClusterSpec, where: str = "") -> dict:
    """snake_case arguments (kubecvm.ClusterArgs) -> the camelCase overrides a stack's kubecvm:cluster holds.
    Keys of user maps (labels, tags) stay as given; an argument the spec does not have is a ConfigError."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        field_info = model.model_fields.get(key)
        if field_info is None:
            expected = ", ".join(sorted(model.model_fields))
            raise ConfigError(f"{where}{key}: unknown argument; expected one of {expected}")
        nested = nested_model(field_info.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = overrides_from_args(value, nested, f"{where}{key}.")
        elif nested is not None and isinstance(value, list | tuple):
            value = [overrides_from_args(v, nested, f"{where}{key}[{i}].") if isinstance(v, Mapping) else v
                     for i, v in enumerate(value)]
        else:
            value = _plain(value)
        out[field_info.alias or key] = value
    return out
