"""The region-aware registries and mirrors (planning/mirrors.py): defaults by region, overrides, what needs NAT."""

from __future__ import annotations

import pytest

from kubecvm.planning import build_plan, mirrors
from kubecvm.stacks.config import ConfigError
from tests.bootstrap._boot import files, kubeadm_docs, preset_plan, user_data
from tests.conftest import make_spec
from tests.loopback_tls import metrics_tls


@pytest.mark.parametrize(
    "region,control_plane",
    [
        ("ap-guangzhou", "registry.aliyuncs.com/google_containers"),
        ("ap-shanghai", "registry.aliyuncs.com/google_containers"),
        ("ap-beijing", "registry.aliyuncs.com/google_containers"),
        ("ap-shenzhen-fsi", "registry.aliyuncs.com/google_containers"),
        ("ap-hongkong", "registry.k8s.io"),
        ("ap-singapore", "registry.k8s.io"),
        ("eu-frankfurt", "registry.k8s.io"),
        ("na-siliconvalley", "registry.k8s.io"),
        ("ap-newplace", "registry.aliyuncs.com/google_containers"),  # unknown: the defaults that work from anywhere
    ],
)
def test_control_plane_registry_by_region(region: str, control_plane: str):
    m = mirrors.for_region(region)
    assert m.control_plane == control_plane
    assert m.sandbox_image("1.30") == f"{control_plane}/pause:3.9"
    assert m.sandbox_image("1.31") == f"{control_plane}/pause:3.10"
    # The rest is in the VPC in every region.
    assert (m.packages, m.docker_hub, m.addon_registry) == (
        "http://mirrors.tencentyun.com",
        "https://mirror.ccs.tencentyun.com",
        "ccr.ccs.tencentyun.com",
    )
    assert m.api_host("ssm") == "ssm.internal.tencentcloudapi.com"


def test_images_through_the_api():
    cn, hk = mirrors.for_region("ap-guangzhou"), mirrors.for_region("ap-hongkong")
    assert (
        cn.addon_image("tkeimages/csi-provisioner", "v2.0.4")
        == "ccr.ccs.tencentyun.com/tkeimages/csi-provisioner:v2.0.4"
    )
    assert hk.k8s_image("ingress-nginx/controller", "v1.11.3") == "registry.k8s.io/ingress-nginx/controller:v1.11.3"
    assert (
        cn.k8s_image("ingress-nginx/controller", "v1.11.3")
        == "registry.aliyuncs.com/google_containers/controller:v1.11.3"
    )


def test_egress_hosts_are_what_lies_outside_the_vpc():
    # Mainland default: only the control-plane images come from outside Tencent's network.
    assert mirrors.for_region("ap-guangzhou").egress_hosts == ("registry.aliyuncs.com",)
    assert mirrors.for_region("ap-singapore").egress_hosts == ("registry.k8s.io",)
    # A copy of kubeadm's images in Tencent's registry: nothing leaves the VPC.
    own = mirrors.for_region("ap-guangzhou", control_plane="ccr.ccs.tencentyun.com/myteam")
    assert own.egress_hosts == ()
    assert own.boot_hosts == (
        "mirrors.tencentyun.com",
        "ccr.ccs.tencentyun.com",
        "ssm.internal.tencentcloudapi.com",
        "cbs.internal.tencentcloudapi.com",
        "metadata.tencentyun.com",
    )
    public = mirrors.for_region(
        "ap-guangzhou",
        control_plane="ccr.ccs.tencentyun.com/myteam",
        cloud_api="public",
        packages="https://mirrors.tencent.com",
    )
    assert public.egress_hosts == ("mirrors.tencent.com", "ssm.tencentcloudapi.com", "cbs.tencentcloudapi.com")


def test_spec_overrides_reach_the_mirrors():
    spec = make_spec(
        "dev",
        {
            "zones": ["ap-guangzhou-3"],
            "kubernetes": {
                "imageRepository": "ccr.ccs.tencentyun.com/k8s",
                "packageMirror": "https://mirrors.tencent.com",
                "dockerHubMirror": "",
                "cloudApi": "public",
            },
            "addons": {"imageRegistry": "hkccr.ccs.tencentyun.com"},
        },
    )
    m = mirrors.from_spec(spec)
    assert (m.control_plane, m.packages, m.docker_hub, m.cloud_api, m.addon_registry) == (
        "ccr.ccs.tencentyun.com/k8s",
        "https://mirrors.tencent.com",
        None,
        "public",
        "hkccr.ccs.tencentyun.com",
    )
    assert mirrors.hosts_toml(m) is None


@pytest.mark.parametrize(
    "kubernetes,field",
    [
        ({"dockerHubMirror": "http://mirror.ccs.tencentyun.com"}, "kubernetes.dockerHubMirror"),
        ({"dockerHubMirror": "https://mirror.ccs.tencentyun.com/"}, "kubernetes.dockerHubMirror"),
        ({"cloudApi": "vpc"}, "kubernetes.cloudApi"),
    ],
)
def test_bad_mirror_settings_name_the_field(kubernetes: dict, field: str):
    with pytest.raises(ConfigError, match=rf": {field}: "):
        make_spec("prod", {"kubernetes": kubernetes})


