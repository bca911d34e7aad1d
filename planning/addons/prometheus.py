"""Prometheus in agent mode: scrapes the cluster and writes every sample to a remote store (Tencent's managed
Prometheus, TMP, or the user's), keeping nothing but its write-ahead log. Pure (no pulumi import).

Agent mode is Prometheus' `--agent` flag (prometheus/prometheus cmd/prometheus/main.go: a.Flag("agent", "Run
Prometheus in 'Agent mode'."); its WAL goes to --storage.agent.path): no local queries, rules or TSDB, only scraping
and remote_write. Two agents run (planning/addons/scrape.py says why): the cluster agent, one replica in the pod
network, and the control-plane agent on every master's host network. Both keep their WAL on an emptyDir with a
size limit, which the kubelet enforces by evicting the pod (Kubernetes "Local ephemeral storage"), so a long outage
of the remote store cannot fill a node's disk; they restart with an empty WAL.

The remote store's token is a Pulumi secret (components/prometheus.py reads it from the stack's secret config) and
reaches the agents only as a Secret mounted as a file (remote_write authorization.credentials_file /
basic_auth.password_file), never in the ConfigMap. `remote_write` objects, in order: ServiceAccount, ClusterRole,
ClusterRoleBinding, Secret, the two ConfigMaps, the Deployment, the DaemonSet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from . import scrape
from .common import NAMESPACE, PART_OF, meta, on_masters, rbac, rule

AGENT = "prometheus-agent"
CONTROL_PLANE_AGENT = "prometheus-agent-control-plane"
REMOTE_WRITE_SECRET = "prometheus-remote-write"
CONFIG_DIR, WAL_DIR, SECRET_DIR = "/etc/prometheus", "/prometheus", "/etc/prometheus/remote-write"
AGENT_PORT, CONTROL_PLANE_AGENT_PORT = 9090, 9091  # the control-plane agent shares the master's network
WAL_SIZE_LIMIT = "2Gi"
SCRAPE_INTERVAL = "30s"
RUN_AS = 65534  # nobody: the prom/prometheus image's own user
AUTHS = ("bearer", "basic")


@dataclass(frozen=True)
class PrometheusObjects:
    """What the agents' objects depend on. `url` and `token`: strings in the tests, pulumi Outputs in the component."""

    cluster: str
    image: str  # the prometheus image reference (planning/images.py)
    url: Any  # the remote_write URL
    token: Any  # the secret it is written with
    auth: str = "bearer"  # bearer: Authorization: Bearer <token>; basic: user `username`, password <token>
    username: str | None = None
    ingress_namespace: str | None = None  # ingress-nginx's, when the ingress CLB (and its controller) exists

    def __post_init__(self) -> None:
        assert self.auth in AUTHS, self.auth
        assert (self.auth == "basic") == (self.username is not None), (self.auth, self.username)


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, **PART_OF}


def _meta(name: str, namespaced: bool = True) -> dict[str, Any]:
    return meta(name, _labels(name), namespaced)


def _remote_write(p: PrometheusObjects, url: str) -> dict[str, Any]:
    secret = f"{SECRET_DIR}/token"
    auth = (
        {"authorization": {"type": "Bearer", "credentials_file": secret}}
        if p.auth == "bearer"
        else {"basic_auth": {"username": p.username, "password_file": secret}}
    )
    return {"url": url, **auth}


