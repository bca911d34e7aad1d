"""The offline runtime's replacements of SDK internals (kubecvm/sdk.py) answer exactly as the SDK's own do."""

from __future__ import annotations

import gc
from contextlib import nullcontext

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime import rpc

from kubecvm import sdk
from kubecvm.offline import runner
from kubecvm.offline.runner import SharedStrings, simulated_runtime
from kubecvm.offline.simulated_cloud import SimulatedCloud

SDK_CONTAINS_UNKNOWNS = rpc.contains_unknowns
SDK_TRANSFER_PROPERTIES = rpc.transfer_properties

leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.just(Unknown()))
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=2), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_unknowns_check_answers_as_the_sdks(value):
    assert sdk._unknowns_check(Unknown)(value) is SDK_CONTAINS_UNKNOWNS(value)


def test_the_unknowns_check_walks_shared_and_cyclic_values_once():
    check = sdk._unknowns_check(Unknown)
    shared = [1, {"a": "b"}]
    cyclic: dict = {"x": shared, "y": shared}
    cyclic["self"] = cyclic
    assert check(cyclic) is SDK_CONTAINS_UNKNOWNS(cyclic) is False
    cyclic["deep"] = [[{"u": Unknown()}]]
    assert check(cyclic) is SDK_CONTAINS_UNKNOWNS(cyclic) is True
    assert check((Unknown(),)) is SDK_CONTAINS_UNKNOWNS((Unknown(),)) is False  # tuples are not walked, as the SDK's


def test_the_unknowns_check_leaves_no_garbage_for_the_collector():
    check = sdk._unknowns_check(Unknown)
    gc.collect()
    gc.disable()
    try:
        for _ in range(100):
            check({"a": [1, 2, {"b": "c"}]})
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_unknowns_check_is_replaced_only_inside_the_simulated_runtime():
    with simulated_runtime():
        assert rpc.contains_unknowns is not SDK_CONTAINS_UNKNOWNS
        assert rpc.contains_unknowns({"a": [Unknown()]}) is True
    assert rpc.contains_unknowns is SDK_CONTAINS_UNKNOWNS


def _program() -> None:
    a = pulumi.CustomResource(
        "test:index:Thing", "a", {"x": "1", "none": None, "s": pulumi.Output.secret("p"), "nested": {"k": ["v", 2]}}
    )
    b = pulumi.CustomResource(
        "test:index:Thing",
        "b",
        {"fromA": a.x.apply(lambda x: f"{x}-b"), "secretOfA": a.s, "nestedOfA": a.nested, "noneOfA": a.none},
    )
    pulumi.export("x", a.x)
    pulumi.export("s", a.s)
    pulumi.export("fromA", b.fromA)
    pulumi.export("known", pulumi.Output.all(a.none, b.noneOfA).apply(lambda v: v == [None, None]))


def _recorded(monkeypatch, light: bool):
    if not light:
        monkeypatch.setattr(sdk, "outputs_without_tasks", nullcontext)
    recording = runner.run_program({}, stack="t", program=_program)
    monkeypatch.undo()
    return [vars(r) for r in recording.resources], recording.outputs


def test_resource_outputs_over_one_future_resolve_as_the_sdks(monkeypatch):
    light = _recorded(monkeypatch, light=True)
    assert light == _recorded(monkeypatch, light=False)
    resources, outputs = light
    assert outputs == {"x": "1", "s": "[secret]", "fromA": "1-b", "known": True}
    b = next(r for r in resources if r["name"] == "b")
    a_urn = "urn:pulumi:t::kubecvm::pulumi:pulumi:Stack$test:index:Thing::a"
    assert b["property_dependencies"] == {k: [a_urn] for k in ("fromA", "nestedOfA", "secretOfA")}  # None: no input
    assert b["inputs"] == {"fromA": "1-b", "nestedOfA": {"k": ["v", 2]}, "secretOfA": "[secret]"}


def test_a_refused_registration_fails_the_outputs_read_from_it_as_the_sdks(monkeypatch):
    class Refusing(SimulatedCloud):
        def new_resource(self, args):
            if args.name == "a":
                raise ValueError("refused a")
            return super().new_resource(args)

    for light in (True, False):
        if not light:
            monkeypatch.setattr(sdk, "outputs_without_tasks", nullcontext)
        with pytest.raises(Exception, match="refused a"):
            runner.run_program({}, stack="t", program=_program, cloud=Refusing())
        monkeypatch.undo()


def test_resource_outputs_are_one_future_each_only_inside_the_simulated_runtime():
    with simulated_runtime():
        assert rpc.transfer_properties is not SDK_TRANSFER_PROPERTIES
    assert rpc.transfer_properties is SDK_TRANSFER_PROPERTIES


def test_equal_long_strings_are_kept_once_and_short_ones_pass_through():
    share = SharedStrings()
    first, second = "u" * SharedStrings.SHORTEST, "".join(["u"] * SharedStrings.SHORTEST)
    assert first == second and first is not second
    assert share(first) is first and share(second) is first
    short = "x" * (SharedStrings.SHORTEST - 1)
    assert share(short) is short and share(7) == 7 and share([first]) == [first]
    inputs = {"userData": second, "name": "n", "nested": {"userData": second}}
    assert share.inputs(inputs) is inputs
    assert inputs["userData"] is first and inputs["nested"]["userData"] is second  # the top level only