def test_prod_in_guangzhou_renders_the_mainland_mirrors():
    # Before: imageRepository registry.k8s.io (unreachable from mainland China) and no docker.io mirror.
    plan = preset_plan("prod")
    text = user_data(plan, plan.masters[0])
    cluster = kubeadm_docs(text, "kubeadm-init.yaml")["ClusterConfiguration"]
    assert cluster["imageRepository"] == "registry.aliyuncs.com/google_containers"
    hosts = files(text)["/etc/containerd/certs.d/docker.io/hosts.toml"]["content"]
    assert hosts == (
        'server = "https://registry-1.docker.io"\n\n'
        '[host."https://mirror.ccs.tencentyun.com"]\n  capabilities = ["pull", "resolve"]\n'
    )
    tomllib = pytest.importorskip("tomllib")
    assert tomllib.loads(hosts)["host"]["https://mirror.ccs.tencentyun.com"]["capabilities"] == ["pull", "resolve"]


def test_hong_kong_keeps_registry_k8s_io():
    from kubecvm.stacks.config import spec_from_config

    spec = spec_from_config(
        preset="prod",
        overrides={"name": "hk", "zones": ["ap-hongkong-2", "ap-hongkong-3"]},
        region="ap-hongkong",
        stack="test",
    )
    plan = build_plan(spec)
    cluster = kubeadm_docs(user_data(plan, plan.masters[0]), "kubeadm-init.yaml")["ClusterConfiguration"]
    assert cluster["imageRepository"] == "registry.k8s.io"


def test_addon_images_follow_addons_image_registry():
    from kubecvm.planning import addons

    default = addons.images(
        addons.objects(addons.settings_from_plan(build_plan(make_spec("prod"))), metrics_tls=metrics_tls())
    )
    tencent = [i for i in default if i.startswith("ccr.ccs.tencentyun.com/")]
    assert len(tencent) >= 5  # the CSI driver, its sidecars, the credential sidecar
    own = addons.images(
        addons.objects(
            addons.settings_from_plan(
                build_plan(make_spec("prod", {"addons": {"imageRegistry": "ccr.ccs.tencentyun.com/myteam"}}))
            ),
            metrics_tls=metrics_tls(),
        )
    )
    # Tencent-hosted images move to the copy; registry.k8s.io images (metrics-server) follow imageRepository.
    assert own == [
        i.replace("ccr.ccs.tencentyun.com/", "ccr.ccs.tencentyun.com/myteam/", 1) if i in tencent else i
        for i in default
    ]


def test_what_reads_the_metadata_service_runs_on_the_host_network():
    # The metadata fence drops pod-CIDR traffic to 169.254.0.23: the CSI credential sidecars must not be pod-network.
    from kubecvm.planning import addons

    for obj in addons.objects(addons.settings_from_plan(build_plan(make_spec("prod"))), metrics_tls=metrics_tls()):
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        if any(c["name"] == "cam-credentials" for c in pod.get("containers", [])):
            assert pod["hostNetwork"] is True, obj["metadata"]["name"]


def test_every_node_is_labelled_with_its_planned_zone_and_region():
    from kubecvm.planning import bootstrap

    with pytest.raises(
        ConfigError, match=r"nodePools\[0\]\.labels: 'topology.kubernetes.io/zone' is set on every node"
    ):
        make_spec(
            "prod",
            {
                "nodePools": [
                    {
                        "name": "general",
                        "instanceType": "S5.2XLARGE32",
                        "countPerZone": 1,
                        "labels": {"topology.kubernetes.io/zone": "elsewhere"},
                    }
                ]
            },
        )
    # A spec built around the validation (model_copy does not validate) still cannot move a node.
    spec = make_spec("prod")
    pools = [p.model_copy(update={"labels": {"topology.kubernetes.io/zone": "elsewhere"}}) for p in spec.node_pools]
    plan = build_plan(spec.model_copy(update={"node_pools": pools}))
    for m in plan.machines:
        labels = dict(
            kv.split("=")
            for kv in kubeadm_docs(
                user_data(plan, m), "kubeadm-init.yaml" if m is plan.masters[0] else "kubeadm-join.yaml"
            )["InitConfiguration" if m is plan.masters[0] else "JoinConfiguration"]["nodeRegistration"][
                "kubeletExtraArgs"
            ]["node-labels"].split(",")
        )
        assert labels[bootstrap.ZONE_LABEL] == m.zone  # a pool label cannot move a node to another zone
        assert labels[bootstrap.REGION_LABEL] == "ap-guangzhou"


def test_the_plan_summary_says_what_lies_outside_the_vpc():
    from tests.cli.cli_helpers import kubecvm

    run = kubecvm("plan", "dev", "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    assert run.json()["summary"]["boot"] == {
        "controlPlaneImages": "registry.aliyuncs.com/google_containers",
        "packages": "http://mirrors.tencentyun.com",
        "dockerHubMirror": "https://mirror.ccs.tencentyun.com",
        "addonRegistry": "ccr.ccs.tencentyun.com",
        "cloudApi": "internal.tencentcloudapi.com",
        "outsideVpc": ["registry.aliyuncs.com"],
        "egress": "auto",
        "nat": True,
    }
    markdown = kubecvm("plan", "dev", "--no-policies", "--format", "markdown").stdout
    row = next(line for line in markdown.splitlines() if line.startswith("| boot | "))
    assert row.endswith("; outside the VPC: registry.aliyuncs.com |") and "registry.aliyuncs.com/google" in row
