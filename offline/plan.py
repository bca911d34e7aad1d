"""The offline plan: a stack file -> validated plan -> the real program under the simulated cloud -> one JSON object.

The object is what `kubecvm plan --format json` prints and what `kubecvm diff` compares. It is deterministic
(resources sorted by URN, keys sorted on output, ids derived from names) and never holds a secret in clear.
"""

from __future__ import annotations

import ast
import os
import runpy
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import pulumi

from kubecvm.planning import ClusterPlan, bootstrap, mirrors, monitoring, sizing
from kubecvm import sdk
from kubecvm.policies import engine
from kubecvm.stacks.config import (
    NAMESPACES,
    PROJECT,
    ConfigError,
    config_args,
    default_name_note,
    merge,
    plan_from_config,
    read_stack_file,
)
from kubecvm.stacks.project import DEFAULT_PROJECT, Project, find_project, stack_name_problem
from kubecvm.offline.runner import SECRET, Registration, run_program
from kubecvm.offline import diagram, instance_types, simulated_cloud
from kubecvm.offline.simulated_cloud import CloudRefusal, SimulatedCloud

DEFAULT_STACK = "dev"
# The JSON plan's layout: `kubecvm diff` refuses a plan of another version rather than misread it.
# 2: resources carry "options" (the resource options the program passed); the document carries "project".
FORMAT_VERSION = 2
# Inputs the provider marks Sensitive; masked even if a program passes them as plain values.
SENSITIVE_INPUTS = frozenset({"password"})


@dataclass
class LoadedStack:
    stack: str
    path: Path
    config: dict  # the full config the program sees: project defaults under the stack file's values
    plan: ClusterPlan | None  # the stack's kubecvm cluster; None when another program's stack has none
    project: Project = field(default_factory=lambda: Project(dir=Path.cwd()))
    program: Path | None = None  # the program file to run (the project's own, or --program); None runs kubecvm.program
    notes: tuple[str, ...] = ()  # what to tell the user (stderr), e.g. how the cluster name was derived


@dataclass
class PlanResult:
    document: dict
    evaluation: Any = None  # policies.engine.Evaluation, or None when policies were not run
    infos: tuple = field(default_factory=tuple)  # policies.engine.PolicyInfo for every rule

    @property
    def mandatory_failed(self) -> bool:
        return bool(self.evaluation is not None and self.evaluation.mandatory_failed)


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


def policy_config(plan: ClusterPlan, name_or_path: str | None) -> tuple[str, dict]:
    """The named (or the stack preset's) policy config with the cluster facts merged over it."""
    name = name_or_path or plan.preset
    try:
        loaded = engine.load_policy_config(name)
    except engine.PolicyConfigError as exc:
        raise ConfigError(f"--policy-config: {exc} (expected dev, staging, prod or the path of a JSON file)") from None
    return name, merge(dict(loaded), {"cluster": engine.cluster_settings(plan.spec)})


def masked(inputs: Mapping) -> dict:
    return {k: SECRET if k in SENSITIVE_INPUTS and v not in (None, "") else v for k, v in inputs.items()}


def options(r: Registration) -> dict:
    """What the engine is told besides the inputs: the order of a replacement, protection, ignored inputs, and the
    dependencies (URNs) that order creates, updates and deletes; `propertyDependencies` maps an input to the
    resources its value comes from; `aliases` are the URNs it had before a rename (the engine keeps the resource)."""
    return {
        "deleteBeforeReplace": r.delete_before_replace,
        "protect": r.protect,
        "ignoreChanges": list(r.ignore_changes),
        "retainOnDelete": r.retain_on_delete,
        "dependsOn": list(r.dependencies),
        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        "aliases": list(r.aliases),
    }


def _violation(v) -> dict:
    return {
        "policy": v.policy,
        "enforcement": v.enforcement,
        "severity": v.severity,
        "message": v.message,
        "urn": v.urn,
    }


def _waiver(w) -> dict:
    return {"policy": w.policy, "urn": w.urn, "reason": w.reason, "expires": w.expires}


SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _order(item: dict) -> tuple:
    """Mandatory before advisory, the most severe first; then by rule and resource, so the order is stable."""
    return (
        item.get("enforcement") != "mandatory",
        SEVERITY_ORDER.get(item.get("severity"), 4),
        item["policy"],
        item["urn"] or "",
        item.get("message", ""),
    )


