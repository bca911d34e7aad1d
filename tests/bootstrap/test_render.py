"""The rendered cloud-init: validated by Debian's cloud-init, exact kubeadm/CNI/env values, size, no secrets."""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
import yaml  # cloud-init and kubeadm-side tools read it with PyYAML too

from kubecvm.planning import addons, bootstrap, build_plan, cam
from tests.conftest import make_spec
from tests.loopback_tls import metrics_tls
from tests.bootstrap._boot import CA_HASH, PRESETS, preset_plan, roles, shipped, user_data

CASES = [(stack, role) for stack in PRESETS for role in roles(preset_plan(stack))]
CLOUD_INIT = shutil.which("cloud-init")
FORBIDDEN = ("BEGIN", "PRIVATE KEY", "TENCENTCLOUD_SECRET")


def machine(stack: str, role: str):
    return roles(preset_plan(stack))[role]


def files(text: str) -> dict[str, dict]:
    doc = yaml.safe_load(bootstrap.expand_user_data(text))
    return {f["path"]: f for f in doc["write_files"]}


def content(text: str, path: str) -> str:
    return files(text)[path]["content"]


def kubeadm_docs(text: str, name: str) -> dict[str, dict]:
    return {d["kind"]: d for d in yaml.safe_load_all(content(text, f"/etc/kubecvm/{name}"))}


def env(text: str) -> dict[str, str]:
    """boot.env as bash itself reads it (a real shell parse, quoting included)."""
    out = subprocess.run(
        ["bash", "-c", "set -a; . /dev/stdin; env -0"],
        input=content(text, "/etc/kubecvm/boot.env"),
        capture_output=True,
        text=True,
        check=True,
        env={},
    ).stdout
    values = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: v for k, v in values.items() if k.isupper() and k not in ("PWD", "SHLVL", "_")}


