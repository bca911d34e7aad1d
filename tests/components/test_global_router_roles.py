"""The GlobalRouter provider's roles: CAM roles assumed from the environment or the provider config, and the CVM
role's credential from the metadata service (against the emulator's STS)."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
from global_router_helpers import PROPS, assume_role_env, configured, provider

from kubecvm.components import global_router as gr
from kubecvm.components import tencent_calls as calls
from kubecvm.emulator import ACCOUNT_UIN, SECRET_ID, Emulator

pytestmark = pytest.mark.usefixtures("isolated")


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
