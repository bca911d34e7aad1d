"""Strict types everywhere in the spec: no field coerces a value of another type (pydantic's lax mode would take
"no", "off", 0 and 1 as booleans, true and "8080" as integers, bytes as a string, a tuple as a list).

Two checks: a walk over every model in planning/spec/ (structure: strict config, lax only on enums), and a sweep
that feeds every leaf field of the spec values of the wrong type and expects a refusal naming that field, through
the Python API and, for a sample, through the real CLI as a user runs it.
"""

from __future__ import annotations

import enum
import inspect
import json
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Strict
from pydantic.fields import FieldInfo

from kubecvm.planning import spec as spec_module
from kubecvm.stacks.config import ConfigError, spec_from_config

MODELS = [
    m
    for _, m in inspect.getmembers(spec_module, inspect.isclass)
    if issubclass(m, BaseModel) and m.__module__.startswith(f"{spec_module.__name__}.")
]


def _leaves(annotation) -> list[tuple[object, list]]:
    """(type, its metadata) for every type an annotation may hold, through Optional, list, dict and Annotated."""
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *meta = typing.get_args(annotation)
        return [(t, m + meta) for t, m in _leaves(inner)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict):
        return [(annotation, [])] * (origin in (list, dict)) + [
            leaf for a in typing.get_args(annotation) for leaf in _leaves(a)
        ]
    return [(annotation, [])]


def _field_leaves(info: FieldInfo) -> list[tuple[object, list]]:
    return [(t, meta + (info.metadata if t is info.annotation else [])) for t, meta in _leaves(info.annotation)]