@pytest.mark.skipif(
    not CLOUD_INIT,
    reason="LOUD SKIP: Debian's cloud-init is not installed, so no user data was "
    "schema-checked; install it with `apt-get update && apt-get install -y cloud-init`",
)
def test_every_user_data_passes_cloud_init_schema(tmp_path: Path):
    # Each preset's every role, as sent and expanded: both must be valid cloud-config.
    paths = []
    for stack, role in CASES:
        text = user_data(preset_plan(stack), machine(stack, role))
        for kind, body in (("raw", text), ("expanded", bootstrap.expand_user_data(text))):
            path = tmp_path / f"{stack}-{role}-{kind}.yaml"
            path.write_text(body)
            paths.append(path)
    for path in paths:
        result = subprocess.run([CLOUD_INIT, "schema", "--config-file", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path.name}: {result.stdout}{result.stderr}"
        assert "Valid cloud-config" in result.stdout


def test_cloud_init_rejects_a_broken_user_data(tmp_path: Path):
    # The validator is not a rubber stamp: a mode given as a number is refused.
    if not CLOUD_INIT:
        pytest.skip("LOUD SKIP: cloud-init not installed (apt-get install -y cloud-init)")
    text = user_data(preset_plan("dev"), machine("dev", "master-init")).replace(
        "permissions: '0600'", "permissions: 600", 1
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = subprocess.run([CLOUD_INIT, "schema", "--config-file", str(path)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "permissions" in result.stdout + result.stderr


@pytest.mark.parametrize("stack,role", CASES)
def test_user_data_snapshot(stack: str, role: str, snapshot):
    # Reviewed on every change: the expanded user data (scripts in clear). It holds no secret to replace: the
    # token is the literal __BOOTSTRAP_TOKEN__ and the CA hash a placeholder.
    assert bootstrap.expand_user_data(user_data(preset_plan(stack), machine(stack, role))) == snapshot


@pytest.mark.parametrize("stack", PRESETS)
def test_every_machine_fits_and_holds_no_secret(stack: str):
    plan = preset_plan(stack)
    for m in plan.machines:
        text = user_data(plan, m)
        assert bootstrap.user_data_size(text) <= bootstrap.USER_DATA_LIMIT
        for body in (text, bootstrap.expand_user_data(text)):
            for marker in FORBIDDEN:
                assert marker not in body, f"{m.name}: {marker}"
        assert bootstrap.TOKEN_PLACEHOLDER in text


def test_largest_cluster_fits_the_16k_limit():
    # Seven masters, long names, many labels and taints: the worst user data kubecvm renders stays under 16 KB.
    spec = make_spec(
        "prod",
        {
            "name": "a-very-long-cluster1",
            "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"],
            "controlPlane": {"count": 7, "instanceType": "S5.4XLARGE64"},
            "nodePools": [
                {
                    "name": "gpu-inference-pool",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "labels": {f"example.com/label-{i}": f"value-{i:02d}-of-the-pool" for i in range(20)},
                    "taints": [
                        {"key": f"example.com/taint-{i}", "value": "yes", "effect": "NoSchedule"} for i in range(10)
                    ],
                }
            ],
        },
    )
    plan = build_plan(spec)
    sizes = {m.name: bootstrap.user_data_size(user_data(plan, m)) for m in plan.machines}
    assert max(sizes.values()) <= bootstrap.USER_DATA_LIMIT, sizes


def test_oversized_user_data_is_refused(monkeypatch):
    plan = preset_plan("prod")
    monkeypatch.setattr(bootstrap, "USER_DATA_LIMIT", 1000)
    with pytest.raises(
        bootstrap.UserDataTooLarge, match=r"prod-master-0: user data is \d+ bytes after gzip and base64"
    ):
        user_data(plan, plan.masters[0])
    with pytest.raises(
        bootstrap.UserDataTooLarge, match=r"prod-master-0: user data is \d+ bytes after gzip and base64"
    ):
        bootstrap.cvm_user_data(plan, plan.masters[0], ca_hash=CA_HASH)


@pytest.mark.parametrize("stack", PRESETS)
def test_the_cvm_gets_the_rendered_text_encoded_once(stack: str):
    # What the component ships (rendered and encoded in one pass) is what encoding the rendered text gives.
    plan = preset_plan(stack)
    for m in plan.machines:
        assert bootstrap.cvm_user_data(plan, m, ca_hash=CA_HASH) == shipped(plan, m), m.name


def test_a_malformed_ca_hash_is_refused():
    plan = preset_plan("dev")
    with pytest.raises(ValueError, match="sha256:<64 hex digits>"):
        bootstrap.render_user_data(plan, plan.masters[0], ca_hash="sha256:abc")


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


def test_scripts_are_valid_bash():
    for template in sorted(bootstrap.TEMPLATES.iterdir()):
        result = subprocess.run(["bash", "-n", str(template)], capture_output=True, text=True)
        assert result.returncode == 0, f"{template.name}: {result.stderr}"


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck not installed (apt-get install -y shellcheck)")
def test_scripts_pass_shellcheck():
    templates = sorted(t.name for t in bootstrap.TEMPLATES.iterdir())
    # -x follows `source=lib.sh`; SC1091: /etc/kubecvm/boot.env exists only on a node.
    result = subprocess.run(
        ["shellcheck", "-x", "-s", "bash", "-S", "warning", "-e", "SC1091", *templates],
        capture_output=True,
        text=True,
        cwd=bootstrap.TEMPLATES,
    )
    assert result.returncode == 0, result.stdout


def test_user_data_never_replaces_a_node_by_itself():
    # Documented choice (planning/bootstrap.py): user data changes are in-place; only new machines run them.
    spec = make_spec("prod")
    newer = make_spec("prod", {"kubernetes": {"version": "1.31.1"}})
    plan, plan2 = build_plan(spec), build_plan(newer)
    assert user_data(plan, plan.workers[0]) != user_data(plan2, plan2.workers[0])
    # ... and the CVMs say so to the engine: see test_offline.py::test_cvms_boot_with_their_role_and_never_roll.


def test_public_exposure_joins_through_the_first_master():
    # A public CLB's address exists only after the masters: nodes use master-0's address (documented limit).
    plan = build_plan(make_spec("prod", {"apiEndpoint": {"exposure": "public", "allowedCidrs": ["203.0.113.0/24"]}}))
    assert plan.api.vip is None
    values = env(user_data(plan, plan.workers[0]))
    assert values["API_HOST"] == plan.masters[0].private_ip
    cluster = kubeadm_docs(user_data(plan, plan.masters[0]), "kubeadm-init.yaml")["ClusterConfiguration"]
    assert cluster["controlPlaneEndpoint"] == f"{plan.masters[0].private_ip}:6443"


@pytest.mark.parametrize("csi", [True, False])
def test_role_policies_follow_the_csi_addon(csi: bool):
    plan = build_plan(make_spec("prod", {"addons": {"cbsCsi": csi, "loadBalancerController": False}}))
    boot = bootstrap.boot_plan(plan)
    statements = {r.role: json.loads(r.policy_document)["statement"] for r in boot.roles}
    # Workers read their token, find their data disk and, with the CSI add-on, count their attached disks (the node
    # plugin): read-only. The CSI controller, which creates and attaches disks, runs on masters.
    node = ["cvm:DescribeInstancesDiskNum"] if csi else []
    assert [s["action"] for s in statements["worker"]] == [["ssm:GetSecretValue"], ["cvm:DescribeDisks", *node]]
    reads = sorted(
        {"cvm:DescribeDisks", *node, *({"cvm:DescribeDiskConfigQuota", "cvm:DescribeInstances"} if csi else ())}
    )
    assert statements["master"][1] == {"effect": "allow", "action": reads, "resource": ["*"]}
    if not csi:
        assert len(statements["master"]) == 2
    assert [s.readers for s in boot.secrets].count(("master", "worker")) == 1  # only the token reaches workers


def test_cbs_actions_are_spelled_as_cam_knows_them_and_conditions_only_where_cam_applies_them():
    # CAM authorizes CBS under the cvm service (a "cbs:" action grants nothing), and only the CBS APIs with
    # resource-level authorization take a resource or tag condition (planning/cam.py cites both pages).
    for role in bootstrap.boot_plan(preset_plan("prod")).roles:
        for stmt in json.loads(role.policy_document)["statement"]:
            assert (
                stmt["action"] == ["ssm:GetSecretValue"]
                or all(a.startswith("cvm:") for a in stmt["action"])
                or (set(stmt["action"]) <= set(addons.lb_controller.CAM_ACTIONS))
            ), stmt
            if "condition" in stmt and stmt["action"][0].startswith("clb:"):  # CLB takes tag conditions (cam.clb)
                assert list(stmt["condition"]) == ["for_any_value:string_equal"]
            elif "condition" in stmt:
                assert set(stmt["action"]) <= cam.CBS_RESOURCE_LEVEL, stmt
                [(operator, keys)] = stmt["condition"].items()
                assert operator == "for_any_value:string_equal"
                assert set(keys) <= {"qcs:resource_tag", "qcs:request_tag"}
                assert all("&" in v for values in keys.values() for v in values)
            else:
                assert stmt["effect"] == "allow"


def test_a_tag_condition_on_a_cbs_action_without_resource_level_authorization_is_refused(monkeypatch):
    # DescribeDiskConfigQuota has no row in CBS's resource-level table: CAM would not apply the condition to it.
    monkeypatch.setattr(bootstrap, "CBS_MUTATING", bootstrap.CBS_MUTATING | {"cvm:DescribeDiskConfigQuota"})
    with pytest.raises(ValueError, match="cvm:DescribeDiskConfigQuota: no resource-level authorization"):
        bootstrap.cbs_statements("prod", {"cvm:DescribeDiskConfigQuota", "cvm:AttachDisks"})
    assert bootstrap.cbs_statements("prod", {"cvm:AttachDisks"})[0]["action"] == ["cvm:AttachDisks"]
    with pytest.raises(ValueError, match="qcs:resource_tags"):
        cam.tag_condition("qcs:resource_tags", "kubecvm/cluster", "prod")


def test_cbs_changes_are_scoped_to_the_cluster_and_never_touch_etcd_disks():
    # Before: CBS actions on "*", so a master (or a pod with its credentials) could delete any disk in the account.
    statements = json.loads(bootstrap.boot_plan(preset_plan("prod")).role("master").policy_document)["statement"]
    assert statements[2:5] == [
        {
            "effect": "allow",
            "action": ["cvm:AttachDisks", "cvm:DetachDisks", "cvm:ResizeDisk", "cvm:TerminateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:resource_tag": ["kubecvm/cluster&prod"]}},
        },
        {
            "effect": "deny",
            "action": ["cvm:DetachDisks", "cvm:ResizeDisk", "cvm:TerminateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:resource_tag": ["kubecvm/role&storage"]}},
        },
        {
            "effect": "allow",
            "action": ["cvm:CreateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:request_tag": ["kubecvm/cluster&prod"]}},
        },
    ]
    everything = {a for st in statements for a in st["action"]}
    assert everything == {
        "ssm:GetSecretValue",
        *addons.CAM_ACTIONS,
        *addons.NODE_CAM_ACTIONS,
        *addons.lb_controller.CAM_ACTIONS,
    }
    # The StorageClass asks for exactly the tag CreateDisks is allowed with.
    sc = next(
        o
        for o in addons.objects(addons.settings_from_plan(preset_plan("prod")), metrics_tls=metrics_tls())
        if o["kind"] == "StorageClass"
    )
    assert "kubecvm/cluster:prod" in sc["parameters"]["disktags"].split(",")


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


