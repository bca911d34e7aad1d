"""podNetwork globalRouter through the real CLI: the plan JSON, markdown and SVG show the cluster route table,
`kubecvm diff` gives its ForceNew semantics per route, and 5000 nodes plan past the default route quota."""

from __future__ import annotations

import json

from cli_helpers import kubecvm, stack_file

from kubecvm.offline.diff import CLUSTER_ROUTE_TABLE
from kubecvm.planning import build_plan
from kubecvm.policies.engine import Resource, cluster_settings, evaluate, load_policy_config
from kubecvm.stacks.config import merge, spec_from_config

BASE = {
    "zones": ["ap-guangzhou-3"],
    "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2}],
    "podNetwork": {"mode": "globalRouter"},
}
POD_ROUTE = "tencentcloud:Route/tableEntry:TableEntry"


def planned(tmp_path, tag: str, cluster: dict, *extra: str, preset: str = "dev"):
    directory = tmp_path / tag
    directory.mkdir()
    out = directory / "plan.json"
    path = stack_file(directory, "gr", cluster, preset=preset)
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--out", out, *extra)
    return run, out


def test_the_plan_has_one_cluster_route_table_with_one_route_per_node_and_no_pod_route_entry(tmp_path):
    run, out = planned(tmp_path, "base", BASE)
    assert run.exit_code == 0, run.stderr
    doc = json.loads(out.read_text())
    [table] = [r for r in doc["resources"] if r["type"] == CLUSTER_ROUTE_TABLE]
    assert table["urn"].endswith(
        "kubecvm:index:PodRoutes$pulumi-python:dynamic/kubecvm:ClusterRouteTable::kubecvm-gr-pods"
    )
    assert table["id"] == "kubecvm-gr-pods"
    inputs = table["inputs"]
    assert (inputs["routeTableName"], inputs["routeTableCidrBlock"], inputs["region"]) == (
        "kubecvm-gr-pods",
        "172.16.0.0/12",
        "ap-guangzhou",
    )
    vpc = next(r for r in doc["resources"] if r["type"] == "tencentcloud:Vpc/instance:Instance")
    assert inputs["vpcId"] == vpc["id"]
    cvms = {
        r["name"]: r["inputs"]["privateIp"]
        for r in doc["resources"]
        if r["type"] == "tencentcloud:Instance/instance:Instance"
    }
    assert {n: r["gatewayIp"] for n, r in inputs["routes"].items()} == cvms  # one route per node, to the node
    assert inputs["routes"]["gr-master-0"] == {"destinationCidrBlock": "172.20.0.0/24", "gatewayIp": "10.0.64.4"}
    assert inputs["__provider"] == "[secret]"  # the pickled provider; no credential is an input
    assert inputs["ignoreClusterCidrConflict"] == 0  # podNetwork.ignoreVpcRouteConflict: false
    entries = [r["inputs"]["destinationCidrBlock"] for r in doc["resources"] if r["type"] == POD_ROUTE]
    assert entries == ["0.0.0.0/0"]  # only dev's NAT default route (egress auto) is a VPC entry, no pod route
    cap = doc["summary"]["capacity"]
    assert (cap["podNetwork"], cap["clusterRoutes"], cap["maxNodesByRouteQuota"], cap["routeEntriesUsed"]) == (
        "globalRouter",
        3,
        None,
        1,
    )


def test_markdown_and_svg_show_the_cluster_route_table(tmp_path):
    path = stack_file(tmp_path, "gr", BASE)
    md = kubecvm("plan", "--config-file", path, "--format", "markdown", "--diagram", tmp_path / "t.svg")
    assert md.exit_code == 0, md.stderr
    assert (
        'kubecvm_gr_pods[/"cluster route table kubecvm-gr-pods<br/>172.16.0.0/12: 3 routes, one per node (GlobalRouter)"/]'
        in md.stdout
    )
    assert "| pod network | globalRouter: 3 cluster routes in one TKE cluster route table" in md.stdout
    svg = (tmp_path / "t.svg").read_text()
    assert "cluster route table kubecvm-gr-pods" in svg and "172.16.0.0/12: 3 routes (GlobalRouter)" in svg


def test_diff_adding_a_node_updates_only_its_route_and_changing_the_pod_cidr_replaces_the_table(tmp_path):
    _, base = planned(tmp_path, "base", BASE, "--no-policies")
    _, plus = planned(
        tmp_path, "plus", {**BASE, "nodePools": [{**BASE["nodePools"][0], "countPerZone": 3}]}, "--no-policies"
    )
    run = kubecvm("diff", base, plus, "--format", "json")
    assert run.exit_code == 0, run.stdout
    d = run.json()
    assert [c for c in d["replaced"] if c["type"] == CLUSTER_ROUTE_TABLE] == []
    [change] = [c for c in d["updated"] if c["type"] == CLUSTER_ROUTE_TABLE]
    assert change["keys"] == ["routes.gr-general-z3-2"]
    assert "deleted and created again" in change["disruptive"]["routes"]
    _, pods = planned(tmp_path, "pods", {**BASE, "podCidr": "172.24.0.0/13"}, "--no-policies")
    run = kubecvm("diff", base, pods, "--format", "json")
    assert run.exit_code == 3
    [change] = [c for c in run.json()["replaced"] if c["type"] == CLUSTER_ROUTE_TABLE]
    assert change["replaceKeys"] == ["routeTableCidrBlock"] and change["order"] == "delete-before-replace"


