"""metrics-server, as upstream's release manifest ships it, with its kubelet and APIService TLS verified. Pure.

Pinned here, with its source: the objects below are upstream's release manifest, transcribed (checked field by field
against kubernetes-sigs/metrics-server manifests/ and its chart's defaults: tests/bootstrap/test_metrics_server_upstream.py),
with three changes: the image comes through image() (mirrored where registry.k8s.io is unreachable); the kubelets'
serving certificates are verified against the cluster CA (--kubelet-certificate-authority, the CA from the
kube-root-ca.crt ConfigMap that kube-controller-manager publishes in every namespace) instead of
--kubelet-insecure-tls, which works because the kubelets have CA-signed serving certificates (serverTLSBootstrap in
planning/kubeadm.py, approved by planning/addons/csr_approver.py); and metrics-server serves with a certificate
the stack issues, which the APIService verifies (caBundle) instead of insecureSkipTLSVerify (below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import images as image_table
from ..plan import CLUSTER_DOMAIN
from .common import LOCKED_DOWN, NAMESPACE, PART_OF, ServingTls, image, meta, rule

if TYPE_CHECKING:
    from .settings import AddonSettings

METRICS_SERVER_VERSION = image_table.BY_NAME["metrics-server"].tag  # its digest: planning/images.py
METRICS_SERVER_MANIFEST = (
    f"https://github.com/kubernetes-sigs/metrics-server/releases/download/{METRICS_SERVER_VERSION}/components.yaml"
)
METRICS_SERVER = "metrics-server"
KUBELET_CA_DIR = "/etc/kubelet-ca"
_MS_LABELS = {"k8s-app": METRICS_SERVER}

# metrics-server's own serving certificate, so the API server's aggregator verifies it (APIService caBundle) instead
# of upstream's insecureSkipTLSVerify. The aggregator dials the Service's endpoints with TLS ServerName
# <service>.<namespace>.svc and the caBundle as its only roots (kube-aggregator pkg/apiserver/handler_proxy.go
# updateAPIService: ServerName and CAData, kubernetes/kubernetes@702afaba766fb48bc94b96d72f486de39a70a6a4); the
# .svc.<cluster domain> name serves in-cluster clients. The stack issues it (components/addons.py, pulumi-tls) from a
# CA of its own, like the ingress admission webhook's; it is mounted from a kubernetes.io/tls Secret and handed to
# metrics-server's --tls-cert-file/--tls-private-key-file (k8s.io/apiserver SecureServingOptions, which re-reads
# the files every minute: pkg/server/options/serving.go ApplyTo -> dynamiccertificates
# NewDynamicServingContentFromFiles, dynamic_serving_content.go Run, FileRefreshDuration 1 min,
# kubernetes/kubernetes@f594c25c70bab163edba38bbf17faf7176577a6c), so a renewed certificate is served without a
# restart once the kubelet has refreshed the Secret volume.
METRICS_SERVER_TLS_SECRET = "metrics-server-tls"
METRICS_SERVER_TLS_DIR = "/etc/metrics-server/tls"
METRICS_SERVER_DNS_NAMES = (f"{METRICS_SERVER}.{NAMESPACE}.svc", f"{METRICS_SERVER}.{NAMESPACE}.svc.{CLUSTER_DOMAIN}")


def _ms_meta(name: str, namespaced: bool = True, **labels: str) -> dict[str, Any]:
    return meta(name, {**_MS_LABELS, **PART_OF, **labels}, namespaced)


def _ms_deployment(s: AddonSettings) -> dict[str, Any]:
    probe = {"failureThreshold": 3, "periodSeconds": 10}
    container = {
        "name": METRICS_SERVER,
        "image": image(METRICS_SERVER, s),
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "--cert-dir=/tmp",
            "--secure-port=10250",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            "--kubelet-use-node-status-port",
            "--metric-resolution=15s",
            f"--kubelet-certificate-authority={KUBELET_CA_DIR}/ca.crt",
            # its own serving certificate (--cert-dir then holds nothing: it only self-signs without these)
            f"--tls-cert-file={METRICS_SERVER_TLS_DIR}/tls.crt",
            f"--tls-private-key-file={METRICS_SERVER_TLS_DIR}/tls.key",
        ],
        "ports": [{"containerPort": 10250, "name": "https", "protocol": "TCP"}],
        "livenessProbe": {**probe, "httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"}},
        "readinessProbe": {
            **probe,
            "initialDelaySeconds": 20,
            "httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"},
        },
        "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
        # The user its image is built to run as (upstream's manifest), not nobody.
        "securityContext": {**LOCKED_DOWN, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [
            {"mountPath": "/tmp", "name": "tmp-dir"},
            {"mountPath": KUBELET_CA_DIR, "name": "kubelet-ca", "readOnly": True},
            {"mountPath": METRICS_SERVER_TLS_DIR, "name": "serving-cert", "readOnly": True},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _ms_meta(METRICS_SERVER),
        "spec": {
            "selector": {"matchLabels": _MS_LABELS},
            "strategy": {"rollingUpdate": {"maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": _MS_LABELS},
                "spec": {
                    "containers": [container],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": METRICS_SERVER,
                    "volumes": [
                        {"name": "tmp-dir", "emptyDir": {}},
                        {
                            "name": "kubelet-ca",
                            "configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
                        },
                        {"name": "serving-cert", "secret": {"secretName": METRICS_SERVER_TLS_SECRET}},
                    ],
                },
            },
        },
    }


def metrics_server_objects(s: AddonSettings, tls: ServingTls | None = None) -> list[dict[str, Any]]:
    """metrics-server METRICS_SERVER_VERSION as upstream ships it (METRICS_SERVER_MANIFEST), kubelet TLS verified,
    serving with `tls` (the stack's certificate for METRICS_SERVER_DNS_NAMES), which the APIService trusts."""
    if not s.metrics_server:
        return []
    if tls is None:
        raise ValueError(
            "addons.metricsServer: metrics-server needs its serving certificate (ServingTls), "
            "which components/addons.py makes with pulumi-tls"
        )
    sa = {"kind": "ServiceAccount", "name": METRICS_SERVER, "namespace": NAMESPACE}
    aggregate = {f"rbac.authorization.k8s.io/aggregate-to-{r}": "true" for r in ("admin", "edit", "view")}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _ms_meta(METRICS_SERVER)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _ms_meta("system:aggregated-metrics-reader", False, **aggregate),
            "rules": [rule(["metrics.k8s.io"], ["pods", "nodes"], ["get", "list", "watch"])],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _ms_meta("system:metrics-server", False),
            "rules": [rule([""], ["nodes/metrics"], ["get"]), rule([""], ["pods", "nodes"], ["get", "list", "watch"])],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _ms_meta("metrics-server-auth-reader"),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "extension-apiserver-authentication-reader",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _ms_meta("metrics-server:system:auth-delegator", False),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:auth-delegator",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _ms_meta("system:metrics-server", False),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:metrics-server",
            },
            "subjects": [sa],
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _ms_meta(METRICS_SERVER),
            "spec": {
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
                "selector": _MS_LABELS,
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _ms_meta(METRICS_SERVER_TLS_SECRET),
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": tls.cert_pem, "tls.key": tls.key_pem},
        },
        _ms_deployment(s),
        # Upstream's APIService, verified: the caBundle instead of insecureSkipTLSVerify (false when absent).
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": _ms_meta("v1beta1.metrics.k8s.io", False),
            "spec": {
                "group": "metrics.k8s.io",
                "groupPriorityMinimum": 100,
                "caBundle": tls.ca_bundle,
                "service": {"name": METRICS_SERVER, "namespace": NAMESPACE},
                "version": "v1beta1",
                "versionPriority": 100,
            },
        },
    ]
