"""The system files a node writes besides kubeadm's: CNI, containerd mirrors, disk mounts, systemd units. Pure.

Split from planning/bootstrap.py, which re-exports every name here.
"""

from __future__ import annotations

import json
from pathlib import Path

from .kubeadm import ETCD_DIR
from .plan import MachinePlan


# containerd reads per-registry mirrors from config_path (containerd docs/hosts.md); kubecvm-boot points it here.
CERTS_D = "/etc/containerd/certs.d"
DOCKER_HUB_HOSTS = f"{CERTS_D}/docker.io/hosts.toml"


# The CNI below (bridge + host-local, with portmap) moves packets only: nothing on the node watches NetworkPolicy
# objects, so the API server stores them and no one applies them (containernetworking/plugins: bridge, host-local
# and portmap implement no policy). Said in the offline plan's summary and docs/concepts/security.md; enforcement is a later issue.
NETWORK_POLICY = {
    "enforced": False,
    "cni": "bridge + host-local",
    "note": "NetworkPolicy objects are accepted but not enforced: every pod can reach every pod",
}


def cni_config(m: MachinePlan) -> tuple[str, str]:
    """(bridge conflist, loopback conf): host-local hands out exactly the node's planned pod CIDR."""
    bridge = {
        "cniVersion": "1.0.0",
        "name": "kubecvm",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": m.pod_cidr}]], "routes": [{"dst": "0.0.0.0/0"}]},
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    loopback = {"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}
    return json.dumps(bridge) + "\n", json.dumps(loopback) + "\n"


# --- disks: what the kubelet and containerd wait for --------------------------------------------------------
KUBELET_MOUNTS = "/etc/systemd/system/kubelet.service.d/20-kubecvm-mounts.conf"
CONTAINERD_MOUNTS = "/etc/systemd/system/containerd.service.d/20-kubecvm-mounts.conf"
DATA_DIRS = ("/var/lib/containerd", "/var/lib/kubelet")  # bound from the worker's data disk (data-disk.sh)


def kubelet_mounts(m: MachinePlan) -> tuple[str, ...]:
    """The directories the kubelet must find mounted: a master's etcd disk (else after a slow reboot the kubelet
    starts etcd on the empty root-disk directory and master-0 could found a new one-member cluster), a worker's
    data disk."""
    if m.role == "master" and m.etcd_disk:
        return (ETCD_DIR,)
    return DATA_DIRS if m.data_disk else ()


def mount_dropin(paths: tuple[str, ...]) -> str:
    # systemd.unit(5) RequiresMountsFor=: Requires= and After= on the mount units of these paths; the unit fails to
    # start when a mount fails, instead of running on the directory underneath.
    return f"[Unit]\nRequiresMountsFor={' '.join(paths)}\n"


_SYSCTL = "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n"
_NET_UNIT = """[Unit]
Description=kubecvm pod egress NAT and local API VIP
Wants=network-online.target
After=network-online.target
Before=kubelet.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubecvm-net
[Install]
WantedBy=multi-user.target
"""
_SYNC_UNIT = "[Unit]\nDescription=kubecvm bootstrap token from SSM\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/kubecvm-token-sync\n"
_SYNC_TIMER = "[Timer]\nOnBootSec=5min\nOnUnitActiveSec=15min\n[Install]\nWantedBy=timers.target\n"
# etcd snapshots to COS and certificate renewal on masters (planning/backups.py, the two templates).
_BACKUP_UNIT = """[Unit]
Description=kubecvm: etcd snapshot to COS
[Service]
Type=oneshot
Environment=BACKUP_BUCKET={prefix} CONTAINER_RUNTIME_ENDPOINT=unix:///run/containerd/containerd.sock
ExecStart=/usr/local/sbin/kubecvm-etcd-backup
"""
_BACKUP_TIMER = "[Timer]\nOnBootSec=30min\nOnUnitActiveSec={hours}h\n[Install]\nWantedBy=timers.target\n"
_RENEW_UNIT = """[Unit]
Description=kubecvm: renew kubeadm certificates before they expire
[Service]
Type=oneshot
Environment=RENEW_WITHIN_DAYS={days} CONTAINER_RUNTIME_ENDPOINT=unix:///run/containerd/containerd.sock
ExecStart=/usr/local/sbin/kubecvm-cert-renew
"""
_RENEW_TIMER = "[Timer]\nOnCalendar=Sun *-*-* {hour:02d}:30:00\nPersistent=true\n[Install]\nWantedBy=timers.target\n"
COS_PUT = Path(__file__).with_name("cos_put.py")  # the uploader the backup script runs (planning/cos_put.py)
