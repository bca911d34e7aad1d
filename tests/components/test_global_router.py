"""The GlobalRouter dynamic provider (components/global_router.py) against the Tencent Cloud API emulator
(kubecvm.emulator), which verifies every request's TC3-HMAC-SHA256 signature, headers and members."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import quote_plus

import pytest

from kubecvm.components import global_router as gr
from kubecvm.components import tencent_calls as calls
from kubecvm.emulator import ACCOUNT_UIN, SECRET_ID, SECRET_KEY, Emulator
from kubecvm.emulator.tke import TkeService

VPC = "vpc-abcdef12"
PROPS = {
    "routeTableName": "kubecvm-demo-pods",
    "routeTableCidrBlock": "172.16.0.0/12",
    "vpcId": VPC,
    "region": "ap-guangzhou",
    "ignoreClusterCidrConflict": 0,
    "routes": {
        "demo-master-0": {"destinationCidrBlock": "172.20.0.0/24", "gatewayIp": "10.0.64.4"},
        "demo-general-z3-0": {"destinationCidrBlock": "172.20.64.0/24", "gatewayIp": "10.0.68.0"},
    },
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No Tencent setting of the machine running the tests: no TENCENTCLOUD_* variable, an empty tccli directory."""
    for name in [n for n in os.environ if n.startswith("TENCENTCLOUD_")] + [calls.METADATA_ENV]:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "tccli").mkdir()
    monkeypatch.setenv("TENCENTCLOUD_SHARED_CREDENTIALS_DIR", str(tmp_path / "tccli"))


@pytest.fixture
def emulator(monkeypatch):
    """The emulator on 127.0.0.1 with every service the provider calls aimed at it, and its long-lived key set."""
    emulator = Emulator()
    with emulator.serve() as url:
        for env in calls.ENDPOINT_ENVS.values():
            monkeypatch.setenv(env, url)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        yield emulator


@pytest.fixture
def tke(emulator):
    """The emulator's TKE service (its tables, routes, calls and failures to inject)."""
    return emulator.tke


def provider() -> gr.ClusterRouteTableProvider:
    return gr.ClusterRouteTableProvider()


def with_routes(**routes: tuple[str, str]) -> dict:
    return {**PROPS, "routes": {n: {"destinationCidrBlock": d, "gatewayIp": g} for n, (d, g) in routes.items()}}


def actions(tke: TkeService) -> list[str]:
    return [a for a, _ in tke.calls]


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


def test_bad_credentials_fail_clearly_before_anything_is_created(tke, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-the-key")
    with pytest.raises(gr.GlobalRouterError) as err:
        provider().create(dict(PROPS))
    assert "AuthFailure.SignatureFailure" in str(err.value) and "TENCENTCLOUD_SECRET_ID" in str(err.value)
    assert "not-the-key" not in str(err.value)
    assert tke.tables == {} and tke.calls == []  # refused at the gateway: nothing half-created
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDunknown")
    with pytest.raises(gr.GlobalRouterError, match="AuthFailure.SecretIdNotFound"):
        provider().create(dict(PROPS))


def test_missing_credentials_are_named(emulator, monkeypatch):
    for _, env in calls.CREDENTIALS:
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv(
        "TENCENTCLOUD_ASSUME_ROLE_ARN", f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/any"
    )  # no key to assume it with
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME", "kubecvm")
    with pytest.raises(
        gr.GlobalRouterError,
        match=r"Please set your `secret_id` and `secret_key`: set "
        r"TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY",
    ):
        provider().create(dict(PROPS))
    assert emulator.summary()["requests"] == 0  # refused before any call


def test_provider_config_credentials_win_over_the_environment(tke, monkeypatch):
    import pulumi.dynamic
    from pulumi.dynamic.config import Config

    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "stale-env-key")
    p = provider()
    p.configure(
        pulumi.dynamic.ConfigureRequest(
            Config({"tencentcloud:secretId": SECRET_ID, "tencentcloud:secretKey": SECRET_KEY}, project_name="kubecvm")
        )
    )
    p.create(dict(PROPS))
    assert len(tke.routes["kubecvm-demo-pods"]) == 2


