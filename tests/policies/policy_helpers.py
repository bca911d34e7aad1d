"""Helpers for the policy tests: a compliant baseline from a real plan, and one-property mutations."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kubecvm.policies.engine import Resource, cluster_settings, evaluate, load_policy_config
from kubecvm.stacks.config import merge, read_stack_file, spec_from_config
from kubecvm.offline.runner import run_program

ROOT = Path(__file__).resolve().parents[2]


def freeze(value: Any) -> Any:
    """Props as the engine hands them to a policy: read-only mappings and sequences, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def stack_file_config(stack: str, **cluster: Any) -> dict:
    """Pulumi.<stack>.yaml's config, with `cluster` deep-merged over its kubecvm:cluster."""
    config = copy.deepcopy(read_stack_file(ROOT / f"Pulumi.{stack}.yaml"))
    config["kubecvm:cluster"] = merge(config["kubecvm:cluster"], cluster)
    return config


def resources_and_cluster(config: Mapping, stack: str) -> tuple[list[Resource], dict]:
    """Run the real program on the simulated cloud; custom registrations become engine Resources."""
    recording = run_program(config, stack=stack)
    resources = [
        Resource(r.urn, r.type, r.name, freeze(r.inputs), tuple(r.dependencies))
        for r in recording.resources
        if r.custom
    ]
    spec = spec_from_config(
        preset=config["kubecvm:preset"],
        overrides=config["kubecvm:cluster"],
        region=config["tencentcloud:region"],
        stack=stack,
    )
    return resources, cluster_settings(spec)


@functools.lru_cache(maxsize=16)
def _run_cached(stack: str, cluster_json: str) -> tuple[tuple[Resource, ...], dict]:
    resources, facts = resources_and_cluster(stack_file_config(stack, **json.loads(cluster_json)), stack)
    return tuple(resources), facts


def evaluate_stack(stack: str, level: str | None = None, extra: Mapping | None = None, **cluster: Any):
    """Run Pulumi.<stack>.yaml (with `cluster` overrides) once per process, then evaluate at `level`."""
    resources, facts = _run_cached(stack, json.dumps(cluster, sort_keys=True))
    config = merge(load_policy_config(level or stack), {"cluster": facts, **(extra or {})})
    return evaluate(resources, config)


def mutate(resources: tuple[Resource, ...], name: str, change: Callable[[dict], None]) -> list[Resource]:
    """A copy of `resources` where `name`'s props went through `change` (on a thawed copy), frozen again."""
    assert name in {r.name for r in resources}, f"no resource named {name}"
    out = []
    for r in resources:
        if r.name == name:
            props = thaw(r.props)
            change(props)
            r = dataclasses.replace(r, props=freeze(props))
        out.append(r)
    return out


def without(resources: tuple[Resource, ...], name: str) -> list[Resource]:
    assert name in {r.name for r in resources}, f"no resource named {name}"
    return [r for r in resources if r.name != name]
