"""`kubecvm diff` and `--replay` on plan files a user edited by hand, and on big ones: malformed `options`,
`dependsOn`, `ignoreChanges` and inputs are exit 2 naming them (never an internal error); the switch from vpcRoutes
to globalRouter without ignoreVpcRouteConflict is refused by the replay, as Tencent refuses it; the replacement
cascade, the master-order check and the replay are iterative (8,000 resources in a chain) and their work grows
linearly (counted in Python calls, which the machine's load does not change; the timings are bench/bench.py's)."""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

import pytest
from cli_helpers import kubecvm, stack_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubecvm.offline.diff import diff_plans, masters_in_order

DIFF_CODES = {0, 2, 3}


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("plans")
    out = {}
    for tag, extra in (
        ("routes", {}),
        ("gr", {"podNetwork": {"mode": "globalRouter"}}),
        ("gri", {"podNetwork": {"mode": "globalRouter", "ignoreVpcRouteConflict": True}}),
    ):
        path = stack_file(tmp, "churn", {"name": "demo", "zones": ["ap-guangzhou-3"], **extra})
        run = kubecvm("plan", "--config-file", str(path), "--format", "json", "--no-policies")
        assert run.exit_code == 0, run.stderr
        out[tag] = run.json()
    return out


def run_diff(old: dict, new: dict, *extra: str):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "old.json", Path(tmp) / "new.json"
        a.write_text(json.dumps(old))
        b.write_text(json.dumps(new))
        return kubecvm("diff", str(a), str(b), *extra)


def test_the_switch_to_global_router_needs_the_flag(plans):
    run = run_diff(plans["routes"], plans["gr"], "--replay", "--format", "json")
    assert run.exit_code == 3, run.stderr
    failures = [f["message"] for f in run.json()["failures"]]
    assert any("CidrConflictWithVpcGlobalRoute" in m and "podNetwork.ignoreVpcRouteConflict" in m for m in failures)
    run = run_diff(plans["routes"], plans["gri"], "--replay", "--format", "json")
    assert not [f for f in run.json()["failures"] if "CidrConflict" in f["message"]]


def test_a_new_global_router_cluster_is_not_refused(plans):
    empty = {**plans["gr"], "resources": []}
    run = run_diff(empty, plans["gr"], "--replay", "--format", "json")
    assert run.exit_code == 0 and run.json()["failures"] == [], run.stdout


MALFORMED = [
    ({"options": "x"}, "options: expected an object, got str"),
    ({"options": {"dependsOn": "urn:x"}}, "options.dependsOn: expected a list of strings, got str"),
    ({"options": {"dependsOn": [1]}}, "options.dependsOn: expected a list of strings, got list"),
    ({"options": {"ignoreChanges": {"a": 1}}}, "options.ignoreChanges: expected a list of strings, got dict"),
    ({"options": {"propertyDependencies": {"a": "urn"}}}, "options.propertyDependencies: expected an object of lists"),
    ({"options": {"protect": "yes"}}, "options.protect: expected true or false, got str"),
    ({"options": {"aliases": [None]}}, "options.aliases: expected a list of strings"),
    ({"parent": 7}, "parent: expected a string or null"),
    ({"custom": "true"}, "custom: expected true or false"),
]


@pytest.mark.parametrize("patch,message", MALFORMED, ids=[m.split(":")[0] for _, m in MALFORMED])
def test_malformed_options_are_refused_naming_them(plans, patch, message):
    new = copy.deepcopy(plans["routes"])
    new["resources"][3].update(patch)
    for extra in ((), ("--replay",)):
        run = run_diff(plans["routes"], new, *extra)
        assert run.exit_code == 2 and "resources[3]." + message.split(":")[0] in run.stderr, run.stderr
        assert message in run.stderr and "internal error" not in run.stderr


VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 10**20),
        st.text(max_size=8),
        st.sampled_from(["0.0.0.0/0", "10.0.0.0/24", "sg-x", "master", "kubecvm/role"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_edit_of_a_plan_keeps_the_diff_contract(plans, data):
    old = plans[data.draw(st.sampled_from(["routes", "gr"]), label="old")]
    new = copy.deepcopy(plans[data.draw(st.sampled_from(["routes", "gr", "gri"]), label="new")])
    instances = [i for i, r in enumerate(new["resources"]) if r["type"] == "tencentcloud:Instance/instance:Instance"]
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        i = data.draw(
            st.one_of(st.sampled_from(instances), st.integers(0, len(new["resources"]) - 1)), label="resource"
        )
        where = data.draw(st.sampled_from(["inputs", "options"]), label="where")
        r = new["resources"][i]
        block = r.get(where) if isinstance(r.get(where), dict) else {}
        key = data.draw(st.sampled_from(sorted(block) + ["tags", "dependsOn", "ignoreChanges", "x"]), label="key")
        r[where] = {**block, key: data.draw(VALUES, label="value")}
    run = run_diff(old, new, "--replay", "--format", "json")
    assert run.exit_code in DIFF_CODES, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr, run.stderr


# ---- big plans: linear and iterative --------------------------------------------------------------------------
SUBNET = "tencentcloud:Subnet/instance:Instance"
INSTANCE = "tencentcloud:Instance/instance:Instance"


def chain(n: int, type_: str, key: str, prefix: str) -> list[dict]:
    res: list[dict] = []
    for i in range(n):
        urn = f"urn:pulumi:dev::kubecvm::{type_}::{prefix}{i:05}"
        prev = res[-1]["urn"] if res else None
        inputs = {key: f"id-{prefix}{i - 1}" if i else "root", "cidrBlock": "10.0.0.0/24"}
        if type_ == INSTANCE:
            inputs = {"instanceType": "S5.LARGE8", "tags": {"kubecvm/role": "master"}}
        res.append(
            {
                "urn": urn,
                "type": type_,
                "name": f"{prefix}{i}",
                "id": f"id-{prefix}{i}",
                "custom": True,
                "inputs": inputs,
                "options": {"dependsOn": [prev] if prev else [], "propertyDependencies": {key: [prev]} if prev else {}},
            }
        )
    return res


def doc(resources: list[dict]) -> dict:
    return {"formatVersion": 2, "project": "kubecvm", "stack": "dev", "resources": resources}


def test_a_cascade_of_8000_replacements_is_linear():
    old = doc(chain(8000, SUBNET, "vpcId", "s"))
    new = copy.deepcopy(old)
    new["resources"][0]["inputs"]["cidrBlock"] = "10.0.1.0/24"
    result = diff_plans(old, new)
    assert len(result.replacements) == 8000
    last = result.replacements[-1]
    assert last.cascade_key == "vpcId" and last.cascade_from.endswith("s07998")


def test_8000_masters_in_one_chain_are_ordered_and_checked_linearly():
    old = doc(chain(8000, INSTANCE, "x", "m"))
    new = copy.deepcopy(old)
    for r in new["resources"]:
        r["inputs"]["instanceType"] = "S5.LARGE16"
    result = diff_plans(old, new)
    assert result.warnings == []
    urns = [r["urn"] for r in new["resources"]]
    assert masters_in_order({r["urn"]: r for r in new["resources"]}, urns)
    # Cut the chain once: the two ends of the cut are named.
    new["resources"][4000]["options"]["dependsOn"] = []
    warning = diff_plans(old, new).warnings[0]
    assert "nothing orders them" in warning and "m03999 and" in warning and "m04000)" in warning


def test_a_replay_of_8000_in_a_chain_does_not_recurse(tmp_path):
    old = doc(chain(8000, SUBNET, "vpcId", "s"))
    new = copy.deepcopy(old)
    new["resources"][0]["inputs"]["cidrBlock"] = "10.0.1.0/24"
    run = run_diff(old, new, "--replay", "--format", "json")
    assert run.exit_code == 3 and run.json()["summary"]["replaced"] == 8000, run.stderr


def python_calls(fn) -> int:
    """How many Python functions run while fn runs: work that the machine's load does not change (a quadratic scan
    in Python shows; one inside a single C call would not)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event == "call"

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def cascade(n: int) -> tuple[dict, dict]:
    old = doc(chain(n, SUBNET, "vpcId", "s"))
    new = copy.deepcopy(old)
    new["resources"][0]["inputs"]["cidrBlock"] = "10.0.1.0/24"
    return old, new


def masters_resized(n: int) -> tuple[dict, dict]:
    old = doc(chain(n, INSTANCE, "x", "m"))
    new = copy.deepcopy(old)
    for r in new["resources"]:
        r["inputs"]["instanceType"] = "S5.LARGE16"
    return old, new


def cascade_work(n: int):
    old, new = cascade(n)
    return lambda: diff_plans(old, new)


def master_order_work(n: int):
    old, new = masters_resized(n)
    return lambda: diff_plans(old, new)


def replay_work(n: int):
    old, new = cascade(n)
    return lambda: run_diff(old, new, "--replay", "--format", "json")


@pytest.mark.parametrize("work", [cascade_work, master_order_work, replay_work])
def test_twice_the_resources_is_at_most_about_twice_the_work(work):
    """Linear: twice the chain, about twice the calls (a quadratic step would make it four times). A first run
    takes the one-time work (imports, caches) out of the count."""
    work(100)()
    assert python_calls(work(1000)) / python_calls(work(500)) < 2.1