CLOUD_INIT_PYTHON = "/usr/bin/python3"  # Debian's cloud-init lives in the system Python, not in .venv
# What Debian's cloud-init makes of each shipped user data: the bytes the node gets (the CVM's `user_data` decoded)
# through UserDataProcessor.process, as a datasource's get_userdata calls it, then each part as its handlers read
# it (util.fully_decoded_payload): [[content type, text], ...] per user data.
CLOUD_INIT_READ = """
import base64, json, sys
from cloudinit import user_data, util
out = []
for shipped in json.load(sys.stdin):
    msg = user_data.UserDataProcessor(None).process(base64.b64decode(shipped))
    out.append([[p.get_content_type(), util.fully_decoded_payload(p)] for p in msg.walk()
                if p.get_content_maintype() != "multipart"])
json.dump(out, sys.stdout)
"""


def cloud_init_reads(shipped: list[str]) -> list[list[list[str]]]:
    out = subprocess.run(
        [CLOUD_INIT_PYTHON, "-c", CLOUD_INIT_READ],
        input=json.dumps(shipped),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not CLOUD_INIT, reason="cloud-init not installed (apt-get install -y cloud-init)")
def test_cloud_init_itself_reads_the_shipped_user_data_as_the_rendered_cloud_config():
    rendered = [
        bootstrap.render_user_data(preset_plan(stack), machine(stack, role), ca_hash=CA_HASH) for stack, role in CASES
    ]
    sent = [shipped(preset_plan(stack), machine(stack, role)) for stack, role in CASES]
    assert cloud_init_reads(sent) == [[["text/cloud-config", text]] for text in rendered]
    assert [bootstrap.decode_user_data(s) for s in sent] == rendered


