"""The CIS hardening of the rendered cluster: exact kubeadm settings, the files they name, the kernel
settings protectKernelDefaults requires, and objects validated by kubernetes-validate where it has a schema."""

from __future__ import annotations

import re
import subprocess

import kubernetes_validate
import pytest
import yaml

from kubecvm.planning import bootstrap
from tests.bootstrap._boot import PRESETS, env, files, kubeadm_docs, preset_plan, user_data


def init_docs(stack: str = "prod") -> dict[str, dict]:
    plan = preset_plan(stack)
    return kubeadm_docs(user_data(plan, plan.masters[0]), "kubeadm-init.yaml")


def test_api_server_controller_manager_and_scheduler_flags():
    cluster = init_docs()["ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == {
        "profiling": "false",
        "audit-policy-file": "/etc/kubernetes/kubecvm/audit-policy.yaml",
        "audit-log-path": "/var/log/kubernetes/audit/audit.log",
        "audit-log-maxage": "30",
        "audit-log-maxbackup": "10",
        "audit-log-maxsize": "100",
        "encryption-provider-config": "/etc/kubernetes/kubecvm/encryption.yaml",
        "admission-control-config-file": "/etc/kubernetes/kubecvm/admission.yaml",
        # kubeadm's cluster CA (the one the controller manager signs kubelet serving certificates with)
        "kubelet-certificate-authority": "/etc/kubernetes/pki/ca.crt",
    }
    assert cluster["certificatesDir"] == "/etc/kubernetes/pki"  # kubeadm mounts it into the API server's pod
    assert cluster["apiServer"]["extraVolumes"] == [
        {
            "name": "kubecvm-config",
            "hostPath": "/etc/kubernetes/kubecvm",
            "mountPath": "/etc/kubernetes/kubecvm",
            "readOnly": True,
            "pathType": "DirectoryOrCreate",
        },
        {
            "name": "audit-log",
            "hostPath": "/var/log/kubernetes/audit",
            "mountPath": "/var/log/kubernetes/audit",
            "readOnly": False,
            "pathType": "DirectoryOrCreate",
        },
    ]
    assert cluster["controllerManager"]["extraArgs"]["profiling"] == "false"
    assert cluster["scheduler"] == {"extraArgs": {"profiling": "false"}}


def test_the_api_server_verifies_kubelets_against_the_cluster_ca_the_masters_write():
    # The file --kubelet-certificate-authority names is the stack's cluster CA certificate (pulumi-tls, components/
    # pki.py), which every master writes from SSM before kubeadm runs: the CA kubeadm then hands the controller
    # manager as --cluster-signing-cert-file, so every approved kubelet serving certificate chains to it.
    plan = preset_plan("prod")
    written = {s.path: s.item for s in bootstrap.boot_plan(plan).secrets}
    flag = init_docs()["ClusterConfiguration"]["apiServer"]["extraArgs"]["kubelet-certificate-authority"]
    assert written[flag] == "ca-crt" and ("ca", "kubernetes") in bootstrap.CERTIFICATE_AUTHORITIES
    # and the kubelets do ask for serving certificates from that signer
    assert init_docs()["KubeletConfiguration"]["serverTLSBootstrap"] is True


def test_every_file_the_api_server_reads_is_mounted_and_written_on_every_master():
    plan = preset_plan("prod")
    cluster = init_docs()["ClusterConfiguration"]["apiServer"]
    mounts = [v["mountPath"] for v in cluster["extraVolumes"]]
    for flag in ("audit-policy-file", "encryption-provider-config", "admission-control-config-file", "audit-log-path"):
        assert any(cluster["extraArgs"][flag].startswith(m + "/") for m in mounts), flag
    for m in plan.machines:
        written = files(user_data(plan, m))
        expected = m.role == "master"
        for path in (bootstrap.AUDIT_POLICY, bootstrap.ADMISSION_CONFIG, "/etc/kubecvm/encryption.yaml"):
            assert (path in written) is expected, (m.name, path)
            if expected:
                assert written[path]["permissions"] == "0600"
        # The encryption config holds the key: it is written at boot from SSM, never carried in the user data.
        assert bootstrap.ENCRYPTION_CONFIG not in written
        values = env(user_data(plan, m))
        assert values["ENCRYPTION_SECRET"] == (f"kubecvm_prod_{bootstrap.ENCRYPTION_ITEM}" if expected else "")


def test_the_audit_policy_never_logs_a_body():
    policy = bootstrap.audit_policy()
    assert (policy["apiVersion"], policy["kind"]) == ("audit.k8s.io/v1", "Policy")
    # Request and RequestResponse would log bodies (Secret values, tokens): only None and Metadata are used, and
    # the last rule catches everything at Metadata.
    assert {r["level"] for r in policy["rules"]} == {"None", "Metadata"}
    assert policy["rules"][-1] == {"level": "Metadata"}
    assert policy["omitStages"] == ["RequestReceived"]
    none = [r for r in policy["rules"] if r["level"] == "None"]
    assert not any("secrets" in res["resources"] for r in none for res in r.get("resources", []))


def test_pod_security_defaults_baseline_enforced_restricted_warned_system_exempt():
    config = bootstrap.admission_config()
    [plugin] = config["plugins"]
    assert plugin["name"] == "PodSecurity"
    pss = plugin["configuration"]
    assert (pss["apiVersion"], pss["kind"]) == ("pod-security.admission.config.k8s.io/v1", "PodSecurityConfiguration")
    assert pss["defaults"] == {"enforce": "baseline", "audit": "restricted", "warn": "restricted"}  # versions: latest
    assert pss["exemptions"] == {"namespaces": ["kube-system"]}


