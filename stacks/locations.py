"""Where each setting of a stack file is written: its line, for reports CI shows next to the file (SARIF regions,
GitHub annotations' `line=`, JUnit's `line`).

Keys are the config keys (`kubecvm:preset`, `kubecvm:cluster`) and, under kubecvm:cluster, camelCase paths as the
rules' remediation text spells them: `controlPlane.count`, `nodePools[0].zones`, and `nodePools[].zones` for the
first pool that sets it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import PROJECT, ConfigError
from .stack_file import _compose

CLUSTER_KEY = f"{PROJECT}:cluster"


def setting_lines(path: Path) -> dict[str, int]:
    """Setting path -> 1-based line of its key in the stack file; {} when the file cannot be read (the plan reports
    that itself)."""
    try:
        root, _ = _compose(path)
    except ConfigError:
        return {}
    config = _child(root, "config")
    lines: dict[str, int] = {}
    if not isinstance(config, yaml.MappingNode):
        return lines
    for key, value in config.value:
        if isinstance(key, yaml.ScalarNode) and key.value.startswith(f"{PROJECT}:"):
            lines.setdefault(key.value, key.start_mark.line + 1)
            if key.value == CLUSTER_KEY:
                _walk(value, "", lines)
    return lines


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == name), None)


def _walk(node: yaml.Node, prefix: str, lines: dict[str, int], depth: int = 0) -> None:
    if depth > 16:  # settings nest four deep; a deeper document is no stack file of kubecvm's
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                path = f"{prefix}.{key.value}" if prefix else key.value
                lines.setdefault(path, key.start_mark.line + 1)
                _walk(value, path, lines, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault(f"{prefix}[{i}]", item.start_mark.line + 1)
            _walk(item, f"{prefix}[{i}]", lines, depth + 1)
            _walk(item, f"{prefix}[]", lines, depth + 1)