def test_the_pickled_provider_holds_no_credential(monkeypatch):
    from pulumi.dynamic.dynamic import serialize_provider

    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    pickled = base64.b64decode(serialize_provider(gr.ClusterRouteTableProvider()))
    assert SECRET_KEY.encode() not in pickled and b"secretKey" not in pickled


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ("https", None)),
        ("tke.internal.tencentcloudapi.com", ("https", "tke.internal.tencentcloudapi.com")),
        ("http://127.0.0.1:8080", ("http", "127.0.0.1:8080")),
    ],
)
def test_endpoint_override(monkeypatch, raw, expected):
    monkeypatch.setenv(calls.ENDPOINT_ENV, raw)
    assert calls.endpoint() == expected


def test_a_bad_endpoint_is_named(monkeypatch):
    monkeypatch.setenv(calls.ENDPOINT_ENV, "ftp://x")
    with pytest.raises(gr.GlobalRouterError, match="TENCENTCLOUD_TKE_ENDPOINT='ftp://x': expected a host"):
        calls.endpoint()


def test_check_names_routes_the_api_would_refuse():
    bad = with_routes(a=("10.1.0.0/24", "10.0.0.1"), b=("172.16.1.0/24", "10.0.0.1"), c=("nope", "10.0.0.2"))
    assert gr.check_problems(bad) == [
        ("routes.a", "10.1.0.0/24 is outside the table's CIDR 172.16.0.0/12 (InvalidParameter.CidrOutOfRouteTable)"),
        ("routes.b", "gateway 10.0.0.1 is already a's"),
        ("routes.c", "nope -> 10.0.0.2 is not a CIDR and an IPv4 address"),
    ]
    assert gr.check_problems(PROPS) == []
    assert gr.check_problems({**PROPS, "vpcId": ""}) == [("vpcId", "required")]


# --- credentials, resolved as the Tencent provider resolves them ----------------------------------------------------
def configured(**config: object) -> gr.ClusterRouteTableProvider:
    """A provider configured as the engine configures it, with `tencentcloud:` config (keys without the prefix)."""
    import pulumi.dynamic
    from pulumi.dynamic.config import Config

    p = provider()
    p.configure(
        pulumi.dynamic.ConfigureRequest(
            Config({f"tencentcloud:{k}": v for k, v in config.items()}, project_name="kubecvm")
        )
    )
    return p


def assume_role_env(monkeypatch, arn: str, session: str = "kubecvm-ci", **extra: str) -> None:
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_ARN", arn)
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME", session)
    for name, value in extra.items():
        monkeypatch.setenv(f"TENCENTCLOUD_ASSUME_ROLE_{name.upper()}", value)


def test_tke_calls_run_as_the_role_assumed_from_the_environment(emulator, monkeypatch):
    role = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    assume_role_env(monkeypatch, role, session_duration="900", external_id="ext-0001")
    result = provider().create(dict(PROPS))
    assert emulator.sts.calls == [
        (
            "AssumeRole",
            {"RoleArn": role, "RoleSessionName": "kubecvm-ci", "DurationSeconds": 900, "ExternalId": "ext-0001"},
        )
    ]
    assert emulator.sts.callers == [SECRET_ID]  # assumed with the long-lived key
    assert emulator.tke.callers == [role] * 5  # every TKE call as the role
    assert emulator.cam.callers == [role]  # and the service-role check
    assert result.outs == PROPS  # nothing of the credential in the state


def test_the_assume_role_config_block_is_assumed_last_with_the_credential_so_far(emulator, monkeypatch):
    first = emulator.cam.add_role("kubecvm-hop")["RoleArn"]
    second = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    assume_role_env(monkeypatch, first)
    policy = json.dumps(
        {"version": "2.0", "statement": [{"effect": "allow", "action": ["tke:*Route*"], "resource": ["*"]}]}
    )
    configured(
        assumeRole={"roleArn": second, "sessionName": "kubecvm-up", "policy": policy, "externalId": "ext-b"}
    ).create(dict(PROPS))
    assert emulator.sts.calls == [
        ("AssumeRole", {"RoleArn": first, "RoleSessionName": "kubecvm-ci", "DurationSeconds": 7200}),
        (
            "AssumeRole",
            {
                "RoleArn": second,
                "RoleSessionName": "kubecvm-up",
                "DurationSeconds": 7200,
                "Policy": quote_plus(policy),
                "ExternalId": "ext-b",
            },
        ),  # url-escaped, as the provider sends it
    ]
    assert emulator.sts.callers == [SECRET_ID, first]
    assert set(emulator.tke.callers) == {second}


