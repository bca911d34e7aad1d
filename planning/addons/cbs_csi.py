"""The Tencent Cloud CBS CSI driver and its StorageClass, as plain Kubernetes objects (dicts).

Pure: no pulumi import. `components.addons.ClusterAddons` registers exactly these objects, and the tests validate
them with kubernetes-validate, so what is reviewed here is what reaches the cluster.

Sources: github.com/TencentCloud/kubernetes-csi-tencentcloud, deploy/cbs/kubernetes/csi-{controller,node}-new.yaml
and csi-{controller,node}-rbac.yaml (images, args, mounts), docs/README_CBS.md (StorageClass parameters), and the
driver code (driver/cbs, driver/util/secret_util.go, driver/cloud/credential.go) for how it finds credentials.

Credentials without keys: the driver reads TENCENTCLOUD_API_SECRET_ID/KEY from its environment, and when they are
absent asks TKE's internal "norm" service (QCLOUD_NORM_URL, default 169.254.0.40) for temporary credentials. That
service exists only on TKE. On our own CVMs a small sidecar answers the same request from the instance's CAM role
(the CVM metadata service), and QCLOUD_NORM_URL points the driver at it. So no key is ever in a manifest, a Secret
or the stack: the controller runs on the masters with the master CAM role's temporary, rotating credentials.

The driver's version, names, ports and CAM actions are planning/addons/cbs_csi_facts.py's; every name stays
importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..plan import TAG_CLUSTER, TAG_ROLE
from .cbs_csi_facts import (
    CAM_ACTIONS,
    CAM_CREDENTIALS_SCRIPT,
    CBS_CSI_UPSTREAM,
    CBS_CSI_VERSION,
    CONTROLLER,
    CONTROLLER_METRICS_PORT,
    CONTROLLER_SA,
    CREDENTIALS_CONFIGMAP,
    CREDENTIALS_PORT,
    CSI_DISK_TYPES,
    DEFAULT_CLASS_ANNOTATION,
    DEFAULT_DISK_TYPE,
    DRIVER,
    ENCRYPT,
    INTERNAL_API_HOSTS,
    INTERNAL_API_IP,
    METADATA_HOST,
    METADATA_IP,
    NODE,
    NODE_CAM_ACTIONS,
    NODE_CREDENTIALS_PORT,
    NODE_NORM_URL,
    NODE_REQUIREMENTS,
    NODE_SA,
    NORM_URL,
    NodeRequirements,
    VOLUME_ATTACH_LIMIT,
    VOLUME_ROLE,
    node_requirements,
    storage_class_name,
)
from .common import PART_OF, image, meta, on_masters, rbac, rule

if TYPE_CHECKING:
    from .settings import AddonSettings

__all__ = [
    "CAM_ACTIONS",
    "CAM_CREDENTIALS_SCRIPT",
    "CBS_CSI_UPSTREAM",
    "CBS_CSI_VERSION",
    "CONTROLLER",
    "CONTROLLER_METRICS_PORT",
    "CONTROLLER_SA",
    "CREDENTIALS_CONFIGMAP",
    "CREDENTIALS_PORT",
    "CSI_DISK_TYPES",
    "DEFAULT_CLASS_ANNOTATION",
    "DEFAULT_DISK_TYPE",
    "DRIVER",
    "ENCRYPT",
    "INTERNAL_API_HOSTS",
    "INTERNAL_API_IP",
    "METADATA_HOST",
    "METADATA_IP",
    "NODE",
    "NODE_CAM_ACTIONS",
    "NODE_CREDENTIALS_PORT",
    "NODE_NORM_URL",
    "NODE_REQUIREMENTS",
    "NODE_SA",
    "NORM_URL",
    "NodeRequirements",
    "VOLUME_ATTACH_LIMIT",
    "VOLUME_ROLE",
    "credentials_config_map",
    "csi_driver",
    "csi_objects",
    "node_requirements",
    "storage_class",
    "storage_class_name",
]

# ---- the objects ----------------------------------------------------------------------------------------------

_LABELS = {"app.kubernetes.io/name": "cbs-csi", **PART_OF}


def _meta(name: str, namespaced: bool = True, **extra: Any) -> dict[str, Any]:
    return meta(name, _LABELS, namespaced, **extra)


# Upstream's controller role without the snapshot and CRD rules (no snapshotter here) and without secrets (no keys).
_CONTROLLER_RULES = [
    rule([""], ["persistentvolumes"], ["get", "list", "watch", "update", "patch", "create", "delete"]),
    rule([""], ["persistentvolumeclaims"], ["get", "list", "watch", "update"]),
    rule([""], ["persistentvolumeclaims/status"], ["update", "patch"]),
    rule([""], ["events"], ["get", "list", "watch", "create", "update", "patch"]),
    rule([""], ["nodes", "pods"], ["get", "list", "watch"]),
    rule([""], ["configmaps"], ["get", "list", "watch", "update", "patch", "create", "delete"]),
    rule(["storage.k8s.io"], ["storageclasses", "csinodes"], ["get", "list", "watch"]),
    rule(["storage.k8s.io"], ["volumeattachments"], ["get", "list", "watch", "update", "patch"]),
    rule(["storage.k8s.io"], ["volumeattachments/status"], ["patch"]),
    rule(["coordination.k8s.io"], ["leases"], ["get", "list", "watch", "create", "update", "patch", "delete"]),
]
_NODE_RULES = [rule([""], ["nodes"], ["get", "list"])]

_SIDECAR_RESOURCES = {"requests": {"cpu": "100m", "memory": "50Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
_SOCKET = {"name": "socket-dir", "mountPath": "/csi"}
_ADDRESS = {"name": "ADDRESS", "value": "/csi/csi.sock"}


def _sidecar(s: AddonSettings, name: str, *args: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": image(name, s),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--csi-address=$(ADDRESS)", "--v=5", "--leader-election=true", *args],
        "env": [_ADDRESS],
        "volumeMounts": [_SOCKET],
        "resources": _SIDECAR_RESOURCES,
    }


def _credentials_sidecar(s: AddonSettings, port: int) -> dict[str, Any]:
    """The NORM answerer on the host's loopback at `port`, with this node's CAM role (CAM_CREDENTIALS_SCRIPT)."""
    return {
        "name": "cam-credentials",
        "image": image("cam-credentials", s),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "/opt/cam-credentials/cam_credentials.py"],
        "env": [{"name": "LISTEN_PORT", "value": str(port)}],
        "volumeMounts": [{"name": "cam-credentials", "mountPath": "/opt/cam-credentials", "readOnly": True}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 65534,
        },
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
    }


_CREDENTIALS_VOLUME = {"name": "cam-credentials", "configMap": {"name": CREDENTIALS_CONFIGMAP}}


def _controller(s: AddonSettings) -> dict[str, Any]:
    labels = {"app": "cbs-csi-controller"}
    containers = [
        _sidecar(s, "csi-provisioner", "--feature-gates=Topology=true", "--timeout=120s", "--default-fstype=ext4"),
        _sidecar(s, "csi-attacher"),
        _sidecar(s, "csi-resizer"),
        {
            "name": "cbs-csi",
            "image": image("cbs-csi", s),
            "imagePullPolicy": "IfNotPresent",
            "command": ["/csi-tencentcloud-cbs"],
            "args": [
                "--v=5",
                "--logtostderr=true",
                "--endpoint=$(ADDRESS)",
                "--component_type=controller",
                f"--metric_port={CONTROLLER_METRICS_PORT}",
            ],
            "env": [
                {"name": "ADDRESS", "value": "unix:///csi/csi.sock"},
                {"name": "QCLOUD_NORM_URL", "value": NORM_URL},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            ],
            "volumeMounts": [_SOCKET],
            "resources": _SIDECAR_RESOURCES,
        },
        _credentials_sidecar(s, CREDENTIALS_PORT),
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(CONTROLLER),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": CONTROLLER_SA,
                    "priorityClassName": "system-cluster-critical",
                    # Host network: the metadata service must see the master itself to hand out its role.
                    "hostNetwork": True,
                    "dnsPolicy": "ClusterFirstWithHostNet",
                    **on_masters(),
                    "hostAliases": [
                        {"ip": METADATA_IP, "hostnames": [METADATA_HOST]},
                        {"ip": INTERNAL_API_IP, "hostnames": list(INTERNAL_API_HOSTS)},
                    ],
                    "containers": containers,
                    "volumes": [
                        {"name": "socket-dir", "emptyDir": {}},
                        _CREDENTIALS_VOLUME,
                    ],
                },
            },
        },
    }


def _host_path(name: str, path: str, type_: str | None = None) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path, **({"type": type_} if type_ else {})}}


def _node(s: AddonSettings) -> dict[str, Any]:
    labels = {"app": "cbs-csi-node"}
    plugin_dir = f"/var/lib/kubelet/plugins/{DRIVER}"
    needs = node_requirements()
    env = {
        "NODE_ID": {"name": "NODE_ID", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        "QCLOUD_NORM_URL": {"name": "QCLOUD_NORM_URL", "value": NODE_NORM_URL},
    }
    registrar = {
        "name": "driver-registrar",
        "image": image("csi-node-driver-registrar", s),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--v=5", "--csi-address=/csi/csi.sock", f"--kubelet-registration-path={plugin_dir}/csi.sock"],
        "lifecycle": {
            "preStop": {
                "exec": {"command": ["/bin/sh", "-c", f"rm -rf /registration/{DRIVER} /registration/{DRIVER}-reg.sock"]}
            }
        },
        "env": [{"name": "KUBE_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "volumeMounts": [
            {"name": "plugin-dir", "mountPath": "/csi"},
            {"name": "registration-dir", "mountPath": "/registration"},
        ],
    }
    driver = {
        "name": "cbs-csi",
        "image": image("cbs-csi", s),
        "imagePullPolicy": "IfNotPresent",
        # Mounting and formatting block devices on the host needs a privileged container.
        "securityContext": {
            "privileged": True,
            "capabilities": {"add": ["SYS_ADMIN"]},
            "allowPrivilegeEscalation": True,
        },
        "command": ["/csi-tencentcloud-cbs"],
        "args": [
            "--v=5",
            "--logtostderr=true",
            "--endpoint=unix:///csi/csi.sock",
            "--component_type=node",
            *needs.args,
        ],
        "env": [
            *(env[name] for name in needs.env),
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        ],
        "volumeMounts": [
            {"name": "plugin-dir", "mountPath": "/csi"},
            {"name": "plugins-mount-dir", "mountPath": "/var/lib/kubelet/plugins", "mountPropagation": "Bidirectional"},
            {"name": "pods-mount-dir", "mountPath": "/var/lib/kubelet/pods", "mountPropagation": "Bidirectional"},
            {"name": "host-dev", "mountPath": "/dev"},
            {"name": "host-sys", "mountPath": "/sys"},
            {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(NODE),
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": NODE_SA,
                    "priorityClassName": "system-node-critical",
                    "hostNetwork": True,
                    "hostPID": True,
                    "dnsPolicy": "ClusterFirstWithHostNet",
                    "tolerations": [{"operator": "Exists"}],  # every node, masters and tainted pools included
                    "hostAliases": [{"ip": METADATA_IP, "hostnames": [METADATA_HOST]}],
                    "containers": [registrar, driver, _credentials_sidecar(s, NODE_CREDENTIALS_PORT)],
                    "volumes": [
                        _host_path("plugin-dir", plugin_dir, "DirectoryOrCreate"),
                        _host_path("registration-dir", "/var/lib/kubelet/plugins_registry/", "Directory"),
                        _host_path("plugins-mount-dir", "/var/lib/kubelet/plugins", "Directory"),
                        _host_path("pods-mount-dir", "/var/lib/kubelet/pods", "Directory"),
                        _host_path("host-dev", "/dev"),
                        _host_path("host-sys", "/sys"),
                        _host_path("lib-modules", "/lib/modules"),
                        _CREDENTIALS_VOLUME,
                    ],
                },
            },
        },
    }


def csi_driver() -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": _meta(DRIVER, False),
        "spec": {"attachRequired": True, "podInfoOnMount": False, "volumeLifecycleModes": ["Persistent"]},
    }


def storage_class(s: AddonSettings) -> dict[str, Any]:
    """The default class: encrypted disks of the settings' type, created in the zone the pod lands in."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": _meta(storage_class_name(s.disk_type), False, annotations={DEFAULT_CLASS_ANNOTATION: "true"}),
        "provisioner": DRIVER,
        "parameters": {
            "diskType": s.disk_type,
            "encrypt": ENCRYPT,
            "disktags": f"{TAG_CLUSTER}:{s.cluster},{TAG_ROLE}:{VOLUME_ROLE}",
        },
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": True,
        # A CBS disk attaches only in its own zone: create it where the pod's node is. No allowedTopologies: pods
        # land only on the cluster's nodes anyway, and a zone list here would make adding a zone replace the class
        # (its topology is immutable).
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def credentials_config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(CREDENTIALS_CONFIGMAP),
        "data": {"cam_credentials.py": CAM_CREDENTIALS_SCRIPT},
    }


def csi_objects(s: AddonSettings) -> list[dict[str, Any]]:
    """The CBS CSI driver and its StorageClass (none when addons.cbsCsi is off)."""
    if not s.cbs_csi:
        return []
    return [
        *rbac(
            CONTROLLER_SA,
            "cbs-csi-controller-role",
            _CONTROLLER_RULES,
            _meta,
            binding="cbs-csi-controller-role-binding",
        ),
        *rbac(NODE_SA, "cbs-csi-node-role", _NODE_RULES, _meta, binding="cbs-csi-node-role-binding"),
        credentials_config_map(),
        csi_driver(),
        _controller(s),
        _node(s),
        storage_class(s),
    ]
