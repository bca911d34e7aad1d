"""The offline plan: a stack file -> validated plan -> the real program under the simulated cloud -> one JSON object.

The object is what `kubecvm plan --format json` prints and what `kubecvm diff` compares. It is deterministic
(resources sorted by URN, keys sorted on output, ids derived from names) and never holds a secret in clear.

The stack is found and checked in offline/stack_load.py, a program file runs through offline/program_run.py and
the document's parts (masked inputs, options, policy results, summaries) come from offline/plan_summary.py; every
name stays importable from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import pulumi

from kubecvm.planning import ClusterPlan
from kubecvm.policies import engine
from kubecvm.stacks.config import ConfigError, merge
from kubecvm.offline.runner import Registration, run_program
from kubecvm.offline import diagram
from kubecvm.offline.simulated_cloud import CloudRefusal, SimulatedCloud
from kubecvm.offline.plan_summary import (
    SENSITIVE_INPUTS,
    SEVERITY_ORDER,
    _order,
    _violation,
    _waiver,
    masked,
    options,
    summary,
)
from kubecvm.offline.program_run import (
    ProgramError,
    SimulatorGap,
    _shown,
    file_program,
    program_stdout_to_stderr,
    run_failure,
)
from kubecvm.offline.stack_load import (
    DEFAULT_STACK,
    LoadedStack,
    check_simulated_image,
    check_simulated_instance_types,
    load_stack,
    program_file,
    project_program,
    runs_kubecvm_program,
    stack_path,
    unknown_stack,
    untranscribed_types,
)

__all__ = [
    "DEFAULT_STACK",
    "FORMAT_VERSION",
    "SENSITIVE_INPUTS",
    "SEVERITY_ORDER",
    "LoadedStack",
    "PlanResult",
    "ProgramError",
    "SimulatorGap",
    "build",
    "check_simulated_image",
    "check_simulated_instance_types",
    "check_unique_urns",
    "evaluate_clusters",
    "expected_resources",
    "file_program",
    "load_stack",
    "masked",
    "options",
    "policy_config",
    "program_file",
    "program_stdout_to_stderr",
    "project_program",
    "run_failure",
    "runs_kubecvm_program",
    "stack_path",
    "summary",
    "unknown_stack",
    "untranscribed_types",
]

# The JSON plan's layout: `kubecvm diff` refuses a plan of another version rather than misread it.
# 2: resources carry "options" (the resource options the program passed); the document carries "project".
FORMAT_VERSION = 2


@dataclass
class PlanResult:
    document: dict
    evaluation: Any = None  # policies.engine.Evaluation, or None when policies were not run
    infos: tuple = field(default_factory=tuple)  # policies.engine.PolicyInfo for every rule

    @property
    def mandatory_failed(self) -> bool:
        return bool(self.evaluation is not None and self.evaluation.mandatory_failed)


def policy_config(plan: ClusterPlan, name_or_path: str | None) -> tuple[str, dict]:
    """The named (or the stack preset's) policy config with the cluster facts merged over it."""
    name = name_or_path or plan.preset
    try:
        loaded = engine.load_policy_config(name)
    except engine.PolicyConfigError as exc:
        raise ConfigError(f"--policy-config: {exc} (expected dev, staging, prod or the path of a JSON file)") from None
    return name, merge(dict(loaded), {"cluster": engine.cluster_settings(plan.spec)})


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
