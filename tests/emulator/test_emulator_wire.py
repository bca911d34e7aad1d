"""The emulator's wire contract, with Tencent's official SDK (tencentcloud-sdk-python-tke) as the client: what it
accepts, what it refuses with which code, and the /_emulator/ introspection."""

from __future__ import annotations

import json
import time

import pytest
from emulator_helpers import NO_ALARMS, NO_VPC, common, refused, request, send, signed_post, tke

from kubecvm.emulator import SECRET_ID, Emulator

VPC = "vpc-abcdef12"


@pytest.fixture
def served():
    emulator = Emulator()
    with emulator.serve() as url:
        yield emulator, url


def test_a_signed_request_is_answered_in_tencents_shape(served):
    emulator, url = served
    client = tke(url)
    created = client.CreateClusterRouteTable(
        request(
            "CreateClusterRouteTable", RouteTableName="kubecvm-a-pods", RouteTableCidrBlock="172.20.0.0/16", VpcId=VPC
        )
    )
    assert len(created.RequestId) == 36
    client.CreateClusterRoute(
        request(
            "CreateClusterRoute",
            RouteTableName="kubecvm-a-pods",
            DestinationCidrBlock="172.20.1.0/24",
            GatewayIp="10.0.64.4",
        )
    )
    tables = json.loads(client.DescribeClusterRouteTables(request("DescribeClusterRouteTables")).to_json_string())
    assert {k: v for k, v in tables.items() if k != "RequestId"} == {
        "TotalCount": 1,
        "RouteTableSet": [{"RouteTableName": "kubecvm-a-pods", "RouteTableCidrBlock": "172.20.0.0/16", "VpcId": VPC}],
    }
    routes = client.DescribeClusterRoutes(request("DescribeClusterRoutes", RouteTableName="kubecvm-a-pods"))
    assert (routes.TotalCount, [(r.DestinationCidrBlock, r.GatewayIp) for r in routes.RouteSet]) == (
        1,
        [("172.20.1.0/24", "10.0.64.4")],
    )
    assert emulator.tke.tables == {"kubecvm-a-pods": {"cidr": "172.20.0.0/16", "vpcId": VPC}}


def test_a_wrong_secret_key_is_a_signature_failure_and_changes_nothing(served):
    emulator, url = served
    code, _ = refused(
        tke(url, secret_key="not-the-key").CreateClusterRouteTable,
        request("CreateClusterRouteTable", RouteTableName="t", RouteTableCidrBlock="172.20.0.0/16", VpcId=VPC),
    )
    assert code == "AuthFailure.SignatureFailure"
    assert refused(
        tke(url, secret_id="AKIDunknown").DescribeClusterRouteTables, request("DescribeClusterRouteTables")
    ) == ("AuthFailure.SecretIdNotFound", "the SecretId does not exist")
    assert emulator.tke.tables == {} and emulator.tke.calls == []
    assert emulator.summary()["requests"] == 0


def test_a_request_signed_long_ago_is_expired():
    emulator = Emulator(clock=lambda: time.time() + 301)
    with emulator.serve() as url:
        code, _ = refused(tke(url).DescribeClusterRouteTables, request("DescribeClusterRouteTables"))
    assert code == "AuthFailure.SignatureExpire"


def test_unknown_actions_versions_and_services_are_refused_with_tencents_codes(served):
    _, url = served
    assert refused(tke(url).call_json, "DescribeClusterRoutez", {}) == (
        "InvalidAction",
        "'DescribeClusterRoutez' is not a tke 2018-05-25 action the emulator answers",
    )
    assert refused(common(url, "tke", "2022-05-01").call_json, "DescribeClusterRouteTables", {}) == (
        "NoSuchVersion",
        "tke has no version '2022-05-01'",
    )
    assert refused(common(url, "cbs", "2017-03-12").call_json, "DescribeDisks", {}) == (
        "UnsupportedOperation",
        "the emulator does not emulate 'cbs' (it emulates cam, clb, cvm, monitor, sts, tke, vpc)",
    )


