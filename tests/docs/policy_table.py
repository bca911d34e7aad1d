"""The policy reference's rule table, built from the registry and the level files: docs/reference/policies.md holds
exactly these rows (tests/docs/test_docs.py), so a rule added, reworded or moved to another level updates the page."""

from __future__ import annotations

import json
from pathlib import Path

from kubecvm.policies import engine  # noqa: F401  (registers every rule)
from kubecvm.policies.registry import RULES

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("dev", "staging", "prod")
HEADER = "| id | severity | dev | staging | prod | settings (defaults) | checks |"


def level(config: dict, rule_id: str) -> str:
    entry = config.get(rule_id)
    if isinstance(entry, dict):
        entry = entry.get("enforcementLevel")
    return entry or config.get("all") or "mandatory"


def setting(name: str, default) -> str:
    return f"`{name}`" if isinstance(default, dict) else f"`{name}` = `{json.dumps(default)}`"


def rows() -> list[str]:
    configs = {lv: json.loads((ROOT / "policies" / "config" / f"{lv}.json").read_text()) for lv in LEVELS}
    out = []
    for spec in sorted(RULES.values(), key=lambda s: s.id):
        settings = ", ".join(setting(k, v) for k, v in spec.defaults.items()) or "-"
        cells = [
            f"`{spec.id}`",
            spec.severity,
            *(level(configs[lv], spec.id) for lv in LEVELS),
            settings,
            spec.description.replace("|", "\\|"),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


def table() -> str:
    return "\n".join([HEADER, "| --- | --- | --- | --- | --- | --- | --- |", *rows()])


if __name__ == "__main__":
    print(table())