def test_the_assume_role_block_may_come_as_json_and_takes_its_defaults_from_the_environment(emulator, monkeypatch):
    role = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION", "1800")
    configured(assumeRole=json.dumps({"roleArn": role, "sessionName": "kubecvm-up"})).create(dict(PROPS))
    assert emulator.sts.calls == [
        ("AssumeRole", {"RoleArn": role, "RoleSessionName": "kubecvm-up", "DurationSeconds": 1800})
    ]
    with pytest.raises(gr.GlobalRouterError, match="tencentcloud:assumeRole: roleArn and sessionName are required"):
        configured(assumeRole={"roleArn": role}).create(dict(PROPS))


def test_a_refused_assume_role_names_the_role_and_where_it_was_configured(emulator, monkeypatch):
    missing = f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/nobody"
    assume_role_env(monkeypatch, missing)
    with pytest.raises(
        gr.GlobalRouterError,
        match=rf"STS AssumeRole failed \(assuming {missing} "
        rf"\(TENCENTCLOUD_ASSUME_ROLE_ARN\) as .*\): ResourceNotFound.RoleNotFound",
    ):
        provider().create(dict(PROPS))
    assert emulator.tke.calls == []


def test_a_tccli_profile_gives_the_key_and_its_role_when_no_key_is_set(emulator, monkeypatch, tmp_path):
    role = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    (tmp_path / "tccli" / "ops.credential").write_text(
        json.dumps(
            {
                "secretId": SECRET_ID,
                "secretKey": f" {SECRET_KEY}\n",
                "role-arn": role,
                "role-session-name": "from-profile",
            }
        )
    )
    monkeypatch.setenv("TENCENTCLOUD_PROFILE", "ops")
    # A key in the environment wins: the profile is not read, so neither is its role.
    provider().create(dict(PROPS))
    assert emulator.sts.calls == [] and set(emulator.tke.callers) == {SECRET_ID}
    emulator.reset()  # an empty account again: the role added back
    emulator.cam.add_role("kubecvm-deployer")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    provider().create(dict(PROPS))
    assert emulator.sts.calls == [
        ("AssumeRole", {"RoleArn": role, "RoleSessionName": "from-profile", "DurationSeconds": 7200})
    ]
    assert emulator.sts.callers == [SECRET_ID] and set(emulator.tke.callers) == {role}


def test_the_profile_settings_come_from_the_provider_config_too(emulator, monkeypatch, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "team.credential").write_text(
        json.dumps({"secretId": SECRET_ID, "secretKey": SECRET_KEY})
    )
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    configured(profile="team", sharedCredentialsDir=str(tmp_path / "elsewhere")).create(dict(PROPS))
    assert set(emulator.tke.callers) == {SECRET_ID}
    (tmp_path / "tccli" / "default.credential").write_text("{not json")
    with pytest.raises(
        gr.GlobalRouterError, match=r"the tccli profile .*tccli/default.credential cannot be read as JSON"
    ):
        provider().create(dict(PROPS))