def test_members_are_checked_before_the_action_runs(served):
    emulator, url = served
    client = tke(url)
    assert refused(client.CreateClusterRouteTable, request("CreateClusterRouteTable", RouteTableName="t")) == (
        "MissingParameter",
        "CreateClusterRouteTable needs RouteTableCidrBlock, VpcId",
    )
    assert refused(client.call_json, "DeleteClusterRouteTable", {"RouteTableName": "t", "Force": True}) == (
        "UnknownParameter",
        "DeleteClusterRouteTable has no member Force",
    )
    assert refused(
        client.CreateClusterRouteTable,
        request("CreateClusterRouteTable", RouteTableName="t", RouteTableCidrBlock="172.20.0.1/16", VpcId=VPC),
    ) == ("InvalidParameter.CidrInvalid", "RouteTableCidrBlock '172.20.0.1/16' is not an IPv4 CIDR block")
    assert emulator.tke.tables == {}


def test_a_table_overlapping_another_clusters_table_in_the_vpc_is_refused(served):
    emulator, url = served
    client = tke(url)
    client.CreateClusterRouteTable(
        request("CreateClusterRouteTable", RouteTableName="other", RouteTableCidrBlock="172.20.0.0/16", VpcId=VPC)
    )
    overlapping = request(
        "CreateClusterRouteTable",
        RouteTableName="mine",
        RouteTableCidrBlock="172.16.0.0/12",
        VpcId=VPC,
        IgnoreClusterCidrConflict=1,
    )  # the flag is for the VPC's route table, not another cluster
    assert refused(client.CreateClusterRouteTable, overlapping) == (
        "InvalidParameter.CidrConflictWithOtherCluster",
        "RouteTableCidrBlock 172.16.0.0/12 overlaps route table other (172.20.0.0/16) in vpc-abcdef12",
    )
    assert refused(
        client.CreateClusterRouteTable,
        request(
            "CreateClusterRouteTable", RouteTableName="other", RouteTableCidrBlock="10.8.0.0/16", VpcId="vpc-other"
        ),
    ) == ("InternalError.ResourceExistAlready", "route table other exists")
    client.CreateClusterRouteTable(
        request(  # the same CIDR in another VPC is fine
            "CreateClusterRouteTable", RouteTableName="mine", RouteTableCidrBlock="172.16.0.0/12", VpcId="vpc-other"
        )
    )
    assert sorted(emulator.tke.tables) == ["mine", "other"]


def test_routes_follow_tencents_rules(served):
    _, url = served
    client = tke(url)
    client.CreateClusterRouteTable(
        request("CreateClusterRouteTable", RouteTableName="t", RouteTableCidrBlock="172.20.0.0/16", VpcId=VPC)
    )

    def route(dest: str, gw: str):
        return request("CreateClusterRoute", RouteTableName="t", DestinationCidrBlock=dest, GatewayIp=gw)

    client.CreateClusterRoute(route("172.20.1.0/24", "10.0.64.4"))
    assert refused(client.CreateClusterRoute, route("172.20.9.0/24", "10.0.64.4")) == (
        "InvalidParameter.GatewayAlreadyAssociatedCidr",
        "10.0.64.4 already routes 172.20.1.0/24",
    )
    assert (
        refused(client.CreateClusterRoute, route("172.20.1.0/25", "10.0.64.5"))[0]
        == "InvalidParameter.CidrConflictWithOtherRoute"
    )
    assert (
        refused(client.CreateClusterRoute, route("10.9.0.0/24", "10.0.64.5"))[0]
        == "InvalidParameter.CidrOutOfRouteTable"
    )
    assert refused(client.DeleteClusterRouteTable, request("DeleteClusterRouteTable", RouteTableName="t")) == (
        "InternalError.RouteTableNotEmpty",
        "route table t still has routes",
    )
    assert refused(client.DescribeClusterRoutes, request("DescribeClusterRoutes", RouteTableName="gone")) == (
        "InternalError.RouteTableNotFound",
        "route table gone not found",
    )


