"""`kubecvm diff` on plans produced by real runs, plus the ForceNew table on hand-made plans."""

from __future__ import annotations

import json

import pytest
from cli_helpers import kubecvm, stack_file

from kubecvm.planning import build_plan, names
from kubecvm.stacks.config import spec_from_stack_file
from kubecvm.offline.diff import FORCE_NEW, INSTANCE, ROUTE_ENTRY, diff_plans

BASE = {"zones": ["ap-guangzhou-3"], "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2}]}


def planned(tmp_path, tag: str, cluster: dict) -> tuple:
    """Plan `cluster` as stack `churn` (one stack name, so URNs are comparable) into a JSON file."""
    directory = tmp_path / tag
    directory.mkdir()
    path = stack_file(directory, "churn", cluster)
    out = directory / "plan.json"
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies", "--out", out)
    assert run.exit_code == 0, run.stderr
    return out, build_plan(spec_from_stack_file(path, "churn"))


def urn_names(items) -> set[str]:
    return {i["urn"].rsplit("::", 1)[1] for i in items}


@pytest.fixture
def base(tmp_path):
    return planned(tmp_path, "base", BASE)


def test_pool_plus_one_node_only_adds_that_node_and_its_route(tmp_path, base):
    new_path, new_plan = planned(tmp_path, "plus1", {**BASE, "nodePools": [{**BASE["nodePools"][0], "countPerZone": 3}]})
    run = kubecvm("diff", base[0], new_path, "--format", "json")
    assert run.exit_code == 0, run.stdout
    d = run.json()
    node = names.worker("churn", "general", "ap-guangzhou-3", 2)
    assert urn_names(d["added"]) == {node, names.pod_route(node)}
    assert (d["removed"], d["changed"]) == ([], [])


def test_adding_a_zone_only_adds_its_subnet_nodes_and_routes(tmp_path, base):
    new_path, new_plan = planned(tmp_path, "zone", {**BASE, "zones": ["ap-guangzhou-3", "ap-guangzhou-4"]})
    run = kubecvm("diff", base[0], new_path, "--format", "json")
    assert run.exit_code == 0, run.stdout
    d = run.json()
    new_nodes = [n.name for n in new_plan.workers if n.zone == "ap-guangzhou-4"]
    assert len(new_nodes) == 2
    assert urn_names(d["added"]) == {names.subnet("churn", "ap-guangzhou-4"), *new_nodes, *map(names.pod_route, new_nodes)}
    assert (d["removed"], d["changed"]) == ([], [])


def test_changing_the_pod_cidr_replaces_every_pod_route_and_exits_3(tmp_path, base):
    new_path, new_plan = planned(tmp_path, "pods", {**BASE, "podCidr": "172.24.0.0/13"})
    run = kubecvm("diff", base[0], new_path, "--format", "json")
    assert run.exit_code == 3
    d = run.json()
    replaced = [c for c in d["changed"] if c["replace"]]
    assert urn_names(replaced) == {names.pod_route(m.name) for m in new_plan.machines}
    assert all(c["replaceKeys"] == ["destinationCidrBlock"] for c in replaced)
    # Everything else that mentions the pod CIDR (security-group rules, node boot config) changes in place.
    in_place = {c["type"] for c in d["changed"] if not c["replace"]}
    assert "tencentcloud:Security/groupRuleSet:GroupRuleSet" in in_place
    assert ROUTE_ENTRY not in in_place
    assert (d["added"], d["removed"]) == ([], [])
    assert d["summary"]["replaced"] == len(new_plan.machines)
    text = kubecvm("diff", base[0], new_path)
    assert text.exit_code == 3
    assert sum(line.startswith("REPLACE ") for line in text.stdout.splitlines()) == len(new_plan.machines)
    md = kubecvm("diff", base[0], new_path, "--format", "markdown")
    assert md.exit_code == 3 and "> [!WARNING]" in md.stdout and md.stdout.count("| **replace** |") == len(new_plan.machines)


def test_identical_plans_have_no_changes(base):
    run = kubecvm("diff", base[0], base[0])
    assert run.exit_code == 0
    assert run.stdout.splitlines()[0] == "0 to add, 0 to change (0 replaced), 0 to remove"


def test_unreadable_plan_files_exit_2(tmp_path, base):
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    for bad in (tmp_path / "missing.json", not_json):
        run = kubecvm("diff", base[0], bad)
        assert run.exit_code == 2 and "Traceback" not in run.stderr and str(bad) in run.stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"resources": [{"name": "no urn"}]}))
    assert "kubecvm plan --format json" in kubecvm("diff", wrong, base[0]).stderr