def test_the_models_are_found():
    assert {"ClusterSpec", "NodePool", "Taint", "IngressPorts", "Backups", "Addons"} <= {m.__name__ for m in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_spec_model_has_a_lax_field(model):
    assert model.model_config.get("strict") is True, f"{model.__name__} is not strict"
    for name, info in model.model_fields.items():
        for leaf, meta in _field_leaves(info):
            lax = [m for m in meta if isinstance(m, Strict) and not m.strict]
            if lax:
                assert isinstance(leaf, type) and issubclass(leaf, enum.Enum), (
                    f"{model.__name__}.{name}: lax on {leaf!r}; only an enum may be (its config string names a member)"
                )


# ---- the sweep: every leaf field, values of the wrong type ------------------------------------------------------
BASE_POOL = {"name": "web", "instanceType": "S5.LARGE8", "countPerZone": 1}
BASE = {"zones": ["ap-guangzhou-3"], "nodePools": [BASE_POOL]}
WRONG = {
    bool: ["no", "off", "yes", "on", "true", "false", 0, 1, 1.0, b"true", None],
    int: [True, False, "8080", "1", 1.5, b"8", None],
    str: [1, True, 1.5, b"ap-guangzhou-3", None],
}
# A spot bid is a decimal string that a YAML number also writes ("0.50" or 0.5): numbers are taken on purpose.
WRONG_FOR = {"maxPrice": [True, False, b"0.5", None]}


def _wrong(path: str, kind: type, optional: bool) -> list:
    return [v for v in WRONG_FOR.get(path.rsplit(".", 1)[-1], WRONG[kind]) if not (v is None and optional)]


def _scalar_kind(info: FieldInfo) -> type | None:
    kinds = {t for t, _ in _field_leaves(info) if t in (bool, int, str)}
    return next(iter(kinds)) if len(kinds) == 1 else None


def _paths(model: type[BaseModel], prefix: str = "", depth: int = 0):
    """(camelCase path, scalar type, optional) for every scalar field reachable through mappings (and the first
    node pool)."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}{key}"
        if (kind := _scalar_kind(info)) is not None:
            yield path, kind, any(t is type(None) for t, _ in _field_leaves(info))
        for leaf, _ in _field_leaves(info):
            if isinstance(leaf, type) and issubclass(leaf, BaseModel) and depth < 4:
                if typing.get_origin(info.annotation) is list or "list" in str(info.annotation):
                    if key == "nodePools":
                        yield from _paths(leaf, f"{path}[0].", depth + 1)
                    elif key == "taints":
                        yield from _paths(leaf, f"{path}[0].", depth + 1)
                elif "dict[" not in str(info.annotation):
                    yield from _paths(leaf, f"{path}.", depth + 1)


PATHS = sorted(
    {(p, k, o) for p, k, o in _paths(spec_module.ClusterSpec) if p not in ("preset", "region")}, key=lambda x: x[0]
)


def _with(path: str, value) -> dict:
    doc = json.loads(json.dumps(BASE))
    if path.startswith("nodePools[0].taints[0]."):
        doc["nodePools"][0]["taints"] = [{"key": "a", "effect": "NoSchedule"}]
    node, parts = doc, path.replace("[0]", "").split(".")
    for i, part in enumerate(parts[:-1]):
        node = node[part][0] if part in ("nodePools", "taints") else node.setdefault(part, {})
    node[parts[-1]] = value
    return doc


def test_the_sweep_covers_the_fields_the_fuzz_found():
    paths = {p for p, _, _ in PATHS}
    assert {
        "ingress.ports.http",
        "backups.intervalHours",
        "protect",
        "addons.cbsCsi",
        "ingress.enabled",
        "podNetwork.ignoreVpcRouteConflict",
        "nodePools[0].countPerZone",
        "nodePools[0].taints[0].key",
    } <= paths
    assert len(paths) > 40


@given(case=st.sampled_from(PATHS).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(_wrong(*c)))))
def test_every_scalar_field_refuses_a_value_of_another_type(case):
    (path, _, _), value = case
    with pytest.raises(ConfigError) as err:
        spec_from_config(preset="dev", overrides=_with(path, value), region="ap-guangzhou", stack="dev")
    assert f"{path}:" in str(err.value), str(err.value)


@pytest.mark.parametrize("path", [p for p, _, _ in PATHS])
def test_each_field_takes_its_own_type(path):
    """The sweep's documents are right but for the wrong value (else a refusal could be for something else)."""
    kind = next(k for p, k, _ in PATHS if p == path)
    try:
        spec_from_config(
            preset="dev",
            overrides=_with(path, {bool: True, int: 2, str: "x"}[kind]),
            region="ap-guangzhou",
            stack="dev",
        )
    except ConfigError as exc:  # a value of the right type may still be refused, but not for its type
        assert (
            "expected true or false" not in str(exc)
            and "expected an integer" not in str(exc)
            and "expected a string" not in str(exc)
        ), str(exc)


CLI_CASES = [
    ({"ingress": {"enabled": True, "ports": {"http": True}}}, "ingress.ports.http: expected an integer, got True"),
    ({"ingress": {"ports": {"https": "8080"}}}, "ingress.ports.https: expected an integer, got '8080'"),
    ({"backups": {"intervalHours": True}}, "backups.intervalHours: expected an integer"),
    ({"protect": "off"}, "protect: expected true or false, got a string 'off'"),
    ({"addons": {"metricsServer": 0}}, "addons.metricsServer: expected true or false, got an integer 0"),
    ({"podNetwork": {"ignoreVpcRouteConflict": 1}}, "podNetwork.ignoreVpcRouteConflict: expected true or false"),
    ({"tags": {"team": 7}}, "tags.team: expected a string, got an integer 7"),
]


@pytest.mark.parametrize("cluster,message", CLI_CASES, ids=[m.split(":")[0] for _, m in CLI_CASES])
def test_the_cli_refuses_a_value_of_another_type(tmp_path: Path, cluster, message):
    path = tmp_path / "Pulumi.dev.yaml"
    doc = {**BASE, **cluster}
    path.write_text(
        json.dumps({"config": {"tencentcloud:region": "ap-guangzhou", "kubecvm:preset": "dev", "kubecvm:cluster": doc}})
    )
    run = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "--config-file", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert run.stdout == ""
