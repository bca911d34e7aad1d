"""A node for running kubecvm-boot in bash, under a temporary root, against fakes on PATH that record every call.

The node's files are the rendered user data (every write_files entry, decoded) placed under ROOT; the fakes stand
in for what a CVM has: the metadata service (curl), tccli (SSM secrets, CBS DescribeDisks), blkid/mkfs/mount/
mountpoint with state kept under ROOT, apt, containerd, kubeadm, iptables, systemctl, sleep (the tests:
test_boot_run.py, test_boot_sysctl.py, test_boot_apt_key.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kubecvm.planning import bootstrap
from tests.bootstrap import sysctl_order
from tests.bootstrap._boot import files, preset_plan, user_data

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


def run_boot(n: dict) -> subprocess.CompletedProcess:
    """Run the node's kubecvm-boot as the node would (its log is under ROOT/var/log)."""
    return subprocess.run(
        ["bash", str(n["root"] / "usr/local/sbin/kubecvm-boot")],
        env=n["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def boot(n: dict) -> list[str]:
    """Run kubecvm-boot; the calls it made (from this run only)."""
    n["calls"].write_text("")
    result = run_boot(n)
    log = (n["root"] / "var/log/kubecvm-boot.log").read_text()
    assert result.returncode == 0, log + result.stderr
    assert TOKEN not in log  # never echoed
    r = str(n["root"])
    return [c.replace(r, "ROOT") for c in n["calls"].read_text().splitlines()]


def reboot(n: dict) -> None:
    """A reboot: nothing is mounted any more; disks, filesystems and files stay."""
    for marker in (n["root"] / "state").glob("mounted*"):
        marker.unlink()
