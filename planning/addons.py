"""In-cluster add-ons as plain Kubernetes objects (dicts): the Tencent Cloud CBS CSI driver and its StorageClass.

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

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cam, images as image_table, mirrors
from .mirrors import Mirrors
from . import names
from .plan import CLUSTER_DOMAIN, TAG_CLUSTER, TAG_ROLE, address_layout

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
# fails the tests (tests/bootstrap/test_addons.py) and the plan.
# The controller runs the same binary (`--component_type=controller`) so both halves are always the same version.
CBS_CSI_VERSION = image_table.BY_NAME["cbs-csi"].tag
CBS_CSI_UPSTREAM = ("TencentCloud/kubernetes-csi-tencentcloud@23430d4bdd0cf3434ddbf36155fab7264d764662 "
                    "deploy/cbs/kubernetes/csi-node-new.yaml")
# The credential sidecar runs a stdlib-only script (CAM_CREDENTIALS_SCRIPT) on Tencent's mirror of python:slim, as
# does the CSR approver (planning/csr_approver.py). name -> (path under the Tencent-hosted add-on registry, tag).
IMAGES: dict[str, tuple[str, str]] = {
    n: (image_table.BY_NAME[n].path, image_table.BY_NAME[n].tag)
    for n in ("cbs-csi", "csi-provisioner", "csi-attacher", "csi-resizer", "csi-node-driver-registrar",
              "cam-credentials", "csr-approver")
}


def image(name: str, s: AddonSettings) -> str:
    """The one function every add-on image reference goes through: the region's registries (planning/mirrors.py).

    IMAGES live on Tencent's registry (ccr.ccs.tencentyun.com unless addons.imageRegistry says otherwise);
    K8S_IMAGES (metrics-server, below) are registry.k8s.io images, pinned by digest there and mirrored, by tag,
    where registry.k8s.io is unreachable (planning/images.py).
    """
    assert name in IMAGES or name in K8S_IMAGES, name
    return image_table.reference(name, s.mirrors)


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
    "v2.3.0": NodeRequirements(args=(f"--volume_attach_limit={VOLUME_ATTACH_LIMIT}",),
                               env=("NODE_ID", "QCLOUD_NORM_URL")),
}
# ---------------------------------------------------------------------------------------------------------------

DRIVER = "com.tencent.cloud.csi.cbs"
NAMESPACE = "kube-system"
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
INTERNAL_API_HOSTS = ("cbs.internal.tencentcloudapi.com", "cvm.internal.tencentcloudapi.com",
                      "tag.internal.tencentcloudapi.com")
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"  # label and taint kubeadm puts on masters

# Disk types the driver accepts in a StorageClass (docs/README_CBS.md); others fall back to CLOUD_SSD.
CSI_DISK_TYPES = ("CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_HSSD")
DEFAULT_DISK_TYPE = "CLOUD_SSD"
ENCRYPT = "ENCRYPT"  # the only value the driver accepts for `encrypt`
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
# The volumes the driver creates are tagged like the rest of the cluster; role "volume" tells them from etcd disks.
VOLUME_ROLE = "volume"
# The oldest Kubernetes these manifests target (storage.k8s.io/v1 CSIDriver, control-plane label/taint names).
MIN_KUBERNETES = (1, 25)

# What the master CAM role must allow for the controller: the CBS calls driver/cbs/controller.go makes
# (create, describe, quota, attach, detach, resize, terminate), plus instance lookup for its CVM client.
# The role itself is made with the bootstrap's PKI/SSM roles; the list lives here so both use the same one.
# CAM knows CBS's API under the cvm service (planning/cam.py).
CAM_ACTIONS = (
    *(cam.cbs(api) for api in ("CreateDisks", "DescribeDisks", "DescribeDiskConfigQuota", "AttachDisks", "DetachDisks",
                               "ResizeDisk", "TerminateDisks")),
    "cvm:DescribeInstances",
)
# What every node's role allows for the node plugin: read-only, and defensive. The node plugin of the v2 source cited
# above calls no CBS API; the attached-disk count is the one a version without --volume_attach_limit would ask for.
NODE_CAM_ACTIONS = (cam.cbs("DescribeInstancesDiskNum"),)

# A NORM response built from the metadata service's role credentials. Stdlib only, read from a ConfigMap.
# METADATA_URL and LISTEN_PORT come from the environment so the test can run it against a fake metadata service.
CAM_CREDENTIALS_SCRIPT = '''\
"""Answer the CBS CSI driver's NORM credential request with this CVM's CAM role credentials."""
import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

META = os.environ.get("METADATA_URL", "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/")


def role_credentials():
    with urllib.request.urlopen(META, timeout=5) as answer:
        role = answer.read().decode().split()[0]  # a CVM has at most one role
    with urllib.request.urlopen(META + role, timeout=5) as answer:
        cred = json.load(answer)
    return {"returnValue": 0, "returnMsg": "ok", "returnData": {
        "credentials": {"sessionToken": cred["Token"], "tmpSecretId": cred["TmpSecretId"],
                        "tmpSecretKey": cred["TmpSecretKey"]},
        "expiredTime": int(cred["ExpiredTime"])}}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status, body = 200, role_credentials()
        except Exception as error:  # no role attached, metadata unreachable: the driver logs it and retries
            status, body = 502, {"returnValue": 1, "returnMsg": f"no CAM role credentials: {error}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # never log requests: the answers are credentials
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("LISTEN_PORT", "19101"))), Handler).serve_forever()
'''


@dataclass(frozen=True)
class AddonSettings:
    """Everything the add-on manifests depend on; small and frozen so `objects` stays a pure function."""

    cluster: str
    region: str
    zones: tuple[str, ...]
    kubernetes_version: str
    disk_type: str = DEFAULT_DISK_TYPE
    cbs_csi: bool = True
    metrics_server: bool = True
    vpc_cidr: str = "10.0.0.0/16"  # where every node address lies (the spec's default)
    registries: Mirrors | None = None  # None: the region's defaults (planning/mirrors.py for_region)
    # The planned node addresses the serving-certificate approver accepts (settings_from_plan, csr_approver.planned_ip):
    # (master name, private IP), and per pool and zone (worker name prefix, first address, block size).
    masters: tuple[tuple[str, str], ...] = ()
    pool_blocks: tuple[tuple[str, str, int], ...] = ()

    @property
    def mirrors(self) -> Mirrors:
        return self.registries or mirrors.for_region(self.region)

    def __post_init__(self) -> None:
        problem = settings_problem(self)
        if problem:
            raise ValueError(problem)


def kubernetes_minor(version: str) -> tuple[int, int]:
    """Parse a Kubernetes version: "1.30", "1.30.4" or "v1.30.4" -> (1, 30)."""
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version)
    if not m:
        raise ValueError(f"kubernetes.version: {version!r} is not a version such as 1.30 or 1.30.4")
    return int(m[1]), int(m[2])


def settings_problem(s: AddonSettings) -> str | None:
    """The first thing wrong with the settings, naming the field, or None."""
    if kubernetes_minor(s.kubernetes_version) < MIN_KUBERNETES:
        return (f"kubernetes.version: {s.kubernetes_version} is older than the add-ons support "
                f"({MIN_KUBERNETES[0]}.{MIN_KUBERNETES[1]} or newer)")
    if s.disk_type not in CSI_DISK_TYPES:
        return f"diskType: {s.disk_type} is not a CBS CSI disk type ({', '.join(CSI_DISK_TYPES)})"
    if not s.zones:
        return "zones: the StorageClass needs at least one zone"
    try:
        ipaddress.ip_network(s.vpc_cidr)
    except ValueError:
        return f"vpcCidr: {s.vpc_cidr!r} is not a CIDR such as 10.0.0.0/16"
    if any(not z.startswith(f"{s.region}-") for z in s.zones):
        return f"zones: every zone must be in region {s.region}"
    vpc = ipaddress.ip_network(s.vpc_cidr)
    for name, ip, size in [(m, ip, 1) for m, ip in s.masters] + list(s.pool_blocks):
        try:
            inside = size >= 1 and all(ipaddress.ip_address(ip) + k in vpc for k in (0, size - 1))
        except ValueError:
            inside = False
        if not inside:
            return f"masters/pool_blocks: {name}'s addresses ({ip!r}, {size}) are not inside vpcCidr {s.vpc_cidr}"
    names_ = [m for m, _ in s.masters] + [p for p, _, _ in s.pool_blocks]
    if len(set(names_)) != len(names_):
        return "masters/pool_blocks: a name or prefix appears twice"
    return None


def volume_disk_type(data_disk_types: list[str]) -> str:
    """The pools' data-disk type for volumes (the first pool that has one), if the driver takes it; else SSD."""
    if data_disk_types and data_disk_types[0] in CSI_DISK_TYPES:
        return data_disk_types[0]
    return DEFAULT_DISK_TYPE


