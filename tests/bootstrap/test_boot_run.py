"""kubecvm-boot run end to end in bash, under a temporary root, against fakes on PATH that record every call.

The node's files are the rendered user data (every write_files entry, decoded) placed under ROOT; the fakes stand
in for what a CVM has: the metadata service (curl), tccli (SSM secrets, CBS DescribeDisks), blkid/mkfs/mount/
mountpoint with state kept under ROOT, apt, containerd, kubeadm, iptables, systemctl, sleep. The test asserts the
exact sequence of what matters for master-0 (init), a joining master and a worker, and that a second run (a reboot,
or a re-run by hand) formats nothing, asks CBS nothing and runs no kubeadm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kubecvm.planning import bootstrap
from tests.bootstrap import sysctl_order
from tests.bootstrap._boot import preset_plan, user_data
from tests.bootstrap.test_render import files

PLAN = preset_plan("prod")
TOKEN = "abcdef.0123456789abcdef"
ENCRYPTION_KEY = "q83vEjRWeJq8nO7xEjRWeJq8nO7xEjRWeJq8nO7xEjQ="
INSTANCE = "ins-0000test"
DISKS = {"etcd": "disk-etcd0001", "data": "disk-data0001"}
SYSCTL_ORDER = Path(sysctl_order.__file__)
# An image's /etc/sysctl.conf that turns forwarding off, as Tencent's public Linux images do ("Linux 实例常用内核参数
# 介绍", cloud.tencent.com/document/product/213/46400), and contradicts the kubelet's protectKernelDefaults values, in
# every spelling the readers accept; Debian and Ubuntu link it as /etc/sysctl.d/99-sysctl.conf (for systemd-sysctl).
IMAGE_SYSCTL = """# /etc/sysctl.conf of the image
vm.swappiness = 0
net.ipv4.ip_forward = 0
net.ipv4.conf.all.rp_filter = 0
kernel.sysrq = 1
  kernel.panic=0
-kernel.panic_on_oops = 0
net/bridge/bridge-nf-call-iptables = 0
vm.overcommit_memory = 2
#net.ipv4.ip_forward = 0
"""
CONTAINERD_DEFAULT = """version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.8"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
"""

REC = 'echo "$(basename "$0") $*" >>"$CALLS"\n'
FAKES = {
    **{name: REC + "exit 0\n" for name in ("swapoff", "modprobe", "apt-get", "apt-mark", "sleep")},
    # `sysctl --system` as procps applies the node's files, to ROOT/proc/sys (tests/bootstrap/sysctl_order.py).
    "sysctl": REC + f'[ "$1" != --system ] || exec "$REAL_PYTHON" {SYSCTL_ORDER} procps "$KUBECVM_ROOT"\n',
    # systemd starting kubecvm-net.service runs its ExecStart.
    "systemctl": REC
    + '[ "$*" != "enable --now kubecvm-net.service" ] || exec "$KUBECVM_ROOT/usr/local/sbin/kubecvm-net"\n',
    # --show-keys lists the key file's records, which the fake curl wrote as gpg --with-colons would print them.
    "gpg": REC
    + """case " $* " in *" --show-keys "*) cat "${@: -1}"; exit 0 ;; esac
while [ $# -gt 0 ]; do [ "$1" = -o ] && echo dearmored >"$2"; shift; done
""",
    # The metadata service, the API's readyz on the masters in $PEERS_UP, the Kubernetes repository key.
    "curl": REC
    + """for a in "$@"; do case "$a" in
  */meta-data/instance-id) echo "$INSTANCE"; exit 0 ;;
  https://*:6443/readyz) ip=${a#https://}; ip=${ip%%:*}; case " $PEERS_UP " in *" $ip "*) exit 0 ;; esac; exit 7 ;;
