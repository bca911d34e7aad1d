"""The offline runtime's replacements of SDK internals (kubecvm/sdk.py) answer exactly as the SDK's own do."""

from __future__ import annotations

import gc

from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime import rpc

from kubecvm import sdk
from kubecvm.offline.runner import simulated_runtime

SDK_CONTAINS_UNKNOWNS = rpc.contains_unknowns

leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.just(Unknown()))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=2), inner, max_size=4)),
    max_leaves=12)


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