def settings_from_spec(spec: Any, *, kubernetes_version: str | None = None, cbs_csi: bool | None = None,
                       metrics_server: bool | None = None) -> AddonSettings:
    """AddonSettings from a ClusterSpec: `kubernetes.version` and `addons.cbsCsi` from the spec (read with getattr
    so a spec from before those fields still works with explicit arguments); the keyword arguments override."""
    version = kubernetes_version or getattr(getattr(spec, "kubernetes", None), "version", None)
    if not version:
        raise ValueError("kubernetes.version: needed for the add-on manifests")
    if cbs_csi is None:
        addons = getattr(spec, "addons", None)
        cbs_csi = True if addons is None else bool(getattr(addons, "cbs_csi", True))
    if metrics_server is None:
        metrics_server = bool(getattr(getattr(spec, "addons", None), "metrics_server", True))
    disk_types = [p.data_disk.type.value for p in spec.node_pools if p.data_disk is not None]
    return AddonSettings(
        cluster=spec.name, region=spec.region, zones=tuple(spec.zones), kubernetes_version=str(version),
        disk_type=volume_disk_type(disk_types), cbs_csi=cbs_csi, metrics_server=metrics_server, vpc_cidr=spec.vpc_cidr,
        registries=mirrors.from_spec(spec) if hasattr(spec, "kubernetes") else None,
    )


