"""The offline run of Pulumi.prod.yaml: PKI, SSM and CAM resources are there, wired to the CVMs, and no secret
(PEM, token) appears in any recorded input or output."""

from __future__ import annotations

import json
import re

import pytest

from kubecvm.planning import addons, backups, bootstrap
from kubecvm.stacks.config import read_stack_file
from kubecvm.offline.runner import SECRET, run_program
from kubecvm.offline.simulated_cloud import _random_string
from tests.bootstrap._boot import PROJECT_DIR, preset_plan

INSTANCE = "tencentcloud:Instance/instance:Instance"
SECRET_TYPE, VERSION_TYPE = "tencentcloud:Ssm/secret:Secret", "tencentcloud:Ssm/secretVersion:SecretVersion"
ROLE, POLICY, ATTACH = (
    "tencentcloud:Cam/role:Role",
    "tencentcloud:Cam/policy:Policy",
    "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment",
)


@pytest.fixture(scope="module")
def recording():
    return run_program(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml"), stack="prod")


def names_of(recording, type_: str) -> list[str]:
    # The cluster PKI's; the ingress webhook and metrics-server have certificates of their own
    # (tests/bootstrap/test_ingress_nginx.py, tests/bootstrap/test_addons_metrics_server.py).
    return sorted(
        r.name
        for r in recording.of_type(type_)
        if "-ingress-webhook-" not in r.name and "-metrics-server-tls-" not in r.name
    )


def test_pki_resources(recording):
    assert names_of(recording, "tls:index/privateKey:PrivateKey") == [
        "prod-pki-admin-key",
        "prod-pki-ca-key",
        "prod-pki-etcd-ca-key",
        "prod-pki-front-proxy-ca-key",
        "prod-pki-sa-key",
    ]
    assert names_of(recording, "tls:index/selfSignedCert:SelfSignedCert") == [
        "prod-pki-ca-cert",
        "prod-pki-etcd-ca-cert",
        "prod-pki-front-proxy-ca-cert",
    ]
    assert names_of(recording, "tls:index/certRequest:CertRequest") == ["prod-pki-admin-csr"]
    assert names_of(recording, "tls:index/locallySignedCert:LocallySignedCert") == ["prod-pki-admin-cert"]
    ca = recording.by_name("prod-pki-ca-cert").inputs
    assert (ca["isCaCertificate"], ca["subject"], ca["validityPeriodHours"]) == (
        True,
        {"commonName": "kubernetes"},
        87600,
    )
    admin = recording.by_name("prod-pki-admin-csr").inputs
    assert admin["subject"] == {"commonName": "kubecvm-admin", "organization": "system:masters"}
    for key in (k for k in recording.of_type("tls:index/privateKey:PrivateKey") if k.name.startswith("prod-pki-")):
        assert key.inputs == {"algorithm": "RSA", "rsaBits": 2048}


def test_token_parts_are_kubeadm_shaped(recording):
    parts = {r.name: r for r in recording.of_type("random:index/randomPassword:RandomPassword")}
    assert sorted(parts) == ["prod-bootstrap-token-id", "prod-bootstrap-token-secret"]
    flags = {"lower": True, "numeric": True, "upper": False, "special": False}
    assert parts["prod-bootstrap-token-id"].inputs == {"length": 6, **flags}
    assert parts["prod-bootstrap-token-secret"].inputs == {"length": 16, **flags}
    assert {p.id for p in parts.values()} == {"none"}  # RandomPassword: the value is never the id


def test_ssm_secrets_hold_every_pki_file_and_the_token_as_secrets(recording):
    boot = bootstrap.boot_plan(preset_plan("prod"))
    expected = sorted(s.name for s in boot.secrets)
    assert len(expected) == 10  # 8 PKI files, the bootstrap token, the encryption key
    assert names_of(recording, SECRET_TYPE) == expected
    assert names_of(recording, VERSION_TYPE) == sorted(f"{n}-value" for n in expected)
    for v in recording.of_type(VERSION_TYPE):
        assert v.inputs["secretString"] == SECRET
        assert v.inputs["versionId"] == "current"
    for s in recording.of_type(SECRET_TYPE):
        assert s.inputs["recoveryWindowInDays"] == 7  # prod is protected: a deleted secret can be restored
        assert s.inputs["tags"]["kubecvm/cluster"] == "prod"


def test_cam_roles_read_only_their_share(recording):
    policies = {r.name: json.loads(r.inputs["document"]) for r in recording.of_type(POLICY)}
    readable = {
        name: sorted(
            res.rsplit("/", 1)[1]
            for st in doc["statement"]
            if st["action"] == ["ssm:GetSecretValue"]
            for res in st["resource"]
        )
        for name, doc in policies.items()
    }
    boot = bootstrap.boot_plan(preset_plan("prod"))
    assert readable["kubecvm-prod-worker-boot"] == ["kubecvm_prod_bootstrap-token"]
    assert readable["kubecvm-prod-master-boot"] == sorted(s.name for s in boot.secrets)
    # The etcd backup policy (planning/backups.py): uploads under etcd/ of this cluster's bucket, nothing else.
    backup = policies.pop("kubecvm-prod-etcd-backup")
    assert backup["statement"] == [
        {
            "effect": "allow",
            "action": list(backups.CAM_ACTIONS),
            "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:kubecvm-prod-etcd-1250000000/etcd/*"],
        }
    ]
    assert not [a for a in backups.CAM_ACTIONS if a in ("cos:GetObject", "cos:DeleteObject", "cos:GetBucket")]
    for doc in policies.values():
        for st in doc["statement"]:
            if st["action"] == ["ssm:GetSecretValue"]:
                assert all(
                    r.startswith("qcs::ssm:ap-guangzhou::secret/creatorUin/*/kubecvm_prod_") for r in st["resource"]
                )
            elif any(a.startswith("clb:") for a in st["action"]):  # the load-balancer controller's CLB and VPC calls
                assert set(st["action"]) <= set(addons.lb_controller.CAM_ACTIONS)
                assert "condition" in st or all(a.startswith(("clb:Describe", "vpc:Describe")) for a in st["action"])
            else:  # nothing but CBS calls (CAM's cvm service, planning/cam.py) and CVM describes gets a wildcard resource
                assert all(a.startswith("cvm:") for a in st["action"])
    roles = {r.name: json.loads(r.inputs["document"]) for r in recording.of_type(ROLE)}
    assert sorted(roles) == ["kubecvm-prod-master", "kubecvm-prod-worker"]
    for trust in roles.values():
        assert trust["statement"] == [
            {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service": ["cvm.qcloud.com"]}}
        ]
    assert names_of(recording, ATTACH) == [
        "kubecvm-prod-etcd-backup-attach",
        "kubecvm-prod-master-boot-attach",
        "kubecvm-prod-worker-boot-attach",
    ]
    master_role = next(r for r in recording.of_type(ROLE) if r.name == "kubecvm-prod-master")
    attach = next(r for r in recording.of_type(ATTACH) if r.name == "kubecvm-prod-etcd-backup-attach")
    assert attach.inputs["roleId"] == master_role.id  # the masters' role, and only it


def test_cvms_boot_with_their_role_and_never_roll(recording):
    cvms = recording.of_type(INSTANCE)
    assert len(cvms) == 9
    versions = {r.urn for r in recording.of_type(VERSION_TYPE)}
    token = {u for u in versions if u.endswith("::kubecvm_prod_bootstrap-token-value")}
    for c in cvms:
        role = c.inputs["tags"]["kubecvm/role"]
        assert c.inputs["camRoleName"] == f"kubecvm-prod-{role}"
        assert c.inputs["userDataReplaceOnChange"] is False
        assert bootstrap.decode_user_data(c.inputs["userData"]).startswith("#cloud-config\n")
        # The secrets the node reads and its role's policy exist before it boots and asks for them.
        reads = versions if role == "master" else token
        attachment = {r.urn for r in recording.of_type(ATTACH) if r.name == f"kubecvm-prod-{role}-boot-attach"}
        assert reads | attachment <= set(c.dependencies)
        assert not (versions - reads) & set(c.dependencies)  # and waits for nothing it does not read


def test_user_data_carries_the_real_ca_hash(recording):
    # The simulated CA's hash, computed by the program, is what workers pin.
    hashes = {
        re.search(r"sha256:[0-9a-f]{64}", bootstrap.decode_user_data(c.inputs["userData"]))[0]
        for c in recording.of_type(INSTANCE)
    }
    assert len(hashes) == 1


def test_nothing_secret_is_recorded(recording):
    everything = json.dumps([r.inputs for r in recording.resources]) + json.dumps([r.id for r in recording.resources])
    everything += json.dumps(recording.outputs)
    for marker in ("BEGIN", "PRIVATE KEY", "TENCENTCLOUD_SECRET"):
        assert marker not in everything
    token = (
        _random_string(
            "random:index/randomPassword:RandomPassword::prod-bootstrap-token-id",
            {"length": 6, "upper": False, "special": False},
        )
        + "."
        + _random_string(
            "random:index/randomPassword:RandomPassword::prod-bootstrap-token-secret",
            {"length": 16, "upper": False, "special": False},
        )
    )
    assert bootstrap.is_bootstrap_token(token)
    assert token not in everything and token.split(".")[1] not in everything
    for c in recording.of_type(INSTANCE):  # the user data is encoded: look at what the node will read
        text = bootstrap.expand_user_data(bootstrap.decode_user_data(c.inputs["userData"]))
        assert token not in text
        assert not any(marker in text for marker in ("BEGIN", "PRIVATE KEY", "TENCENTCLOUD_SECRET"))


def test_kubeconfig_is_a_secret_output(recording):
    assert recording.outputs["kubeconfig"] == SECRET


def test_the_token_checked_above_is_the_one_the_program_makes():
    # Guards the test above against checking for the wrong string: export the real token from a one-off program.
    import pulumi

    from kubecvm.components import Cluster
    from kubecvm.stacks.config import plan_from_config

    config = read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml")

    def program() -> None:
        plan = plan_from_config(
            preset=config.get("kubecvm:preset"),
            overrides=config.get("kubecvm:cluster"),
            region=config.get("tencentcloud:region"),
            stack="dev",
        )
        pulumi.export("token", pulumi.Output.unsecret(Cluster(plan.name, plan).boot.token))

    token = run_program(config, stack="dev", program=program).outputs["token"]
    expected = (
        _random_string(
            "random:index/randomPassword:RandomPassword::dev-bootstrap-token-id",
            {"length": 6, "upper": False, "special": False},
        )
        + "."
        + _random_string(
            "random:index/randomPassword:RandomPassword::dev-bootstrap-token-secret",
            {"length": 16, "upper": False, "special": False},
        )
    )
    assert token == expected


def test_the_user_data_secrets_policy_passes(recording):
    from kubecvm.policies.engine import evaluate
    from kubecvm.policies.registry import Resource

    resources = [Resource(r.urn, r.type, r.name, r.inputs) for r in recording.resources if r.custom]
    result = evaluate(resources, only="kubecvm-security-user-data-secrets")
    assert result.violations == ()
    assert sum(c.passed for c in result.checks) == 9


def test_offline_user_data_is_byte_identical_across_runs(recording):
    again = run_program(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml"), stack="prod")
    first = {c.name: c.inputs["userData"] for c in recording.of_type(INSTANCE)}
    assert {c.name: c.inputs["userData"] for c in again.of_type(INSTANCE)} == first


def test_a_new_kubernetes_version_updates_user_data_in_place(recording):
    # What `kubecvm diff` shows a reviewer: every CVM's userData changes, none is replaced.
    from kubecvm.offline.diff import diff_plans

    config = read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")
    config["kubecvm:cluster"] = {**config["kubecvm:cluster"], "kubernetes": {"version": "1.31.2"}}
    newer = run_program(config, stack="prod")
    as_plan = lambda rec: {  # noqa: E731
        "resources": [{"urn": r.urn, "type": r.type, "id": r.id, "inputs": r.inputs} for r in rec.resources if r.custom]
    }
    result = diff_plans(as_plan(recording), as_plan(newer))
    assert (result.added, result.removed, result.replacements) == ([], [], [])
    assert sorted(c.urn.rsplit("::", 1)[1] for c in result.changed) == sorted(
        c.name for c in recording.of_type(INSTANCE)
    )
    assert {tuple(c.keys) for c in result.changed} == {("userData",)}


def test_renamed_secrets_alias_their_former_names(monkeypatch):
    # An earlier release renamed kubecvm-<c>-<item> to kubecvm_<c>_<item>: an existing stack replaces each secret (and its
    # version) instead of orphaning the old one, because each new resource names its former URN as an alias.
    import tencentcloud_iac_pulumi as tc

    aliases: dict[str, list[str]] = {}
    for kind in ("Secret", "SecretVersion"):
        original = getattr(tc.ssm, kind)

        class Spy(original):  # type: ignore[misc, valid-type]
            def __init__(self, resource_name, *args, opts=None, **kwargs):
                aliases[resource_name] = [a.name for a in opts.aliases]
                super().__init__(resource_name, *args, opts=opts, **kwargs)

        monkeypatch.setattr(tc.ssm, kind, Spy)
    run_program(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml"), stack="prod")
    assert len(aliases) == 20
    assert aliases["kubecvm_prod_etcd-ca-key"] == ["kubecvm-prod-etcd-ca-key"]
    assert aliases["kubecvm_prod_etcd-ca-key-value"] == ["kubecvm-prod-etcd-ca-key-value"]
    assert all(former == [name.replace("_", "-")] for name, former in aliases.items())
