"""What the rendered user data tells a node: exact kubeadm init/join configurations, the CNI's pod CIDR, boot.env,
and which plan changes reach which machines' user data."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import bootstrap, build_plan
from tests.conftest import make_spec
from tests.bootstrap._boot import CA_HASH, PRESETS, env, files, kubeadm_docs, machine, preset_plan, user_data


def test_first_master_inits_with_the_planned_cluster():
    plan = preset_plan("prod")
    m = plan.masters[0]
    docs = kubeadm_docs(user_data(plan, m), "kubeadm-init.yaml")
    cluster, init, kubelet = docs["ClusterConfiguration"], docs["InitConfiguration"], docs["KubeletConfiguration"]
    assert plan.api.vip == "10.2.64.11"
    assert cluster["controlPlaneEndpoint"] == "10.2.64.11:6443"
    assert cluster["kubernetesVersion"] == "v1.30.6"
    assert cluster["networking"] == {
        "podSubnet": "172.16.0.0/12",
        "serviceSubnet": "192.168.0.0/20",
        "dnsDomain": "cluster.local",
    }
    assert cluster["controllerManager"]["extraArgs"] == {"allocate-node-cidrs": "false", "profiling": "false"}
    assert cluster["apiServer"]["certSANs"] == ["10.2.64.11", *(x.private_ip for x in plan.masters)]
    assert cluster["etcd"] == {"local": {"dataDir": "/var/lib/etcd"}}
    assert init["localAPIEndpoint"] == {"advertiseAddress": m.private_ip, "bindPort": 6443}
    assert init["nodeRegistration"]["name"] == "prod-master-0"
    assert init["nodeRegistration"]["kubeletExtraArgs"] == {
        "node-ip": m.private_ip,
        "provider-id": f"qcloud:///{m.zone}/{bootstrap.INSTANCE_PLACEHOLDER}",
        "node-labels": f"node.kubernetes.io/instance-type={m.instance_type},topology.kubernetes.io/region=ap-guangzhou,"
        "topology.kubernetes.io/zone=ap-guangzhou-3",
    }
    assert init["nodeRegistration"]["taints"] == [
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
    ]
    assert init["bootstrapTokens"][0]["token"] == bootstrap.TOKEN_PLACEHOLDER
    assert kubelet["maxPods"] == 110 and kubelet["cgroupDriver"] == "systemd"
    # CA-signed serving certificates (approved by the add-on in planning/addons/programs/csr_approver.py) for metrics-server.
    assert kubelet["serverTLSBootstrap"] is True


def test_only_the_first_master_carries_an_init_config():
    plan = preset_plan("prod")
    carriers = [m.name for m in plan.machines if "/etc/kubecvm/kubeadm-init.yaml" in files(user_data(plan, m))]
    assert carriers == ["prod-master-0"]


@pytest.mark.parametrize("role", ["master-join", "worker-general"])
def test_joins_with_token_and_ca_hash(role: str):
    plan = preset_plan("prod")
    m = machine("prod", role)
    join = kubeadm_docs(user_data(plan, m), "kubeadm-join.yaml")["JoinConfiguration"]
    assert join["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "10.2.64.11:6443",
        "token": bootstrap.TOKEN_PLACEHOLDER,
        "caCertHashes": [CA_HASH],
    }
    assert join["nodeRegistration"]["name"] == m.name
    assert join["nodeRegistration"]["kubeletExtraArgs"]["node-ip"] == m.private_ip
    if m.role == "master":
        assert join["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": m.private_ip, "bindPort": 6443}}
    else:
        assert "controlPlane" not in join
        assert join["nodeRegistration"]["taints"] == []


def test_pool_labels_and_taints_reach_the_kubelet():
    spec = make_spec(
        "prod",
        {
            "nodePools": [
                {
                    "name": "batch",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "labels": {"tier": "batch", "example.com/gpu": "none"},
                    "taints": [
                        {"key": "dedicated", "value": "batch", "effect": "NoExecute"},
                        {"key": "spot", "effect": "PreferNoSchedule"},
                    ],
                }
            ]
        },
    )
    plan = build_plan(spec)
    m = plan.workers[0]
    registration = kubeadm_docs(user_data(plan, m), "kubeadm-join.yaml")["JoinConfiguration"]["nodeRegistration"]
    assert registration["kubeletExtraArgs"] == {
        "node-ip": m.private_ip,
        "provider-id": f"qcloud:///{m.zone}/__INSTANCE_ID__",
        "node-labels": "example.com/gpu=none,kubecvm/pool=batch,node.kubernetes.io/instance-type=S5.2XLARGE32,tier=batch,"
        "topology.kubernetes.io/region=ap-guangzhou,topology.kubernetes.io/zone=ap-guangzhou-3",
    }
    assert registration["taints"] == [
        {"key": "dedicated", "value": "batch", "effect": "NoExecute"},
        {"key": "spot", "effect": "PreferNoSchedule"},
    ]


@pytest.mark.parametrize("stack", PRESETS)
def test_cni_hands_out_exactly_the_planned_pod_cidr(stack: str):
    plan = preset_plan(stack)
    for m in plan.machines:
        written = files(user_data(plan, m))
        bridge = json.loads(written["/etc/cni/net.d/10-kubecvm.conflist"]["content"])
        assert [p["type"] for p in bridge["plugins"]] == ["bridge", "portmap"]
        assert bridge["plugins"][0]["ipam"]["ranges"] == [[{"subnet": m.pod_cidr}]]
        assert json.loads(written["/etc/cni/net.d/99-loopback.conf"]["content"])["type"] == "loopback"


@given(st.sampled_from(PRESETS), st.data())
def test_boot_env_matches_the_plan(stack: str, data):
    plan = preset_plan(stack)
    m = data.draw(st.sampled_from(plan.machines))
    values = env(user_data(plan, m))
    boot = bootstrap.boot_plan(plan)
    assert values["NODE_NAME"] == m.name and values["NODE_IP"] == m.private_ip and values["POD_CIDR"] == m.pod_cidr
    assert values["ROLE"] == m.role
    assert values["API_HOST"] == plan.api.vip
    # Only masters read the master addresses: moving a master must not rewrite every worker's user data.
    assert values["MASTER_IPS"].split() == ([x.private_ip for x in plan.masters] if m.role == "master" else [])
    assert values["K8S_VERSION"] == "1.30.6" and values["MIRROR"] == "http://mirrors.tencentyun.com"
    assert values["K8S_KEY_FPR"] == "DE15B14486CD377B9E876E1A234654DA9A296436"  # pkgs.k8s.io's signing key
    assert values["SANDBOX_IMAGE"] == "registry.aliyuncs.com/google_containers/pause:3.9"
    assert values["API_DOMAIN"] == "internal.tencentcloudapi.com"
    assert values["TOKEN_SECRET"] == f"kubecvm_{plan.name}_bootstrap-token"
    assert values["FIRST_MASTER"] == ("1" if m.name == plan.masters[0].name else "0")
    if m.role == "master":
        pairs = dict(p.split("=") for p in values["PKI_FILES"].split())
        assert pairs == {s.name: s.path.removeprefix("/etc/kubernetes/pki/") for s in boot.secrets if s.path}
        assert values["ETCD_DISK"] == f"{m.name}-etcd"
    else:
        assert values["PKI_FILES"] == "" and values["ETCD_DISK"] == ""
    assert ipaddress.ip_network(values["POD_CIDR"]).subnet_of(ipaddress.ip_network(values["CLUSTER_POD_CIDR"]))


def test_kubernetes_version_and_mirror_are_configurable():
    plan = build_plan(
        make_spec(
            "dev",
            {
                "zones": ["ap-guangzhou-3"],
                "kubernetes": {
                    "version": "1.31.2",
                    "packageMirror": "https://mirrors.tencent.com",
                    "imageRepository": "ccr.ccs.tencentyun.com/k8s",
                },
            },
        )
    )
    text = user_data(plan, plan.masters[0])
    values = env(text)
    assert (values["K8S_VERSION"], values["MIRROR"], values["SANDBOX_IMAGE"]) == (
        "1.31.2",
        "https://mirrors.tencent.com",
        "ccr.ccs.tencentyun.com/k8s/pause:3.10",
    )
    cluster = kubeadm_docs(text, "kubeadm-init.yaml")["ClusterConfiguration"]
    assert (cluster["kubernetesVersion"], cluster["imageRepository"]) == ("v1.31.2", "ccr.ccs.tencentyun.com/k8s")


def test_user_data_never_replaces_a_node_by_itself():
    # Documented choice (planning/bootstrap.py): user data changes are in-place; only new machines run them.
    spec = make_spec("prod")
    newer = make_spec("prod", {"kubernetes": {"version": "1.31.1"}})
    plan, plan2 = build_plan(spec), build_plan(newer)
    assert user_data(plan, plan.workers[0]) != user_data(plan2, plan2.workers[0])


def test_public_exposure_joins_through_the_first_master():
    # A public CLB's address exists only after the masters: nodes use master-0's address (documented limit).
    plan = build_plan(make_spec("prod", {"apiEndpoint": {"exposure": "public", "allowedCidrs": ["203.0.113.0/24"]}}))
    assert plan.api.vip is None
    values = env(user_data(plan, plan.workers[0]))
    assert values["API_HOST"] == plan.masters[0].private_ip
    cluster = kubeadm_docs(user_data(plan, plan.masters[0]), "kubeadm-init.yaml")["ClusterConfiguration"]
    assert cluster["controlPlaneEndpoint"] == f"{plan.masters[0].private_ip}:6443"


@pytest.mark.parametrize(
    "kubernetes,field",
    [
        ({"version": "1.27.3"}, "kubernetes.version"),
        ({"version": "v1.30.6"}, "kubernetes.version"),
        ({"packageMirror": "https://mirrors.tencent.com/"}, "kubernetes.packageMirror"),
        ({"packageMirror": "mirrors.tencent.com"}, "kubernetes.packageMirror"),
        ({"imageRepository": "Registry.k8s.io"}, "kubernetes.imageRepository"),
        ({"unknown": 1}, "kubernetes.unknown"),
    ],
)
def test_bad_kubernetes_settings_name_the_field(kubernetes: dict, field: str):
    from kubecvm.stacks.config import ConfigError

    with pytest.raises(ConfigError, match=rf": {field}: "):
        make_spec("prod", {"kubernetes": kubernetes})


def test_moving_a_master_leaves_worker_user_data_unchanged():
    base = {"zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]}
    before = build_plan(make_spec("staging", base))
    after = build_plan(make_spec("staging", {**base, "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-7"]}))
    assert before.masters[2].private_ip != after.masters[2].private_ip  # the third master moved zone
    kept = [w for w in before.workers if w.zone != "ap-guangzhou-6"]
    assert kept and all(
        user_data(before, w) == user_data(after, next(x for x in after.workers if x.name == w.name)) for w in kept
    )
    assert user_data(before, before.masters[0]) != user_data(after, after.masters[0])  # masters do read it
