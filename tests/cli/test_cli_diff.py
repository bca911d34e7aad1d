"""`kubecvm diff` on plans produced by real runs (the issue's day-2 scenarios); its tables on hand-made plans are in
test_cli_diff_tables.py."""

from __future__ import annotations

import json

import pytest
from cli_helpers import kubecvm, stack_file

from kubecvm.offline.diff import INSTANCE
from kubecvm.planning import build_plan, names
from kubecvm.stacks.config import spec_from_stack_file

BASE = {"zones": ["ap-guangzhou-3"], "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2}]}
ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]


def planned(tmp_path, tag: str, cluster: dict, preset: str = "dev", stack: str = "churn") -> tuple:
    """Plan `cluster` as stack `churn` (one stack name, so URNs are comparable) into a JSON file."""
    directory = tmp_path / tag
    directory.mkdir()
    path = stack_file(directory, stack, cluster, preset=preset)
    out = directory / "plan.json"
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies", "--out", out)
    assert run.exit_code == 0, run.stderr
    return out, build_plan(spec_from_stack_file(path, stack))


def urn_names(items) -> set[str]:
    return {i["urn"].rsplit("::", 1)[1] for i in items}


def diff(old, new, *extra) -> tuple[int, dict]:
    run = kubecvm("diff", old, new, "--format", "json", *extra)
    assert run.exit_code in (0, 3), run.stderr
    return run.exit_code, run.json()


@pytest.fixture
def base(tmp_path):
    return planned(tmp_path, "base", BASE)


# --- the scenarios, through the CLI -------------------------------------------------------------------


def test_pool_plus_one_node_only_adds_that_node_and_its_route(tmp_path, base):
    new_path, _ = planned(tmp_path, "plus1", {**BASE, "nodePools": [{**BASE["nodePools"][0], "countPerZone": 3}]})
    code, d = diff(base[0], new_path)
    node = names.worker("churn", "general", "ap-guangzhou-3", 2)
    assert code == 0
    assert urn_names(d["added"]) == {node, names.pod_route(node)}
    assert all(a["reason"] == "not in the old plan" for a in d["added"])
    assert (d["updated"], d["replaced"], d["deleted"], d["failures"]) == ([], [], [], [])


def test_pool_scaled_to_zero_deletes_its_nodes_and_exits_3(tmp_path, base):
    new_path, _ = planned(tmp_path, "zero", {**BASE, "nodePools": [{**BASE["nodePools"][0], "countPerZone": 0}]})
    code, d = diff(base[0], new_path, "--replay")
    nodes = [names.worker("churn", "general", "ap-guangzhou-3", k) for k in (0, 1)]
    assert code == 3
    assert urn_names(d["deleted"]) == {*nodes, *map(names.pod_route, nodes)}
    assert all(x["fails"] is None for x in d["deleted"]) and d["failures"] == []
    assert d["summary"]["deleted"] == 4 and d["added"] == [] and d["replaced"] == []


def test_adding_a_zone_only_adds_its_subnet_nodes_and_routes(tmp_path, base):
    new_path, new_plan = planned(tmp_path, "zone", {**BASE, "zones": ["ap-guangzhou-3", "ap-guangzhou-4"]})
    code, d = diff(base[0], new_path)
    new_nodes = [n.name for n in new_plan.workers if n.zone == "ap-guangzhou-4"]
    assert code == 0 and len(new_nodes) == 2
    assert urn_names(d["added"]) == {
        names.subnet("churn", "ap-guangzhou-4"),
        *new_nodes,
        *map(names.pod_route, new_nodes),
    }
    assert (d["updated"], d["replaced"], d["deleted"]) == ([], [], [])


def test_dropping_a_zone_moves_its_master_delete_first_and_leaves_the_other_nodes(tmp_path):
    cluster = {"zones": ZONES, "nodePools": [{"name": "general", "instanceType": "S5.2XLARGE16", "countPerZone": 1}]}
    old, _ = planned(tmp_path, "three", cluster, preset="staging")
    new, plan = planned(tmp_path, "two", {**cluster, "zones": ZONES[:2]}, preset="staging")
    code, d = diff(old, new, "--replay")
    assert code == 3
    moved = names.master("churn", 2)
    replaced = {c["urn"].rsplit("::", 1)[1]: c for c in d["replaced"]}
    assert replaced[moved]["replaceKeys"] == ["availabilityZone"]
    assert replaced[moved]["order"] == "delete-before-replace" and replaced[moved]["fails"] is None
    assert replaced[names.pod_route(moved)]["order"] == "delete-before-replace"
    # Its etcd disk is zonal too, and its attachment follows the new disk and instance.
    assert {names.etcd_disk(moved), names.disk_attachment(names.etcd_disk(moved))} <= replaced.keys()
    assert urn_names(d["deleted"]) >= {
        names.worker("churn", "general", "ap-guangzhou-6", 0),
        names.subnet("churn", ZONES[2]),
    }
    # The nodes that stay are untouched: their user data holds no master address.
    kept = {w.name for w in plan.workers}
    assert kept and not kept & (urn_names(d["updated"]) | replaced.keys())
    assert d["failures"] == [] and d["warnings"] == []