def settings_from_plan(plan: Any, **overrides: Any) -> AddonSettings:
    """settings_from_spec(plan.spec) plus the planned addresses, which the serving-certificate approver checks.

    Workers as rules, not a list: per pool and zone number, the name prefix, the pool block's first address and its
    size, for every zone number the layout has (used or not), so scaling a pool or adding a zone changes nothing here
    (stable identity); a worker's address is the first address plus its ordinal (Layout.node_ip: a pool block's
    host offsets start at 0). Masters by name (their count is fixed).
    """
    spec, layout = plan.spec, address_layout(plan.spec)
    numbers = [n for n, _ in layout.given_subnets] or range(1, layout.zone_blocks + 1)
    blocks = tuple((names.worker_prefix(spec.name, pool.name, n), layout.node_ip(n, pool.slot, 0),
                    layout.ip_capacity(pool.slot))
                   for pool in spec.node_pools if layout.ip_capacity(pool.slot) > 0 for n in numbers)
    return dataclasses.replace(settings_from_spec(spec, **overrides), pool_blocks=blocks,
                               masters=tuple((m.name, m.private_ip) for m in plan.masters))


def storage_class_name(disk_type: str) -> str:
    """CLOUD_SSD -> cbs-ssd: the name users put in a PVC, stable for a disk type."""
    return "cbs-" + disk_type.removeprefix("CLOUD_").lower()


def resource_name(component: str, obj: dict[str, Any]) -> str:
    """The Pulumi name of one object: stable from its kind and Kubernetes name, never from list order."""
    return f"{component}-{obj['kind'].lower()}-{obj['metadata']['name']}"


def patch_name(component: str, obj: dict[str, Any]) -> str:
    """The Pulumi name of a patch of an object kubecvm did not create."""
    return f"{component}-patch-{obj['kind'].lower()}-{obj['metadata']['name']}"


def api_path(obj: dict[str, Any]) -> str:
    """The REST path of a namespaced apps/v1 or v1 object (what ObjectReady polls)."""
    group = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
    meta = obj["metadata"]
    return f"{group}/namespaces/{meta['namespace']}/{obj['kind'].lower()}s/{meta['name']}"


# ---- the objects ----------------------------------------------------------------------------------------------

def _meta(name: str, namespaced: bool = True, **extra: Any) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "cbs-csi", "app.kubernetes.io/part-of": "kubecvm"}
    return {"name": name, **({"namespace": NAMESPACE} if namespaced else {}), "labels": labels, **extra}


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _rbac(sa: str, role: str, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(sa)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta(role, False),
         "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": _meta(f"{role}-binding", False),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}]},
    ]


