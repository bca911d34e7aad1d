"""The boot scripts run for real in bash, against fake iptables, tccli and kubeadm that record their calls."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kubecvm.planning import bootstrap
from tests.bootstrap._boot import files, preset_plan, user_data


def install(tmp: Path, m) -> dict[str, Path]:
    """The node's files under tmp (KUBECVM_DIR=tmp/etc), plus a bin/ for fakes."""
    written = files(user_data(preset_plan("prod"), m))
    etc, lib, bin_ = tmp / "etc", tmp / "lib", tmp / "bin"
    for d in (etc, lib, bin_):
        d.mkdir()
    (etc / "boot.env").write_text(written["/etc/kubecvm/boot.env"]["content"])
    (lib / "lib.sh").write_text(written["/usr/local/lib/kubecvm/lib.sh"]["content"])
    for name in ("kubecvm-net", "kubecvm-token-sync"):
        if f"/usr/local/sbin/{name}" in written:
            (lib / name).write_text(written[f"/usr/local/sbin/{name}"]["content"])
    return {"etc": etc, "lib": lib, "bin": bin_, "log": tmp / "calls.log"}


def fake(bin_: Path, name: str, body: str) -> None:
    path = bin_ / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def run(paths: dict[str, Path], script: str, **env: str) -> subprocess.CompletedProcess:
    environ = {
        "PATH": f"{paths['bin']}:{os.environ['PATH']}",
        "KUBECVM_DIR": str(paths["etc"]),
        "KUBECVM_LIB": str(paths["lib"] / "lib.sh"),
        "CALLS": str(paths["log"]),
        **env,
    }
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=environ)


def calls(paths) -> list[str]:
    return paths["log"].read_text().splitlines() if paths["log"].exists() else []


# iptables: -N/-C answer "absent" (1) so the script creates chains and jumps; every call is logged.
IPTABLES = 'echo "$*" >>"$CALLS"; for a in "$@"; do [ "$a" = -C ] && exit 1; done; exit 0\n'


@pytest.mark.parametrize("role", ["master", "worker"])
def test_net_rules(tmp_path: Path, role: str):
    plan = preset_plan("prod")
    m = plan.masters[1] if role == "master" else plan.workers[0]
    paths = install(tmp_path, m)
    fake(paths["bin"], "iptables", IPTABLES)
    result = run(paths, f"bash {paths['lib'] / 'kubecvm-net'}")
    assert result.returncode == 0, result.stderr
    appended = [c for c in calls(paths) if " -A " in f" {c} " or " -I " in f" {c} "]
    expected = [
        "-w -t nat -A POSTROUTING -j KUBECVM-EGRESS",
        f"-w -t nat -A KUBECVM-EGRESS -s {m.pod_cidr} -d {plan.pod_cidr} -j RETURN",
        f"-w -t nat -A KUBECVM-EGRESS -s {m.pod_cidr} -d {plan.vpc_cidr} -j RETURN",
        f"-w -t nat -A KUBECVM-EGRESS -s {m.pod_cidr} -j MASQUERADE",
    ]
    # The metadata fence: first in FORWARD, pods' traffic to the metadata service dropped.
    expected += ["-w -I FORWARD 1 -j KUBECVM-FENCE", f"-w -A KUBECVM-FENCE -s {plan.pod_cidr} -d 169.254.0.23 -j DROP"]
    if role == "master":  # the VIP answered by this master itself (no api-target written yet)
        expected += [
            "-w -t nat -A OUTPUT -j KUBECVM-API",
            f"-w -t nat -A KUBECVM-API -d {plan.api.vip} -p tcp --dport 6443 -j DNAT --to-destination {m.private_ip}:6443",
        ]
    assert appended == expected


def test_joining_master_reaches_the_api_through_its_peer(tmp_path: Path):
    plan = preset_plan("prod")
    paths = install(tmp_path, plan.masters[2])
    fake(paths["bin"], "iptables", IPTABLES)
    (paths["etc"] / "api-target").write_text(plan.masters[0].private_ip + "\n")
    assert run(paths, f"bash {paths['lib'] / 'kubecvm-net'}").returncode == 0
    assert calls(paths)[-1] == (
        f"-w -t nat -A KUBECVM-API -d {plan.api.vip} -p tcp --dport 6443 -j DNAT "
        f"--to-destination {plan.masters[0].private_ip}:6443"
    )


