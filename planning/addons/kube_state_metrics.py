"""kube-state-metrics: the state of the cluster's objects as metrics. Pure.

As upstream's standard example (kubernetes/kube-state-metrics examples/standard/: deployment.yaml, service.yaml,
cluster-role.yaml, v2.15.0) with its ports stated (--port 8080, --telemetry-port 8081: pkg/options/options.go
defaults) and its ClusterRole narrowed to list and watch (upstream's grants the same verbs on the same resources).
Its image is registry.k8s.io's, which a mainland VPC does not reach: there kubecvm requires a copy in the user's
registry (monitoring.prometheus.imageRepository, planning/images.py).
"""

from __future__ import annotations

from typing import Any

from . import scrape
from .common import LOCKED_DOWN, PART_OF, meta, rbac, rule

NAME = "kube-state-metrics"
_SELECTOR = {"app.kubernetes.io/name": NAME}
# examples/standard/cluster-role.yaml (v2.15.0): group -> resources, every one with list and watch.
WATCHED: dict[str, list[str]] = {
    "": [
        "configmaps",
        "secrets",
        "nodes",
        "pods",
        "services",
        "serviceaccounts",
        "resourcequotas",
        "replicationcontrollers",
        "limitranges",
        "persistentvolumeclaims",
        "persistentvolumes",
        "namespaces",
        "endpoints",
    ],
    "apps": ["statefulsets", "daemonsets", "deployments", "replicasets"],
    "batch": ["cronjobs", "jobs"],
    "autoscaling": ["horizontalpodautoscalers"],
    "policy": ["poddisruptionbudgets"],
    "certificates.k8s.io": ["certificatesigningrequests"],
    "discovery.k8s.io": ["endpointslices"],
    "storage.k8s.io": ["storageclasses", "volumeattachments"],
    "admissionregistration.k8s.io": ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
    "networking.k8s.io": ["networkpolicies", "ingressclasses", "ingresses"],
    "coordination.k8s.io": ["leases"],
    "rbac.authorization.k8s.io": ["clusterrolebindings", "clusterroles", "rolebindings", "roles"],
}


def _meta(name: str, namespaced: bool = True) -> dict[str, Any]:
    return meta(name, {**_SELECTOR, **PART_OF}, namespaced)


def kube_state_metrics_objects(image: str) -> list[dict[str, Any]]:
    port, telemetry = scrape.KSM_PORT, scrape.KSM_TELEMETRY_PORT
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": [f"--port={port}", f"--telemetry-port={telemetry}"],
        "ports": [{"containerPort": port, "name": "http-metrics"}, {"containerPort": telemetry, "name": "telemetry"}],
        "livenessProbe": {
            "httpGet": {"path": "/livez", "port": "http-metrics"},
            "initialDelaySeconds": 5,
            "timeoutSeconds": 5,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "telemetry"},
            "initialDelaySeconds": 5,
            "timeoutSeconds": 5,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {**LOCKED_DOWN, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    rules = [rule([group], resources, ["list", "watch"]) for group, resources in WATCHED.items()]
    return [
        *rbac(NAME, NAME, rules, _meta),
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(NAME),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": _SELECTOR},
                "template": {
                    "metadata": {"labels": {**_SELECTOR, **PART_OF}},
                    "spec": {
                        "serviceAccountName": NAME,
                        "automountServiceAccountToken": True,
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                        "containers": [container],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(NAME),
            "spec": {
                "clusterIP": "None",
                "selector": _SELECTOR,
                "ports": [
                    {"name": "http-metrics", "port": port, "targetPort": "http-metrics"},
                    {"name": "telemetry", "port": telemetry, "targetPort": "telemetry"},
                ],
            },
        },
    ]
