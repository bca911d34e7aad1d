"""Which stack, project and program `kubecvm plan` runs, read and checked as `pulumi preview` would, before the run.

Apart from offline/plan.py (the run and the plan document) because finding the project, the program and the stack
file and refusing what the simulated cloud does not sell is its own concern; every name stays importable from
offline/plan.py.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from kubecvm.planning import ClusterPlan, sizing
from kubecvm import sdk
from kubecvm.stacks.config import (
    NAMESPACES,
    PROJECT,
    ConfigError,
    config_args,
    default_name_note,
    plan_from_config,
    read_stack_file,
)
from kubecvm.stacks.project import DEFAULT_PROJECT, Project, find_project, stack_name_problem
from kubecvm.offline import instance_types, simulated_cloud

DEFAULT_STACK = "dev"


@dataclass
class LoadedStack:
    stack: str
    path: Path
    config: dict  # the full config the program sees: project defaults under the stack file's values
    plan: ClusterPlan | None  # the stack's kubecvm cluster; None when another program's stack has none
    project: Project = field(default_factory=lambda: Project(dir=Path.cwd()))
    program: Path | None = None  # the program file to run (the project's own, or --program); None runs kubecvm.program
    notes: tuple[str, ...] = ()  # what to tell the user (stderr), e.g. how the cluster name was derived


def stack_path(
    project: Project, stack: str | None, config_file: Path | None, cwd: Path | None = None
) -> tuple[str, Path]:
    """Which file to read and the stack name to run it as (`Pulumi.<stack>.yaml` names its own stack).
    A relative --config-file is the working directory's (`-C DIR`, as pulumi -C changes directory first)."""
    if config_file is not None:
        path = (cwd or project.dir) / config_file if not config_file.is_absolute() else config_file
        return stack or config_file.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml"), path
    stack = stack or DEFAULT_STACK
    return stack, project.stack_file(stack)


def program_file(path: Path, cwd: Path) -> Path:
    """--program PATH: a Python program file, or a directory holding __main__.py (as Pulumi's Python host runs)."""
    path = path if path.is_absolute() else cwd / path
    if path.is_dir():
        path = path / "__main__.py"
    if not path.is_file():
        raise ConfigError(
            f"--program: {path}: no such program file (expected a .py file or a directory with __main__.py)"
        )
    return path


