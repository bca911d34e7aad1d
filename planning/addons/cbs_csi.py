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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import cam, images as image_table
from ..plan import TAG_CLUSTER, TAG_ROLE
from .common import PART_OF, image, meta, on_masters, rbac, rule

if TYPE_CHECKING:
    from .settings import AddonSettings

# ---------------------------------------------------------------------------------------------------------------
# Versions and images: tags and digests live in ONE table, planning/images.py (why each image is pinned by digest
# or only by tag, with sources); this block names what the add-ons run from it.
#
# The CBS CSI driver is pinned to v2.3.0, the node image of upstream's deploy/cbs/kubernetes/csi-node-new.yaml at
# TencentCloud/kubernetes-csi-tencentcloud@23430d4bdd0cf3434ddbf36155fab7264d764662. Why this one: the driver
# finds its credentials through TKE's "NORM" service (driver/cloud/credential.go@8e951c627b04c65dfdd338628473ceb28d6d4666:
# QCLOUD_NORM_URL, default http://169.254.0.40:80/norm/api, NORM.AssumeTkeCredential), which the sidecar below
# answers from the CVM's CAM role. What the node plugin needs to start, in the v2 source (cmd/cbs/main.go@
# 25005029b067c52537619f3f550c95ba8fef074f takes the --component_type flag these manifests pass; driver/cbs/node.go@
# 2df1127f89852ced42842c61f2232964844d022b): NODE_ID names its Node, whose spec.providerID (qcloud:///<zone>/ins-...)
# gives the instance id, and it exits (glog.Fatalf in getProviderIDFromNode) when that is not there within 20 s;
# MaxVolumesPerNode is --volume_attach_limit (default -1: 18). That node plugin makes no CBS API call, and upstream's
# node manifest at 23430d4 maps no API host for it (the controller's maps cbs/cvm/tag.internal). An earlier note here
# said the NORM fallback is gone after v2.3.x and that v2.3.2+ node plugins call DescribeInstancesDiskNum at start and
# exit after 120 s without credentials: no source found shows either (not in node.go, main.go or credential.go as
# stored), so neither is claimed; what is sure is that a version bump needs its node plugin read again. So every
# version we run needs, besides the image, what NODE_REQUIREMENTS lists for it; a version bump without its row there
# fails the tests (tests/bootstrap/test_addons_cbs_csi.py) and the plan.
# The controller runs the same binary (`--component_type=controller`) so both halves are always the same version.
CBS_CSI_VERSION = image_table.BY_NAME["cbs-csi"].tag
CBS_CSI_UPSTREAM = (
    "TencentCloud/kubernetes-csi-tencentcloud@23430d4bdd0cf3434ddbf36155fab7264d764662 "
    "deploy/cbs/kubernetes/csi-node-new.yaml"
)
# How many CBS disks the scheduler may attach through the driver per node. A CVM takes at most 20 data disks
# (docs/README_CBS_zhCN.md: "每个节点最大可attach 20块CBS盘"); kubecvm itself attaches at most one (a master's etcd
# disk or a pool's data disk), and upstream's own default is 18 (driver/cbs/node.go defaultMaxAttachVolumePerNode
# at 2df1127f89852ced42842c61f2232964844d022b), taken when the flag is absent (cmd/cbs/main.go: default -1).
VOLUME_ATTACH_LIMIT = 18


@dataclass(frozen=True)
class NodeRequirements:
    """What the node plugin of one driver version needs from our DaemonSet, beyond upstream's manifest."""

    args: tuple[str, ...]
    env: tuple[str, ...]  # names of the environment variables it must get


NODE_REQUIREMENTS: dict[str, NodeRequirements] = {
    # NODE_ID: the node's name, which driver/cbs/node.go reads to find its Node object and the instance id in
    # spec.providerID (the kubelet's --provider-id, set by the boot script from the metadata service: there is no
    # cloud controller here to set it). QCLOUD_NORM_URL: the node's own credential sidecar (its CAM role).
    "v2.3.0": NodeRequirements(
        args=(f"--volume_attach_limit={VOLUME_ATTACH_LIMIT}",), env=("NODE_ID", "QCLOUD_NORM_URL")
    ),
}
# ---------------------------------------------------------------------------------------------------------------