esac; done
out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done; [ -z "$out" ] || printf %s "$RELEASE_KEY" >"$out"
""",
    "containerd": REC + f"cat <<'EOF'\n{CONTAINERD_DEFAULT}EOF\n",
    # kubeadm init/join leave the kubelet's kubeconfig behind, as the real one does; the config is kept for review.
    # Their preflight refuses a node that does not forward (cmd/kubeadm/app/preflight/checks.go FileContentCheck on
    # /proc/sys/net/ipv4/ip_forward, an error: checks_linux.go addIPv4Checks).
    "kubeadm": REC
    + """case "$1" in init|join)
  [ "$(cat "$KUBECVM_ROOT/proc/sys/net/ipv4/ip_forward")" = 1 ] ||
    { echo "[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents are not set to 1"; exit 1; }
  n=$(ls "$KUBECVM_ROOT/state" | grep -c '^kubeadm-' || true); cp "$3" "$KUBECVM_ROOT/state/kubeadm-$n.yaml"
  touch "$KUBECVM_ROOT/etc/kubernetes/kubelet.conf" ;; esac
""",
    "iptables": REC + 'for a in "$@"; do [ "$a" = -C ] && exit 1; done; exit 0\n',
    # Block devices: a filesystem exists once mkfs ran on it; a directory is mounted once mount ran (until a reboot).
    "blkid": REC
    + """dev=${@: -1}; [ -e "$KUBECVM_ROOT/state/fs-${dev##*/}" ] || exit 2
