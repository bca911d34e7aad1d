"""The CBS CSI driver's facts and kubecvm's settings for it: the pinned version and what its node plugin needs, the
driver's names and ports, Tencent's in-VPC endpoints, the StorageClass parameters it accepts and the CAM actions it
calls. Pure.

Apart from planning/addons/cbs_csi.py (the add-on's Kubernetes objects) so that what a version bump must check reads
in one place; other add-ons and the settings read these names here, and cbs_csi.py re-exports every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import cam, images as image_table

# ---------------------------------------------------------------------------------------------------------------
# Versions and images: tags and digests live in ONE table, planning/images.py (why each image is pinned by digest
# or only by tag, with sources); this block names what the add-ons run from it.
#
# The CBS CSI driver is pinned to v2.3.0, the node image of upstream's deploy/cbs/kubernetes/csi-node-new.yaml at
# TencentCloud/kubernetes-csi-tencentcloud@23430d4bdd0cf3434ddbf36155fab7264d764662. Why this one: the driver
# finds its credentials through TKE's "NORM" service (driver/cloud/credential.go@8e951c627b04c65dfdd338628473ceb28d6d4666:
# QCLOUD_NORM_URL, default http://169.254.0.40:80/norm/api, NORM.AssumeTkeCredential), which the sidecar
# (planning/addons/cbs_csi.py) answers from the CVM's CAM role. What the node plugin needs to start, in the v2 source (cmd/cbs/main.go@
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


def node_requirements(version: str = CBS_CSI_VERSION) -> NodeRequirements:
    """What the pinned driver version's node plugin needs; a version without a row is refused, not guessed."""
    try:
        return NODE_REQUIREMENTS[version]
    except KeyError:
        raise ValueError(
            f"CBS CSI {version}: no NODE_REQUIREMENTS row; read its node plugin upstream "
            "(driver/cbs/node.go, cmd/cbs/main.go) and add the flags and environment it needs"
        ) from None