def _boot_hosts(plan: ClusterPlan) -> dict:
    """Where the nodes get what they boot with (planning/mirrors.py), and which of it lies outside the VPC."""
    m = mirrors.from_spec(plan.spec)
    return {
        "controlPlaneImages": m.control_plane,
        "packages": m.packages,
        "dockerHubMirror": m.docker_hub,
        "addonRegistry": m.addon_registry,
        "cloudApi": m.api_domain,
        "outsideVpc": list(m.egress_hosts),
        # egress as configured, and what it resolved to (auto: a NAT exactly when outsideVpc is not empty)
        "egress": plan.spec.egress.value,
        "nat": plan.nat is not None,
    }


def _monitoring(plan: ClusterPlan) -> dict | None:
    mp, pp = monitoring.monitoring_plan(plan), monitoring.prometheus_plan(plan)
    if mp is None and pp is None:
        return None
    return {**(mp.summary() if mp else {"alarms": []}), **({"prometheus": pp.summary()} if pp else {})}


def summary(plan: ClusterPlan, resources: list[dict]) -> dict:
    """One cluster's summary; `resources` are its own (diagram.cluster_members), which it counts."""
    cap = plan.capacity
    zones = []
    for subnet in plan.subnets:
        zones.append(
            {
                "zone": subnet.zone,
                "subnet": subnet.cidr,
                "masters": sum(m.zone == subnet.zone for m in plan.masters),
                "workers": sum(w.zone == subnet.zone for w in plan.workers),
            }
        )
    custom = [r for r in resources if r["custom"]]
    types = {sp.name: sp.instance_type for sp in plan.spec.node_pools}  # a pool of 0 nodes still has its type
    return {
        "cluster": plan.name,
        "region": plan.region,
        "preset": plan.preset,
        "zones": zones,
        "masters": {
            "count": len(plan.masters),
            "instanceType": plan.masters[0].instance_type,
            "shape": str(plan.masters[0].shape),
        },
        "pools": [
            {
                "name": p.name,
                "slot": p.slot,
                "zones": list(p.zones),
                "nodes": len(p.nodes),
                "instanceType": p.nodes[0].instance_type if p.nodes else types.get(p.name),
            }
            for p in plan.pools
        ],
        "workers": len(plan.workers),
        "cidrs": {
            "vpc": plan.vpc_cidr,
            "pod": plan.pod_cidr,
            "service": plan.service_cidr,
            "nodePodMask": plan.spec.node_pod_mask,
            "subnets": {s.zone: s.cidr for s in plan.subnets},
        },
        "apiEndpoint": {
            "exposure": plan.api.exposure,
            "endpoint": plan.api.endpoint or None,
            "allowedCidrs": list(plan.api.allowed_cidrs),
        },
        # The workload entry point (planning/ingress.py): listener port -> NodePort on the selected pools' workers.
        "ingress": None
        if plan.ingress is None
        else {
            "exposure": plan.ingress.exposure,
            "endpoint": plan.ingress.vip,
            "allowedCidrs": list(plan.ingress.allowed_cidrs),
            "ports": {li.key: {"port": li.port, "nodePort": li.node_port} for li in plan.ingress.listeners},
            "pools": list(plan.ingress.pools),
            "targets": len(plan.ingress.targets),
        },
        # What Cloud Monitor watches and who is told (planning/monitoring.py); None without alarms.
        "monitoring": _monitoring(plan),
        "capacity": cap.to_dict(),
        "networkPolicy": dict(bootstrap.NETWORK_POLICY),
        "routeEntries": {"used": cap.route_entries_used, "quota": cap.route_quota},
        "boot": _boot_hosts(plan),
        "resources": {"total": len(custom), "byType": dict(sorted(Counter(r["type"] for r in custom).items()))},
    }


@contextmanager
def _in_program_dir(path: Path) -> Iterator[None]:
    """Pulumi's Python host runs a program from its own directory, importable beside it."""
    cwd, sys_path = os.getcwd(), list(sys.path)
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = sys_path


class ProgramError(ConfigError):
    """Another project's program (--program) raised: its own mistake, not kubecvm's (the cause keeps the traceback)."""


class SimulatorGap(ConfigError):
    """The program read a resource output the simulated cloud gives no value for: a limit of the offline plan, which
    the message names (resource and output), not a kubecvm bug (the cause keeps the traceback)."""


