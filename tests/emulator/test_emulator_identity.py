"""The emulator's STS AssumeRole and CAM GetRole, with Tencent's official SDK as the client: temporary credentials
it issues and then accepts with their token, the identity it records for each call, and the TKE service role."""

from __future__ import annotations

import json
import time
from urllib.parse import quote_plus

import pytest
from emulator_helpers import NO_ALARMS, NO_VPC, common, refused, request, tke
from tencentcloud.common import credential

from kubecvm.emulator import ACCOUNT_UIN, SECRET_ID, Emulator

ROLE = "kubecvm-deployer"
ROLE_ARN = f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/{ROLE}"


@pytest.fixture
def served():
    emulator = Emulator()
    emulator.cam.add_role(ROLE)
    with emulator.serve() as url:
        yield emulator, url


def assume(url: str, **members) -> dict:
    return common(url, "sts", "2018-08-13").call_json(
        "AssumeRole", {"RoleArn": ROLE_ARN, "RoleSessionName": "kubecvm", **members}
    )["Response"]


def test_assume_role_issues_credentials_the_gateway_accepts_as_the_role(served):
    emulator, url = served
    answer = assume(url, DurationSeconds=900)
    creds = answer["Credentials"]
    assert sorted(creds) == ["TmpSecretId", "TmpSecretKey", "Token"] and creds["TmpSecretId"].startswith("AKID")
    assert abs(answer["ExpiredTime"] - (time.time() + 900)) < 5
    assert answer["Expiration"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(answer["ExpiredTime"]))
    client = tke(url, creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
    assert client.DescribeClusterRouteTables(request("DescribeClusterRouteTables")).TotalCount == 0
    tke(url).DescribeClusterRouteTables(request("DescribeClusterRouteTables"))
    assert emulator.tke.callers == [ROLE_ARN, SECRET_ID]  # the assumed role, then the long-lived key
    assert emulator.sts.callers == [SECRET_ID]
    assert emulator.sts.calls == [
        ("AssumeRole", {"RoleArn": ROLE_ARN, "RoleSessionName": "kubecvm", "DurationSeconds": 900})
    ]


def test_a_temporary_credential_needs_its_token_until_it_expires(served):
    emulator, url = served
    creds = assume(url)["Credentials"]
    listing = request("DescribeClusterRouteTables")
    assert refused(tke(url, creds["TmpSecretId"], creds["TmpSecretKey"]).DescribeClusterRouteTables, listing) == (
        "AuthFailure.TokenFailure",
        "X-TC-Token is missing or not the token of this temporary SecretId",
    )
    assert (
        refused(
            tke(url, creds["TmpSecretId"], creds["TmpSecretKey"], "another-token").DescribeClusterRouteTables, listing
        )[0]
        == "AuthFailure.TokenFailure"
    )
    assert (
        refused(tke(url, creds["TmpSecretId"], "not-the-key", creds["Token"]).DescribeClusterRouteTables, listing)[0]
        == "AuthFailure.SignatureFailure"
    )
    assert (
        refused(tke(url, "AKIDnot-issued", creds["TmpSecretKey"], creds["Token"]).DescribeClusterRouteTables, listing)[
            0
        ]
        == "AuthFailure.SecretIdNotFound"
    )
    assert emulator.tke.calls == []
    expired = emulator.sts.issue(ROLE_ARN, duration=-1)  # issued already expired
    assert refused(
        tke(url, expired.secret_id, expired.secret_key, expired.token).DescribeClusterRouteTables, listing
    ) == ("AuthFailure.TokenFailure", f"the temporary credential expired at {expired.expires}")


def test_assume_role_refusals_use_sts_codes(served):
    emulator, url = served
    sts = common(url, "sts", "2018-08-13")

    def code(**members) -> tuple[str, str]:
        return refused(sts.call_json, "AssumeRole", {"RoleArn": ROLE_ARN, "RoleSessionName": "kubecvm", **members})

    assert code(RoleArn=f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/nobody") == (
        "ResourceNotFound.RoleNotFound",
        f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/nobody is not a role of this account",
    )
    assert code(RoleArn=f"qcs::cam::uin/200000000002:roleName/{ROLE}")[0] == "ResourceNotFound.RoleNotFound"
    assert code(DurationSeconds=43201) == ("InvalidParameter.OverTimeError", "DurationSeconds 43201 is more than 43200")
    assert code(RoleSessionName="a b")[0] == "InvalidParameter.ParamError"
    principal = {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"], "principal": {"qcs": ["*"]}}],
    }
    assert code(Policy=quote_plus(json.dumps(principal))) == (
        "InvalidParameter.StrategyFormatError",
        "Policy must not contain principal",
    )
    assert code(Policy="not%20a%20policy")[0] == "InvalidParameter.StrategyFormatError"
    assert refused(sts.call_json, "AssumeRole", {"RoleArn": ROLE_ARN}) == (
        "MissingParameter",
        "AssumeRole needs RoleSessionName",
    )
    assert emulator.sts.credentials == {}
    # The RoleId form names the same role; a url-encoded policy without principal is accepted.
    role_id = emulator.cam.roles[ROLE]["RoleId"]
    policy = quote_plus(
        json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["tke:*"], "resource": ["*"]}]})
    )
    assert "Credentials" in assume(url, RoleArn=f"qcs::cam::uin/{ACCOUNT_UIN}:role/{role_id}", Policy=policy)


