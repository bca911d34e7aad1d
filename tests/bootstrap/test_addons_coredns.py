"""CoreDNS: kubecvm's patch of kubeadm's Deployment applies to it for every version and spreads the replicas."""

from __future__ import annotations


import kubernetes_validate
import pytest

from kubecvm.planning import addons
from tests.bootstrap._addons import SUPPORTED


# ---- CoreDNS spread (a patch of kubeadm's Deployment) -------------------------------------------------------------


def kubeadm_coredns() -> dict:
    """kubeadm's CoreDNS Deployment as it creates it (cmd/kubeadm/app/phases/addons/dns/manifests.go, templated)."""
    port = lambda n, name, proto="TCP": {"containerPort": n, "name": name, "protocol": proto}  # noqa: E731
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "labelSelector": {
                                            "matchExpressions": [
                                                {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}
                                            ]
                                        },
                                        "topologyKey": "kubernetes.io/hostname",
                                    },
                                }
                            ]
                        }
                    },
                    "tolerations": [
                        {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
                    ],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [
                        {
                            "name": "coredns",
                            "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                            "imagePullPolicy": "IfNotPresent",
                            "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                            "args": ["-conf", "/etc/coredns/Corefile"],
                            "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
                            "ports": [
                                port(53, "dns", "UDP"),
                                port(53, "dns-tcp"),
                                port(9153, "metrics"),
                                port(8080, "liveness-probe"),
                                port(8181, "readiness-probe"),
                            ],
                            "livenessProbe": {
                                "httpGet": {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"},
                                "initialDelaySeconds": 60,
                                "timeoutSeconds": 5,
                                "successThreshold": 1,
                                "failureThreshold": 5,
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            },
                        }
                    ],
                    "dnsPolicy": "Default",
                    "volumes": [
                        {
                            "name": "config-volume",
                            "configMap": {"name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]},
                        }
                    ],
                },
            },
        },
    }


def merge(base, patch):
    """Server-side apply's merge for what the patch sets: maps merge key by key, the patch's lists are new fields."""
    if isinstance(base, dict) and isinstance(patch, dict):
        return {k: merge(base.get(k), patch[k]) if k in patch else base[k] for k in {**base, **patch}}
    return patch


@pytest.mark.parametrize("version", SUPPORTED)
def test_coredns_patch_applies_to_kubeadms_deployment_for_every_version(version):
    patch = addons.coredns_patch()
    merged = merge(kubeadm_coredns(), {k: v for k, v in patch.items() if k != "metadata"})
    assert kubernetes_validate.validate(merged, version, strict=True) == version
    assert kubernetes_validate.validate(kubeadm_coredns(), version, strict=True) == version  # the fixture itself


def test_coredns_replicas_need_distinct_nodes_and_spread_over_zones():
    merged = merge(kubeadm_coredns(), addons.coredns_patch())
    pod = merged["spec"]["template"]["spec"]
    anti = pod["affinity"]["podAntiAffinity"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "topologyKey": "kubernetes.io/hostname"}
    ]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"]  # kubeadm's own preference is kept
    assert pod["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    # The selectors match kubeadm's pods, or the rules would constrain nothing.
    assert all(
        merged["spec"]["template"]["metadata"]["labels"][k] == v
        for k, v in addons.COREDNS_SELECTOR["matchLabels"].items()
    )
    # The patch owns only those fields and waits for no rollout (the second replica waits for a second node).
    assert set(addons.coredns_patch()["spec"]["template"]["spec"]) == {"affinity", "topologySpreadConstraints"}
    assert addons.coredns_patch()["metadata"]["annotations"] == {
        "pulumi.com/patchForce": "true",
        "pulumi.com/skipAwait": "true",
    }
    assert addons.api_path(addons.coredns_patch()) == "/apis/apps/v1/namespaces/kube-system/deployments/coredns"
