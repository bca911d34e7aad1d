"""kubecvm-boot run end to end in bash, under a temporary root, against fakes on PATH that record every call
(tests/bootstrap/_boot_node.py).

The test asserts the exact sequence of what matters for master-0 (init), a joining master and a worker, and that a
second run (a reboot, or a re-run by hand) formats nothing, asks CBS nothing and runs no kubeadm."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from kubecvm.planning import bootstrap
from tests.bootstrap._boot_node import DISKS, ENCRYPTION_KEY, INSTANCE, PLAN, TOKEN, boot, node, reboot, run_boot

KEY = ("systemctl", "apt-get install", "venv", "pip", "tccli", "mkfs.ext4", "mount", "kubeadm", "sleep")


def key_calls(calls: list[str]) -> list[str]:
    out = []
    for c in calls:
        if c.startswith(KEY):
            if c.startswith("tccli"):  # the action and what it asks for, not the global options
                parts = c.split()
                c = " ".join(parts[:3] + ([parts[4]] if parts[2] == "GetSecretValue" else [parts[4]]))
            out.append(c)
    return out


def secret_reads(names: list[str]) -> list[str]:
    return [f"tccli ssm GetSecretValue {n}" for n in names]


PIP = "pip install -q -i http://mirrors.tencentyun.com/pypi/simple --trusted-host mirrors.tencentyun.com --require-hashes --no-deps"
# Every node: setuptools from the lock first (to build crcmod), then the whole lock, hash-checked
# (planning/node-pip.lock: tccli, the COS SDK that tccli and planning/cos_put.py import, their closure).
PACKAGES = [
    "apt-get install -y -q python3-venv",
    "venv ROOT/opt/kubecvm/tccli",
    f"{PIP} -r ROOT/tmp/setuptools.lock",
    f"{PIP} --no-build-isolation --use-pep517 -r ROOT/etc/kubecvm/pip.lock",
]
MASTER_PACKAGES = PACKAGES
KUBE_PACKAGES = [
    "apt-get install -y -q containerd conntrack socat kubelet=1.30.6-* kubeadm=1.30.6-* kubectl=1.30.6-*",
    "systemctl restart containerd",
]
PKI = [s.name for s in bootstrap.boot_plan(PLAN).secrets if s.path]
TOKEN_SECRET = bootstrap.boot_plan(PLAN).secret(bootstrap.TOKEN_ITEM).name
# CIS hardening: masters read the key that encrypts Secrets at rest before kubeadm runs.
ENCRYPTION_SECRET = bootstrap.boot_plan(PLAN).secret(bootstrap.ENCRYPTION_ITEM).name


def etcd_mount(m) -> list[str]:
    filters = json.dumps(
        [{"Name": "instance-id", "Values": [INSTANCE]}, {"Name": "disk-name", "Values": [m.etcd_disk.name]}],
        separators=(",", ":"),
    )
    return [
        f"tccli cbs DescribeDisks {filters}",
        f"mkfs.ext4 -q -L etcd ROOT/dev/disk/by-id/virtio-{DISKS['etcd']}",
        "systemctl daemon-reload",
        "mount ROOT/var/lib/etcd",
    ]


PREFLIGHT = "--ignore-preflight-errors=DirAvailable--var-lib-etcd"
NET = "systemctl enable --now kubecvm-net.service"


def test_master_0_inits_once_and_a_reboot_formats_nothing(tmp_path: Path):
    m = PLAN.masters[0]
    n = node(tmp_path, m)
    calls = boot(n)
    assert key_calls(calls) == [
        NET,
        *MASTER_PACKAGES,
        *KUBE_PACKAGES,
        *secret_reads([TOKEN_SECRET]),
        *etcd_mount(m),
        *secret_reads([ENCRYPTION_SECRET]),
        *secret_reads(PKI),
        f"kubeadm init --config ROOT/etc/kubernetes/kubeadm.yaml --skip-token-print {PREFLIGHT}",
        "systemctl enable --now kubecvm-cert-renew.timer kubecvm-etcd-backup.timer kubecvm-token-sync.timer",
    ]
    # It looked for a live peer first (none), and the API VIP is answered by itself.
    assert [c.split()[-1] for c in calls if "readyz" in c] == [
        f"https://{x.private_ip}:6443/readyz" for x in PLAN.masters[1:]
    ]
    assert [c for c in calls if c.startswith("iptables")][-1] == (
        f"iptables -w -t nat -A KUBECVM-API -d 10.2.64.11 -p tcp --dport 6443 -j DNAT --to-destination {m.private_ip}:6443"
    )
    root = n["root"]
    fstab = (root / "etc/fstab").read_text().splitlines()
    assert fstab == [
        "LABEL=root / ext4 defaults 0 1",
        "#/swap.img none swap sw 0 0",
        f"UUID=uuid-{DISKS['etcd']} /var/lib/etcd ext4 defaults,nofail,x-systemd.device-timeout=5min 0 2",
    ]
    # kubeadm got the token and the instance id; the file holding the token is gone afterwards.
    init = (root / "state/kubeadm-0.yaml").read_text()
    assert TOKEN in init and bootstrap.TOKEN_PLACEHOLDER not in init
    assert f"provider-id: qcloud:///ap-guangzhou-3/{INSTANCE}" in init
    assert not (root / "etc/kubernetes/kubeadm.yaml").exists()
    assert (root / "etc/kubernetes/pki/etcd/ca.key").read_text() == "pem of etcd-ca-key\n"
    encryption = root / "etc/kubernetes/kubecvm/encryption.yaml"
    assert f"secret: {ENCRYPTION_KEY}" in encryption.read_text() and encryption.stat().st_mode & 0o777 == 0o600
    assert ENCRYPTION_KEY not in (root / "var/log/kubecvm-boot.log").read_text()
    containerd = (root / "etc/containerd/config.toml").read_text()
    cri = tomllib.loads(containerd)["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == "registry.aliyuncs.com/google_containers/pause:3.9"
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert (
        (root / "etc/containerd/certs.d/docker.io/hosts.toml")
        .read_text()
        .startswith('server = "https://registry-1.docker.io"')
    )
    assert (root / "etc/systemd/system/kubelet.service.d/20-kubecvm-mounts.conf").read_text() == (
        "[Unit]\nRequiresMountsFor=/var/lib/etcd\n"
    )

    reboot(n)
    again = key_calls(boot(n))
    assert not [c for c in again if c.startswith(("mkfs", "tccli cbs", "kubeadm"))]
    assert "mount ROOT/var/lib/etcd" in again
    assert (root / "etc/fstab").read_text().splitlines() == fstab  # nothing added twice
    assert "already a node" in (root / "var/log/kubecvm-boot.log").read_text()


def test_a_joining_master_waits_for_a_peer_moves_stale_etcd_data_and_joins_through_it(tmp_path: Path):
    m, peer = PLAN.masters[1], PLAN.masters[0].private_ip
    n = node(tmp_path, m, peers_up=(peer,))
    (n["root"] / "var/lib/etcd/member").mkdir(parents=True)  # data from a former life on the kept disk
    calls = boot(n)
    assert key_calls(calls) == [
        NET,
        *MASTER_PACKAGES,
        *KUBE_PACKAGES,
        *secret_reads([TOKEN_SECRET]),
        *etcd_mount(m),
        *secret_reads([ENCRYPTION_SECRET]),
        f"sleep {bootstrap.JOIN_STAGGER_SECONDS}",
        *secret_reads(PKI),
        f"kubeadm join --config ROOT/etc/kubernetes/kubeadm.yaml {PREFLIGHT}",
        "systemctl enable --now kubecvm-cert-renew.timer kubecvm-etcd-backup.timer kubecvm-token-sync.timer",
    ]
    dnat = [c.rsplit(" ", 1)[1] for c in calls if "KUBECVM-API -d" in c]
    # itself when kubecvm-net.service starts, through the peer while joining, then itself for good
    assert dnat == [f"{m.private_ip}:6443", f"{peer}:6443", f"{m.private_ip}:6443"]
    etcd = n["root"] / "var/lib/etcd"
    assert not (etcd / "member").exists() and len(list(etcd.glob("member.stale-*"))) == 1
    join = (n["root"] / "state/kubeadm-0.yaml").read_text()
    assert TOKEN in join and "controlPlane:" in join


def test_a_worker_puts_containerd_and_the_kubelet_on_its_data_disk_before_they_exist(tmp_path: Path):
    m = PLAN.workers[0]
    n = node(tmp_path, m)
    calls = boot(n)
    filters = json.dumps(
        [
            {"Name": "instance-id", "Values": [INSTANCE]},
            {"Name": "disk-usage", "Values": ["DATA_DISK"]},
            {"Name": "disk-type", "Values": ["CLOUD_SSD"]},
        ],
        separators=(",", ":"),
    )
    assert key_calls(calls) == [
        NET,
        *PACKAGES,
        f"tccli cbs DescribeDisks {filters}",
        f"mkfs.ext4 -q -L data ROOT/dev/disk/by-id/virtio-{DISKS['data']}",
        "systemctl daemon-reload",
        "mount ROOT/var/lib/kubecvm-data",
        "mount ROOT/var/lib/containerd",
        "mount ROOT/var/lib/kubelet",
        *KUBE_PACKAGES,
        *secret_reads([TOKEN_SECRET]),
        "kubeadm join --config ROOT/etc/kubernetes/kubeadm.yaml",
    ]
    root = n["root"]
    fstab = (root / "etc/fstab").read_text().splitlines()[2:]
    assert fstab == [
        f"UUID=uuid-{DISKS['data']} /var/lib/kubecvm-data ext4 defaults,nofail,x-systemd.device-timeout=5min 0 2",
        "/var/lib/kubecvm-data/containerd /var/lib/containerd none bind,nofail,x-systemd.requires-mounts-for=/var/lib/kubecvm-data 0 0",
        "/var/lib/kubecvm-data/kubelet /var/lib/kubelet none bind,nofail,x-systemd.requires-mounts-for=/var/lib/kubecvm-data 0 0",
    ]
    assert (root / "etc/systemd/system/kubelet.service.d/20-kubecvm-mounts.conf").read_text() == (
        "[Unit]\nRequiresMountsFor=/var/lib/containerd /var/lib/kubelet\n"
    )
    assert (root / "etc/systemd/system/containerd.service.d/20-kubecvm-mounts.conf").read_text() == (
        "[Unit]\nRequiresMountsFor=/var/lib/containerd\n"
    )
    # Workers hold no CA key and never answer the API VIP; the metadata fence is in place.
    assert not (root / "etc/kubernetes/pki").exists()
    assert not [c for c in calls if "KUBECVM-API" in c]
    assert f"iptables -w -A KUBECVM-FENCE -s {PLAN.pod_cidr} -d 169.254.0.23 -j DROP" in calls

    reboot(n)
    again = key_calls(boot(n))
    assert not [c for c in again if c.startswith(("mkfs", "tccli cbs", "kubeadm"))]
    assert [c for c in again if c.startswith("mount")] == [
        "mount ROOT/var/lib/kubecvm-data",
        "mount ROOT/var/lib/containerd",
        "mount ROOT/var/lib/kubelet",
    ]
    assert (root / "etc/fstab").read_text().splitlines()[2:] == fstab


def test_two_data_disks_stop_the_boot_instead_of_guessing(tmp_path: Path):
    # After volumes are attached a fresh lookup would be ambiguous: the boot fails loudly, formats nothing.
    n = node(tmp_path, PLAN.workers[0])
    tc = Path(n["env"]["TCCLI"])
    tc.write_text(tc.read_text().replace("for d in found]", "for d in found * 2]"))
    n["calls"].write_text("")
    result = run_boot(n)
    assert result.returncode != 0
    calls = n["calls"].read_text()
    assert "mkfs" not in calls and "kubeadm" not in calls and "apt-get install -y -q containerd" not in calls
    assert "expected exactly one disk, found 2" in (n["root"] / "var/log/kubecvm-boot.log").read_text()


def test_a_failed_format_writes_no_fstab_line_and_stops_the_boot(tmp_path: Path):
    n = node(tmp_path, PLAN.masters[0])
    n["env"]["MKFS_FAILS"] = "1"
    result = run_boot(n)
    assert result.returncode != 0
    assert (n["root"] / "etc/fstab").read_text().count("UUID=") == 0
    assert "kubeadm init" not in n["calls"].read_text()


@pytest.mark.skipif(not shutil.which("bash"), reason="bash")
def test_the_fakes_are_not_the_system():
    # The run never touches the real filesystem: every path the scripts write is under ROOT.
    for name in ("kubecvm-boot", "disks.sh", "data-disk.sh"):
        text = bootstrap._template(name)
        for line in text.splitlines():
            for word in line.replace('"', " ").split():
                if word.startswith(("/etc/", "/var/", "/opt/", "/tmp/")) and ">" in line.split(word)[0][-3:]:
                    pytest.fail(f"{name}: writes outside $ROOT: {line}")


def test_pip_installs_exactly_the_lock_and_setuptools_from_it_first(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    boot(n)
    lock = (n["root"] / "etc/kubecvm/pip.lock").read_text()
    assert lock == "".join(l + "\n" for l in bootstrap.PIP_LOCK.read_text().splitlines() if not l.startswith("#"))
    assert all(" --hash=sha256:" in line for line in lock.splitlines())
    setuptools = (n["root"] / "tmp/setuptools.lock").read_text().splitlines()
    assert len(setuptools) == 1 and setuptools[0].startswith("setuptools==") and setuptools[0] in lock.splitlines()