DRIVER = "com.tencent.cloud.csi.cbs"
CONTROLLER, NODE = "csi-cbs-controller", "csi-cbs-node"
CONTROLLER_SA, NODE_SA = "cbs-csi-controller-sa", "cbs-csi-node-sa"
CREDENTIALS_CONFIGMAP = "cbs-csi-cam-credentials"
# The sidecar listens on the host's loopback (the controller uses the host network so that the metadata
# service sees the master, and answers with the master's role). An uncommon port, free on a kubeadm master.
CREDENTIALS_PORT = 19101
NORM_URL = f"http://127.0.0.1:{CREDENTIALS_PORT}/norm/api"
# The node plugin's own sidecar (every node, host network too): on a master it shares the host's loopback with
# the controller's, so it takes the next port.
NODE_CREDENTIALS_PORT = 19102
NODE_NORM_URL = f"http://127.0.0.1:{NODE_CREDENTIALS_PORT}/norm/api"
# The driver's own metrics port: the node plugin (also host network) keeps the default 9099 on every node,
# so the controller, which shares a master with a node plugin, takes the next one.
CONTROLLER_METRICS_PORT = 9098
METADATA_HOST, METADATA_IP = "metadata.tencentyun.com", "169.254.0.23"
# Tencent's in-VPC API endpoints (no NAT needed), as upstream maps them.
INTERNAL_API_IP = "169.254.0.95"
INTERNAL_API_HOSTS = (
    "cbs.internal.tencentcloudapi.com",
    "cvm.internal.tencentcloudapi.com",
    "tag.internal.tencentcloudapi.com",
)

# Disk types the driver accepts in a StorageClass (docs/README_CBS.md); others fall back to CLOUD_SSD.
CSI_DISK_TYPES = ("CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_HSSD")
DEFAULT_DISK_TYPE = "CLOUD_SSD"
ENCRYPT = "ENCRYPT"  # the only value the driver accepts for `encrypt`
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
# The volumes the driver creates are tagged like the rest of the cluster; role "volume" tells them from etcd disks.
VOLUME_ROLE = "volume"
# What the master CAM role must allow for the controller: the CBS calls driver/cbs/controller.go makes
# (create, describe, quota, attach, detach, resize, terminate), plus instance lookup for its CVM client.
# The role itself is made with the bootstrap's PKI/SSM roles; the list lives here so both use the same one.
# CAM knows CBS's API under the cvm service (planning/cam.py).
CAM_ACTIONS = (
    *(
        cam.cbs(api)
        for api in (
            "CreateDisks",
            "DescribeDisks",
            "DescribeDiskConfigQuota",
            "AttachDisks",
            "DetachDisks",
            "ResizeDisk",
            "TerminateDisks",
        )
    ),
    "cvm:DescribeInstances",
)
# What every node's role allows for the node plugin: read-only, and defensive. The node plugin of the v2 source cited
# above calls no CBS API; the attached-disk count is the one a version without --volume_attach_limit would ask for.
NODE_CAM_ACTIONS = (cam.cbs("DescribeInstancesDiskNum"),)

# A NORM response built from the metadata service's role credentials: a stdlib-only program (programs/), shipped in a
# ConfigMap. METADATA_URL and LISTEN_PORT come from the environment so the test can run it against a fake metadata
# service.
CAM_CREDENTIALS_SCRIPT = (Path(__file__).parent / "programs" / "cam_credentials.py").read_text()


def storage_class_name(disk_type: str) -> str:
    """CLOUD_SSD -> cbs-ssd: the name users put in a PVC, stable for a disk type."""
    return "cbs-" + disk_type.removeprefix("CLOUD_").lower()


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


def node_requirements(version: str = CBS_CSI_VERSION) -> NodeRequirements:
    """What the pinned driver version's node plugin needs; a version without a row is refused, not guessed."""
    try:
        return NODE_REQUIREMENTS[version]
    except KeyError:
        raise ValueError(
            f"CBS CSI {version}: no NODE_REQUIREMENTS row; read its node plugin upstream "
            "(driver/cbs/node.go, cmd/cbs/main.go) and add the flags and environment it needs"
        ) from None


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