def test_public_api_exposure_replaces_the_clb_its_listener_and_attachment(tmp_path, base):
    new_path, _ = planned(tmp_path, "public", {**BASE, "apiEndpoint": {"exposure": "public"}})
    code, d = diff(base[0], new_path, "--replay")
    replaced = {c["urn"].rsplit("::", 1)[1]: c for c in d["replaced"]}
    assert code == 3
    api = names.api_lb("churn")
    assert {api, names.api_listener("churn"), names.api_targets("churn")} <= replaced.keys()
    assert set(replaced[api]["replaceKeys"]) >= {"networkType", "vip"}
    assert replaced[names.api_listener("churn")]["cascadeFrom"].endswith(f"::{api}")
    assert replaced[names.api_targets("churn")]["cascadeFrom"].rsplit("::", 1)[1] in (api, names.api_listener("churn"))
    # Same name, same port: each goes first, so nothing collides (and the replay agrees).
    assert all(
        replaced[n]["order"] == "delete-before-replace"
        for n in (api, names.api_listener("churn"), names.api_targets("churn"))
    )
    assert d["failures"] == []


def test_a_new_image_reinstalls_nothing_that_runs(tmp_path):
    old, _ = planned(tmp_path, "img1", {**BASE, "imageId": "img-aaaaaaaa"})
    new, _ = planned(tmp_path, "img2", {**BASE, "imageId": "img-bbbbbbbb"})
    code, d = diff(old, new)
    assert code == 0 and d["updated"] == [] and d["replaced"] == []
    ignored = {i["urn"].rsplit("::", 1)[1]: i["keys"] for i in d["ignored"]}
    assert ignored == {
        names.master("churn", 0): ["imageId"],
        **{names.worker("churn", "general", "ap-guangzhou-3", k): ["imageId"] for k in (0, 1)},
    }


def test_crossing_a_master_tier_resizes_masters_one_at_a_time(tmp_path):
    pools = [
        {"name": "a", "instanceType": "S5.2XLARGE16", "countPerZone": 1},
        {"name": "b", "slot": 2, "instanceType": "S5.2XLARGE16", "countPerZone": 1, "zones": ZONES[:2]},
    ]
    old, _ = planned(tmp_path, "five", {"zones": ZONES, "nodePools": pools}, preset="staging")
    six = [pools[0], {**pools[1], "zones": ZONES}]
    new, plan = planned(tmp_path, "six", {"zones": ZONES, "nodePools": six}, preset="staging")
    code, d = diff(old, new)
    masters = {c["urn"].rsplit("::", 1)[1]: c for c in d["updated"] if "-master-" in c["urn"] and c["type"] == INSTANCE}
    assert code == 0 and plan.masters[0].instance_type == "S5.LARGE16"
    assert set(masters) == {m.name for m in plan.masters}
    assert all("instanceType" in c["disruptive"] for c in masters.values())
    assert d["warnings"] == []  # chained by dependsOn, so the engine resizes them one after another
    # The same change without the chain would stop all three at once: the diff says so.
    doc = json.loads(new.read_text())
    for r in doc["resources"]:
        if r["type"] == INSTANCE and "-master-" in r["name"]:
            r["options"]["dependsOn"] = [u for u in r["options"]["dependsOn"] if "-master-" not in u]
    unchained = tmp_path / "unchained.json"
    unchained.write_text(json.dumps(doc))
    _, d2 = diff(old, unchained)
    assert len(d2["warnings"]) == 1 and "3 masters get an update that stops them (instanceType)" in d2["warnings"][0]


def test_replacing_a_prod_master_needs_its_protection_lifted_first(tmp_path):
    cluster = {"zones": ZONES}
    protected, _ = planned(tmp_path, "prod", cluster, preset="prod")
    lifted, _ = planned(tmp_path, "lifted", {**cluster, "liftTerminationProtection": ["churn-master-1"]}, preset="prod")
    master = names.master("churn", 1)
    # Step 1, lifting: an in-place update of that master only.
    code, d = diff(protected, lifted)
    updated = {c["urn"].rsplit("::", 1)[1]: c["keys"] for c in d["updated"]}
    assert code == 0 and updated == {master: ["disableApiTermination"]}
    # `--replace` while still protected: Tencent refuses the delete.
    code, d = diff(protected, protected, "--replace", master, "--replay")
    (r,) = [c for c in d["replaced"] if c["urn"].endswith(f"::{master}")]
    assert code == 3 and "termination protection" in r["fails"]
    assert any("TerminateInstances is refused" in f["message"] for f in d["failures"] if f["urn"] is None)
    text = kubecvm("diff", protected, protected, "--replace", master)
    assert text.exit_code == 3 and any(
        line.startswith("FAIL ") and master in line and "termination protection" in line
        for line in text.stdout.splitlines()
    )
    # Step 2, after the lift: delete first, recreated at the same address, nothing collides.
    code, d = diff(lifted, lifted, "--replace", master, "--replay")
    (r,) = [c for c in d["replaced"] if c["urn"].endswith(f"::{master}")]
    assert (
        code == 3
        and r["order"] == "delete-before-replace"
        and r["fails"] is None
        and r["reason"].endswith("(--replace)")
    )
    assert d["failures"] == []