def doc(*resources) -> dict:
    return {"resources": [{"urn": f"urn:{r['name']}", "parent": None, "custom": True, **r} for r in resources]}


def cvm(**inputs) -> dict:
    base = {"instanceType": "S5.LARGE8", "availabilityZone": "ap-guangzhou-3", "privateIp": "10.0.64.4",
            "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100, "encrypt": True}]}
    return {"name": "node", "type": INSTANCE, "id": "ins-1", "inputs": {**base, **inputs}}


@pytest.mark.parametrize(
    ("change", "replace_keys", "disruptive"),
    [
        ({"instanceType": "S5.LARGE16"}, [], ["instanceType"]),  # resizes in place
        ({"availabilityZone": "ap-guangzhou-4"}, ["availabilityZone"], []),
        ({"privateIp": "10.0.64.5"}, [], ["privateIp"]),  # ModifyVpc in place, with a restart
        ({"allocatePublicIp": True}, ["allocatePublicIp"], []),
        ({"dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 200, "encrypt": True}]}, [], []),
        ({"dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100, "encrypt": False}]}, ["dataDisks[0].encrypt"], []),
        ({"dataDisks": []}, ["dataDisks[]"], []),
        ({"userDataRaw": "#cloud-config"}, [], ["userDataRaw"]),
        ({"userDataRaw": "#cloud-config", "userDataReplaceOnChange": True}, ["userDataRaw"], ["userDataRaw"]),
    ],
)
def test_instance_changes_follow_the_provider_schema(change, replace_keys, disruptive):
    result = diff_plans(doc(cvm()), doc(cvm(**change)))
    (c,) = result.changed
    assert c.replace_keys == replace_keys
    assert sorted(c.disruptive) == disruptive
    assert c.replace is bool(replace_keys)


def test_a_replaced_resource_replaces_what_holds_its_id_in_a_force_new_input():
    table = {"name": "rtb", "type": "tencentcloud:Route/table:Table", "id": "rtb-1", "inputs": {"vpcId": "vpc-1"}}
    vpc = {"name": "vpc", "type": "tencentcloud:Vpc/instance:Instance", "id": "vpc-1", "inputs": {"cidrBlock": "10.0.0.0/16"}}
    subnet = {"name": "subnet", "type": "tencentcloud:Subnet/instance:Instance", "id": "subnet-1",
              "inputs": {"vpcId": "vpc-1", "cidrBlock": "10.0.64.0/19"}}
    route = {"name": "route", "type": ROUTE_ENTRY, "id": "r-1",
             "inputs": {"routeTableId": "rtb-1", "destinationCidrBlock": "172.20.0.0/24", "nextHub": "10.0.64.4"}}
    node = cvm(subnetId="subnet-1")
    moved_vpc = {**vpc, "inputs": {"cidrBlock": "10.9.0.0/16"}}
    result = diff_plans(doc(vpc, subnet, table, route, node), doc(moved_vpc, subnet, table, route, node))
    by_name = {c.urn: c for c in result.changed}
    assert by_name["urn:vpc"].replace_keys == ["cidrBlock"]
    assert by_name["urn:subnet"].cascade_from == "urn:vpc"  # subnet vpcId is ForceNew
    assert by_name["urn:rtb"].cascade_from == "urn:vpc"  # so is a route table's vpcId
    assert by_name["urn:route"].cascade_from == "urn:rtb"  # and a route entry's routeTableId, one step further
    assert "urn:node" not in by_name  # a CVM's subnetId is not ForceNew (ModifyVpc moves it in place)
    assert {c.urn for c in result.replacements} == {"urn:vpc", "urn:subnet", "urn:rtb", "urn:route"}


def test_force_new_table_covers_the_types_kubecvm_creates():
    assert {INSTANCE, ROUTE_ENTRY, "tencentcloud:Vpc/instance:Instance", "tencentcloud:Subnet/instance:Instance",
            "tencentcloud:Cbs/storage:Storage", "tencentcloud:Clb/instance:Instance"} <= FORCE_NEW.keys()
    assert "instanceType" not in FORCE_NEW[INSTANCE] and "availabilityZone" in FORCE_NEW[INSTANCE]
    assert {"destinationCidrBlock", "nextHub"} <= FORCE_NEW[ROUTE_ENTRY]