# Upstream's controller role without the snapshot and CRD rules (no snapshotter here) and without secrets (no keys).
_CONTROLLER_RULES = [
    _rule([""], ["persistentvolumes"], ["get", "list", "watch", "update", "patch", "create", "delete"]),
    _rule([""], ["persistentvolumeclaims"], ["get", "list", "watch", "update"]),
    _rule([""], ["persistentvolumeclaims/status"], ["update", "patch"]),
    _rule([""], ["events"], ["get", "list", "watch", "create", "update", "patch"]),
    _rule([""], ["nodes", "pods"], ["get", "list", "watch"]),
    _rule([""], ["configmaps"], ["get", "list", "watch", "update", "patch", "create", "delete"]),
    _rule(["storage.k8s.io"], ["storageclasses", "csinodes"], ["get", "list", "watch"]),
    _rule(["storage.k8s.io"], ["volumeattachments"], ["get", "list", "watch", "update", "patch"]),
    _rule(["storage.k8s.io"], ["volumeattachments/status"], ["patch"]),
    _rule(["coordination.k8s.io"], ["leases"], ["get", "list", "watch", "create", "update", "patch", "delete"]),
]
_NODE_RULES = [_rule([""], ["nodes"], ["get", "list"])]

_SIDECAR_RESOURCES = {"requests": {"cpu": "100m", "memory": "50Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
_SOCKET = {"name": "socket-dir", "mountPath": "/csi"}
_ADDRESS = {"name": "ADDRESS", "value": "/csi/csi.sock"}


def _sidecar(s: AddonSettings, name: str, *args: str) -> dict[str, Any]:
    return {
        "name": name, "image": image(name, s), "imagePullPolicy": "IfNotPresent",
        "args": ["--csi-address=$(ADDRESS)", "--v=5", "--leader-election=true", *args],
        "env": [_ADDRESS], "volumeMounts": [_SOCKET], "resources": _SIDECAR_RESOURCES,
    }


def _credentials_sidecar(s: AddonSettings, port: int) -> dict[str, Any]:
    """The NORM answerer on the host's loopback at `port`, with this node's CAM role (CAM_CREDENTIALS_SCRIPT)."""
    return {
        "name": "cam-credentials", "image": image("cam-credentials", s), "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "/opt/cam-credentials/cam_credentials.py"],
        "env": [{"name": "LISTEN_PORT", "value": str(port)}],
        "volumeMounts": [{"name": "cam-credentials", "mountPath": "/opt/cam-credentials", "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": 65534},
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
            "name": "cbs-csi", "image": image("cbs-csi", s), "imagePullPolicy": "IfNotPresent",
            "command": ["/csi-tencentcloud-cbs"],
            "args": ["--v=5", "--logtostderr=true", "--endpoint=$(ADDRESS)", "--component_type=controller",
                     f"--metric_port={CONTROLLER_METRICS_PORT}"],
            "env": [
                {"name": "ADDRESS", "value": "unix:///csi/csi.sock"},
                {"name": "QCLOUD_NORM_URL", "value": NORM_URL},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            ],
            "volumeMounts": [_SOCKET], "resources": _SIDECAR_RESOURCES,
        },
        _credentials_sidecar(s, CREDENTIALS_PORT),
    ]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(CONTROLLER),
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
                    "nodeSelector": {CONTROL_PLANE_LABEL: ""},
                    "tolerations": [{"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
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
        raise ValueError(f"CBS CSI {version}: no NODE_REQUIREMENTS row; read its node plugin upstream "
                         "(driver/cbs/node.go, cmd/cbs/main.go) and add the flags and environment it needs") from None


def _node(s: AddonSettings) -> dict[str, Any]:
    labels = {"app": "cbs-csi-node"}
    plugin_dir = f"/var/lib/kubelet/plugins/{DRIVER}"
    needs = node_requirements()
    env = {
        "NODE_ID": {"name": "NODE_ID", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        "QCLOUD_NORM_URL": {"name": "QCLOUD_NORM_URL", "value": NODE_NORM_URL},
    }
    registrar = {
        "name": "driver-registrar", "image": image("csi-node-driver-registrar", s),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--v=5", "--csi-address=/csi/csi.sock", f"--kubelet-registration-path={plugin_dir}/csi.sock"],
        "lifecycle": {"preStop": {"exec": {"command": [
            "/bin/sh", "-c", f"rm -rf /registration/{DRIVER} /registration/{DRIVER}-reg.sock"]}}},
        "env": [{"name": "KUBE_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "volumeMounts": [{"name": "plugin-dir", "mountPath": "/csi"},
                         {"name": "registration-dir", "mountPath": "/registration"}],
    }
    driver = {
        "name": "cbs-csi", "image": image("cbs-csi", s), "imagePullPolicy": "IfNotPresent",
        # Mounting and formatting block devices on the host needs a privileged container.
        "securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]},
                            "allowPrivilegeEscalation": True},
        "command": ["/csi-tencentcloud-cbs"],
        "args": ["--v=5", "--logtostderr=true", "--endpoint=unix:///csi/csi.sock", "--component_type=node",
                 *needs.args],
        "env": [*(env[name] for name in needs.env),
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
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
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": _meta(NODE),
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": NODE_SA,
                    "priorityClassName": "system-node-critical",
                    "hostNetwork": True, "hostPID": True, "dnsPolicy": "ClusterFirstWithHostNet",
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
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": _meta(DRIVER, False),
        "spec": {"attachRequired": True, "podInfoOnMount": False, "volumeLifecycleModes": ["Persistent"]},
    }


def storage_class(s: AddonSettings) -> dict[str, Any]:
    """The default class: encrypted disks of the settings' type, created in the zone the pod lands in."""
    return {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
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
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(CREDENTIALS_CONFIGMAP),
            "data": {"cam_credentials.py": CAM_CREDENTIALS_SCRIPT}}


def objects(s: AddonSettings, *, metrics_tls: ServingTls | None = None) -> list[dict[str, Any]]:
    """Every object the add-ons create, in apply order (RBAC and config before the workloads using them).
    `metrics_tls`: metrics-server's serving certificate (needed when addons.metricsServer is on)."""
    return [*csr_approver_objects(s), *csi_objects(s), *metrics_server_objects(s, metrics_tls)]


def csi_objects(s: AddonSettings) -> list[dict[str, Any]]:
    """The CBS CSI driver and its StorageClass (none when addons.cbsCsi is off)."""
    if not s.cbs_csi:
        return []
    return [
        *_rbac(CONTROLLER_SA, "cbs-csi-controller-role", _CONTROLLER_RULES),
        *_rbac(NODE_SA, "cbs-csi-node-role", _NODE_RULES),
        credentials_config_map(),
        csi_driver(),
        _controller(s),
        _node(s),
        storage_class(s),
    ]


def images(objs: list[dict[str, Any]]) -> list[str]:
    """Every container image the objects run (for pinning checks and pre-pull lists)."""
    found = []
    for obj in objs:
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for c in pod.get("initContainers", []) + pod.get("containers", []):
            found.append(c["image"])
    return found


# ---- CoreDNS spread ---------------------------------------------------------------------------------------------
# kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go CoreDNSDeployment: 2 replicas,
# labels k8s-app=kube-dns, only a *preferred* anti-affinity on kubernetes.io/hostname) is scheduled while master-0
# is the only node, so both replicas land there and stay. kubeadm has no option for it (ClusterConfiguration.dns
# takes only the image), so the add-ons patch that Deployment, with server-side apply: replicas on distinct nodes
# (required anti-affinity; the second waits for a second node) and spread over zones where possible. The patch owns
# only these fields; `kubeadm upgrade apply` rewrites the Deployment, and the next `pulumi up --refresh` restores them.
COREDNS = "coredns"
COREDNS_SELECTOR = {"matchLabels": {"k8s-app": "kube-dns"}}
ZONE_LABEL, HOST_LABEL = "topology.kubernetes.io/zone", "kubernetes.io/hostname"


def coredns_patch() -> dict[str, Any]:
    """The fields kubecvm owns on kubeadm's CoreDNS Deployment (a DeploymentPatch, not a new object)."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": COREDNS, "namespace": NAMESPACE, "annotations": {
            # kubeadm created the object: take these fields over; and do not wait for the rollout, whose second
            # replica stays Pending until a second node has joined.
            "pulumi.com/patchForce": "true", "pulumi.com/skipAwait": "true"}},
        "spec": {"template": {"spec": {
            "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": COREDNS_SELECTOR, "topologyKey": HOST_LABEL}]}},
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE_LABEL,
                                           "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": COREDNS_SELECTOR}],
        }}},
    }


def patches(s: AddonSettings) -> list[dict[str, Any]]:
    """Changes to objects kubeadm owns, applied as patches after the cluster answers."""
    del s  # every cluster gets them
    return [coredns_patch()]


# ---- metrics-server ---------------------------------------------------------------------------------------------
# Pinned here, with its source: the objects below are upstream's release manifest, transcribed (checked field by field
# against kubernetes-sigs/metrics-server manifests/ and its chart's defaults: tests/bootstrap/test_metrics_server_upstream.py),
# with three changes:
# the image comes through image() (mirrored where registry.k8s.io is unreachable); the kubelets' serving
# certificates are verified against the cluster CA (--kubelet-certificate-authority, the CA from the
# kube-root-ca.crt ConfigMap that kube-controller-manager publishes in every namespace) instead of
# --kubelet-insecure-tls, which works because the kubelets have CA-signed serving certificates (serverTLSBootstrap in
# planning/bootstrap.py, approved by planning/csr_approver.py); and metrics-server serves with a certificate the
# stack issues, which the APIService verifies (caBundle) instead of insecureSkipTLSVerify (below).
METRICS_SERVER_VERSION = image_table.BY_NAME["metrics-server"].tag  # its digest: planning/images.py
METRICS_SERVER_MANIFEST = ("https://github.com/kubernetes-sigs/metrics-server/releases/download/"
                           f"{METRICS_SERVER_VERSION}/components.yaml")
K8S_IMAGES: dict[str, tuple[str, str]] = {  # name -> (path under registry.k8s.io, tag)
    "metrics-server": (image_table.BY_NAME["metrics-server"].path, METRICS_SERVER_VERSION),
}
METRICS_SERVER = "metrics-server"
KUBELET_CA_DIR = "/etc/kubelet-ca"
_MS_LABELS = {"k8s-app": METRICS_SERVER}

# metrics-server's own serving certificate, so the API server's aggregator verifies it (APIService caBundle) instead
# of upstream's insecureSkipTLSVerify. The aggregator dials the Service's endpoints with TLS ServerName
# <service>.<namespace>.svc and the caBundle as its only roots (kube-aggregator pkg/apiserver/handler_proxy.go
# updateAPIService: ServerName and CAData, kubernetes/kubernetes@702afaba766fb48bc94b96d72f486de39a70a6a4); the
# .svc.<cluster domain> name serves in-cluster clients. The stack issues it (components/addons.py, pulumi-tls) from a
# CA of its own, like the ingress admission webhook's; it is mounted from a kubernetes.io/tls Secret and handed to
# metrics-server's --tls-cert-file/--tls-private-key-file (k8s.io/apiserver SecureServingOptions, which re-reads
# the files every minute: pkg/server/options/serving.go ApplyTo -> dynamiccertificates
# NewDynamicServingContentFromFiles, dynamic_serving_content.go Run, FileRefreshDuration 1 min,
# kubernetes/kubernetes@f594c25c70bab163edba38bbf17faf7176577a6c), so a renewed certificate is served without a
# restart once the kubelet has refreshed the Secret volume.
METRICS_SERVER_TLS_SECRET = "metrics-server-tls"
METRICS_SERVER_TLS_DIR = "/etc/metrics-server/tls"
METRICS_SERVER_DNS_NAMES = (f"{METRICS_SERVER}.{NAMESPACE}.svc", f"{METRICS_SERVER}.{NAMESPACE}.svc.{CLUSTER_DOMAIN}")


@dataclass(frozen=True)
class ServingTls:
    """A serving certificate the stack made: PEMs (Pulumi secrets in the component) and the CA as an APIService
    caBundle (base64 of the CA's PEM). Strings in the tests, pulumi Outputs from components/addons.py."""

    cert_pem: Any
    key_pem: Any
    ca_bundle: Any


def _ms_meta(name: str, namespaced: bool = True, **labels: str) -> dict[str, Any]:
    return {"name": name, **({"namespace": NAMESPACE} if namespaced else {}),
            "labels": {**_MS_LABELS, "app.kubernetes.io/part-of": "kubecvm", **labels}}


def _ms_deployment(s: AddonSettings) -> dict[str, Any]:
    probe = {"failureThreshold": 3, "periodSeconds": 10}
    container = {
        "name": METRICS_SERVER, "image": image(METRICS_SERVER, s), "imagePullPolicy": "IfNotPresent",
        "args": ["--cert-dir=/tmp", "--secure-port=10250",
                 "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                 "--kubelet-use-node-status-port", "--metric-resolution=15s",
                 f"--kubelet-certificate-authority={KUBELET_CA_DIR}/ca.crt",
                 # its own serving certificate (--cert-dir then holds nothing: it only self-signs without these)
                 f"--tls-cert-file={METRICS_SERVER_TLS_DIR}/tls.crt",
                 f"--tls-private-key-file={METRICS_SERVER_TLS_DIR}/tls.key"],
        "ports": [{"containerPort": 10250, "name": "https", "protocol": "TCP"}],
        "livenessProbe": {**probe, "httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"}},
        "readinessProbe": {**probe, "initialDelaySeconds": 20,
                           "httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}},
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"mountPath": "/tmp", "name": "tmp-dir"},
                         {"mountPath": KUBELET_CA_DIR, "name": "kubelet-ca", "readOnly": True},
                         {"mountPath": METRICS_SERVER_TLS_DIR, "name": "serving-cert", "readOnly": True}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _ms_meta(METRICS_SERVER),
        "spec": {
            "selector": {"matchLabels": _MS_LABELS},
            "strategy": {"rollingUpdate": {"maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": _MS_LABELS},
                "spec": {
                    "containers": [container],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": METRICS_SERVER,
                    "volumes": [{"name": "tmp-dir", "emptyDir": {}},
                                {"name": "kubelet-ca", "configMap": {"name": "kube-root-ca.crt",
                                                                     "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                                {"name": "serving-cert", "secret": {"secretName": METRICS_SERVER_TLS_SECRET}}],
                },
            },
        },
    }


def metrics_server_objects(s: AddonSettings, tls: ServingTls | None = None) -> list[dict[str, Any]]:
    """metrics-server METRICS_SERVER_VERSION as upstream ships it (METRICS_SERVER_MANIFEST), kubelet TLS verified,
    serving with `tls` (the stack's certificate for METRICS_SERVER_DNS_NAMES), which the APIService trusts."""
    if not s.metrics_server:
        return []
    if tls is None:
        raise ValueError("addons.metricsServer: metrics-server needs its serving certificate (ServingTls), "
                         "which components/addons.py makes with pulumi-tls")
    sa = {"kind": "ServiceAccount", "name": METRICS_SERVER, "namespace": NAMESPACE}
    aggregate = {f"rbac.authorization.k8s.io/aggregate-to-{r}": "true" for r in ("admin", "edit", "view")}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _ms_meta(METRICS_SERVER)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": _ms_meta("system:aggregated-metrics-reader", False, **aggregate),
         "rules": [_rule(["metrics.k8s.io"], ["pods", "nodes"], ["get", "list", "watch"])]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": _ms_meta("system:metrics-server", False),
         "rules": [_rule([""], ["nodes/metrics"], ["get"]), _rule([""], ["pods", "nodes"], ["get", "list", "watch"])]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": _ms_meta("metrics-server-auth-reader"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": "extension-apiserver-authentication-reader"}, "subjects": [sa]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": _ms_meta("metrics-server:system:auth-delegator", False),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
         "subjects": [sa]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": _ms_meta("system:metrics-server", False),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:metrics-server"},
         "subjects": [sa]},
        {"apiVersion": "v1", "kind": "Service", "metadata": _ms_meta(METRICS_SERVER),
         "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
                  "selector": _MS_LABELS}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": _ms_meta(METRICS_SERVER_TLS_SECRET),
         "type": "kubernetes.io/tls", "stringData": {"tls.crt": tls.cert_pem, "tls.key": tls.key_pem}},
        _ms_deployment(s),
        # Upstream's APIService, verified: the caBundle instead of insecureSkipTLSVerify (false when absent).
        {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": _ms_meta("v1beta1.metrics.k8s.io", False),
         "spec": {"group": "metrics.k8s.io", "groupPriorityMinimum": 100, "caBundle": tls.ca_bundle,
                  "service": {"name": METRICS_SERVER, "namespace": NAMESPACE}, "version": "v1beta1",
                  "versionPriority": 100}},
    ]


# ---- the kubelet serving-certificate approver -------------------------------------------------------------------
# Every kubelet asks for a CA-signed serving certificate (serverTLSBootstrap, planning/bootstrap.py) and nothing in
# Kubernetes approves those requests. planning/csr_approver.py does, with strict rules, as a one-replica Deployment on
# the masters. Always installed: without it no kubelet has a serving certificate (kubectl logs/exec fail too).
CSR_APPROVER = "kubecvm-csr-approver"
CSR_APPROVER_SOURCE = Path(__file__).with_name("csr_approver.py")
CSR_APPROVER_DIR, CSR_APPROVER_ADDRESSES = "/opt/csr-approver", "addresses.json"


def approver_addresses(s: AddonSettings) -> str:
    """The planned addresses as the approver reads them (csr_approver.read_rules): JSON, one entry a line, sorted."""
    def block(entries: list[str]) -> str:
        return "{\n" + ",\n".join(f"  {e}" for e in sorted(entries)) + "\n }"

    masters = block([f"{json.dumps(name)}: {json.dumps(ip)}" for name, ip in s.masters])
    pools = block([f"{json.dumps(prefix)}: [{json.dumps(first)}, {size}]" for prefix, first, size in s.pool_blocks])
    return f'{{\n "masters": {masters},\n "pools": {pools}\n}}\n'


def _ca_meta(name: str, namespaced: bool = True) -> dict[str, Any]:
    return {"name": name, **({"namespace": NAMESPACE} if namespaced else {}),
            "labels": {"app.kubernetes.io/name": CSR_APPROVER, "app.kubernetes.io/part-of": "kubecvm"}}


def csr_approver_objects(s: AddonSettings) -> list[dict[str, Any]]:
    """RBAC (read CSRs, approve only for the kubelet-serving signer), the script and the planned nodes, its Deployment."""
    if not s.masters:
        raise ValueError("masters: the serving-certificate approver needs the planned addresses (masters, "
                         "pool_blocks); build the add-on settings with settings_from_plan(plan)")
    rules = [
        _rule(["certificates.k8s.io"], ["certificatesigningrequests"], ["get", "list", "watch"]),
        _rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
        # The API server also checks `approve` on the signer (certificates.k8s.io "signers" authorization).
        {**_rule(["certificates.k8s.io"], ["signers"], ["approve"]), "resourceNames": ["kubernetes.io/kubelet-serving"]},
    ]
    labels = {"app": CSR_APPROVER}
    container = {
        "name": "approver", "image": image("csr-approver", s), "imagePullPolicy": "IfNotPresent",
        "command": ["python3", f"{CSR_APPROVER_DIR}/csr_approver.py"],
        "env": [{"name": "ADDRESSES_FILE", "value": f"{CSR_APPROVER_DIR}/{CSR_APPROVER_ADDRESSES}"}],
        "volumeMounts": [{"name": "script", "mountPath": CSR_APPROVER_DIR, "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": 65534, "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _ca_meta(CSR_APPROVER),
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": CSR_APPROVER, "priorityClassName": "system-cluster-critical",
                "nodeSelector": {CONTROL_PLANE_LABEL: ""},
                "tolerations": [{"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
                "containers": [container],
                "volumes": [{"name": "script", "configMap": {"name": CSR_APPROVER}}],
            }}},
    }
    return [
        *_rbac_for(CSR_APPROVER, CSR_APPROVER, rules, _ca_meta),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _ca_meta(CSR_APPROVER),
         "data": {"csr_approver.py": CSR_APPROVER_SOURCE.read_text(), CSR_APPROVER_ADDRESSES: approver_addresses(s)}},
        deployment,
    ]


def _rbac_for(sa: str, role: str, rules: list[dict[str, Any]], meta: Any) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(sa)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(role, False),
         "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta(role, False),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}]},
    ]
