"""Where a node gets what it boots with, by region: the ONE place for registries, mirrors and API endpoints. Pure.

    m = mirrors.for_region("ap-guangzhou")          # or mirrors.from_spec(spec): the spec's overrides applied
    m.control_plane            # kubeadm imageRepository
    m.sandbox_image("1.30")    # containerd's pause image
    m.addon_image("tkeimages/csi-tencentcloud-cbs", "v2.3.0")   # Tencent-hosted add-on images
    m.k8s_image("ingress-nginx/controller", "v1.11.3")         # a registry.k8s.io image, mirrored where needed
    m.docker_hub               # containerd's docker.io mirror (certs.d/docker.io/hosts.toml), or None
    m.packages                 # apt (Kubernetes repository) and PyPI base URL
    m.api_host("ssm")          # Tencent Cloud API endpoint for tccli
    m.egress_hosts             # what a booting node must reach OUTSIDE the VPC (empty: boots without NAT)

Facts (every host name is from Tencent's documentation or Tencent's own manifests):
- mirrors.tencentyun.com: the in-VPC ("private network access") address of Tencent's software mirror; the public
  one is mirrors.tencent.com, with the same paths (/pypi/simple, the Ubuntu archive, ...). Source:
  tencentyun/intlcloud-documents yehe_doc/计算/云服务器/运维指南/软件安装/腾讯云软件源加速软件包下载和更新_intl_en.md
  ("Private network access address: http://mirrors.tencentyun.com/"). Tencent's public Ubuntu images already use it
  for the Ubuntu archive, which is where containerd, conntrack and socat come from. Plain http: that is the only
  scheme the doc gives for it; the boot script accepts only the pinned Kubernetes repository key (planning/bootstrap.py
  KUBERNETES_APT_KEY_FINGERPRINT), against which apt checks the repository's signature, and pip is pinned to tccli's
  version (see docs/concepts/boot.md, "What is pinned").
- mirror.ccs.tencentyun.com: Tencent's Docker Hub mirror for CVMs. Source: tencentyun/qcloud-documents
  product/计算与网络/容器服务/镜像仓库/使用DockerHub加速器.md ("Docker 软件源地址：https://mirror.ccs.tencentyun.com",
  configured as --registry-mirror on CVM hosts). containerd falls back to registry-1.docker.io when it fails.
- ccr.ccs.tencentyun.com: Tencent's registry, where the CBS CSI images live (tkeimages/...). Source:
  TencentCloud/kubernetes-csi-tencentcloud deploy/cbs/kubernetes/csi-controller-new.yaml and csi-node-new.yaml.
  TKE's own nodes, which have no public address by default, pull those images: the registry is reached from
  inside Tencent's network.
- <service>.internal.tencentcloudapi.com: Tencent Cloud API inside the VPC (no NAT). Exactly what is verified:
  - the pattern, for every service: tccli 3.1.189.1 (TCCLI_VERSION, the one nodes install) tccli/configure.py
    `tccli configure set-root-domain internal.tencentcloudapi.com` sets each service's endpoint to
    "<service>.internal.tencentcloudapi.com" (autoscaling alone becomes "as.<root>"); Tencent's SDK builds
    "<service>.<rootDomain>" the same way (tencentcloud-sdk-python-common abstract_client.py, HttpProfile.rootDomain,
    default tencentcloudapi.com);
  - per host: cbs/cvm/tag.internal in TencentCloud/kubernetes-csi-tencentcloud@23430d4bdd0cf3434ddbf36155fab7264d764662
    deploy/cbs/kubernetes/csi-controller-new.yaml (hostAliases pinning the three to 169.254.0.95); cls.internal in
    CLS's endpoint table ("Private Network Domain Name", one host for every region); sts.internal in COS's STS
    samples ("if you use Tencent Cloud CVM, you can set the internal domain"); clb.internal (with cvm and
    tke.internal) in TKE's page "Ingress 错误码" (tencentyun/qcloud-documents, E6006 "Post
    https://clb.internal.tencentcloudapi.com/: dial tcp: i/o timeout", fixed with hostAliases pinning the three to
    169.254.0.95), which the load-balancer controller's pod pins the same way (addons/lb_controller.py).
  - vpc.internal (the load-balancer controller's security groups): only by the pattern above, resolved by DNS.
  - ssm.internal (a BOOT_SERVICE): only by the pattern above; no SSM page or Tencent manifest found names it. Should it
    not answer, the boot script's tc() retries ssm.tencentcloudapi.com, which needs egress (templates/lib.sh).
  tccli takes the host with --endpoint (tccli/options_define.py Endpoint, passed to HttpProfile(endpoint=...) in
  every tccli/services/<service>/<service>_client.py).
- Control-plane images in mainland China: registry.k8s.io is not reachable there (kubernetes/registry.k8s.io issue
  137) and Tencent publishes no mirror of kubeadm's images. What kubeadm users in mainland China rely on is
  Aliyun's registry.aliyuncs.com/google_containers: it carries kubeadm's images (kube-apiserver, etcd, pause,
  coredns, ...) with kubeadm's own tags in the flat layout kubeadm expects of a custom imageRepository
  (`<repo>/coredns:<tag>`, cmd/kubeadm/app/images/images.go GetDNSImage). It is on the public internet: a mainland
  cluster without NAT must point kubernetes.imageRepository at its own copy in Tencent's registry
  (ccr.ccs.tencentyun.com/<namespace>, filled with `kubeadm config images list`), which the plan then counts as
  inside the VPC. Outside the mainland, registry.k8s.io (reached through the NAT).
- Regions: Tencent Cloud API "Service Address" tables (e.g. the CVM API's region list) name the mainland regions
  ap-guangzhou, ap-shanghai, ap-beijing, ap-chengdu, ap-chongqing, ap-nanjing (and the finance zones *-fsi), and
  ap-hongkong, ap-singapore, ap-bangkok, ap-jakarta, ap-mumbai, ap-seoul, ap-tokyo, na-ashburn, na-siliconvalley,
  na-toronto, eu-frankfurt, eu-moscow, sa-saopaulo outside it. A region not listed gets the mainland defaults,
  which work anywhere a node has egress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

OUTSIDE_MAINLAND = frozenset(
    {
        "ap-hongkong",
        "ap-singapore",
        "ap-bangkok",
        "ap-jakarta",
        "ap-mumbai",
        "ap-seoul",
        "ap-tokyo",
        "na-ashburn",
        "na-siliconvalley",
        "na-toronto",
        "eu-frankfurt",
        "eu-moscow",
        "sa-saopaulo",
    }
)
MAINLAND = frozenset(
    {
        "ap-guangzhou",
        "ap-shanghai",
        "ap-beijing",
        "ap-chengdu",
        "ap-chongqing",
        "ap-nanjing",
        "ap-shanghai-fsi",
        "ap-shenzhen-fsi",
        "ap-beijing-fsi",
    }
)

PACKAGES_IN_VPC = "http://mirrors.tencentyun.com"
DOCKER_HUB_MIRROR = "https://mirror.ccs.tencentyun.com"
DOCKER_HUB_UPSTREAM = "https://registry-1.docker.io"
TENCENT_REGISTRY = "ccr.ccs.tencentyun.com"
UPSTREAM_K8S = "registry.k8s.io"
MAINLAND_K8S = "registry.aliyuncs.com/google_containers"
API_DOMAINS = {"internal": "internal.tencentcloudapi.com", "public": "tencentcloudapi.com"}
METADATA_HOST = "metadata.tencentyun.com"  # the CVM metadata service (169.254.0.23)
# Kubernetes release -> the pause image kubeadm of that release defaults to (cmd/kubeadm/app/constants PauseVersion).
PAUSE_VERSION = {"1.28": "3.9", "1.29": "3.9", "1.30": "3.9", "1.31": "3.10", "1.32": "3.10"}
# Hosts a CVM reaches without leaving Tencent's network (the facts above). Anything else needs the NAT.
IN_VPC_HOSTS = frozenset({"mirrors.tencentyun.com", "mirror.ccs.tencentyun.com", TENCENT_REGISTRY, METADATA_HOST})
IN_VPC_SUFFIXES = (".internal.tencentcloudapi.com",)
# What the boot script calls: SSM for its secrets, CBS to find its disks.
BOOT_SERVICES = ("ssm", "cbs")


def is_mainland(region: str) -> bool:
    return region not in OUTSIDE_MAINLAND


def host_of(location: str) -> str:
    """`https://mirrors.tencent.com/x` -> mirrors.tencent.com; `ccr.ccs.tencentyun.com/ns` -> ccr.ccs.tencentyun.com."""
    return (urlsplit(location).hostname if "://" in location else location.split("/", 1)[0].split(":", 1)[0]) or ""


def in_vpc(host: str) -> bool:
    return host in IN_VPC_HOSTS or host.endswith(IN_VPC_SUFFIXES)


@dataclass(frozen=True)
class Mirrors:
    region: str
    control_plane: str  # kubeadm imageRepository (host[/path])
    packages: str  # scheme://host[/path]: /kubernetes_new/core:/stable:/v<minor>/deb and /pypi/simple
    docker_hub: str | None  # https URL containerd tries first for docker.io images; None: docker.io itself
    addon_registry: str  # host[/path] prefix of the Tencent-hosted add-on images
    cloud_api: str  # "internal" | "public"

    @property
    def mainland(self) -> bool:
        return is_mainland(self.region)

    def sandbox_image(self, minor: str) -> str:
        """containerd's pause image: kubeadm's version for that Kubernetes minor, from the control-plane registry."""
        return f"{self.control_plane}/pause:{PAUSE_VERSION[minor]}"

    def addon_image(self, path: str, tag: str) -> str:
        """An image Tencent hosts on its registry, e.g. ("tkeimages/csi-provisioner", "v2.0.4")."""
        return f"{self.addon_registry}/{path}:{tag}"

    def k8s_image(self, path: str, tag: str) -> str:
        """A registry.k8s.io image (path as upstream names it, e.g. "ingress-nginx/controller"). Through a mirror,
        the flat layout kubeadm uses for custom repositories: `<repo>/<last path segment>:<tag>`."""
        if self.control_plane == UPSTREAM_K8S:
            return f"{UPSTREAM_K8S}/{path}:{tag}"
        return f"{self.control_plane}/{path.rsplit('/', 1)[-1]}:{tag}"

    @property
    def api_domain(self) -> str:
        """`internal.tencentcloudapi.com`: the boot script calls `<service>.<api_domain>` (tccli --endpoint)."""
        return API_DOMAINS[self.cloud_api]

    def api_host(self, service: str) -> str:
        return f"{service}.{self.api_domain}"

    @property
    def boot_hosts(self) -> tuple[str, ...]:
        """Every host a node contacts while it boots (docs/concepts/boot.md, "What a node reaches while booting")."""
        hosts = [
            host_of(self.packages),
            host_of(self.control_plane),
            *(self.api_host(s) for s in BOOT_SERVICES),
            METADATA_HOST,
        ]
        return tuple(dict.fromkeys(hosts))

    @property
    def egress_hosts(self) -> tuple[str, ...]:
        """The boot hosts outside the VPC: a node without NAT cannot boot unless this is empty."""
        return tuple(h for h in self.boot_hosts if not in_vpc(h))


def for_region(
    region: str,
    *,
    control_plane: str | None = None,
    packages: str | None = None,
    docker_hub: str | None = None,
    addon_registry: str | None = None,
    cloud_api: str = "internal",
) -> Mirrors:
    """The defaults for `region`, each replaced by an explicit value. docker_hub="" turns the mirror off."""
    default_cp = MAINLAND_K8S if is_mainland(region) else UPSTREAM_K8S
    return Mirrors(
        region=region,
        control_plane=control_plane or default_cp,
        packages=packages or PACKAGES_IN_VPC,
        # The Tencent mirror is in the VPC in every region; containerd falls back to Docker Hub itself.
        docker_hub=DOCKER_HUB_MIRROR if docker_hub is None else (docker_hub or None),
        addon_registry=addon_registry or TENCENT_REGISTRY,
        cloud_api=cloud_api,
    )


def from_spec(spec: Any) -> Mirrors:
    """The spec's region with its overrides (kubernetes.imageRepository, .packageMirror, .dockerHubMirror,
    .cloudApi, addons.imageRegistry)."""
    k, a = spec.kubernetes, spec.addons
    return for_region(
        spec.region,
        control_plane=k.image_repository,
        packages=k.package_mirror,
        docker_hub=k.docker_hub_mirror,
        addon_registry=getattr(a, "image_registry", None),
        cloud_api=k.cloud_api.value,
    )


def hosts_toml(m: Mirrors) -> str | None:
    """containerd's certs.d/docker.io/hosts.toml: the mirror first, Docker Hub after it
    (containerd docs/hosts.md: `server` is the upstream, each [host."..."] is tried in order before it)."""
    if not m.docker_hub:
        return None
    return f'server = "{DOCKER_HUB_UPSTREAM}"\n\n[host."{m.docker_hub}"]\n  capabilities = ["pull", "resolve"]\n'