class MetadataService:
    """A stand-in for the CVM metadata service on 127.0.0.1: path -> JSON document, and the paths asked for."""

    def __init__(self, documents: dict[str, dict]):
        import http.server
        import threading

        self.documents, self.asked = documents, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.asked.append(self.path)
                doc = outer.documents.get(self.path)
                body = json.dumps(doc).encode() if doc is not None else b"not found"
                self.send_response(200 if doc is not None else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/latest/meta-data/"

    def __enter__(self) -> MetadataService:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def cvm_role_document(emulator: Emulator, role_arn: str) -> dict:
    """The metadata service's answer for a CAM role (the SDK's CVMRoleCredential reads Code, TmpSecretId,
    TmpSecretKey, Token, ExpiredTime), with a credential the emulator accepts."""
    cred = emulator.sts.issue(role_arn)
    answer = cred.answer()
    return {
        "TmpSecretId": cred.secret_id,
        "TmpSecretKey": cred.secret_key,
        "Token": cred.token,
        "ExpiredTime": cred.expires,
        "Expiration": answer["Expiration"],
        "Code": "Success",
    }


def test_a_cvm_role_credential_comes_from_the_metadata_service_and_signs_the_assume_role(emulator, monkeypatch):
    node = emulator.cam.add_role("kubecvm-node")["RoleArn"]
    deployer = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    path = "/latest/meta-data/cam/security-credentials/kubecvm-node"
    with MetadataService({path: cvm_role_document(emulator, node)}) as metadata:
        monkeypatch.setenv(calls.METADATA_ENV, metadata.url)
        monkeypatch.setenv("TENCENTCLOUD_CAM_ROLE_NAME", "kubecvm-node")
        monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")  # a CAM role needs no key
        monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
        provider().create(dict(PROPS))
        assert metadata.asked == [path]
        assert set(emulator.tke.callers) == {node} and emulator.sts.calls == []
        emulator.tke.calls.clear()
        emulator.tke.callers.clear()
        assume_role_env(monkeypatch, deployer)
        provider().read("kubecvm-demo-pods", dict(PROPS))
    assert emulator.sts.callers == [node]  # the CVM role's credential, then the role assumed with it
    assert emulator.tke.callers == [deployer]


def test_a_cvm_role_without_credentials_is_a_clear_error(emulator, monkeypatch):
    with MetadataService({"/latest/meta-data/cam/security-credentials/kubecvm-node": {"Code": "Failure"}}) as metadata:
        monkeypatch.setenv(calls.METADATA_ENV, metadata.url)
        with pytest.raises(
            gr.GlobalRouterError,
            match=r"CAM role kubecvm-node \(tencentcloud:camRoleName / "
            r"TENCENTCLOUD_CAM_ROLE_NAME\): no temporary credentials from "
            r"the CVM metadata service at http://127.0.0.1:\d+/latest/"
            r"meta-data/cam/security-credentials/kubecvm-node",
        ):
            configured(camRoleName="kubecvm-node").create(dict(PROPS))
    assert emulator.summary()["requests"] == 0


def test_a_temporary_key_signs_with_its_security_token(emulator, monkeypatch):
    role = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    cred = emulator.sts.issue(role)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", cred.secret_id)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", cred.secret_key)
    with pytest.raises(gr.GlobalRouterError, match="AuthFailure.TokenFailure.*TENCENTCLOUD_SECURITY_TOKEN"):
        provider().create(dict(PROPS))
    monkeypatch.setenv("TENCENTCLOUD_SECURITY_TOKEN", cred.token)
    provider().create(dict(PROPS))
    assert set(emulator.tke.callers) == {role}


def test_the_credential_is_resolved_once_while_it_is_fresh(emulator, monkeypatch):
    role = emulator.cam.add_role("kubecvm-deployer")["RoleArn"]
    assume_role_env(monkeypatch, role)
    p = provider()
    p.create(dict(PROPS))
    p.read("kubecvm-demo-pods", dict(PROPS))
    assert len(emulator.sts.calls) == 1
    monkeypatch.setenv(
        "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION", str(calls.REFRESH_BEFORE)
    )  # stale as soon as issued
    p = provider()
    p.read("kubecvm-demo-pods", dict(PROPS))
    p.read("kubecvm-demo-pods", dict(PROPS))
    assert len(emulator.sts.calls) == 3