class _Plain(yaml.SafeDumper):
    """No YAML anchors for the dicts the jobs share: the file reads as written."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def config(p: PrometheusObjects, url: str, jobs: list[dict[str, Any]], **external: str) -> str:
    """prometheus.yml of an agent: its scrape jobs, remote_write to `url`, the cluster (and more) as external labels."""
    return yaml.dump(
        {
            "global": {"scrape_interval": SCRAPE_INTERVAL, "external_labels": {"cluster": p.cluster, **external}},
            "scrape_configs": jobs,
            "remote_write": [_remote_write(p, url)],
        },
        Dumper=_Plain,
        sort_keys=False,
    )


def agent_config(p: PrometheusObjects, url: str) -> str:
    return config(p, url, scrape.cluster_jobs(namespace=NAMESPACE, ingress_namespace=p.ingress_namespace))


def control_plane_config(p: PrometheusObjects, url: str) -> str:
    # Every master's agent scrapes the same loopback addresses: the node label tells their series apart
    # (${NODE_NAME} is expanded with --enable-feature=expand-external-labels, Prometheus' feature flags page).
    return config(p, url, scrape.control_plane_jobs(), node="${NODE_NAME}")


def _container(p: PrometheusObjects, port: int, listen: str, *features: str) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/-/ready", "port": port, **({"host": listen} if listen else {})}}
    return {
        "name": "prometheus",
        "image": p.image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--agent",
            f"--config.file={CONFIG_DIR}/prometheus.yml",
            f"--storage.agent.path={WAL_DIR}",
            f"--web.listen-address={listen}:{port}",
            *(f"--enable-feature={f}" for f in features),
        ],
        "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"}],
        "readinessProbe": {**probe, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
            {"name": "wal", "mountPath": WAL_DIR},
            {"name": "remote-write", "mountPath": SECRET_DIR, "readOnly": True},
        ],
    }


def _pod(p: PrometheusObjects, configmap: str, container: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "serviceAccountName": AGENT,
        "priorityClassName": "system-cluster-critical",
        "securityContext": {"fsGroup": RUN_AS},
        "containers": [container],
        "volumes": [
            {"name": "config", "configMap": {"name": configmap}},
            {"name": "wal", "emptyDir": {"sizeLimit": WAL_SIZE_LIMIT}},
            {"name": "remote-write", "secret": {"secretName": REMOTE_WRITE_SECRET}},
        ],
        **extra,
    }


def prometheus_objects(p: PrometheusObjects, agent_yaml: Any, control_plane_yaml: Any) -> list[dict[str, Any]]:
    """The agents' objects; the two configurations rendered (agent_config, control_plane_config: strings, or the
    component's Outputs of them)."""
    selector = {"app.kubernetes.io/name": AGENT}
    cp_selector = {"app.kubernetes.io/name": CONTROL_PLANE_AGENT}
    rules = [
        rule([""], ["nodes", "nodes/metrics", "services", "endpoints", "pods"], ["get", "list", "watch"]),
        rule(["discovery.k8s.io"], ["endpointslices"], ["get", "list", "watch"]),
        {"nonResourceURLs": ["/metrics", "/metrics/cadvisor"], "verbs": ["get"]},
    ]
    return [
        *rbac(AGENT, AGENT, rules, _meta),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(REMOTE_WRITE_SECRET),
            "type": "Opaque",
            "stringData": {"token": p.token},
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(AGENT), "data": {"prometheus.yml": agent_yaml}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(CONTROL_PLANE_AGENT),
            "data": {"prometheus.yml": control_plane_yaml},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(AGENT),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": selector},
                "strategy": {"type": "Recreate"},  # one writer of the series at a time
                "template": {
                    "metadata": {"labels": {**selector, **PART_OF}},
                    "spec": _pod(p, AGENT, _container(p, AGENT_PORT, "")),
                },
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta(CONTROL_PLANE_AGENT),
            "spec": {
                "selector": {"matchLabels": cp_selector},
                "template": {
                    "metadata": {"labels": {**cp_selector, **PART_OF}},
                    "spec": _pod(
                        p,
                        CONTROL_PLANE_AGENT,
                        _container(p, CONTROL_PLANE_AGENT_PORT, scrape.LOOPBACK, "expand-external-labels"),
                        hostNetwork=True,
                        dnsPolicy="ClusterFirstWithHostNet",
                        **on_masters(),
                    ),
                },
            },
        },
    ]
