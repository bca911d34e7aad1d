"""The Kubernetes release, where the nodes fetch it from, and the rules for a registry prefix (which the add-ons'
and Prometheus's image settings share)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, Field

from .. import images, kubernetes_releases, mirrors, validation
from .base import LAX, Model, about, shown


# Kubernetes minors whose kubeadm still reads the v1beta3 config kubecvm renders (planning/kubeadm.py).
KUBERNETES_VERSION = r"^1\.(2[89]|3[0-2])\.(0|[1-9][0-9]*)$"


def _patch_release(version: str) -> str:
    # Only releases that exist: the table and its sources are in planning/kubernetes_releases.py.
    if problem := kubernetes_releases.version_problem(version):
        raise ValueError(problem)
    return version


class CloudApi(str, Enum):
    internal = "internal"  # <service>.internal.tencentcloudapi.com: inside the VPC, no NAT (planning/mirrors.py)
    public = "public"


def _https_mirror(url: str) -> str:
    if not url.startswith("https://") and mirrors.host_of(url) != mirrors.host_of(mirrors.PACKAGES_IN_VPC):
        raise ValueError(
            f"{url!r}: use https:// (the apt signing key and tccli are fetched from it); plain http is "
            f"accepted only for Tencent's in-VPC mirror {mirrors.PACKAGES_IN_VPC}"
        )
    return url


# What is appended to a registry prefix to name an image: kubeadm's images under imageRepository (kubeadm
# cmd/kubeadm/app/images: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, pause, and
# coredns/coredns) and the registry.k8s.io add-ons mirrored there; the Tencent-hosted add-ons under imageRegistry.
_KUBEADM_IMAGES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "etcd",
    "pause",
    "coredns/coredns",
)
# (kube-state-metrics is not served from kubernetes.imageRepository: monitoring.prometheus.imageRepository.)
_REPOSITORY_SUFFIX = max(
    map(
        len,
        (
            *_KUBEADM_IMAGES,
            *(
                n
                for i in images.TABLE
                if i.registry == "k8s" and i.name != "kube-state-metrics"
                for n in (i.path, i.mirror_name or "")
            ),
        ),
    )
)
_REGISTRY_SUFFIX = max(len(i.path) for i in images.TABLE if i.registry == "tencent")


def _image_prefix(longest_suffix: int):
    def check(value: str) -> str:
        if problem := validation.image_prefix_problem(value, longest_suffix):
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _url_host(url: str) -> str:
    if problem := validation.url_host_problem(url):
        raise ValueError(problem)
    return url


class Kubernetes(Model):
    model_config = about("The Kubernetes release and where the nodes fetch it from.")

    version: Annotated[str, Field(pattern=KUBERNETES_VERSION), AfterValidator(_patch_release)] = Field(
        kubernetes_releases.DEFAULT_VERSION,
        description=(
            "kubeadm/kubelet/kubectl version x.y.z: a released patch of 1.28..1.32, as the upstream changelogs list "
            "them; upgrade one minor at a time."
        ),
    )
    # Serves /kubernetes_new/core:/stable:/v<minor>/deb/ (a pkgs.k8s.io mirror) and /pypi/simple/ (for tccli).
    # None: the region's default from planning/mirrors.py (Tencent's in-VPC mirror).
    # https only: the apt signing key and tccli come from it, so whoever can answer for it is root on every node.
    # The one exception is Tencent's in-VPC mirror (planning/mirrors.py PACKAGES_IN_VPC), served over http and
    # reached without leaving Tencent's network.
    package_mirror: (
        Annotated[
            str,
            Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*[^/\s'\"])?$"),
            AfterValidator(_url_host),
            AfterValidator(_https_mirror),
        ]
        | None
    ) = Field(
        None,
        description=(
            "Serves the Kubernetes apt repository and PyPI (for tccli): https:// only, except Tencent's in-VPC mirror; a "
            "DNS host name or IPv4 address, port 1..65535."
        ),
        json_schema_extra=shown(f"{mirrors.PACKAGES_IN_VPC} (in the VPC)"),
    )
    # kubeadm's imageRepository; None: the region's default (planning/mirrors.py).
    image_repository: Annotated[str, _image_prefix(_REPOSITORY_SUFFIX)] | None = Field(
        None,
        description=(
            "Where kubeadm pulls the control-plane images and the pause image: `host[:port][/path]` under the "
            "distribution reference grammar, the host a registry's (with a `.`, a port or `localhost`), port 1..65535, "
            "every image name under it at most 255 characters."
        ),
        json_schema_extra=shown(
            f"by region: {mirrors.MAINLAND_K8S} in mainland China, {mirrors.UPSTREAM_K8S} elsewhere"
        ),
    )
    # containerd's docker.io mirror; None: the region's default, "": none (pull from Docker Hub itself).
    docker_hub_mirror: (
        Annotated[
            str, Field(pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?)?$"), AfterValidator(lambda u: u and _url_host(u))
        ]
        | None
    ) = Field(
        None,
        description=(
            'containerd\'s docker.io mirror, tried before Docker Hub itself; "" for none; host and port as for '
            "packageMirror."
        ),
        json_schema_extra=shown(mirrors.DOCKER_HUB_MIRROR),
    )
    cloud_api: Annotated[CloudApi, LAX] = Field(
        CloudApi.internal,
        description=(
            "The Tencent Cloud API endpoints the nodes call: internal, <service>.internal.tencentcloudapi.com (no NAT "
            "needed); public, <service>.tencentcloudapi.com."
        ),
    )
