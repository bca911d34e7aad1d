"""Reading a Pulumi.<stack>.yaml (or Pulumi.yaml) file as Pulumi does, with bounded work: YAML 1.2 booleans, JSON
values only, every refusal a ConfigError naming the file and the key path.

No pulumi import here."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from kubecvm.stacks.errors import PROJECT, ConfigError
from kubecvm.stacks.reading import TooLarge, read_bounded


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader with YAML 1.2 booleans only, as Pulumi reads stack files (Go yaml.v3: `yes`, `no`,
    `on`, `off` stay strings unless decoded into a bool; gopkg.in/yaml.v3 README, "Compatibility")."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# --- reading a stack file, with bounded work -------------------------------------------------------------------
# A stack file is a few KB; these bounds only stop hostile input (an alias bomb, 100000-deep nesting, a huge
# integer) from hanging the reader or taking gigabytes, and every refusal names where it happened.
MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64  # nested collections in one value (kubecvm's own config nests 4 deep)
MAX_NODES = 100_000  # values after alias expansion, over the whole file's kubecvm/tencentcloud keys
MAX_INT_DIGITS = 30  # any integer kubecvm reads fits in far fewer
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
            shown = (
                node.value
                if isinstance(node, yaml.ScalarNode)
                else f"a {type(node).__name__.removesuffix('Node').lower()}"
            )
            raise self.fail(path or "config", f"key {str(shown)[:40]!r} is not a string; keys are strings (quote it)")
        return node.value

    def scalar(self, node: yaml.ScalarNode, path: str) -> Any:
        if node.tag == "tag:yaml.org,2002:int" and len(node.value.lstrip("+-0")) > MAX_INT_DIGITS:
            raise self.fail(
                path, f"an integer of {len(node.value)} digits; no kubecvm setting takes more than {MAX_INT_DIGITS}"
            )
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
        raise ConfigError(
            f"{path}: {exc}; a stack or project file may have at most {MAX_STACK_FILE_BYTES} bytes"
        ) from None
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{path}: {missing}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); Pulumi stack and project files are UTF-8"
        ) from None
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
        raise ConfigError(
            f"{path}: cannot read it as YAML ({str(exc).splitlines()[0] if str(exc) else 'nested too deep'})"
        ) from None
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
    if (
        root is not None
        and not isinstance(root, yaml.MappingNode)
        or config_node is not None
        and not isinstance(config_node, yaml.MappingNode)
    ):
        raise ConfigError(f"{path}: expected a mapping with a 'config:' key")
    config: dict[str, Any] = {}
    seen: set[str] = set()
    for key_node, value_node in config_node.value if config_node is not None else []:
        key = reader.key(key_node, "config")
        if key in seen:
            raise reader.fail(f"config.{key}", "this key appears twice")
        seen.add(key)
        if namespaces is None or key.startswith(namespaces):
            config[key] = reader.value(value_node, key)
    return config