@pytest.mark.parametrize("stack,role", CASES)
def test_shipped_user_data_is_text_with_room_to_spare(stack: str, role: str):
    sent = shipped(preset_plan(stack), machine(stack, role))
    # The provider reads the user data back and stores its base64 decoding as the string user_data_raw, which
    # Pulumi's gRPC refuses unless it is UTF-8 (planning/user_data.py encode_user_data): text, ASCII even.
    assert base64.b64decode(sent, validate=True).isascii()
    # Room to spare: under 94% of the 16 KB CVM limit (15401 bytes; what each role ships: docs/concepts/boot.md's
    # table, held to the plan by tests/bootstrap/test_doc_figures.py). The share was 70% while the gzip went out as bare bytes
    # (60% until the hash lock of tccli's closure, planning/node-pip.lock: ~1.3 KB of random hex that gzip cannot
    # shrink, was judged worth more than the margin). The MIME part's base64 costs a third more; 94% is that 70%
    # carried through it (the same 8.6 KB of gzip), 983 bytes under the limit.
    assert len(sent) < 0.94 * bootstrap.USER_DATA_LIMIT, (stack, role, len(sent))


# File contents that could trip an encoding: bytes a text file rarely holds, other scripts, line ends, markers of
# gzip and of MIME inside the payload.
AWKWARD_CONTENTS = [
    "",
    "no final newline",
    "\x00\x01\x02\x1b[0m\x7f\n",
    "caf\u00e9 \u4e2d\u6587 \U0001f600\n",
    "\ufeffBOM first\n",
    "dos\r\nline ends\r\n",
    "\x1f\x8b\x08\x00 gzip's magic\n",
    "\u2028\u2029\x85 unicode line breaks\n",
    "MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\n#!/bin/sh\nreboot\n",
    "--==BOUNDARY==\n\nFrom me\n",
    "#cloud-config\nruncmd: [reboot]\n",
    "  leading blanks\n\ttab\ntrailing  \n\n\n",
]