def test_a_prepaid_pool_with_a_data_disk_plans_as_the_provider_accepts_it(tmp_path):
    pool = {
        "name": "general",
        "instanceType": "S5.LARGE8",
        "countPerZone": 1,
        "chargeType": "PREPAID",
        "prepaid": {"period": 1},
        "dataDisk": {"type": "CLOUD_SSD", "size": 100},
    }
    path, _ = planned(tmp_path, "prepaid", {**BASE, "nodePools": [pool]})
    doc = json.loads(path.read_text())
    (worker,) = [r for r in doc["resources"] if r["name"] == names.worker("churn", "general", "ap-guangzhou-3", 0)]
    assert worker["inputs"]["dataDisks"][0] | {} == {
        "dataDiskSize": 100,
        "dataDiskType": "CLOUD_SSD",
        "encrypt": True,
        "deleteWithInstance": False,
        "deleteWithInstancePrepaid": True,
    }
    spot = tmp_path / "spot"
    spot.mkdir()
    spot_pool = {k: v for k, v in pool.items() if k != "prepaid"} | {"chargeType": "SPOTPAID"}
    run = kubecvm("plan", "--config-file", stack_file(spot, "churn", {**BASE, "nodePools": [spot_pool]}))
    assert run.exit_code == 2 and "nodePools[0].dataDisk: a SPOTPAID pool cannot have a data disk" in run.stderr
    assert "Traceback" not in run.stderr


def test_plans_of_different_stacks_or_projects_exit_2(tmp_path, base):
    other, _ = planned(tmp_path, "other", BASE, stack="other")
    run = kubecvm("diff", base[0], other)
    assert (
        run.exit_code == 2 and "different stacks ('churn' and 'other')" in run.stderr and "Traceback" not in run.stderr
    )
    doc = json.loads(base[0].read_text())
    doc["project"] = "elsewhere"
    moved = tmp_path / "project.json"
    moved.write_text(json.dumps(doc))
    run = kubecvm("diff", base[0], moved)
    assert run.exit_code == 2 and "different projects ('kubecvm' and 'elsewhere')" in run.stderr


def test_changing_the_pod_cidr_replaces_every_pod_route_and_exits_3(tmp_path, base):
    new_path, new_plan = planned(tmp_path, "pods", {**BASE, "podCidr": "172.24.0.0/13"})
    code, d = diff(base[0], new_path)
    assert code == 3
    routes = {c["urn"].rsplit("::", 1)[1]: c for c in d["replaced"]}
    assert routes.keys() == {names.pod_route(m.name) for m in new_plan.machines}
    assert all(
        c["replaceKeys"] == ["destinationCidrBlock"] and c["order"] == "delete-before-replace" for c in routes.values()
    )
    assert "tencentcloud:Security/groupRuleSet:GroupRuleSet" in {c["type"] for c in d["updated"]}
    assert (d["added"], d["deleted"]) == ([], [])
    text = kubecvm("diff", base[0], new_path)
    assert text.exit_code == 3
    assert sum(line.startswith("REPLACE ") for line in text.stdout.splitlines()) == len(new_plan.machines)
    md = kubecvm("diff", base[0], new_path, "--format", "markdown")
    assert (
        md.exit_code == 3
        and "> [!WARNING]" in md.stdout
        and md.stdout.count("| **replace** |") == len(new_plan.machines)
    )


def test_identical_plans_have_no_changes(base):
    run = kubecvm("diff", base[0], base[0])
    assert run.exit_code == 0
    assert run.stdout.splitlines()[0] == "0 to add, 0 to update, 0 to replace, 0 to delete"


def test_unreadable_plan_files_exit_2(tmp_path, base):
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    for bad in (tmp_path / "missing.json", not_json):
        run = kubecvm("diff", base[0], bad)
        assert run.exit_code == 2 and "Traceback" not in run.stderr and str(bad) in run.stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"resources": [{"name": "no urn"}]}))
    assert "kubecvm plan --format json" in kubecvm("diff", wrong, base[0]).stderr
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**json.loads(base[0].read_text()), "formatVersion": 99}))
    run = kubecvm("diff", base[0], future)
    assert run.exit_code == 2 and "formatVersion 99" in run.stderr
