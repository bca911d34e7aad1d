"""A Pulumi project as `pulumi up` finds it: the nearest Pulumi.yaml, its config defaults, its stack files.

The offline plan reads stacks through this, from the current directory (or `-C DIR`), never from kubecvm's own
checkout. Facts from Pulumi's project file reference (https://www.pulumi.com/docs/iac/concepts/projects/ and
https://www.pulumi.com/docs/reference/pulumi-yaml/):
- the nearest parent folder holding a Pulumi.yaml is the project;
- `stackConfigDir` (relative to Pulumi.yaml) is where Pulumi.<stack>.yaml files live, else beside Pulumi.yaml;
- `runtime` is a name or {name, options}: `kubecvm plan` runs only Python programs;
- `main` is the program's path relative to Pulumi.yaml (a directory runs its __main__.py for Python), default the
  project's own directory; the program runs with the directory that holds it as its working directory;
- `config:` (project-level config, Pulumi 3.44+): a key without a namespace belongs to the project (`preset` in
  project kubecvm is `kubecvm:preset`); a key maps to a plain value or to {type, description, default, value,
  secret, items}; a stack's own value wins over the project's.
No pulumi import here: stacks/config.py and the offline plan use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubecvm.stacks.errors import ConfigError
from kubecvm.stacks.stack_file import load_yaml

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
DEFAULT_PROJECT = "kubecvm"


@dataclass(frozen=True)
class Project:
    """A directory's Pulumi project; `file` is None when no Pulumi.yaml was found (stack files beside `dir`)."""

    dir: Path
    name: str = DEFAULT_PROJECT
    file: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)  # full keys -> project default values
    stack_config_dir: Path | None = None
    main: Path | None = None
    runtime: str | None = None  # `runtime` or `runtime.name`; None without a Pulumi.yaml

    def program(self) -> Path | None:
        """The program file `pulumi preview` would run: `main` (a .py file, or a directory's __main__.py), else
        __main__.py beside Pulumi.yaml; None when there is no Pulumi.yaml or no such file."""
        if self.file is None:
            return None
        path = self.main or self.dir
        path = path / "__main__.py" if path.is_dir() else path
        return path if path.is_file() else None

    def stack_file(self, stack: str) -> Path:
        return (self.stack_config_dir or self.dir) / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """The stacks that have a file here (`Pulumi.<stack>.yaml`), sorted: what an unknown stack's message lists
        and what shell completion offers."""
        folder = self.stack_config_dir or self.dir
        try:
            files = sorted(folder.glob("Pulumi.*.yaml"))
        except OSError:
            return []
        names = (f.name.removeprefix("Pulumi.").removesuffix(".yaml") for f in files if f.is_file())
        return [n for n in names if n and stack_name_problem(n) is None]

    def stack_config(self, stack_config: Mapping[str, Any]) -> dict[str, Any]:
        """The stack's config with the project defaults under it, as `pulumi up` hands them to the program."""
        return {**self.config, **stack_config}


def _config_defaults(name: str, raw: Any, path: Path) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: config: expected a mapping of keys")
    out: dict[str, Any] = {}
    for key, decl in raw.items():
        full = str(key) if ":" in str(key) else f"{name}:{key}"
        if isinstance(decl, Mapping):
            # {default: ...} declares a typed key; {value: ...} sets a namespaced key for every stack.
            if "value" in decl:
                out[full] = decl["value"]
            elif "default" in decl:
                out[full] = decl["default"]
        else:
            out[full] = decl  # the short form: the value itself
    return out


def find_project(start: Path) -> Project:
    """The project `pulumi` would use when run in `start`: the nearest Pulumi.yaml in it or a parent."""
    start = start.resolve()
    if not start.is_dir():
        raise ConfigError(f"{start}: not a directory")
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return read_project(folder / name)
    return Project(dir=start)


# Pulumi's rule for stack and project names: pulumi/pulumi pkg/backend/httpstate/backend.go,
# stackNameAndProjectRegexp = "^[A-Za-z0-9_.-]{1,100}$" ("stack names may only contain alphanumeric, hyphens,
# underscores, or periods"); the engine builds URNs "urn:pulumi:<stack>::<project>::..." from them.
PULUMI_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
PULUMI_NAME_RULE = "1..100 letters, digits, '-', '_' or '.'"


def stack_name_problem(stack: str) -> str | None:
    if PULUMI_NAME.fullmatch(stack):
        return None
    return f"{stack[:100]!r} is not a Pulumi stack name: {PULUMI_NAME_RULE} (pulumi stack init refuses it)"


def read_project(path: Path) -> Project:
    doc = load_yaml(path)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str) or not doc["name"]:
        raise ConfigError(f"{path}: name: required (a Pulumi project file names its project)")
    folder, name = path.parent, doc["name"]
    if not PULUMI_NAME.fullmatch(name):
        raise ConfigError(
            f"{path}: name: {name[:100]!r} is not a Pulumi project name: {PULUMI_NAME_RULE} (a URN "
            "holds it between '::' separators)"
        )
    config_dir = doc.get("stackConfigDir")
    main = doc.get("main")
    runtime = doc.get("runtime")
    runtime = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    return Project(
        dir=folder,
        name=name,
        file=path,
        config=_config_defaults(name, doc.get("config"), path),
        stack_config_dir=folder / str(config_dir) if config_dir else None,
        main=folder / str(main) if main else None,  # an absolute `main` stays absolute (Path's / keeps it)
        runtime=str(runtime) if runtime is not None else None,
    )