# The summary of an account with nothing in it and no request yet.
EMPTY = {
    "requests": 0,
    "refusals": [],
    "resources": {
        "tke/ClusterRouteTable": 0,
        "tke/ClusterRoute": 0,
        **NO_VPC,
        **NO_ALARMS,
        "clb/LoadBalancer": 0,
        "clb/Listener": 0,
    },
    "callers": {},
}


def test_summary_counts_requests_refusals_and_live_resources_and_reset_empties_the_account(served):
    emulator, url = served
    assert send(url, "GET", "/_emulator/summary") == EMPTY
    client = tke(url)
    client.CreateClusterRouteTable(
        request("CreateClusterRouteTable", RouteTableName="t", RouteTableCidrBlock="172.20.0.0/16", VpcId=VPC)
    )
    for gw, dest in (("10.0.64.4", "172.20.1.0/24"), ("10.0.64.5", "172.20.2.0/24")):
        client.CreateClusterRoute(
            request("CreateClusterRoute", RouteTableName="t", DestinationCidrBlock=dest, GatewayIp=gw)
        )
    client.DeleteClusterRoute(
        request("DeleteClusterRoute", RouteTableName="t", DestinationCidrBlock="172.20.2.0/24", GatewayIp="10.0.64.5")
    )
    emulator.tke.fail["DescribeClusterRouteTables"] = ["RequestLimitExceeded"]
    refused(client.DescribeClusterRouteTables, request("DescribeClusterRouteTables"))
    refused(tke(url, secret_key="wrong").DescribeClusterRouteTables, request("DescribeClusterRouteTables"))
    assert send(url, "GET", "/_emulator/summary") == {
        "requests": 5,  # the signature failure never reached the service
        "refusals": [
            {
                "service": "tke",
                "action": "DescribeClusterRouteTables",
                "code": "RequestLimitExceeded",
                "message": "injected by the emulator's user (Service.fail)",
            },
            {
                "service": "tke",
                "action": "DescribeClusterRouteTables",
                "code": "AuthFailure.SignatureFailure",
                "message": "the signature does not match",
            },
        ],
        "resources": {
            "tke/ClusterRouteTable": 1,
            "tke/ClusterRoute": 1,
            **NO_VPC,
            **NO_ALARMS,
            "clb/LoadBalancer": 0,
            "clb/Listener": 0,
        },
        "callers": {"tke": {SECRET_ID: 5}},  # who signed each call a service handled
    }
    assert send(url, "POST", "/_emulator/reset") == EMPTY
    assert emulator.summary() == EMPTY and emulator.tke.calls == [] and emulator.tke.routes == {}


def test_the_gateway_checks_the_host_the_headers_and_the_body(served):
    emulator, url = served
    body = b'{"RouteTableName": "t"}'

    def error(doc: dict) -> tuple[str, str]:
        return doc["Response"]["Error"]["Code"], doc["Response"]["Error"]["Message"]

    # tke.tencentcloudapi.com names tke: a request signed for tke and sent to that name reaches the service.
    assert (
        error(signed_post(url, "DescribeClusterRoutes", body, host="tke.tencentcloudapi.com"))[0]
        == "InternalError.RouteTableNotFound"
    )
    assert error(signed_post(url, "DescribeClusterRoutes", body, host="cvm.tencentcloudapi.com")) == (
        "AuthFailure.InvalidAuthorization",
        "the credential scope is for tke, the Host cvm.tencentcloudapi.com for cvm",
    )
    assert error(signed_post(url, "DescribeClusterRoutes", b"[1]")) == (
        "InvalidParameter",
        "the body is not a JSON object",
    )
    assert error(signed_post(url, "DescribeClusterRoutes", body, headers={"X-TC-Version": None})) == (
        "MissingParameter",
        "the request has no X-TC-Version header",
    )
    assert (
        error(signed_post(url, "DescribeClusterRoutes", body, headers={"Authorization": "Basic x"}))[0]
        == "AuthFailure.InvalidAuthorization"
    )
    assert error(send(url, "GET", "/?Action=DescribeClusterRoutes"))[0] == "UnsupportedOperation"
    assert error(send(url, "PUT", "/"))[0] == "UnsupportedProtocol"
    assert emulator.summary()["requests"] == 1
