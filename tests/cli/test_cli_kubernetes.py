"""Ordinary pulumi-kubernetes code plans offline: the simulated cloud answers Kubernetes objects as the provider
would (offline/simulated_kubernetes.py), and an output it does not know is reported as a gap of the simulator,
naming the resource and the output. Through the real command, in a subprocess, in a user's project."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

APPS = """
import pulumi
import pulumi_kubernetes as k8s

ns = k8s.core.v1.Namespace("ns")
cm = k8s.core.v1.ConfigMap("cm", metadata={"namespace": ns.metadata.name}, data={"greeting": "hello"})
svc = k8s.core.v1.Service("svc", metadata={"namespace": ns.metadata["name"]},
                          spec={"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]})
web = k8s.apps.v1.Deployment("web", metadata={"namespace": ns.metadata.name}, spec={
    "replicas": 2, "selector": {"match_labels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}})
secret = k8s.core.v1.Secret("creds", metadata={"name": "creds"}, string_data={"password": "hunter2"})
app = k8s.yaml.ConfigFile("app", file="app.yaml")
pulumi.export("svc", svc.metadata["name"])
pulumi.export("ns", ns.metadata.name)
pulumi.export("cm", {"namespace": cm.metadata.namespace, "uid": cm.metadata.uid, "data": cm.data})
pulumi.export("ip", svc.spec.cluster_ip)
pulumi.export("nodePort", svc.spec.ports[0].node_port)
pulumi.export("ready", web.status.ready_replicas)
pulumi.export("secretNamespace", secret.metadata.namespace)
pulumi.export("secretData", secret.data)
pulumi.export("fromYaml", app.get_resource("v1/ConfigMap", "from-yaml").metadata.namespace)
"""
APP_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: b\n"


def kubecvm(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def project(tmp_path: Path, program: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: apps\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(program)
    (tmp_path / "app.yaml").write_text(APP_YAML)
    return tmp_path


def test_kubernetes_objects_get_the_outputs_the_provider_returns(tmp_path):
    proc = kubecvm("plan", "--format", "json", cwd=project(tmp_path, APPS))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    doc = json.loads(proc.stdout)
    out = doc["outputs"]
    # pulumi-kubernetes auto-names an object without metadata.name: <resource name>-<8 lower-case hex>.
    assert re.fullmatch(r"ns-[0-9a-f]{8}", out["ns"]) and re.fullmatch(r"svc-[0-9a-f]{8}", out["svc"])
    assert out["cm"]["namespace"] == out["ns"] and out["cm"]["data"] == {"greeting": "hello"}
    assert re.fullmatch(r"[0-9a-f-]{36}", out["cm"]["uid"])
    # No kubecvm cluster behind the default provider: kubeadm's default service CIDR, the default node-port range.
    assert ipaddress.IPv4Address(out["ip"]) in ipaddress.IPv4Network("10.96.0.0/12")
    assert 30000 <= out["nodePort"] <= 32767 and out["ready"] == 2
    assert (out["secretNamespace"], out["secretData"]) == ("default", "[secret]") and "hunter2" not in proc.stdout
    assert out["fromYaml"] == "default"
    ids = {r["name"]: r["id"] for r in doc["resources"]}
    assert ids["ns"] == out["ns"] and ids["svc"] == f"{out['ns']}/{out['svc']}" and ids["creds"] == "default/creds"
    # A program without a kubecvm cluster: nothing to summarise or judge, and it says so.
    assert doc["summary"] is None and doc["policies"]["evaluated"] is False
    text = kubecvm("plan", cwd=tmp_path)
    assert text.returncode == 0 and "No kubecvm cluster: the program builds none" in text.stdout
    assert "policies not evaluated (the program builds no kubecvm cluster for the rules to judge)" in text.stdout
    report = kubecvm("plan", "--report", "sarif", cwd=tmp_path)
    assert (report.returncode, report.stderr) == (
        2,
        "kubecvm: --report: no policy results: the program builds no kubecvm cluster for the rules to judge\n",
    )
    # Deterministic: the same program plans to the same bytes.
    assert kubecvm("plan", "--format", "json", cwd=tmp_path).stdout == proc.stdout


def test_a_service_of_a_kubecvm_cluster_gets_an_address_in_that_clusters_service_cidr(tmp_path):
    program = """
import pulumi
import pulumi_kubernetes as k8s
from kubecvm import Cluster, ClusterArgs

cluster = Cluster("blue", ClusterArgs(preset="dev", region="ap-guangzhou", zones=["ap-guangzhou-3"],
                                      service_cidr="10.200.0.0/20"))
opts = pulumi.ResourceOptions(provider=cluster.provider)
svc = k8s.core.v1.Service("api", spec={"ports": [{"port": 443, "target_port": 8443}]}, opts=opts)
pulumi.export("ip", svc.spec.cluster_ip)
pulumi.export("port", svc.spec.ports[0])
"""
    proc = kubecvm("plan", "--format", "json", "--no-policies", cwd=project(tmp_path, program))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["outputs"]
    assert ipaddress.IPv4Address(out["ip"]) in ipaddress.IPv4Network("10.200.0.0/20")
    assert out["port"] == {"port": 443, "protocol": "TCP", "target_port": 8443}  # as the program sees a ServicePort


@pytest.mark.parametrize(
    ("read", "what"),
    [
        ("svc.status.load_balancer.ingress[0].ip", "[0] of an output derived from kubernetes:core/v1:Service 'svc'"),
        (
            "web.status.apply(lambda s: s.conditions[0].type)",
            "status in <lambda> (__main__.py:7) of kubernetes:apps/v1:DaemonSet 'web'",
        ),
    ],
)
def test_an_output_the_simulator_does_not_know_is_a_gap_naming_the_resource_not_a_kubecvm_bug(tmp_path, read, what):
    program = f"""
import pulumi
import pulumi_kubernetes as k8s
svc = k8s.core.v1.Service("svc", spec={{"type": "LoadBalancer", "ports": [{{"port": 80}}]}})
web = k8s.apps.v1.DaemonSet("web", spec={{"selector": {{"match_labels": {{"app": "web"}}}}, "template": {{}}}})
# a read of what no simulated object holds:
pulumi.export("x", {read})
"""
    proc = kubecvm("plan", cwd=project(tmp_path, program))
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"kubecvm: the program reads {what}, which the simulated cloud gives no value for ("
    )
    assert "gap of the offline plan's simulator" in proc.stderr and "internal error" not in proc.stderr


def test_two_objects_of_one_kind_and_name_in_a_namespace_are_refused_as_the_api_server_refuses(tmp_path):
    program = """
import pulumi_kubernetes as k8s
for n in ("a", "b"):
    k8s.core.v1.ConfigMap(n, metadata={"name": "settings", "namespace": "apps"}, data={"n": n})
k8s.core.v1.ConfigMap("c", metadata={"name": "settings", "namespace": "other"})  # another namespace: fine
"""
    proc = kubecvm("plan", cwd=project(tmp_path, program))
    assert proc.returncode == 2
    assert re.fullmatch(
        r"kubecvm: the Kubernetes API server would refuse [ab]: ConfigMap settings in namespace apps "
        r"already exists in cluster .* \(created by [ab]; AlreadyExists\)\n",
        proc.stderr,
    ), proc.stderr