def one_file(content: str) -> str:
    return "#cloud-config\nwrite_files:\n" + bootstrap._entry("/etc/kubecvm/x", "0644", bootstrap.Literal(content))


@pytest.mark.skipif(not CLOUD_INIT, reason="cloud-init not installed (apt-get install -y cloud-init)")
def test_cloud_init_writes_awkward_file_contents_exactly():
    # A gzipped MIME part garbles non-ASCII text in cloud-init (bootstrap.encode_user_data): PyYAML escapes it, so
    # the user data stays ASCII and cloud-init's YAML parse gives the content back.
    texts = [one_file(c) for c in AWKWARD_CONTENTS]
    assert all(t.isascii() for t in texts)
    read = cloud_init_reads([bootstrap.encode_user_data(t) for t in texts])
    assert read == [[["text/cloud-config", t]] for t in texts]
    assert [yaml.safe_load(t)["write_files"][0]["content"] for t in texts] == AWKWARD_CONTENTS


@given(st.text())
def test_any_file_content_ships_as_text_and_decodes_back(content: str):
    text = one_file(content)
    sent = bootstrap.encode_user_data(text)
    raw = base64.b64decode(sent, validate=True)
    raw.decode("utf-8")  # strict: what the provider stores as user_data_raw
    assert raw.isascii()
    assert bootstrap.decode_user_data(sent) == text
    assert yaml.safe_load(bootstrap.expand_user_data(text))["write_files"][0]["content"] == content


@given(st.text())
def test_only_ascii_user_data_is_encoded(text: str):
    if text.isascii():
        assert bootstrap.decode_user_data(bootstrap.encode_user_data(text)) == text
    else:
        with pytest.raises(ValueError, match="must be ASCII"):
            bootstrap.encode_user_data(text)


@given(
    st.one_of(
        st.text(st.sampled_from(" \n\t\r#:-|'\"ab~\x7f\x85")),
        st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.just("\n")).map(lambda t: t + "\n"),
    ),
    st.sampled_from([("/etc/kubecvm/boot.env", "0600", None), ("/usr/local/sbin/x", "0755", "gz+b64")]),
)
def test_a_file_entry_is_what_the_emitter_writes(content: str, where: tuple):
    # _entry writes the per-node files' plain `|` blocks itself; anything else goes to the emitter.
    path, mode, encoding = where
    text = bootstrap.Literal(content)
    assert bootstrap._entry.__wrapped__(path, mode, text, encoding) == bootstrap._dumped_entry(
        path, mode, text, encoding
    )


@given(st.text(st.characters(max_codepoint=127)))
def test_own_user_data_reads_as_the_email_parser_reads_it(text: str):
    data = base64.b64decode(bootstrap.encode_user_data(text))
    assert bootstrap.user_data_parts(data) == bootstrap.mime_parts(data) == [text.encode()]


@given(st.text("AB+/=\n\r -_" + "H4sIAAAAAAAA"), st.binary(max_size=64))
def test_data_like_own_user_data_reads_as_the_email_parser_reads_it(tail: str, payload: bytes):
    # Near misses of encode_user_data's shape (bad padding, several lines, other characters, not gzip) take the
    # email parser's way or fail as it fails.
    head = bootstrap.USER_DATA_MIME_HEAD.encode()
    for data in (head + tail.encode(), head + base64.b64encode(gzip.compress(payload) + tail.encode()) + b"\n"):
        try:
            expected = bootstrap.mime_parts(data)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                bootstrap.user_data_parts(data)
        else:
            assert bootstrap.user_data_parts(data) == expected


@pytest.mark.parametrize("form", ["gzip", "plain"])
def test_user_data_of_earlier_forms_still_decodes(form: str):
    # The bare gzip kubecvm shipped before, or plain text: what the policy and a review may find in other states.
    text = user_data(preset_plan("dev"), machine("dev", "worker-general"))
    data = gzip.compress(text.encode(), mtime=0) if form == "gzip" else text.encode()
    assert bootstrap.decode_user_data(base64.b64encode(data).decode()) == text
