"""The masters' etcd backup and certificate renewal scripts (planning/backups.py) run in bash against fakes on
PATH that record every call."""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

from tests.bootstrap._boot import files, preset_plan, user_data

PLAN = preset_plan("prod")

# ---- the scripts, against fakes ------------------------------------------------------------------------------------


def node(tmp: Path, m) -> dict:
    written = files(user_data(PLAN, m))
    root, bin_ = tmp / "root", tmp / "bin"
    for path, f in written.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f["content"])
    bin_.mkdir()
    (root / "var/lib/etcd").mkdir(parents=True)  # the etcd disk's mount point
    return {"root": root, "bin": bin_, "log": tmp / "calls.log", "files": written}


def fake(n, name: str, body: str) -> None:
    path = n["bin"] / name
    path.write_text('#!/bin/bash\necho "' + name + ' $*" >>"$CALLS"\n' + body)
    path.chmod(0o755)


def run(n, script: str, **env) -> subprocess.CompletedProcess:
    root = n["root"]
    environ = {
        "PATH": f"{n['bin']}:{os.environ['PATH']}",
        "KUBECVM_DIR": str(root / "etc/kubecvm"),
        "KUBECVM_LIB": str(root / "usr/local/lib/kubecvm/lib.sh"),
        "KUBECVM_ROOT": str(root),
        "CALLS": str(n["log"]),
        **env,
    }
    return subprocess.run(["bash", str(root / script.lstrip("/"))], capture_output=True, text=True, env=environ)


def calls(n) -> list[str]:
    return n["log"].read_text().splitlines() if n["log"].exists() else []


def unit_env(n, unit: str) -> dict[str, str]:
    line = next(
        x for x in n["files"][f"/etc/systemd/system/{unit}"]["content"].splitlines() if x.startswith("Environment=")
    )
    return dict(kv.split("=", 1) for kv in line.removeprefix("Environment=").split())


def test_backup_snapshots_inside_etcd_and_uploads_with_the_role(tmp_path: Path):
    n = node(tmp_path, PLAN.masters[1])
    fake(n, "crictl", '[ "$1" = ps ] && echo 3f2a\n[ "$1" = exec ] && touch "$KUBECVM_ROOT${@: -1}"\nexit 0\n')
    fake(n, "curl", "echo 1250000000\n")
    fake(n, "date", '[ "$1" = -u ] && { echo 20261202T030000Z; exit 0; }; echo 2026-12-02T03:00:00+00:00\n')
    fake(n, "python", 'test -e "$4" && echo "snapshot present" >>"$CALLS"\n')
    result = run(
        n,
        "/usr/local/sbin/kubecvm-etcd-backup",
        COS_PYTHON=str(n["bin"] / "python"),
        **unit_env(n, "kubecvm-etcd-backup.service"),
    )
    assert result.returncode == 0, result.stderr
    root = n["root"]
    assert [c for c in calls(n) if not c.startswith("date")] == [
        "crictl ps --name ^etcd$ --state Running -q",
        "crictl exec 3f2a etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt "
        "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key "
        "snapshot save /var/lib/etcd/kubecvm-snapshot.db",
        "curl -fsS http://metadata.tencentyun.com/latest/meta-data/app-id",
        f"python {root}/usr/local/lib/kubecvm/cos_put.py kubecvm-prod-etcd-1250000000 ap-guangzhou "
        f"{root}/var/lib/etcd/kubecvm-snapshot.db etcd/prod-master-1/20261202T030000Z.db",
        "snapshot present",
    ]
    assert not (root / "var/lib/etcd/kubecvm-snapshot.db").exists()  # never left on the etcd disk
    assert "cos://kubecvm-prod-etcd-1250000000/etcd/prod-master-1/20261202T030000Z.db" in result.stdout


def test_backup_fails_loudly_without_etcd(tmp_path: Path):
    n = node(tmp_path, PLAN.masters[0])
    fake(n, "crictl", "exit 0\n")
    result = run(n, "/usr/local/sbin/kubecvm-etcd-backup", **unit_env(n, "kubecvm-etcd-backup.service"))
    assert result.returncode == 1 and "etcd is not running here" in result.stdout
    assert [c for c in calls(n) if not c.startswith("crictl ps")] == []


def _renew_node(tmp_path: Path, days_left: int) -> dict:
    n = node(tmp_path, PLAN.masters[0])
    end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days_left, hours=1)
    fake(n, "openssl", f'echo "notAfter={end.strftime("%b %d %H:%M:%S %Y GMT")}"\n')
    fake(n, "kubeadm", "exit 0\n")
    fake(n, "sleep", "exit 0\n")
    # A static pod runs while its manifest is in place (the kubelet's job, faked here).
    fake(
        n,
        "crictl",
        'pod=${3#^}; pod=${pod%$}; [ -e "$KUBECVM_ROOT/etc/kubernetes/manifests/$pod.yaml" ] && echo id-$pod\nexit 0\n',
    )
    manifests = n["root"] / "etc/kubernetes/manifests"
    manifests.mkdir(parents=True)
    for pod in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        (manifests / f"{pod}.yaml").write_text(f"kind: Pod # {pod}\n")
    return n


def test_renewal_waits_while_the_certificates_have_time(tmp_path: Path):
    n = _renew_node(tmp_path, 200)
    result = run(n, "/usr/local/sbin/kubecvm-cert-renew", **unit_env(n, "kubecvm-cert-renew.service"))
    assert result.returncode == 0, result.stderr
    assert "200 days left" in result.stdout
    assert not [c for c in calls(n) if c.startswith(("kubeadm", "crictl"))]


def test_renewal_renews_then_restarts_one_static_pod_at_a_time(tmp_path: Path):
    n = _renew_node(tmp_path, 30)
    result = run(n, "/usr/local/sbin/kubecvm-cert-renew", **unit_env(n, "kubecvm-cert-renew.service"))
    assert result.returncode == 0, result.stderr
    seen = [c for c in calls(n) if c.startswith(("kubeadm", "crictl"))]
    assert seen[0] == "kubeadm certs renew all"
    order = [c.split("^")[1].split("$")[0] for c in seen[1:]]
    # each pod seen gone, then seen running again, before the next one is touched
    assert order == [
        "etcd",
        "etcd",
        "kube-apiserver",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-scheduler",
    ]
    manifests = n["root"] / "etc/kubernetes/manifests"
    assert sorted(p.name for p in manifests.iterdir()) == [
        "etcd.yaml",
        "kube-apiserver.yaml",
        "kube-controller-manager.yaml",
        "kube-scheduler.yaml",
    ]  # all back
    assert unit_env(n, "kubecvm-cert-renew.service")["RENEW_WITHIN_DAYS"] == "60"