def runs_kubecvm_program(path: Path) -> bool:
    """Whether a program file only runs kubecvm's own program, as the checkout's __main__.py does (a docstring,
    `from kubecvm.program import main`, `main()`): the plan then runs kubecvm.program itself, which reads and checks
    the stack's kubecvm:cluster before the run as `pulumi up` would."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    body = tree.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    imported, calls = set(), 0
    for node in body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "kubecvm.program"
            and not node.level
            and all(a.name == "main" for a in node.names)
        ):
            imported |= {a.asname or a.name for a in node.names}
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in imported
            and not node.value.args
            and not node.value.keywords
        ):
            calls += 1
        else:
            return False
    return calls == 1


def project_program(project: Project) -> Path | None:
    """The program `pulumi preview` would run in this project, or None for kubecvm's own program: a directory with
    stack files and no Pulumi.yaml, a `kubecvm` project without a program file, or a program that only runs
    kubecvm.program (kubecvm's checkout)."""
    if project.file is None:
        return None
    if project.runtime not in (None, "python"):
        raise ConfigError(
            f"{project.file}: runtime: {project.runtime}: `kubecvm plan` runs Python programs only (runtime: python); "
            "`--program PATH` runs a Python program with this project's stacks"
        )
    found = project.program()
    if found is None:
        if project.name == DEFAULT_PROJECT:
            return None
        where = project.main if project.main is not None else project.dir / "__main__.py"
        raise ConfigError(
            f"{project.file}: main: {where}: no such program (Pulumi runs `main:`, a .py file or a directory with "
            "__main__.py, else __main__.py beside Pulumi.yaml); `--program PATH` runs another program"
        )
    return None if runs_kubecvm_program(found) else found


def unknown_stack(project: Project, name: str, path: Path) -> str:
    """`Pulumi.<name>.yaml: no such stack file`, and the stacks that do exist (as `pulumi stack ls` would list)."""
    existing = project.stacks()
    listed = (
        f"the stacks of this project are {', '.join(existing)}"
        if existing
        else f"this project has no stack files in {path.parent}"
    )
    return f"{path}: no such stack file ({listed}); create it, or pick a stack with -s NAME"


def load_stack(
    stack: str | None = None,
    config_file: Path | None = None,
    *,
    cwd: Path | None = None,
    program: Path | None = None,
) -> LoadedStack:
    """Read and validate a stack exactly as `pulumi preview` would, in the project of `cwd` (default: the current
    directory), with the program it runs: `program` (--program, in its own project unless `cwd` is given), else
    the project's own (Pulumi.yaml's `main`, or its __main__.py), else kubecvm's (project_program). A program of the
    project's own runs with the project's config alone when the stack has no file, as on a stack never configured.
    ConfigError names the field on any mistake."""
    where = (cwd or Path.cwd()).resolve()
    if program is not None:
        program = program_file(program, where)
        project = find_project(program.parent if cwd is None else where)
    else:
        project = find_project(where)
        program = project_program(project)
    name, path = stack_path(project, stack, config_file, where)
    if problem := stack_name_problem(name):
        raise ConfigError(
            f"--stack: {problem}"
            if stack is not None or config_file is None
            else f"--config-file: {config_file}: the stack is named after the file, and {problem}; name it with -s"
        )
    if program is None and config_file is None and not path.exists():
        raise ConfigError(unknown_stack(project, name, path))
    notes = []
    if program is not None and config_file is None and not path.exists():
        stack_config = {}
        notes.append(
            f"{path}: no such stack file; the program runs with "
            + ("the project's config of Pulumi.yaml only" if project.config else "an empty config")
            + ", as `pulumi preview` does on a stack with no config set"
        )
    else:
        # kubecvm's program reads only kubecvm:* and tencentcloud:*; another program may read its own keys.
        stack_config = read_stack_file(path, None if program is not None else NAMESPACES)
    config = project.stack_config(stack_config)
    args = config_args(config, name, str(path))
    plan = None
    # kubecvm's own program always builds the stack's cluster; another program may read kubecvm's keys or not.
    if program is None or args["overrides"] is not None:
        plan = plan_from_config(**args)
        check_simulated_image(plan)
        notes.extend(check_simulated_instance_types(plan))
        if note := default_name_note(name, args["overrides"]):
            notes.append(note)
    if note := sdk.untested_note():
        notes.append(note)
    return LoadedStack(name, path, config, plan, project=project, program=program, notes=tuple(notes))


def check_simulated_image(plan: ClusterPlan) -> None:
    """An imageNameRegex that selects no image fails here, naming the field, rather than inside the run."""
    spec = plan.spec
    if spec.image_id is None and not simulated_cloud.public_images(spec.image_name_regex):
        raise ConfigError(
            f"{PROJECT}:cluster.imageNameRegex: {spec.image_name_regex!r} matches none of the public images the offline "
            f"plan simulates ({', '.join(simulated_cloud.PUBLIC_IMAGES)}); under `pulumi up` it must match a public "
            "image of the region, or set imageId"
        )


def check_simulated_instance_types(plan: ClusterPlan) -> list[str]:
    """A type the simulated cloud does not sell fails here, naming the field, rather than as a refused CVM inside
    the run. Under `pulumi up` the provider's data source answers instead (components/cluster.py). A type of a family
    Tencent's pages name without sizes is taken as sold: the notes say which."""
    notes: dict[str, str] = {}
    for (zone, instance_type), where in sizing.instance_type_uses(plan).items():
        family = sizing.instance_family(instance_type)
        if instance_types.sizes_untranscribed(instance_type):
            why = (
                f"the {family} family is newer than Tencent's instance-type pages the offline catalogue is taken from"
                if family not in instance_types.DOCUMENTED_WITHOUT_SIZES
                else f"Tencent's instance-type pages name the {family} family but give no size table the offline "
                "catalogue transcribes"
            )
            notes.setdefault(
                instance_type,
                (
                    f"{PROJECT}:cluster.{where}: {instance_type!r} is taken as sold: {why}; `pulumi preview` checks it "
                    "against the provider's instance-types data source"
                ),
            )
            continue
        offered = instance_types.types_of(family)
        if problem := sizing.instance_type_refusal(
            f"{PROJECT}:cluster.{where}",
            instance_type,
            zone,
            offered,
            "the offline plan's catalogue of the instance types Tencent's pages document",
        ):
            if not offered:  # a family the pages do not name: say which they do
                problem += (
                    f" (the catalogue has the families {', '.join(instance_types.CATALOGUE)}, and "
                    f"{', '.join(sorted(instance_types.DOCUMENTED_WITHOUT_SIZES))} in any size, and takes a later "
                    "generation of one of their series, such as SA5 or S8, as sold)"
                )
            raise ConfigError(problem)
    return list(notes.values())


def untranscribed_types(plan: ClusterPlan | None) -> tuple[str, ...]:
    """The plan's types of families documented without sizes: what the simulated account must also sell."""
    uses = sizing.instance_type_uses(plan) if plan else {}
    return tuple(dict.fromkeys(t for _, t in uses if instance_types.sizes_untranscribed(t)))