def run_failure(exc: Exception, program: Path | None) -> ConfigError | None:
    """What an exception out of a run was, when it was not kubecvm's own bug: a read of an output the simulated cloud
    left empty (SimulatorGap), or a failure in a function of the program's own (ProgramError)."""
    read = sdk.failed_output_read(exc)
    if read is None:
        return None
    what = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    error = f"{type(exc).__name__}{': ' + what if what else ''}"
    empty = read.value_was_none or (isinstance(exc, (AttributeError, TypeError)) and "NoneType" in what)
    if empty and read.resource_name is not None:
        resource = f"{read.resource_type} {read.resource_name!r}"
        output = (
            f"{read.output}{read.read} of {resource}"
            if read.output
            else f"{read.read.strip()} of an output derived from {resource}"
        )
        return SimulatorGap(
            f"the program reads {output}, which the simulated cloud gives no value for ({error}). That is a gap of "
            "the offline plan's simulator (offline/simulated_cloud.py and offline/simulated_kubernetes.py say what it "
            "answers), not a mistake in your program or a kubecvm bug; `pulumi preview` asks the real provider "
            "(kubecvm --debug plan ... shows the traceback)"
        )
    if (
        program is not None
        and read.function_file
        and Path(read.function_file).resolve().is_relative_to(program.parent.resolve())
    ):
        return ProgramError(
            f"{program}: the program failed{read.read}: {error} (kubecvm --debug plan ... shows its traceback)"
        )
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@contextmanager
def program_stdout_to_stderr() -> Iterator[None]:
    """What a program prints goes to stderr while it runs, as `pulumi preview` shows a program's output as
    diagnostics and never as its own: stdout is the plan's (`--format json` must stay one JSON document). Both
    sys.stdout and file descriptor 1 (a subprocess, os.write) when stdout is a real file."""
    sys.stdout.flush()
    saved = None
    try:
        if sys.stdout.fileno() == 1:
            saved = os.dup(1)
            os.dup2(sys.stderr.fileno(), 1)
    except (AttributeError, OSError, ValueError):  # an in-memory stdout (a test runner): sys.stdout alone
        saved = None
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def file_program(path: Path) -> Callable[[], None]:
    def run() -> None:
        with _in_program_dir(path):
            try:
                runpy.run_path(str(path), run_name="__main__")
            except pulumi.RunError:
                raise  # a configuration refusal: its message is the whole story
            except SystemExit as exc:
                # sys.exit() ends the program before the engine has its resources: a plan of what was registered so
                # far would read as a pass (exit 0) or as a violation (sys.exit(1)); neither is what happened.
                raise ProgramError(
                    f"{path}: the program called sys.exit({_shown(exc.code)}) before it finished, so "
                    "there is no whole plan of it; a Pulumi program registers its resources and "
                    "returns (raise an exception to fail it)"
                ) from exc
            except KeyboardInterrupt:
                raise  # the user's Ctrl-C: the CLI stops as for any other run
            except BaseException as exc:  # noqa: BLE001  (a BaseException of the program's own is its failure too)
                what = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
                raise ProgramError(
                    f"{path}: the program failed: {type(exc).__name__}{': ' + what if what else ''} "
                    "(kubecvm --debug plan ... shows its traceback)"
                ) from exc

    return run


def check_unique_urns(registrations: list[Registration]) -> None:
    """The engine refuses a program that registers one URN twice ("Duplicate resource URN"); so does the plan,
    naming it (Cluster components check one another first, naming both clusters: components/cluster.py)."""
    seen: set[str] = set()
    for r in registrations:
        if r.urn in seen:
            raise ConfigError(
                f"the program registers {r.urn} twice; the Pulumi engine refuses a duplicate resource "
                f"URN: give one of the two {r.type} resources another name"
            )
        seen.add(r.urn)


def evaluate_clusters(resources: list[dict], plans: list[ClusterPlan], config: dict, config_name: str | None):
    """The rules over each cluster's own resources with that cluster's facts (podCidr, quotas, ...), so a program
    composing several clusters is judged cluster by cluster; what belongs to none is judged with the first's."""

    def evaluate(group: list[dict], cfg: dict):
        return engine.evaluate(
            [
                engine.Resource(
                    urn=r["urn"],
                    type=r["type"],
                    name=r["name"],
                    props=r["inputs"],
                    dependencies=tuple((r.get("options") or {}).get("dependsOn") or ()),
                )
                for r in group
                if r["custom"]
            ],
            cfg,
        )

    if len(plans) < 2:
        return evaluate(resources, config)
    by_name = {p.name: p for p in plans}
    groups = engine.cluster_groups(
        resources,
        itemgetter("urn"),
        itemgetter("type"),
        itemgetter("name"),
        itemgetter("parent"),
        primary=plans[0].name,
    )
    return engine.merged(
        [
            evaluate(
                group,
                config
                if name not in by_name or name == plans[0].name
                else policy_config(by_name[name], config_name)[1],
            )
            for name, group in groups
        ]
    )


