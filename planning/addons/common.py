"""What every add-on module shares: the namespace, object metadata and RBAC, image references, object names.

Pure: no pulumi import. Each add-on is one module of this package and builds its objects with these helpers, so
labels, RBAC shapes and image references are decided once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .. import images as image_table
from ..mirrors import Mirrors

NAMESPACE = "kube-system"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"  # label and taint kubeadm puts on masters
PART_OF = {"app.kubernetes.io/part-of": "kubecvm"}

# The images the add-ons run, by kubecvm's name; tags and digests live in ONE table, planning/images.py (why each is
# pinned by digest or only by tag, with sources). IMAGES live on Tencent's registry (ccr.ccs.tencentyun.com unless
# addons.imageRegistry says otherwise); K8S_IMAGES are registry.k8s.io images, pinned by digest there and mirrored,
# by tag, where registry.k8s.io is unreachable. The credential sidecar and the CSR approver run stdlib-only scripts
# (programs/) on Tencent's mirror of python:slim. name -> (path, tag).
IMAGES: dict[str, tuple[str, str]] = {
    n: (image_table.BY_NAME[n].path, image_table.BY_NAME[n].tag)
    for n in (
        "cbs-csi",
        "csi-provisioner",
        "csi-attacher",
        "csi-resizer",
        "csi-node-driver-registrar",
        "cam-credentials",
        "csr-approver",
        "lb-controller",
    )
}
K8S_IMAGES: dict[str, tuple[str, str]] = {
    "metrics-server": (image_table.BY_NAME["metrics-server"].path, image_table.BY_NAME["metrics-server"].tag),
}


class HasMirrors(Protocol):
    """What image() reads from the settings (AddonSettings): the region's registries."""

    @property
    def mirrors(self) -> Mirrors: ...


def image(name: str, s: HasMirrors) -> str:
    """The one function every add-on image reference goes through: the region's registries (planning/mirrors.py)."""
    assert name in IMAGES or name in K8S_IMAGES, name
    return image_table.reference(name, s.mirrors)


def images(objs: list[dict[str, Any]]) -> list[str]:
    """Every container image the objects run (for pinning checks and pre-pull lists)."""
    found = []
    for obj in objs:
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            found.append(c["image"])
    return found


@dataclass(frozen=True)
class ServingTls:
    """A serving certificate the stack made: PEMs (Pulumi secrets in the component) and the CA as an APIService
    caBundle (base64 of the CA's PEM). Strings in the tests, pulumi Outputs from components/addons.py."""

    cert_pem: Any
    key_pem: Any
    ca_bundle: Any


# ---- metadata, RBAC, placement ------------------------------------------------------------------------------------------


def meta(name: str, labels: dict[str, str], namespaced: bool = True, **extra: Any) -> dict[str, Any]:
    """An object's metadata: its name, the add-on namespace unless cluster-scoped, its labels, then `extra`."""
    return {"name": name, **({"namespace": NAMESPACE} if namespaced else {}), "labels": labels, **extra}


def rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, **({"resourceNames": names} if names else {}), "verbs": verbs}


Meta = Callable[..., dict[str, Any]]  # (name, namespaced=True) -> metadata, the add-on's own labels applied


def rbac(
    sa: str, role: str, rules: list[dict[str, Any]], meta_of: Meta, *, binding: str | None = None
) -> list[dict[str, Any]]:
    """A ServiceAccount, a ClusterRole with `rules` and the binding between them (named `binding`, else `role`)."""
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta_of(sa)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta_of(role, False),
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta_of(binding or role, False),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}],
        },
    ]


# A container that runs a small program as nobody, on a read-only root, with no capability.
LOCKED_DOWN = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "capabilities": {"drop": ["ALL"]},
}


def deployment(metadata: dict[str, Any], replicas: int, labels: dict[str, str], pod: dict[str, Any]) -> dict[str, Any]:
    """An apps/v1 Deployment of `replicas` pods labelled and selected by `labels`."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def on_masters() -> dict[str, Any]:
    """A pod spec's nodeSelector and toleration for the masters (kubeadm's control-plane label and NoSchedule taint)."""
    return {
        "nodeSelector": {CONTROL_PLANE_LABEL: ""},
        "tolerations": [{"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
    }


# ---- names the components give the objects -------------------------------------------------------------------


def resource_name(component: str, obj: dict[str, Any]) -> str:
    """The Pulumi name of one object: stable from its kind and Kubernetes name, never from list order."""
    return f"{component}-{obj['kind'].lower()}-{obj['metadata']['name']}"


def patch_name(component: str, obj: dict[str, Any]) -> str:
    """The Pulumi name of a patch of an object kubecvm did not create."""
    return f"{component}-patch-{obj['kind'].lower()}-{obj['metadata']['name']}"


def api_path(obj: dict[str, Any]) -> str:
    """The REST path of a namespaced apps/v1 or v1 object (what ObjectReady polls)."""
    group = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
    m = obj["metadata"]
    return f"{group}/namespaces/{m['namespace']}/{obj['kind'].lower()}s/{m['name']}"