def test_secrets_are_encrypted_with_secretbox_and_identity_stays_readable():
    config = bootstrap.encryption_config()
    [resource] = config["resources"]
    assert resource["resources"] == ["secrets"]
    assert resource["providers"] == [
        {"secretbox": {"keys": [{"name": "__ENCRYPTION_KEY_NAME__", "secret": bootstrap.ENCRYPTION_PLACEHOLDER}]}},
        {"identity": {}},  # last: reads what was stored before encryption, never writes
    ]
    assert bootstrap.ENCRYPTION_KEY_BYTES == 32  # secretbox requires 32 bytes


@pytest.mark.parametrize("stack", PRESETS)
def test_kernel_settings_protect_kernel_defaults_needs_are_set_on_every_node(stack: str):
    plan = preset_plan(stack)
    assert init_docs(stack)["KubeletConfiguration"]["protectKernelDefaults"] is True
    for m in plan.machines:
        text = files(user_data(plan, m))["/etc/sysctl.d/90-kubecvm.conf"]["content"]
        settings = dict(line.split(" = ") for line in text.splitlines())
        assert {k: int(settings[k]) for k in bootstrap.KERNEL_DEFAULTS} == {
            "vm.overcommit_memory": 1,
            "vm.panic_on_oom": 0,
            "kernel.panic": 10,
            "kernel.panic_on_oops": 1,
            "kernel.keys.root_maxkeys": 1000000,
            "kernel.keys.root_maxbytes": 25000000,
        }
        assert settings["net.ipv4.ip_forward"] == "1"  # the pod network's settings are kept


def test_the_kernel_settings_exist_in_this_kernel():
    # sysctl names are paths under /proc/sys: a misspelt one would make `sysctl --system` skip it at boot and the
    # kubelet refuse to start.
    for key in bootstrap.KERNEL_DEFAULTS:
        result = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True)
        assert result.returncode == 0, f"{key}: {result.stderr}"


def test_the_bootstrap_token_expires_and_is_renewed_by_the_masters():
    [token] = init_docs()["InitConfiguration"]["bootstrapTokens"]
    assert token["ttl"] == "7200s" and bootstrap.TOKEN_TTL_SECONDS == 7200
    plan = preset_plan("prod")
    timer = files(user_data(plan, plan.masters[1]))["/etc/systemd/system/kubecvm-token-sync.timer"]["content"]
    assert "OnUnitActiveSec=15min" in timer  # 8 renewals per TTL
    assert env(user_data(plan, plan.masters[1]))["TOKEN_TTL_SECONDS"] == "7200"


def test_token_sync_manifest_is_a_valid_secret():
    # The Secret kubecvm-token-sync applies, with sample values, through kubernetes-validate.
    plan = preset_plan("prod")
    script = files(user_data(plan, plan.masters[0]))["/usr/local/sbin/kubecvm-token-sync"]["content"]
    body = script.split("<<EOF\n", 1)[1].split("\nEOF\n", 1)[0]
    body = body.replace("$id", "abcdef").replace("${token#*.}", "0123456789abcdef")
    body = body.replace("$expires", "2026-12-02T00:00:00Z")
    assert "$" not in body
    secret = yaml.safe_load(body)
    version = f"{plan.spec.kubernetes.version}"
    assert kubernetes_validate.validate(secret, version, strict=True)


# What goes through the API server to a kubelet (and so fails for a node whose serving certificate is not approved
# yet, now that the API server verifies it): these kubectl verbs and the nodes/pods proxy and log subresources.
THROUGH_KUBELET = re.compile(
    r"\bkubectl\b[^\n]*?\s(logs|exec|attach|port-forward|cp|top|proxy|debug)\b|/(?:nodes|pods)/[^\s/]+/(?:proxy|log|exec|attach|portforward)\b"
)


def test_nothing_kubecvm_runs_at_boot_or_in_its_gates_goes_through_a_kubelet():
    assert THROUGH_KUBELET.search("kubectl -n kube-system logs deploy/x")  # the check can see one
    assert THROUGH_KUBELET.search("/api/v1/nodes/n/proxy/metrics")
    assert THROUGH_KUBELET.search("/api/v1/namespaces/kube-system/pods/p/log")
    assert not THROUGH_KUBELET.search("exec >>/var/log/kubecvm-boot.log; kubectl apply -f x")
    scripts = {p.name: p.read_text() for p in bootstrap.TEMPLATES.iterdir() if p.is_file()}
    assert {"kubecvm-boot", "kubecvm-token-sync", "kubecvm-cert-renew"} <= scripts.keys()
    assert {name: m.group(0) for name, text in scripts.items() if (m := THROUGH_KUBELET.search(text))} == {}
    # the add-on gates: ApiReady polls /readyz, ObjectReady the objects the patches change
    from kubecvm.planning import addons

    paths = ["/readyz"] + [addons.api_path(p) for p in addons.patches(None)]
    assert paths == ["/readyz", "/apis/apps/v1/namespaces/kube-system/deployments/coredns"]
    assert not any(THROUGH_KUBELET.search(p) for p in paths)
