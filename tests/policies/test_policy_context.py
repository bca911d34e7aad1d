"""What a rule reads (policies/registry.py Context): the resources of a type from the engine's groups are exactly,
and in the same order, what a scan of the stack gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kubecvm.policies.registry import Context, Resource, by_type

TYPES = ("a:A", "b:B", "c:C")


@given(st.lists(st.sampled_from(TYPES), max_size=30), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3))
def test_grouped_look_ups_are_the_scans_results_in_order(kinds, asked):
    resources = tuple(Resource(f"urn:{i}", t, f"r{i}", {}) for i, t in enumerate(kinds))
    scan = Context(resources=resources, params={})
    grouped = Context(resources=resources, params={}, by_type=by_type(resources))
    assert grouped.of_type(*asked) == scan.of_type(*asked)
    assert grouped.of_type(asked[0]) == [r for r in resources if r.type == asked[0]]
