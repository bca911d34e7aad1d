"""The GlobalRouter dynamic provider (components/global_router.py) against the Tencent Cloud API emulator
(kubecvm.emulator), which verifies every request's TC3-HMAC-SHA256 signature, headers and members: the cluster route
table and its routes through create, read, diff, update and delete."""

from __future__ import annotations

import pytest
from global_router_helpers import PROPS, VPC, actions, provider, with_routes

from kubecvm.components import global_router as gr
from kubecvm.components import tencent_calls as calls

pytestmark = pytest.mark.usefixtures("isolated")


def test_create_makes_the_table_then_one_route_per_node(tke):
    result = provider().create(dict(PROPS))
    assert result.id == "kubecvm-demo-pods"
    assert tke.tables == {"kubecvm-demo-pods": {"cidr": "172.16.0.0/12", "vpcId": VPC}}
    assert sorted(tke.routes["kubecvm-demo-pods"]) == [("172.20.0.0/24", "10.0.64.4"), ("172.20.64.0/24", "10.0.68.0")]
    assert actions(tke) == [
        "DescribeClusterRouteTables",
        "CreateClusterRouteTable",
        "DescribeClusterRoutes",
        "CreateClusterRoute",
        "CreateClusterRoute",
    ]
    assert sorted(p["GatewayIp"] for a, p in tke.calls if a == "CreateClusterRoute") == ["10.0.64.4", "10.0.68.0"]
    assert tke.calls[1][1] == {
        "RouteTableName": "kubecvm-demo-pods",
        "RouteTableCidrBlock": "172.16.0.0/12",
        "VpcId": VPC,
        "IgnoreClusterCidrConflict": 0,
    }
    assert result.outs == PROPS  # no credential among the outputs the state keeps


def test_create_again_adopts_the_table_and_keeps_its_routes(tke):
    provider().create(dict(PROPS))
    tke.calls.clear()
    provider().create(dict(PROPS))  # a retried `pulumi up` after a failure
    assert actions(tke) == ["DescribeClusterRouteTables", "DescribeClusterRoutes"]
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_create_after_a_partial_attempt_adds_only_what_is_missing(tke):
    tke.tables["kubecvm-demo-pods"] = {"cidr": "172.16.0.0/12", "vpcId": VPC}
    tke.routes["kubecvm-demo-pods"] = [("172.20.0.0/24", "10.0.64.4")]
    provider().create(dict(PROPS))
    assert [p["GatewayIp"] for a, p in tke.calls if a == "CreateClusterRoute"] == ["10.0.68.0"]
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_create_refuses_a_pod_cidr_overlapping_another_table_in_the_vpc(tke):
    tke.tables["other-cluster"] = {"cidr": "172.20.0.0/16", "vpcId": VPC}
    tke.routes["other-cluster"] = []
    with pytest.raises(
        gr.GlobalRouterError,
        match=r"podCidr 172.16.0.0/12 overlaps cluster route table other-cluster "
        r"\(172.20.0.0/16\) in vpc-abcdef12",
    ):
        provider().create(dict(PROPS))
    assert "kubecvm-demo-pods" not in tke.tables


def test_switching_from_vpc_routes_needs_the_conflict_flag(tke):
    tke.vpc_routes[VPC] = ["172.20.0.0/24"]  # a vpcRoutes cluster's entry, deleted only after the table exists
    with pytest.raises(gr.GlobalRouterError, match="InvalidParameter.CidrConflictWithVpcGlobalRoute"):
        provider().create(dict(PROPS))
    provider().create({**PROPS, "ignoreClusterCidrConflict": 1})
    assert [p["IgnoreClusterCidrConflict"] for a, p in tke.calls if a == "CreateClusterRouteTable"] == [0, 1]
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_read_reports_the_live_routes(tke):
    provider().create(dict(PROPS))
    tke.routes["kubecvm-demo-pods"].remove(("172.20.64.0/24", "10.0.68.0"))  # someone deleted it by hand
    read = provider().read("kubecvm-demo-pods", dict(PROPS))
    assert read.id == "kubecvm-demo-pods"
    assert read.outs["routes"] == {"demo-master-0": {"destinationCidrBlock": "172.20.0.0/24", "gatewayIp": "10.0.64.4"}}