def test_get_role_finds_the_tke_service_role_of_an_activated_account(served):
    emulator, url = served
    info = common(url, "cam", "2019-01-16").call_json("GetRole", {"RoleName": "TKE_QCSRole"})["Response"]["RoleInfo"]
    assert (info["RoleName"], info["RoleArn"]) == ("TKE_QCSRole", f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/TKE_QCSRole")
    assert json.loads(info["PolicyDocument"])["statement"][0]["principal"] == {"service": "ccs.qcloud.com"}
    by_id = common(url, "cam", "2019-01-16").call_json("GetRole", {"RoleId": info["RoleId"]})["Response"]["RoleInfo"]
    assert by_id["RoleName"] == "TKE_QCSRole"
    assert refused(common(url, "cam", "2019-01-16").call_json, "GetRole", {}) == (
        "InvalidParameter.ParamError",
        "GetRole needs RoleId or RoleName",
    )
    emulator.cam.fail["GetRole"] = ["AuthFailure.UnauthorizedOperation"]
    assert (
        refused(common(url, "cam", "2019-01-16").call_json, "GetRole", {"RoleName": "TKE_QCSRole"})[0]
        == "AuthFailure.UnauthorizedOperation"
    )


def test_an_account_without_tke_has_no_service_role_even_after_a_reset():
    emulator = Emulator(tke_service_role=False)
    with emulator.serve() as url:
        cam = common(url, "cam", "2019-01-16")
        assert refused(cam.call_json, "GetRole", {"RoleName": "TKE_QCSRole"}) == (
            "InvalidParameter.RoleNotExist",
            "role TKE_QCSRole does not exist",
        )
        emulator.reset()
        assert refused(cam.call_json, "GetRole", {"RoleName": "TKE_QCSRole"})[0] == "InvalidParameter.RoleNotExist"
    assert "TKE_QCSRole" in Emulator().cam.roles


def test_roles_and_temporary_credentials_are_not_counted_as_resources(served):
    emulator, url = served
    assume(url)
    assert emulator.summary()["resources"] == {
        "tke/ClusterRouteTable": 0,
        "tke/ClusterRoute": 0,
        **NO_VPC,
        **NO_ALARMS,
        "clb/LoadBalancer": 0,
        "clb/Listener": 0,
    }
    emulator.reset()
    assert emulator.sts.credentials == {} and ROLE not in emulator.cam.roles  # a reset account: the seed only
    assert list(emulator.cam.roles) == ["TKE_QCSRole"]


def test_a_credential_the_sdk_builds_from_a_temporary_answer_signs_like_any_other(served):
    emulator, url = served
    creds = assume(url)["Credentials"]
    cred = credential.Credential(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"])
    cam = common(url, "cam", "2019-01-16", cred)
    assert cam.call_json("GetRole", {"RoleName": "TKE_QCSRole"})["Response"]["RoleInfo"]["RoleName"] == "TKE_QCSRole"
    assert emulator.cam.callers == [ROLE_ARN]
