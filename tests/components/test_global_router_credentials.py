"""The GlobalRouter provider's credentials and endpoints, resolved as the Tencent provider resolves them: keys from
the environment, the provider config and tccli profiles, temporary keys, endpoint settings (against the emulator)."""

from __future__ import annotations

import base64
import json

import pytest
from global_router_helpers import PROPS, configured, provider

from kubecvm.components import global_router as gr
from kubecvm.components import tencent_calls as calls
from kubecvm.emulator import ACCOUNT_UIN, SECRET_ID, SECRET_KEY

pytestmark = pytest.mark.usefixtures("isolated")


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