def test_read_of_a_deleted_table_says_it_is_gone(tke):
    assert provider().read("kubecvm-demo-pods", dict(PROPS)).id is None


def test_diff_replaces_the_table_only_when_its_own_inputs_change():
    p = provider()
    moved = with_routes(
        **{"demo-master-0": ("172.20.0.0/24", "10.0.64.4"), "demo-general-z3-0": ("172.20.65.0/24", "10.0.68.0")}
    )
    same = p.diff("t", PROPS, dict(PROPS))
    assert (same.changes, same.replaces) == (False, [])
    route = p.diff("t", PROPS, moved)
    assert (route.changes, route.replaces, route.delete_before_replace) == (True, [], False)
    table = p.diff("t", PROPS, {**PROPS, "routeTableCidrBlock": "172.16.0.0/13", "vpcId": "vpc-00000000"})
    assert (table.changes, table.replaces, table.delete_before_replace) == (
        True,
        ["routeTableCidrBlock", "vpcId"],
        True,
    )


def test_update_replaces_a_moved_route_deleting_the_old_one_first(tke):
    provider().create(dict(PROPS))
    tke.calls.clear()
    new = with_routes(
        **{
            "demo-master-0": ("172.20.0.0/24", "10.0.64.4"),
            "demo-general-z3-0": ("172.20.65.0/24", "10.0.68.0"),
            "demo-general-z3-1": ("172.20.66.0/24", "10.0.68.1"),
        }
    )
    provider().update("kubecvm-demo-pods", dict(PROPS), new)
    calls = [(a, p.get("DestinationCidrBlock")) for a, p in tke.calls]
    # The live routes once, the old route first (Tencent refuses a second route for one gateway); the creates run
    # concurrently.
    assert calls[:2] == [("DescribeClusterRoutes", None), ("DeleteClusterRoute", "172.20.64.0/24")]
    assert sorted(calls[2:]) == [("CreateClusterRoute", "172.20.65.0/24"), ("CreateClusterRoute", "172.20.66.0/24")]
    assert sorted(tke.routes["kubecvm-demo-pods"]) == [
        ("172.20.0.0/24", "10.0.64.4"),
        ("172.20.65.0/24", "10.0.68.0"),
        ("172.20.66.0/24", "10.0.68.1"),
    ]


def test_an_update_whose_old_routes_are_already_gone_sends_no_delete_for_them(tke):
    provider().create(dict(PROPS))
    tke.routes["kubecvm-demo-pods"].remove(("172.20.64.0/24", "10.0.68.0"))  # removed by hand, or by a partial sync
    tke.calls.clear()
    new = with_routes(
        **{"demo-master-0": ("172.20.0.0/24", "10.0.64.4"), "demo-general-z3-0": ("172.20.65.0/24", "10.0.68.0")}
    )
    provider().update("kubecvm-demo-pods", dict(PROPS), new)
    assert [a for a, _ in tke.calls if a != "CreateClusterRoute"] == ["DescribeClusterRoutes"]  # read once, no delete
    assert sorted(tke.routes["kubecvm-demo-pods"]) == [("172.20.0.0/24", "10.0.64.4"), ("172.20.65.0/24", "10.0.68.0")]
    tke.calls.clear()
    provider().update("kubecvm-demo-pods", dict(PROPS), new)  # the same update retried: nothing left to do
    assert [a for a, _ in tke.calls] == ["DescribeClusterRoutes"]
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_removing_nodes_whose_routes_are_gone_deletes_only_what_is_there(tke):
    provider().create(dict(PROPS))
    tke.routes["kubecvm-demo-pods"].remove(("172.20.0.0/24", "10.0.64.4"))
    tke.calls.clear()
    provider().update("kubecvm-demo-pods", dict(PROPS), with_routes())
    assert [(a, p.get("GatewayIp")) for a, p in tke.calls] == [
        ("DescribeClusterRoutes", None),
        ("DeleteClusterRoute", "10.0.68.0"),
    ]
    assert tke.routes["kubecvm-demo-pods"] == []