def build(
    loaded: LoadedStack,
    *,
    policies: bool = True,
    policy_config_name: str | None = None,
    on_register: Callable[[str], None] | None = None,
    program: Callable[[], None] | None = None,
) -> PlanResult:
    """Run the stack's program under the simulated cloud and assemble the plan object (and policy results)."""
    if program is None and loaded.program is not None:
        program = file_program(loaded.program)
    # kubecvm's own program builds the stack's cluster; another program builds what it builds, whatever the stack's
    # kubecvm:cluster says (that plan only tells the simulated account its quota and what it sells).
    own = loaded.program is None and loaded.plan is not None
    # Load the policy config first: a bad --policy-config is a usage error and should not wait for the run.
    config_name, config = policy_config(loaded.plan, policy_config_name) if policies and own else (None, None)
    # The simulated account's route-table quota is what the stack says it is: offline there is no account to ask.
    quota = loaded.plan.capacity.route_quota if loaded.plan else None
    sells = untranscribed_types(loaded.plan)
    cloud = SimulatedCloud(route_table_quota=quota, sells=sells) if quota else SimulatedCloud(sells=sells)
    try:
        with program_stdout_to_stderr():
            recording = run_program(
                loaded.config,
                stack=loaded.stack,
                program=program,
                on_register=on_register,
                cloud=cloud,
                project=loaded.project.name,
            )
    except CloudRefusal as exc:  # the program asks for what Tencent refuses: as much a mistake as bad config
        raise ConfigError(f"{getattr(exc, 'refused_by', 'Tencent Cloud')} would refuse {exc}") from None
    except (ConfigError, pulumi.RunError):
        raise
    except SystemExit as exc:  # from a callback of the program (apply), where file_program cannot see it
        raise ProgramError(
            f"the program called sys.exit({_shown(exc.code)}) during the run (in a callback such as "
            "an apply), so there is no whole plan of it; raise an exception to fail a program"
        ) from exc
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001  (kubecvm's bug unless it is a simulator gap or the program's own)
        if (known := run_failure(exc, loaded.program)) is not None:
            raise known from exc
        raise
    check_unique_urns(recording.resources)
    plans = [loaded.plan] if own else []
    plans += [p for p in recording.plans if all(p.name != q.name for q in plans)]
    if policies and config is None and plans:
        config_name, config = policy_config(plans[0], policy_config_name)
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "id": r.id,
            "inputs": masked(r.inputs),
            "options": options(r),
        }
        for r in recording.resources
    ]
    evaluation, infos = None, ()
    section: dict[str, Any] = {
        "evaluated": False,
        "config": None,
        "violations": [],
        "waivers": [],
        "mandatoryFailed": False,
    }
    if policies and not plans:  # the rules judge kubecvm clusters: alone, a user's objects would fail them all
        section["skipped"] = "the program builds no kubecvm cluster for the rules to judge"
    elif policies:
        try:
            evaluation = evaluate_clusters(resources, plans, config, policy_config_name)
        except engine.PolicyConfigError as exc:  # a user pattern that ran past its time limit
            raise ConfigError(f"--policy-config {config_name}: {exc}") from None
        infos = tuple(engine.policies())
        section = {
            "evaluated": True,
            "config": config_name,
            "violations": sorted((_violation(v) for v in evaluation.violations), key=_order),
            "waivers": sorted((_waiver(w) for w in evaluation.waivers), key=_order),
            "checks": len(evaluation.checks),
            "mandatoryFailed": bool(evaluation.mandatory_failed),
        }
    document = {
        "formatVersion": FORMAT_VERSION,
        "project": loaded.project.name,
        "stack": loaded.stack,
        "resources": resources,
        "outputs": recording.outputs,
        "policies": section,
        "summary": None,  # no kubecvm cluster: a program of Kubernetes objects or other resources only
    }
    # One summary per cluster, of that cluster's own resources; the first is also `summary`, and `clusters` lists
    # them all when a program composes several.
    members = diagram.cluster_members(resources, [p.name for p in plans])
    summaries = [summary(p, members[p.name]) for p in plans]
    if summaries:
        document["summary"] = summaries[0]
    if len(summaries) > 1:
        document["clusters"] = summaries
    return PlanResult(document, evaluation, infos)


def expected_resources(plan: ClusterPlan) -> int:
    """About how many registrations the program makes (a progress bar's total; the bar grows it if short)."""
    per_machine = 2  # the CVM and its pod route (data disks are inline on the CVM, not resources)
    etcd = 2 * len(plan.masters)  # each master's etcd disk and its attachment
    fixed = 60  # components, network, security groups, load balancer, PKI and bootstrap secrets
    return len(plan.machines) * per_machine + etcd + len(plan.subnets) + fixed