[ "$1" = -s ] && echo "uuid-${dev##*virtio-}"; exit 0
""",
    "mkfs.ext4": REC + '[ -z "$MKFS_FAILS" ] || exit 1; dev=${@: -1}; touch "$KUBECVM_ROOT/state/fs-${dev##*/}"\n',
    "mountpoint": '[ -e "$KUBECVM_ROOT/state/mounted$(echo "${@: -1}" | tr / _)" ]\n',
    # mount DIR: like the real one, only what fstab names.
    "mount": REC
    + """dir=${1#"$KUBECVM_ROOT"}; grep -q " $dir " "$KUBECVM_ROOT/etc/fstab" || exit 32
touch "$KUBECVM_ROOT/state/mounted$(echo "$1" | tr / _)"
""",
    # python3 -m venv makes a venv whose pip records; everything else is the real interpreter (lib.sh's json).
    "python3": """if [ "$1" = -m ] && [ "$2" = venv ]; then
  echo "venv $3" >>"$CALLS"; mkdir -p "$3/bin"; printf '#!/bin/bash\\necho "pip $*" >>"$CALLS"\\n' >"$3/bin/pip"
  chmod +x "$3/bin/pip"; exit 0
fi
exec "$REAL_PYTHON" "$@"
""",
}


# The repository key as `gpg --show-keys --with-colons` lists it (field 10 of fpr: the fingerprint): the pinned one.
# validity "e" with its expiry (field 7): the key as an end-of-life minor's Release.key may carry it, expired
# 2024-11-02 (planning/bootstrap.py KUBERNETES_APT_KEY_FINGERPRINT).
def key_records(*fingerprints: str, subkey: str = "", validity: str = "-", expires: str = "") -> str:
    out = ""
    for fpr in fingerprints:
        out += f"pub:{validity}:2048:1:{fpr[-16:]}:1661385600:{expires}::-:::scSC::::::23::0:\nfpr:::::::::{fpr}:\n"
        out += "uid:-::::1661385600::0::isv\\x3akubernetes OBS Project <isv\\x3akubernetes@build.opensuse.org>::::::::::0:\n"
        if subkey:
            out += f"sub:-:2048:1:{subkey[-16:]}:1661385600::::::e::::::23:\nfpr:::::::::{subkey}:\n"
    return out


GOOD_KEY = key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT)
OTHER_FPR = "0123456789ABCDEF0123456789ABCDEF01234567"


def tccli(secrets: dict[str, str], disks: dict[str, str]) -> str:
    """SSM answers for our secrets, DescribeDisks for this instance's disks, only with the role and the endpoint."""
    return (
        REC
        + f"""exec "$REAL_PYTHON" - "$@" <<'PY'
import json, sys
args = sys.argv[1:]
opt = lambda k: args[args.index(k) + 1] if k in args else None
service = args[0]
if "--use-cvm-role" not in args or opt("--endpoint") != service + ".internal.tencentcloudapi.com" \\
        or opt("--region") != "ap-guangzhou":
    sys.exit(2)
if args[:2] == ["ssm", "GetSecretValue"]:
    secrets = json.loads({json.dumps(secrets)!r})
    if opt("--SecretName") not in secrets:
        sys.exit(2)
    print(json.dumps({{"SecretString": secrets[opt("--SecretName")]}}))
elif args[:2] == ["cbs", "DescribeDisks"]:
    want = {{f["Name"]: f["Values"] for f in json.loads(opt("--Filters"))}}
    disks = json.loads({json.dumps(disks)!r})
    if want.pop("instance-id") != ["{INSTANCE}"]:
        sys.exit(2)
    found = [d for name, d in disks.items() if want in ({{"disk-name": [name]}},
             {{"disk-usage": ["DATA_DISK"], "disk-type": ["CLOUD_SSD"]}} if name == "data" else None)]
    print(json.dumps({{"DiskSet": [{{"DiskId": d}} for d in found]}}))
else:
    sys.exit(2)
PY
"""
    )


def node(tmp: Path, m, peers_up: tuple[str, ...] = ()) -> dict:
    """The node's root: its user data's files, an fstab with a swap line, the attached disks' by-id links."""
    root, bin_ = tmp / "root", tmp / "bin"
    for path, f in files(user_data(PLAN, m)).items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f["content"])
        target.chmod(int(f["permissions"], 8))
    (root / "etc/fstab").write_text("LABEL=root / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n")
    (root / "etc/sysctl.conf").write_text(IMAGE_SYSCTL)
    (root / "etc/sysctl.d/99-sysctl.conf").symlink_to("../sysctl.conf")
    (root / "state").mkdir()
    by_id = root / "dev/disk/by-id"
    by_id.mkdir(parents=True)
    for disk in DISKS.values():
        (by_id / f"virtio-{disk}").touch()
    bin_.mkdir()
    boot = bootstrap.boot_plan(PLAN)
    secrets = {
        boot.secret(bootstrap.TOKEN_ITEM).name: TOKEN,
        **{s.name: f"pem of {s.item}\n" for s in boot.secrets if s.path},
        boot.secret(bootstrap.ENCRYPTION_ITEM).name: ENCRYPTION_KEY,
    }
    disks = {}
    if m.etcd_disk:
        disks[m.etcd_disk.name] = DISKS["etcd"]
    if m.data_disk:
        disks["data"] = DISKS["data"]
    for name, body in {**FAKES, "tccli": tccli(secrets, disks)}.items():
        (bin_ / name).write_text("#!/bin/bash\n" + body)
        (bin_ / name).chmod(0o755)
    (root / "var/log").mkdir(parents=True)
    env = {
        "PATH": f"{bin_}:{os.environ['PATH']}",
        "KUBECVM_ROOT": str(root),
        "KUBECVM_DIR": str(root / "etc/kubecvm"),
        "KUBECVM_LIB": str(root / "usr/local/lib/kubecvm/lib.sh"),
        "KUBECVM_DISKS": str(root / "usr/local/lib/kubecvm/disks.sh"),
        "TCCLI": str(bin_ / "tccli"),
        "KUBECVM_DATA_DISK": str(root / "usr/local/lib/kubecvm/data-disk.sh"),
        "CALLS": str(tmp / "calls.log"),
        "REAL_PYTHON": sys.executable,
        "INSTANCE": INSTANCE,
        "PEERS_UP": " ".join(peers_up),
        "TRIES": "2",
        "RELEASE_KEY": GOOD_KEY,
    }
    return {"root": root, "env": env, "calls": tmp / "calls.log"}


