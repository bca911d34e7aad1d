"""The kubelet serving-certificate approver: its RBAC, its program and the planned addresses, its Deployment. Pure.

Every kubelet asks for a CA-signed serving certificate (serverTLSBootstrap, planning/kubeadm.py) and nothing in
Kubernetes approves those requests. programs/csr_approver.py does, with strict rules, as a one-replica Deployment on
the masters. Always installed: without it no kubelet has a serving certificate (kubectl logs/exec fail too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import LOCKED_DOWN, PART_OF, deployment, image, meta, on_masters, rbac, rule

if TYPE_CHECKING:
    from .settings import AddonSettings

CSR_APPROVER = "kubecvm-csr-approver"
CSR_APPROVER_SOURCE = Path(__file__).parent / "programs" / "csr_approver.py"
CSR_APPROVER_DIR, CSR_APPROVER_ADDRESSES = "/opt/csr-approver", "addresses.json"


def approver_addresses(s: AddonSettings) -> str:
    """The planned addresses as the approver reads them (csr_approver.read_rules): JSON, one entry a line, sorted."""

    def block(entries: list[str]) -> str:
        return "{\n" + ",\n".join(f"  {e}" for e in sorted(entries)) + "\n }"

    masters = block([f"{json.dumps(name)}: {json.dumps(ip)}" for name, ip in s.masters])
    pools = block([f"{json.dumps(prefix)}: [{json.dumps(first)}, {size}]" for prefix, first, size in s.pool_blocks])
    return f'{{\n "masters": {masters},\n "pools": {pools}\n}}\n'


def _ca_meta(name: str, namespaced: bool = True) -> dict[str, Any]:
    return meta(name, {"app.kubernetes.io/name": CSR_APPROVER, **PART_OF}, namespaced)


def csr_approver_objects(s: AddonSettings) -> list[dict[str, Any]]:
    """RBAC (read CSRs, approve only for the kubelet-serving signer), the script and the planned nodes, its Deployment."""
    if not s.masters:
        raise ValueError(
            "masters: the serving-certificate approver needs the planned addresses (masters, "
            "pool_blocks); build the add-on settings with settings_from_plan(plan)"
        )
    rules = [
        rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["get", "list", "watch"]),
        rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
        # The API server also checks `approve` on the signer (certificates.k8s.io "signers" authorization).
        {**rule(["certificates.k8s.io"], ["signers"], ["approve"]), "resourceNames": ["kubernetes.io/kubelet-serving"]},
    ]
    labels = {"app": CSR_APPROVER}
    container = {
        "name": "approver",
        "image": image("csr-approver", s),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", f"{CSR_APPROVER_DIR}/csr_approver.py"],
        "env": [{"name": "ADDRESSES_FILE", "value": f"{CSR_APPROVER_DIR}/{CSR_APPROVER_ADDRESSES}"}],
        "volumeMounts": [{"name": "script", "mountPath": CSR_APPROVER_DIR, "readOnly": True}],
        "securityContext": dict(LOCKED_DOWN),
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
    }
    pod = {
        "serviceAccountName": CSR_APPROVER,
        "priorityClassName": "system-cluster-critical",
        **on_masters(),
        "containers": [container],
        "volumes": [{"name": "script", "configMap": {"name": CSR_APPROVER}}],
    }
    return [
        *rbac(CSR_APPROVER, CSR_APPROVER, rules, _ca_meta),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _ca_meta(CSR_APPROVER),
            "data": {"csr_approver.py": CSR_APPROVER_SOURCE.read_text(), CSR_APPROVER_ADDRESSES: approver_addresses(s)},
        },
        deployment(_ca_meta(CSR_APPROVER), 1, labels, pod),
    ]
