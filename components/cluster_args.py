"""A Cluster's arguments -> its plan: ClusterArgs (or keywords) checked and validated into a ClusterPlan and the
pass-through pulumi Inputs, and the program-wide check that two clusters do not collide. Everything here runs
before the component registers anything, so a mistake leaves nothing behind."""

from __future__ import annotations

import re
import weakref
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pydantic import ValidationError

from kubecvm.planning import ClusterPlan, ClusterSpec, SpecError, build_plan, collisions
from kubecvm.stacks.arguments import overrides_from_args
from kubecvm.stacks.config import ConfigError, plan_from_config

from .args import INPUT_ONLY, INPUTS, NETWORK_ARGS
from .spelling import in_spelling


class ClusterArgsError(pulumi.RunError, ValueError):
    """Bad Cluster arguments: the message names the argument; raised before anything is registered."""


@dataclass(frozen=True)
class ClusterInputs:
    """What a cluster takes from elsewhere that the plan only copies (ClusterArgs' pulumi.Input values)."""

    image_id: pulumi.Input[str] | None = None
    ssh_key_ids: Sequence[pulumi.Input[str]] | None = None
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    # An existing network's ids given as Inputs (plain ones are in the spec's existingNetwork).
    vpc_id: pulumi.Input[str] | None = None
    route_table_id: pulumi.Input[str] | None = None
    subnet_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def _is_plain(value: object) -> bool:
    """A value known now (not an Output or awaitable), so the spec can validate it."""
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    return isinstance(value, str | int | float | bool | dict) or value is None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_at(value: object, path: str) -> str | None:
    """The path of the first value in `value` not known now (an Output or another awaitable), else None."""
    if isinstance(value, Mapping):
        return next((p for k, v in value.items() if (p := _unknown_at(v, f"{path}.{k}"))), None)
    if isinstance(value, list | tuple):
        return next((p for i, v in enumerate(value) if (p := _unknown_at(v, f"{path}[{i}]"))), None)
    if isinstance(value, pulumi.Output) or hasattr(value, "__await__"):
        return path
    return None


def _check_plain(args: Mapping) -> None:
    """Arguments the planner lays out must be known now: an Output there fails deep in the run otherwise."""
    for key, value in args.items():
        if where := _unknown_at(value, key):
            raise ConfigError(
                f"{where}: a pulumi Output, where kubecvm needs a plain value: every address and name "
                "is planned before anything exists (only image_id, ssh_key_ids, security_group_ids and "
                "the existing network's ids may be Outputs)"
            )


_SECURITY_GROUP_ID = re.compile(r"sg-[a-z0-9]{8}")


def _check_inputs(inputs: Mapping) -> None:
    """security_group_ids: a list (of ids or Outputs of ids), checked now, before anything registers."""
    if "security_group_ids" not in inputs:
        return
    groups = inputs["security_group_ids"]
    if not isinstance(groups, list | tuple):
        got = (
            "None (leave the argument out for none)"
            if groups is None
            else "a string, which would be taken character by character"
            if isinstance(groups, str)
            else "an Output of the whole list: give a list whose items may be Outputs"
            if isinstance(groups, pulumi.Output)
            else f"a {type(groups).__name__}"
        )
        raise ConfigError(f"security_group_ids: expected a list of security group ids (sg-...), got {got}")
    for i, group in enumerate(groups):
        if isinstance(group, str):
            if not _SECURITY_GROUP_ID.fullmatch(group):
                raise ConfigError(f"security_group_ids[{i}]: {_shown(group)} is not a security group id (sg-xxxxxxxx)")
        elif group is None or not (isinstance(group, pulumi.Output) or hasattr(group, "__await__")):
            raise ConfigError(
                f"security_group_ids[{i}]: expected a security group id or an Output of one, got {_shown(group)}"
            )


def plan_from_args(name: str, args: Mapping, *, spelling: str = "snake") -> tuple[ClusterPlan, ClusterInputs]:
    """ClusterArgs -> (plan named after the component, the pass-through inputs); ClusterArgsError on a mistake,
    naming fields in the caller's `spelling` (snake_case in Python, camelCase from other languages)."""
    args = dict(args)
    subject = f"ClusterArgs of Cluster {name!r}"
    inputs: dict = {k: args.pop(k) for k in INPUT_ONLY if k in args}
    for key in INPUTS:  # plain ones are validated by the spec; Outputs pass through
        if key in args and not _is_plain(args[key]):
            inputs[key] = args.pop(key)
    preset, region = args.pop("preset", None), args.pop("region", None)
    network = {k: args.pop(k) for k in NETWORK_ARGS if k in args}
    try:
        _check_inputs(inputs)
        _check_plain(
            {"preset": preset, "region": region, **args, **{k: v for k, v in network.items() if k == "subnet_cidrs"}}
        )
        if "name" in args and args["name"] != name:
            raise ConfigError(
                f"name: {_shown(args.pop('name'))}: the cluster is named after the component "
                f"(Cluster({name!r}, ...)); drop name, or name the component as the cluster"
            )
        overrides = overrides_from_args(args) | {"name": name}
        given: set[str] = set()
        if network:
            overrides["existingNetwork"], given = _existing_network(network, inputs)
        plan = plan_from_config(  # region=0 or "" is a mistake to name, not "unset" (the stack's region)
            preset=preset,
            overrides=overrides,
            region=region if region is not None else pulumi.Config("tencentcloud").get("region"),
            stack=pulumi.get_stack(),
            subject=subject,
            given_ids=frozenset(given),
        )
    except ConfigError as exc:
        message = in_spelling(str(exc), spelling)
        raise ClusterArgsError(message if message.startswith("invalid ") else f"{subject}: {message}") from None
    return plan, ClusterInputs(**inputs)


