"""kubecvm-boot's kernel settings against an image's own: kubecvm's sysctls win now and after every reboot, as both
readers (procps' `sysctl --system`, systemd-sysctl) apply them (tests/bootstrap/sysctl_order.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kubecvm.planning import bootstrap
from tests.bootstrap import sysctl_order
from tests.bootstrap._boot_node import PLAN, boot, node

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