def test_saml_and_oidc_assume_role_variables_are_refused_not_ignored(emulator, monkeypatch):
    assume_role_env(monkeypatch, f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/any", web_identity_token="eyJ...")
    with pytest.raises(
        gr.GlobalRouterError,
        match="TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN: assuming a role with SAML or OIDC is not supported",
    ):
        provider().create(dict(PROPS))


def test_the_domain_and_protocol_settings_name_every_services_endpoint(monkeypatch):
    def config(**values: str):
        return lambda k: values.get(k.removeprefix("tencentcloud:"))

    monkeypatch.setenv("TENCENTCLOUD_DOMAIN", "internal.tencentcloudapi.com")
    assert calls.endpoint("cam") == ("https", "cam.internal.tencentcloudapi.com")
    assert calls.endpoint("sts", config(domain="example.test", protocol="HTTP")) == ("http", "sts.example.test")
    monkeypatch.setenv("TENCENTCLOUD_PROTOCOL", "HTTP")
    assert calls.endpoint("tke") == ("http", "tke.internal.tencentcloudapi.com")
    monkeypatch.setenv("TENCENTCLOUD_STS_ENDPOINT", "sts.override.test")  # a per-service override wins
    assert calls.endpoint("sts") == ("http", "sts.override.test")
    assert calls.endpoint("cam") == ("http", "cam.internal.tencentcloudapi.com")
    monkeypatch.setenv("TENCENTCLOUD_PROTOCOL", "FTP")
    with pytest.raises(
        gr.GlobalRouterError, match="tencentcloud:protocol / TENCENTCLOUD_PROTOCOL='FTP': expected HTTP or HTTPS"
    ):
        calls.endpoint("tke")
    secret = calls.Secret(SECRET_ID, SECRET_KEY)
    http = gr.Tke("ap-guangzhou", secret, config(domain="example.test", protocol="HTTPS")).client.profile.httpProfile
    assert (http.endpoint, http.protocol) == ("tke.example.test", "https")


# --- the TKE service role ---------------------------------------------------------------------------------------------
def test_create_checks_the_tke_service_role_before_the_table(emulator):
    provider().create(dict(PROPS))
    assert emulator.cam.calls == [("GetRole", {"RoleName": "TKE_QCSRole"})]
    assert emulator.cam.callers == [SECRET_ID]


def test_an_account_without_the_tke_service_role_is_told_how_to_create_it(emulator):
    del emulator.cam.roles["TKE_QCSRole"]  # TKE never activated in this account
    with pytest.raises(gr.GlobalRouterError) as err:
        provider().create(dict(PROPS))
    message = str(err.value)
    assert message.startswith(
        "the TKE service role TKE_QCSRole does not exist in this account (CAM GetRole: InvalidParameter.RoleNotExist)"
    )
    for needed in (
        "https://console.cloud.tencent.com/tke2",
        "Service Authorization",
        "principal service ccs.qcloud.com",
        "QcloudAccessForTKERole and QcloudAccessForTKERoleInOpsManagement",
        "457/43416",
    ):
        assert needed in message
    assert emulator.tke.calls == [] and emulator.tke.tables == {}  # nothing created


@pytest.mark.parametrize("code", ["AuthFailure.UnauthorizedOperation", "UnauthorizedOperation"])
def test_a_caller_that_may_not_read_cam_is_not_blocked(emulator, code):
    del emulator.cam.roles["TKE_QCSRole"]  # unknowable to this caller: TKE itself would refuse
    emulator.cam.fail["GetRole"] = [code]
    provider().create(dict(PROPS))
    assert len(emulator.tke.routes["kubecvm-demo-pods"]) == 2


def test_another_cam_failure_stops_the_create(emulator, monkeypatch):
    monkeypatch.setattr(calls, "RETRY_FIRST_WAIT", 0.01)
    emulator.cam.fail["GetRole"] = ["RequestLimitExceeded", "InternalError"]
    with pytest.raises(gr.GlobalRouterError, match="CAM GetRole failed: InternalError"):
        provider().create(dict(PROPS))
    assert emulator.tke.calls == []


def test_an_account_started_without_the_role_refuses_the_create():
    emulator = Emulator(tke_service_role=False)
    with emulator.serve() as url, pytest.MonkeyPatch.context() as mp:
        for env in calls.ENDPOINT_ENVS.values():
            mp.setenv(env, url)
        mp.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        mp.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        with pytest.raises(gr.GlobalRouterError, match="the TKE service role TKE_QCSRole does not exist"):
            provider().create(dict(PROPS))
    assert emulator.summary()["refusals"][0]["code"] == "InvalidParameter.RoleNotExist"