def _existing_network(network: dict, inputs: dict) -> tuple[dict, set[str]]:
    """ClusterArgs' vpc_id, subnet_ids, subnet_cidrs, route_table_id -> the spec's existingNetwork (plain ids in
    it, Output ids into `inputs`) and the id paths given as Inputs."""
    cidrs = network.get("subnet_cidrs")
    if not isinstance(cidrs, Mapping) or not _is_plain(list(cidrs.values())):
        raise ConfigError(
            "subnet_cidrs: required with vpc_id/subnet_ids, as plain values "
            "(zone -> CIDR): kubecvm plans every node address inside them"
        )
    ids = network.get("subnet_ids") or {}
    if not isinstance(ids, Mapping):
        raise ConfigError("subnet_ids: expected a mapping of zone -> subnet id")
    unknown = sorted(set(ids) - set(cidrs))
    if unknown:
        raise ConfigError(f"subnet_ids.{unknown[0]}: no subnet_cidrs entry for this zone")
    given: set[str] = set()
    spec: dict = {"subnets": {}}
    for key, path in (("vpc_id", "vpcId"), ("route_table_id", "routeTableId")):
        value = network.get(key)
        if isinstance(value, str):
            spec[path] = value
        elif value is not None:
            inputs[key] = value
            given.add(f"existingNetwork.{path}")
    subnet_inputs: dict = {}
    for zone, cidr in cidrs.items():
        entry, value = {"cidr": cidr}, ids.get(zone)
        if isinstance(value, str):
            entry["id"] = value
        elif value is not None:
            subnet_inputs[zone] = value
            given.add(f"existingNetwork.subnets.{zone}.id")
        spec["subnets"][zone] = entry
    if subnet_inputs:
        inputs["subnet_ids"] = subnet_inputs
    return spec, given


def _renamed(plan: ClusterPlan, name: str) -> ClusterPlan:
    """The plan for a cluster called `name`: its children are named from the component's name, so two Cluster
    components built from one plan do not register the same URNs (the engine refuses duplicates)."""
    if plan.name == name:
        return plan
    try:
        return build_plan(ClusterSpec.model_validate({**plan.spec.model_dump(), "name": name}))
    except (ValidationError, SpecError) as exc:
        raise ClusterArgsError(
            f"Cluster {name!r}: the name is the cluster's (the prefix of every child); expected a lower-case DNS "
            f"label of at most 20 characters ({str(exc).splitlines()[0]})"
        ) from None


# The clusters each run of a program has built (keyed by the run's root stack resource, so runs in one process, as
# the offline plan and tests make, do not see each other's): a new one is checked against them before it registers.
_BUILT: "weakref.WeakKeyDictionary[pulumi.Resource, list[tuple[collisions.Built, object]]]" = (
    weakref.WeakKeyDictionary()
)


def _vpc_key(plan: ClusterPlan, inputs: ClusterInputs) -> Hashable | None:
    """Which VPC a cluster is in, as far as the program says: an existing network's plain VPC id, or the very
    Input object given as vpc_id (one Output shared by two clusters is one VPC); None for the cluster's own VPC."""
    existing = plan.spec.existing_network
    if existing is None:
        return None
    if inputs.vpc_id is not None and not isinstance(inputs.vpc_id, str):
        return ("input", id(inputs.vpc_id))
    return ("id", inputs.vpc_id or existing.vpc_id)


def check_program_clusters(name: str, plan: ClusterPlan, inputs: ClusterInputs, spelling: str = "snake") -> None:
    """Refuse a cluster that collides with one the program built before it (planning/collisions.py), naming both;
    else remember it. Runs before the Cluster registers anything (its own children included)."""
    root = pulumi.runtime.get_root_resource()
    if root is None:  # outside a program run (a bare unit test): nothing to compare with
        return
    built = _BUILT.setdefault(root, [])
    new = collisions.Built(plan, _vpc_key(plan, inputs))
    if problem := collisions.problem((b for b, _ in built), new):
        raise ClusterArgsError(f"Cluster {name!r}: {in_spelling(problem, spelling)}")
    built.append((new, inputs.vpc_id))  # the Input is kept alive, so its id() names it for the whole run
