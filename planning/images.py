"""Every container image the add-ons and the ingress controller run: the ONE table of names, tags and digests. Pure.

Each row: kubecvm's name for the image, where it lives, its tag, the digest of the manifest that tag named when it
was pinned (for a multi-arch image, the index), and where that digest is stated. A reference with a digest is
written `repo:tag@sha256:...`: the runtime pulls by the digest, so a moved or overwritten tag cannot change what runs
(the tag stays for the reader). tests/bootstrap/test_images.py holds every digest to the tag it was read for, so a
tag bumped without its digest fails there.

Where a digest is used, and why only there:
- registry.k8s.io images (`k8s`) reached directly (outside mainland China): the digests published with the images
  by Kubernetes' image promoter, registry.k8s.io/images/k8s-staging-<project>/images.yaml in kubernetes/k8s.io.
- the same images through a mirror (mainland China: Aliyun's registry.aliyuncs.com/google_containers, or the
  cluster's own kubernetes.imageRepository; planning/mirrors.py) stay on their tag. A digest names bytes, and a
  mirror keeps upstream's digest only if it copies the manifest byte for byte; Aliyun's does not: it rewrites
  (compacts) the manifests it synchronises, so their digests differ from upstream's and a pull by upstream's digest
  finds nothing (kubernetes/minikube, "The image digest in the Aliyun registry is different from the source";
  AliyunContainerService/minikube, "minikube addon registry 中image digest错误导致无法拉取镜像": `manifest unknown`).
  Aliyun publishes no digests of its copies, and none is stated in any source kubecvm could read.
- Tencent-hosted images (`tencent`, under the add-on registry, ccr.ccs.tencentyun.com by default): Tencent's
  manifests name them by tag only (TencentCloud/kubernetes-csi-tencentcloud deploy/cbs/kubernetes/*.yaml), and no
  source kubecvm could read states a digest of ccr.ccs.tencentyun.com's copies. The CSI sidecars are Tencent's
  copies of sig-storage images; upstream's digests cannot be assumed for copies whose copying is not documented
  (the Aliyun case above). These rows say so and stay on their tag until a digest read from the registry itself is
  recorded here with its source.
- Docker Hub images (`docker`: Prometheus and node-exporter, monitoring.prometheus): docker.io, reached through
  containerd's docker.io mirror where one is set (planning/mirrors.py). No source kubecvm can read offline states
  their digests, and a tag on Docker Hub can be moved by its publisher: the stack gives the digests it read from the
  registry (monitoring.prometheus.digests, required with a mode), and the reference pins them (docker_reference).
- kube-state-metrics publishes on registry.k8s.io only (kubernetes/kube-state-metrics README, "Container Image"),
  which a mainland VPC does not reach and whose mainland mirrors kubecvm cannot vouch for: there the stack names a
  registry holding its copy (monitoring.prometheus.imageRepository), referenced by tag as every copy is
  (kube_state_metrics_reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mirrors import UPSTREAM_K8S, Mirrors

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_K8S_IO = "kubernetes/k8s.io@{commit} registry.k8s.io/images/k8s-staging-{project}/images.yaml"
_NO_TENCENT_DIGEST = "none published: Tencent's manifests and docs name it by tag only"
_STACK_DIGEST = "the stack's monitoring.prometheus.digests: no source readable offline states it"
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class Image:
    name: str  # kubecvm's name (addons.image(), ingress_nginx)
    registry: str  # "k8s": path under registry.k8s.io | "tencent": path under the add-on registry
    path: str
    tag: str
    digest: str | None  # sha256:<64 hex> of the manifest `tag` names (the index for multi-arch), None: see source
    source: str  # where the digest is stated, or why there is none
    mirror_name: str | None = None  # the name under a flat mirror of registry.k8s.io; None: the path's last segment

    def __post_init__(self) -> None:
        assert self.registry in ("k8s", "tencent", "docker"), self
        assert self.digest is None or DIGEST.fullmatch(self.digest), self


TABLE: tuple[Image, ...] = (
    Image(
        "ingress-nginx-controller",
        "k8s",
        "ingress-nginx/controller",
        "v1.12.1",
        "sha256:d2fbc4ec70d8aa2050dd91a91506e998765e86c96f32cffb56c503c9c34eed5b",
        _K8S_IO.format(commit="1c6e75041c704fb18e6ff626593fe15946d854c5", project="ingress-nginx")
        + " (controller); the same digest in kubernetes/ingress-nginx controller-v1.12.1 deploy/static/provider/*/deploy.yaml",
        mirror_name="nginx-ingress-controller",
    ),  # the name Aliyun's google_containers gives it
    Image(
        "metrics-server",
        "k8s",
        "metrics-server/metrics-server",
        "v0.7.2",
        "sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9",
        _K8S_IO.format(commit="bc1017d811972e111a18438057aedac90a843198", project="metrics-server"),
    ),
    # The CBS CSI driver: why v2.3.0, planning/addons/cbs_csi_facts.py CBS_CSI_VERSION.
    Image("cbs-csi", "tencent", "tkeimages/csi-tencentcloud-cbs", "v2.3.0", None, _NO_TENCENT_DIGEST),
    Image(
        "csi-provisioner",
        "tencent",
        "tkeimages/csi-provisioner",
        "v2.0.4",
        None,
        _NO_TENCENT_DIGEST + " (a copy of sig-storage's; upstream's digest is not assumed for it)",
    ),
    Image(
        "csi-attacher",
        "tencent",
        "tkeimages/csi-attacher",
        "v3.0.2",
        None,
        _NO_TENCENT_DIGEST + " (a copy of sig-storage's; upstream's digest is not assumed for it)",
    ),
    Image(
        "csi-resizer",
        "tencent",
        "tkeimages/csi-resizer",
        "v1.0.1",
        None,
        _NO_TENCENT_DIGEST + " (a copy of sig-storage's; upstream's digest is not assumed for it)",
    ),
    Image(
        "csi-node-driver-registrar",
        "tencent",
        "tkeimages/csi-node-driver-registrar",
        "v2.0.1",
        None,
        _NO_TENCENT_DIGEST + " (a copy of sig-storage's; upstream's digest is not assumed for it)",
    ),
    # Tencent's copy of Docker's official python image; 3.12-slim is a tag Docker rebuilds on every base update.
    Image("cam-credentials", "tencent", "library/python", "3.12-slim", None, _NO_TENCENT_DIGEST),
    Image("csr-approver", "tencent", "library/python", "3.12-slim", None, _NO_TENCENT_DIGEST),
    # monitoring.prometheus (planning/addons/prometheus.py, node_exporter.py, kube_state_metrics.py). v2.15.0: its
    # client-go is Kubernetes 1.32's, the newest minor kubecvm runs (kube-state-metrics README compatibility matrix).
    Image(
        "kube-state-metrics",
        "k8s",
        "kube-state-metrics/kube-state-metrics",
        "v2.15.0",
        "sha256:db384bf43222b066c378e77027a675d4cd9911107adba46c2922b3a55e10d6fb",
        _K8S_IO.format(commit="d7bd31108ded441313a66c085b7db945dbea4c4d", project="kube-state-metrics"),
    ),
    Image("prometheus", "docker", "prom/prometheus", "v3.1.0", None, _STACK_DIGEST),  # --agent is a flag since 3.0
    Image("node-exporter", "docker", "prom/node-exporter", "v1.8.2", None, _STACK_DIGEST),
    # The load-balancer controller: the same python, its libraries installed from a hash-locked list at start.
    Image("lb-controller", "tencent", "library/python", "3.12-slim", None, _NO_TENCENT_DIGEST),
)
BY_NAME: dict[str, Image] = {i.name: i for i in TABLE}
assert len(BY_NAME) == len(TABLE)


def reference(name: str, m: Mirrors) -> str:
    """The image reference a container runs for `name` with the region's registries (planning/mirrors.py)."""
    i = BY_NAME[name]
    pin = f"@{i.digest}" if i.digest else ""
    if i.registry == "tencent":
        return f"{m.addon_registry}/{i.path}:{i.tag}{pin}"
    if m.control_plane == UPSTREAM_K8S:
        return f"{UPSTREAM_K8S}/{i.path}:{i.tag}{pin}"
    # A mirror's copy has its own digest (module docstring): the tag only.
    return f"{m.control_plane}/{i.mirror_name or i.path.rsplit('/', 1)[-1]}:{i.tag}"


def docker_reference(name: str, digest: str) -> str:
    """A Docker Hub image pinned by the digest the stack gave (monitoring.prometheus.digests)."""
    i = BY_NAME[name]
    assert i.registry == "docker" and DIGEST.fullmatch(digest), (name, digest)
    return f"{DOCKER_HUB}/{i.path}:{i.tag}@{digest}"


def kube_state_metrics_reference(repository: str | None) -> str:
    """registry.k8s.io's kube-state-metrics by digest, or the copy under `repository` by its tag."""
    i = BY_NAME["kube-state-metrics"]
    if repository is None:
        return f"{UPSTREAM_K8S}/{i.path}:{i.tag}@{i.digest}"
    return f"{repository}/{i.path.rsplit('/', 1)[-1]}:{i.tag}"