def test_switching_modes_removes_the_pod_route_entries_and_adds_the_table(tmp_path):
    _, vpc = planned(tmp_path, "vpc", {**BASE, "podNetwork": {"mode": "vpcRoutes"}}, "--no-policies")
    _, gr = planned(tmp_path, "gr", BASE, "--no-policies")
    run = kubecvm("diff", vpc, gr, "--format", "json")
    assert run.exit_code == 3, run.stdout  # deletions are destructive too
    d = run.json()
    assert [a["type"] for a in d["added"]] == [CLUSTER_ROUTE_TABLE]
    assert sorted(r["urn"].rsplit("::", 1)[1] for r in d["deleted"]) == [
        "gr-general-z3-0-pods",
        "gr-general-z3-1-pods",
        "gr-master-0-pods",
    ]
    assert d["replaced"] == []  # nothing else moves: subnets, CVMs and the VPC table stay


def _five_thousand(mode: str) -> dict:
    """4997 workers + 3 masters over zones 1..7 in three pools, the default route quota of 50."""
    zones = [f"ap-guangzhou-{n}" for n in range(1, 8)]
    per_zone, rest = divmod(4997, 7)
    return {
        "name": "big",
        "zones": zones,
        "vpcCidr": "172.16.0.0/12",
        "podCidr": "10.0.0.0/10",
        "serviceCidr": "192.168.0.0/16",
        "nodePodMask": 25,
        "maxPodsPerNode": 30,
        "controlPlane": {"count": 3, "instanceType": "S5.8XLARGE128"},
        "nodePools": [
            {"name": "general", "slot": 1, "instanceType": "S5.2XLARGE16", "countPerZone": (per_zone + 1) // 2},
            {"name": "compute", "slot": 2, "instanceType": "S5.4XLARGE32", "countPerZone": per_zone // 2},
            {"name": "rest", "slot": 3, "instanceType": "S5.LARGE8", "countPerZone": 1, "zones": zones[:rest]},
        ],
        "podNetwork": {"mode": mode},
        "ingress": {"enabled": False},  # a CLB listener takes at most 100 targets (as bench/bench.py)
    }


def test_5000_nodes_in_global_router_mode_pass_the_default_route_quota_and_in_vpc_routes_mode_do_not(tmp_path):
    run, out = planned(tmp_path, "gr5000", _five_thousand("globalRouter"), preset="prod")
    assert run.exit_code == 0, run.stderr
    doc = json.loads(out.read_text())
    assert doc["summary"]["workers"] == 4997
    [table] = [r for r in doc["resources"] if r["type"] == CLUSTER_ROUTE_TABLE]
    cvms = {
        r["name"]: r["inputs"]["privateIp"]
        for r in doc["resources"]
        if r["type"] == "tencentcloud:Instance/instance:Instance"
    }
    assert len(cvms) == 5000 and {n: r["gatewayIp"] for n, r in table["inputs"]["routes"].items()} == cvms
    assert [v for v in doc["policies"]["violations"] if v["enforcement"] == "mandatory"] == []
    assert doc["summary"]["routeEntries"] == {"used": 1, "quota": 50}


def test_the_same_5000_nodes_on_vpc_routes_still_fail_the_route_quota_rule():
    # The program run is the test above's cost; here the rule runs over the VPC entries the plan gives PodRoutes
    # (one per node) and the NAT route, in the shape the engine shows them (tests/policies checks that shape on
    # real runs), so the suite stays fast.
    spec = spec_from_config(preset="prod", overrides=_five_thousand("vpcRoutes"), region="ap-guangzhou", stack="big")
    plan = build_plan(spec)
    assert plan.capacity.route_entries_used == 5001 and plan.capacity.max_nodes_by_route_quota == 49
    entries = [
        Resource(
            f"urn:{r.name}",
            POD_ROUTE,
            r.name,
            {
                "routeTableId": "rtb-1",
                "destinationCidrBlock": r.destination,
                "nextType": "NORMAL_CVM",
                "nextHub": r.next_hop,
            },
        )
        for r in plan.vpc_pod_routes
    ]
    entries.append(
        Resource(
            "urn:nat",
            POD_ROUTE,
            "nat",
            {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "nextType": "NAT"},
        )
    )
    config = merge(load_policy_config("prod"), {"cluster": cluster_settings(spec)})
    [quota] = evaluate(entries, config, only="kubecvm-network-route-quota").violations
    assert quota.message == (
        "route table rtb-1: 5001 route entries exceed the route-table quota of 50; set podNetwork.mode: "
        "globalRouter (one TKE cluster route table, not bounded by this quota), or ask Tencent Cloud to "
        "raise route-table-max-policies and set quotas.routeEntriesPerTable, or use fewer nodes"
    )