def boot(n: dict) -> list[str]:
    """Run kubecvm-boot; the calls it made (from this run only)."""
    n["calls"].write_text("")
    result = subprocess.run(
        ["bash", str(n["root"] / "usr/local/sbin/kubecvm-boot")],
        env=n["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    log = (n["root"] / "var/log/kubecvm-boot.log").read_text()
    assert result.returncode == 0, log + result.stderr
    assert TOKEN not in log  # never echoed
    r = str(n["root"])
    return [c.replace(r, "ROOT") for c in n["calls"].read_text().splitlines()]


def reboot(n: dict) -> None:
    """A reboot: nothing is mounted any more; disks, filesystems and files stay."""
    for marker in (n["root"] / "state").glob("mounted*"):
        marker.unlink()


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


# What 90-kubecvm.conf sets: forwarding and the bridge for kubeadm's preflight, the kubelet's protectKernelDefaults.
KUBECVM_SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
    "vm.overcommit_memory": "1",
    "vm.panic_on_oom": "0",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.keys.root_maxkeys": "1000000",
    "kernel.keys.root_maxbytes": "25000000",
}
IMAGE_KEPT = {"vm.swappiness": "0", "net.ipv4.conf.all.rp_filter": "0", "kernel.sysrq": "1"}


def test_kubecvm_sysctls_win_over_the_images_now_and_after_every_reboot(tmp_path: Path):
    assert {k: str(v) for k, v in bootstrap.KERNEL_DEFAULTS.items()}.items() <= KUBECVM_SYSCTLS.items()
    n = node(tmp_path, PLAN.workers[0])
    root = n["root"]
    # Without kubecvm's edit both readers end with the image's values: forwarding off, the kubelet's keys wrong.
    for reader in sysctl_order.READERS:
        assert sysctl_order.apply(root, reader)["net.ipv4.ip_forward"] == "0"
    shutil.rmtree(root / "proc")

    calls = boot(n)
    assert "sysctl --system" in calls and calls[-1].startswith("kubeadm join")  # the preflight passed
    expected = {**KUBECVM_SYSCTLS, **IMAGE_KEPT}
    assert sysctl_order.effective(root, expected) == expected
    # The image's lines for kubecvm's keys are commented out, in the file the link names; the rest is left alone.
    conf = """# /etc/sysctl.conf of the image
vm.swappiness = 0
#kubecvm: net.ipv4.ip_forward = 0
net.ipv4.conf.all.rp_filter = 0
kernel.sysrq = 1
#kubecvm:   kernel.panic=0
#kubecvm: -kernel.panic_on_oops = 0
#kubecvm: net/bridge/bridge-nf-call-iptables = 0
#kubecvm: vm.overcommit_memory = 2
#net.ipv4.ip_forward = 0
"""
    assert (root / "etc/sysctl.conf").read_text() == conf
    assert os.readlink(root / "etc/sysctl.d/99-sysctl.conf") == "../sysctl.conf"
    assert (root / "etc/sysctl.d/90-kubecvm.conf").read_text() == "".join(
        f"{k} = {v}\n" for k, v in KUBECVM_SYSCTLS.items()
    )

    # A reboot: a fresh kernel, systemd-sysctl (kubecvm-boot does not run again), then anyone's `sysctl --system`.
    for reader in ("systemd", "procps"):
        shutil.rmtree(root / "proc")
        sysctl_order.apply(root, reader)
        assert sysctl_order.effective(root, expected) == expected, reader
    # A re-run by hand changes nothing more.
    boot(n)
    assert (root / "etc/sysctl.conf").read_text() == conf


def test_a_regular_99_sysctl_conf_is_edited_and_a_missing_sysctl_conf_is_no_error(tmp_path: Path):
    # Images without the link (a copy in its place) or without /etc/sysctl.conf at all.
    n = node(tmp_path, PLAN.workers[0])
    root = n["root"]
    (root / "etc/sysctl.conf").unlink()
    (root / "etc/sysctl.d/99-sysctl.conf").unlink()
    (root / "etc/sysctl.d/99-sysctl.conf").write_text("net.ipv4.ip_forward=0\nvm.swappiness = 0\n")
    boot(n)
    assert (root / "etc/sysctl.d/99-sysctl.conf").read_text() == "#kubecvm: net.ipv4.ip_forward=0\nvm.swappiness = 0\n"
    for reader in sysctl_order.READERS:
        shutil.rmtree(root / "proc")
        sysctl_order.apply(root, reader)
        assert sysctl_order.effective(root, KUBECVM_SYSCTLS) == KUBECVM_SYSCTLS, reader


def test_two_data_disks_stop_the_boot_instead_of_guessing(tmp_path: Path):
    # After volumes are attached a fresh lookup would be ambiguous: the boot fails loudly, formats nothing.
    n = node(tmp_path, PLAN.workers[0])
    tc = Path(n["env"]["TCCLI"])
    tc.write_text(tc.read_text().replace("for d in found]", "for d in found * 2]"))
    n["calls"].write_text("")
    result = subprocess.run(
        ["bash", str(n["root"] / "usr/local/sbin/kubecvm-boot")],
        env=n["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    calls = n["calls"].read_text()
    assert "mkfs" not in calls and "kubeadm" not in calls and "apt-get install -y -q containerd" not in calls
    assert "expected exactly one disk, found 2" in (n["root"] / "var/log/kubecvm-boot.log").read_text()


def test_a_failed_format_writes_no_fstab_line_and_stops_the_boot(tmp_path: Path):
    n = node(tmp_path, PLAN.masters[0])
    n["env"]["MKFS_FAILS"] = "1"
    result = subprocess.run(
        ["bash", str(n["root"] / "usr/local/sbin/kubecvm-boot")],
        env=n["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
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


def refused_boot(n: dict) -> tuple[str, str]:
    """Run kubecvm-boot expecting it to fail: (its calls, its log)."""
    n["calls"].write_text("")
    result = subprocess.run(
        ["bash", str(n["root"] / "usr/local/sbin/kubecvm-boot")],
        env=n["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    return n["calls"].read_text(), (n["root"] / "var/log/kubecvm-boot.log").read_text()


def test_the_pinned_repository_key_is_checked_before_it_is_dearmored(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    calls = boot(n)
    show = next(i for i, c in enumerate(calls) if "--show-keys" in c)
    dearmor = next(i for i, c in enumerate(calls) if "--dearmor" in c)
    assert calls[show] == "gpg --batch --show-keys --with-colons ROOT/tmp/kubernetes.key"
    assert show < dearmor < next(i for i, c in enumerate(calls) if c.startswith("apt-get"))


@pytest.mark.parametrize(
    "release_key",
    [
        key_records(OTHER_FPR),  # another key
        key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, OTHER_FPR),  # an extra key beside it
        key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, subkey=OTHER_FPR),  # a subkey the pinned key has not
        "not a key\n",  # garbage (an error page)
    ],
)
def test_a_repository_key_that_is_not_exactly_the_pinned_one_stops_the_boot_before_apt(tmp_path: Path, release_key):
    n = node(tmp_path, PLAN.masters[0])
    n["env"]["RELEASE_KEY"] = release_key
    calls, log = refused_boot(n)
    assert f"Release.key: it is not (only) the key {bootstrap.KUBERNETES_APT_KEY_FINGERPRINT}" in log
    assert "--dearmor" not in calls and "apt-get" not in calls and "pip" not in calls and "kubeadm" not in calls
    assert not (n["root"] / "etc/apt/keyrings/kubernetes.gpg").exists()
    assert not (n["root"] / "etc/apt/sources.list.d/kubernetes.list").exists()


def test_an_expired_repository_key_stops_the_boot_before_apt(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    n["env"]["RELEASE_KEY"] = key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, validity="e", expires="1730505600")
    calls, log = refused_boot(n)
    assert log.splitlines()[-1].endswith(
        f"kubecvm: refusing http://mirrors.tencentyun.com/kubernetes_new/core:/stable:/v1.30/deb/Release.key: "
        f"the key {bootstrap.KUBERNETES_APT_KEY_FINGERPRINT} has expired"
    )
    assert "--dearmor" not in calls and "apt-get" not in calls and "kubeadm" not in calls
    assert not (n["root"] / "etc/apt/keyrings/kubernetes.gpg").exists()


def test_an_unexpired_key_with_an_expiry_is_accepted(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    n["env"]["RELEASE_KEY"] = key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, expires="4102444800")
    assert "apt-get update -q" in boot(n)


@pytest.fixture(scope="module")
def real_keys(tmp_path_factory) -> dict[str, str]:
    """Throwaway keys made by the real gpg, armored: one primary key, two keys, one key with a subkey."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    fpr = {}
    # d expired: made on 2020-01-01 (gpg's --faked-system-time) to last a day; e expires in ten years.
    for name, expiry, at in (
        ("a", "never", ()),
        ("b", "never", ()),
        ("c", "never", ()),
        ("d", "1d", ("--faked-system-time", "20200101T000000")),
        ("e", "10y", ()),
    ):
        subprocess.run(
            [*gpg, *at, "--quick-gen-key", f"{name} <{name}@example.com>", "ed25519", "sign", expiry],
            check=True,
            capture_output=True,
        )
        listing = subprocess.run(
            [*gpg, "--with-colons", "--list-keys", f"{name}@example.com"], check=True, capture_output=True, text=True
        ).stdout
        fpr[name] = next(r.split(":")[9] for r in listing.splitlines() if r.startswith("fpr:"))
    subprocess.run([*gpg, "--quick-add-key", fpr["c"], "cv25519", "encr", "never"], check=True, capture_output=True)

    def export(*who):
        return subprocess.run([*gpg, "--armor", "--export", *who], check=True, capture_output=True, text=True).stdout

    return {
        "one": (fpr["a"], export(fpr["a"])),
        "two": (fpr["a"], export(fpr["a"], fpr["b"])),
        "subkey": (fpr["c"], export(fpr["c"])),
        "expired": (fpr["d"], export(fpr["d"])),
        "expiring": (fpr["e"], export(fpr["e"])),
    }


@pytest.mark.skipif(not shutil.which("gpg"), reason="gpg not installed")
@pytest.mark.parametrize(
    "which, accepted", [("one", True), ("two", False), ("subkey", False), ("expired", False), ("expiring", True)]
)
def test_the_key_check_reads_what_the_real_gpg_prints(tmp_path: Path, real_keys, which, accepted):
    # The real gpg instead of the fake, with the expected fingerprint set to the throwaway key's.
    fpr, armored = real_keys[which]
    n = node(tmp_path, PLAN.workers[0])
    (tmp_path / "bin/gpg").unlink()
    (tmp_path / "gnupg").mkdir(mode=0o700)
    n["env"].update(RELEASE_KEY=armored, GNUPGHOME=str(tmp_path / "gnupg"))
    env_file = n["root"] / "etc/kubecvm/boot.env"
    env_file.write_text(env_file.read_text().replace(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, fpr))
    if accepted:
        assert "apt-get update -q" in boot(n)
        assert (n["root"] / "etc/apt/keyrings/kubernetes.gpg").read_bytes()[:1] != b"-"  # dearmored (binary)
    else:
        calls, log = refused_boot(n)
        reason = f"the key {fpr} has expired" if which == "expired" else f"it is not (only) the key {fpr}"
        assert "apt-get" not in calls and log.splitlines()[-1].endswith(f"/Release.key: {reason}")


def test_pip_installs_exactly_the_lock_and_setuptools_from_it_first(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    boot(n)
    lock = (n["root"] / "etc/kubecvm/pip.lock").read_text()
    assert lock == "".join(l + "\n" for l in bootstrap.PIP_LOCK.read_text().splitlines() if not l.startswith("#"))
    assert all(" --hash=sha256:" in line for line in lock.splitlines())
    setuptools = (n["root"] / "tmp/setuptools.lock").read_text().splitlines()
    assert len(setuptools) == 1 and setuptools[0].startswith("setuptools==") and setuptools[0] in lock.splitlines()