def tccli_answering(paths, secrets: dict[str, str]) -> None:
    """A fake tccli that answers GetSecretValue only when asked with the CVM role, the region and our version."""
    table = json.dumps(secrets)
    fake(
        paths["bin"],
        "tccli",
        f"""echo "tccli $*" >>"$CALLS"
python3 - "$@" <<'PY'
import json, sys
args = sys.argv[1:]
opt = lambda k: args[args.index(k) + 1] if k in args else None
secrets = json.loads({table!r})
if args[:2] != ["ssm", "GetSecretValue"] or "--use-cvm-role" not in args or opt("--region") != "ap-guangzhou" \\
        or opt("--VersionId") != "current" or opt("--SecretName") not in secrets \\
        or opt("--endpoint") != "ssm.internal.tencentcloudapi.com":
    sys.exit(2)
print(json.dumps({{"SecretName": opt("--SecretName"), "VersionId": "current", "SecretString": secrets[opt("--SecretName")]}}))
PY
""",
    )


def test_secret_is_read_with_the_instance_role(tmp_path: Path):
    plan = preset_plan("prod")
    paths = install(tmp_path, plan.masters[0])
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    tccli_answering(paths, {"kubecvm_prod_ca-crt": pem})
    result = run(paths, '. "$KUBECVM_LIB"; secret kubecvm_prod_ca-crt', TCCLI=str(paths["bin"] / "tccli"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == pem
    assert calls(paths) == [
        "tccli ssm GetSecretValue --SecretName kubecvm_prod_ca-crt --VersionId current "
        "--use-cvm-role --region ap-guangzhou --endpoint ssm.internal.tencentcloudapi.com"
    ]
    missing = run(paths, '. "$KUBECVM_LIB"; secret kubecvm_prod_ca-key', TCCLI=str(paths["bin"] / "tccli"))
    assert missing.returncode != 0 and missing.stdout == ""


def test_token_sync_applies_the_ssm_token_with_a_finite_expiry(tmp_path: Path):
    # One path for both cases: server-side apply creates the bootstrap token Secret when missing and renews its
    # expiry (and a rotated token secret) in place otherwise; the token never reaches a command line.
    import datetime

    plan = preset_plan("prod")
    paths = install(tmp_path, plan.masters[0])
    token = "abcdef.0123456789abcdef"
    tccli_answering(paths, {"kubecvm_prod_bootstrap-token": token})
    fake(
        paths["bin"],
        "kubectl",
        'echo "kubectl $*" >>"$CALLS"\nf=${@: -1}\ncp "$f" "$CALLS.manifest"\nstat -c %a "$f" >"$CALLS.mode"\n',
    )
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    result = run(paths, f"bash {paths['lib'] / 'kubecvm-token-sync'}", TCCLI=str(paths["bin"] / "tccli"))
    assert result.returncode == 0, result.stderr
    kubectl = [c for c in calls(paths) if c.startswith("kubectl")]
    assert len(kubectl) == 1 and kubectl[0].startswith(
        "kubectl apply --server-side --force-conflicts --field-manager=kubecvm-token-sync -f "
    )
    assert token not in "\n".join(calls(paths)) and "0123456789abcdef" not in "\n".join(calls(paths))
    assert Path(str(paths["log"]) + ".mode").read_text().strip() == "600"
    secret = yaml.safe_load(Path(str(paths["log"]) + ".manifest").read_text())
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    assert secret["metadata"] == {"name": "bootstrap-token-abcdef", "namespace": "kube-system"}
    data = secret["stringData"]
    assert (data["token-id"], data["token-secret"]) == ("abcdef", "0123456789abcdef")
    assert data["auth-extra-groups"] == "system:bootstrappers:kubeadm:default-node-token"
    assert (data["usage-bootstrap-authentication"], data["usage-bootstrap-signing"]) == ("true", "true")
    expires = datetime.datetime.strptime(data["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    ttl = datetime.timedelta(seconds=bootstrap.TOKEN_TTL_SECONDS)
    assert before + ttl <= expires <= before + ttl + datetime.timedelta(seconds=30)
    assert token not in result.stdout + result.stderr  # never echoed to the journal
    assert not Path(kubectl[0].rsplit(" ", 1)[1]).exists()  # the manifest holding the token is removed


def test_encryption_config_gets_its_key_from_ssm_once(tmp_path: Path):
    # The master writes the EncryptionConfiguration from the user data's template and the SSM key; a second run
    # keeps the file (a key rotation edits it by hand, docs/operations/rotation.md) and never prints the key.
    plan = preset_plan("prod")
    m = plan.masters[1]
    written = files(user_data(plan, m))
    paths = install(tmp_path, m)
    (paths["etc"] / "encryption.yaml").write_text(written["/etc/kubecvm/encryption.yaml"]["content"])
    key = "q83vEjRWeJq8nO7xEjRWeJq8nO7xEjRWeJq8nO7xEjQ="
    tccli_answering(paths, {f"kubecvm_prod_{bootstrap.ENCRYPTION_ITEM}": key})
    boot = written["/usr/local/sbin/kubecvm-boot"]["content"]
    function = boot[boot.index("encryption_config() {") : boot.index("\n}\n", boot.index("encryption_config() {")) + 3]
    dst = tmp_path / "root" / "etc" / "kubernetes" / "kubecvm" / "encryption.yaml"
    script = f'. "$KUBECVM_LIB"; umask 077; {function}\nencryption_config; encryption_config'
    result = run(paths, script, TCCLI=str(paths["bin"] / "tccli"), ROOT=str(tmp_path / "root"))
    assert result.returncode == 0, result.stderr
    assert key not in result.stdout + result.stderr
    config = yaml.safe_load(dst.read_text())
    name = "kubecvm-" + hashlib.sha256(key.encode()).hexdigest()[:12]
    assert config["resources"][0]["providers"][0] == {"secretbox": {"keys": [{"name": name, "secret": key}]}}
    assert oct(dst.stat().st_mode & 0o777) == "0o600"
    assert [c for c in calls(paths) if "GetSecretValue" in c] == [  # read once: the second run kept the file
        f"tccli ssm GetSecretValue --SecretName kubecvm_prod_{bootstrap.ENCRYPTION_ITEM} --VersionId current "
        "--use-cvm-role --region ap-guangzhou --endpoint ssm.internal.tencentcloudapi.com"
    ]


def test_an_unanswered_internal_endpoint_falls_back_to_the_public_one(tmp_path: Path):
    plan = preset_plan("prod")
    paths = install(tmp_path, plan.masters[0])
    tccli_answering(paths, {"kubecvm_prod_ca-crt": "pem\n"})
    tc = paths["bin"] / "tccli"
    tc.write_text(tc.read_text().replace('!= "ssm.internal.tencentcloudapi.com"', '!= "ssm.tencentcloudapi.com"'))
    result = run(paths, '. "$KUBECVM_LIB"; secret kubecvm_prod_ca-crt', TCCLI=str(tc))
    assert result.returncode == 0 and result.stdout == "pem\n", result.stderr
    assert [c.rsplit(" ", 1)[1] for c in calls(paths)] == [
        "ssm.internal.tencentcloudapi.com",
        "ssm.tencentcloudapi.com",
    ]


def test_scripts_are_valid_bash():
    for template in sorted(bootstrap.TEMPLATES.iterdir()):
        result = subprocess.run(["bash", "-n", str(template)], capture_output=True, text=True)
        assert result.returncode == 0, f"{template.name}: {result.stderr}"


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck not installed (apt-get install -y shellcheck)")
def test_scripts_pass_shellcheck():
    templates = sorted(t.name for t in bootstrap.TEMPLATES.iterdir())
    # -x follows `source=lib.sh`; SC1091: /etc/kubecvm/boot.env exists only on a node.
    result = subprocess.run(
        ["shellcheck", "-x", "-s", "bash", "-S", "warning", "-e", "SC1091", *templates],
        capture_output=True,
        text=True,
        cwd=bootstrap.TEMPLATES,
    )
    assert result.returncode == 0, result.stdout