def test_update_removes_the_route_of_a_removed_node(tke):
    provider().create(dict(PROPS))
    provider().update(
        "kubecvm-demo-pods", dict(PROPS), with_routes(**{"demo-master-0": ("172.20.0.0/24", "10.0.64.4")})
    )
    assert tke.routes["kubecvm-demo-pods"] == [("172.20.0.0/24", "10.0.64.4")]


def test_delete_removes_every_route_then_the_table_and_tolerates_not_found(tke):
    provider().create(dict(PROPS))
    provider().delete("kubecvm-demo-pods", dict(PROPS))
    assert tke.tables == {} and tke.routes == {}
    tke.calls.clear()
    provider().delete("kubecvm-demo-pods", dict(PROPS))  # already gone: nothing to do, no error
    assert actions(tke) == ["DescribeClusterRoutes"]


def test_a_conflicting_route_is_a_clear_error(tke):
    tke.tables["kubecvm-demo-pods"] = {"cidr": "172.16.0.0/12", "vpcId": VPC}
    tke.routes["kubecvm-demo-pods"] = [("172.21.0.0/24", "10.0.68.0")]  # the gateway already routes another block
    with pytest.raises(
        gr.GlobalRouterError, match=r"cluster route 172.20.64.0/24 -> 10.0.68.0 conflicts with another route"
    ):
        provider().update(
            "kubecvm-demo-pods", with_routes(), with_routes(**{"demo-general-z3-0": ("172.20.64.0/24", "10.0.68.0")})
        )


def test_rate_limited_calls_are_retried(tke, monkeypatch):
    monkeypatch.setattr(calls, "RETRY_FIRST_WAIT", 0.01)
    tke.fail["CreateClusterRoute"] = ["RequestLimitExceeded", "RequestLimitExceeded.UinLimitExceeded"]
    provider().create(dict(PROPS))
    assert actions(tke).count("CreateClusterRoute") == 4  # 2 routes + 2 refused attempts
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_rate_limit_that_persists_is_a_clear_error(tke, monkeypatch):
    monkeypatch.setattr(calls, "RETRY_ATTEMPTS", 2)
    monkeypatch.setattr(calls, "RETRY_FIRST_WAIT", 0.01)
    tke.fail["DescribeClusterRouteTables"] = ["RequestLimitExceeded"] * 2
    with pytest.raises(
        gr.GlobalRouterError,
        match=r"TKE DescribeClusterRouteTables failed: RequestLimitExceeded: .*"
        r"still rate-limited after 2 attempts",
    ):
        provider().create(dict(PROPS))


def test_check_names_routes_the_api_would_refuse():
    bad = with_routes(a=("10.1.0.0/24", "10.0.0.1"), b=("172.16.1.0/24", "10.0.0.1"), c=("nope", "10.0.0.2"))
    assert gr.check_problems(bad) == [
        ("routes.a", "10.1.0.0/24 is outside the table's CIDR 172.16.0.0/12 (InvalidParameter.CidrOutOfRouteTable)"),
        ("routes.b", "gateway 10.0.0.1 is already a's"),
        ("routes.c", "nope -> 10.0.0.2 is not a CIDR and an IPv4 address"),
    ]
    assert gr.check_problems(PROPS) == []
    assert gr.check_problems({**PROPS, "vpcId": ""}) == [("vpcId", "required")]
