"""The ingress controller behind the ingress CLB: ingress-nginx as plain Kubernetes objects. Pure.

Source: kubernetes/ingress-nginx at tag controller-v1.12.1, deploy/static/provider/baremetal/deploy.yaml (the
chart ingress-nginx-4.12.1 rendered for a NodePort Service). Kept as upstream ships it: the namespace, the
controller's ServiceAccount, Role, ClusterRole and their bindings (rule for rule), the ConfigMap, the admission
Service, the IngressClass `nginx` (controller k8s.io/ingress-nginx), the ValidatingWebhookConfiguration, and the
controller container (args, probes, ports, securityContext, resources). What kubecvm changes, and why:
- a DaemonSet on the selected pools (node label kubecvm/pool) instead of a one-replica Deployment: every worker
  the CLB sends to runs a controller, so the Service can keep client addresses (below);
- the NodePort Service claims exactly the planned NodePorts (planning/ingress.py) and uses
  `externalTrafficPolicy: Local`: a node hands traffic to its own controller only, without the second hop and SNAT
  of `Cluster`, so nginx sees the client's address (the layer-4 CLB keeps it) for logs, allow-lists and
  X-Forwarded-For. The usual price of Local, uneven spread, does not arise: the CLB weighs every worker equally
  and each runs one controller; a node whose controller is not ready fails the CLB's health check and is skipped;
- the IngressClass is the cluster default (annotation ingressclass.kubernetes.io/is-default-class), so an
  Ingress without ingressClassName is served;
- the admission webhook's certificate comes from the stack (pulumi-tls, components/addons.py) instead of the
  kube-webhook-certgen Jobs, so upstream's admission ServiceAccount, Role, ClusterRole, bindings and the two Jobs
  are left out (they exist only to run those Jobs) and no cert-manager is needed;
- `--publish-status-address` (the CLB's address) so `kubectl get ingress` shows where clients connect;
- the image from a registry the region reaches (planning/mirrors.py), and the namespace enforces Pod Security
  `restricted`, which upstream's container already meets (non-root 101, no privilege escalation, only
  NET_BIND_SERVICE, RuntimeDefault seccomp).
v1.12.1 supports Kubernetes 1.28 to 1.32 (the README's support table of that release), kubecvm's range, and
carries the fixes for CVE-2025-1974 and its companions (the March 2025 advisories); snippets stay off
(`allow-snippet-annotations: "false"`, upstream's default made explicit).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .. import images
from ..ingress import NODE_PORTS, POOL_LABEL
from ..mirrors import Mirrors
from .common import rule

# ---- the pin: the ingress-nginx version, tag and digest are planning/images.py's "ingress-nginx-controller" ------
IMAGE = images.BY_NAME["ingress-nginx-controller"]
VERSION = IMAGE.tag.removeprefix("v")
CONTROLLER_DIGEST = IMAGE.digest
# Through a mirror of registry.k8s.io (mainland China: Aliyun's google_containers, planning/mirrors.py) the image is
# `nginx-ingress-controller`, the name that registry gives it, by tag only: the mirror's copy has another digest
# (planning/images.py).
MIRROR_NAME = IMAGE.mirror_name
# -------------------------------------------------------------------------------------------------------------------

NAMESPACE = "ingress-nginx"
NAME = "ingress-nginx"  # the ServiceAccount, Role, ClusterRole and bindings
CONTROLLER = "ingress-nginx-controller"  # the DaemonSet, its Service and ConfigMap
ADMISSION = "ingress-nginx-admission"  # the webhook configuration and the Secret with its certificate
ADMISSION_SERVICE = "ingress-nginx-controller-admission"
CLASS = "nginx"
CONTROLLER_CLASS = "k8s.io/ingress-nginx"
ELECTION_ID = "ingress-nginx-leader"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
# The names the webhook's serving certificate must carry (the API server calls <service>.<namespace>.svc).
WEBHOOK_DNS_NAMES = (
    ADMISSION_SERVICE,
    f"{ADMISSION_SERVICE}.{NAMESPACE}",
    f"{ADMISSION_SERVICE}.{NAMESPACE}.svc",
    f"{ADMISSION_SERVICE}.{NAMESPACE}.svc.cluster.local",
)
SELECTOR = {
    "app.kubernetes.io/component": "controller",
    "app.kubernetes.io/instance": NAME,
    "app.kubernetes.io/name": NAME,
}


def controller_image(m: Mirrors) -> str:
    return images.reference(IMAGE.name, m)


@dataclass(frozen=True)
class IngressNginxSettings:
    image: str
    pools: tuple[str, ...]
    tolerations: tuple[dict[str, str], ...]  # the selected pools' taints, tolerated exactly
    node_ports: tuple[tuple[str, int], ...] = tuple(NODE_PORTS.items())


def settings_from_plan(plan: Any) -> IngressNginxSettings | None:
    """None when the plan has no ingress."""
    from ..mirrors import from_spec

    if plan.ingress is None:
        return None
    taints = {}
    for pool in plan.spec.ingress_pools:
        for t in pool.taints:
            toleration = {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect.value}
            taints[tuple(toleration.values())] = toleration
    return IngressNginxSettings(
        image=controller_image(from_spec(plan.spec)),
        pools=plan.ingress.pools,
        tolerations=tuple(taints[k] for k in sorted(taints)),
        node_ports=tuple((li.key, li.node_port) for li in plan.ingress.listeners),
    )


def _meta(name: str, namespaced: bool = True, component: str | None = "controller", **extra: Any) -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/instance": NAME,
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": NAME,
        "app.kubernetes.io/version": VERSION,
        **({"app.kubernetes.io/component": component} if component else {}),
    }
    return {"name": name, **({"namespace": NAMESPACE} if namespaced else {}), "labels": labels, **extra}


# Upstream's rules, in upstream's order.
ROLE_RULES = [
    rule([""], ["namespaces"], ["get"]),
    rule([""], ["configmaps", "pods", "secrets", "endpoints"], ["get", "list", "watch"]),
    rule([""], ["services"], ["get", "list", "watch"]),
    rule(["networking.k8s.io"], ["ingresses"], ["get", "list", "watch"]),
    rule(["networking.k8s.io"], ["ingresses/status"], ["update"]),
    rule(["networking.k8s.io"], ["ingressclasses"], ["get", "list", "watch"]),
    rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [ELECTION_ID]),
    rule(["coordination.k8s.io"], ["leases"], ["create"]),
    rule([""], ["events"], ["create", "patch"]),
    rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch", "get"]),
]
CLUSTER_ROLE_RULES = [
    rule([""], ["configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"], ["list", "watch"]),
    rule(["coordination.k8s.io"], ["leases"], ["list", "watch"]),
    rule([""], ["nodes"], ["get"]),
    rule([""], ["services"], ["get", "list", "watch"]),
    rule(["networking.k8s.io"], ["ingresses"], ["get", "list", "watch"]),
    rule([""], ["events"], ["create", "patch"]),
    rule(["networking.k8s.io"], ["ingresses/status"], ["update"]),
    rule(["networking.k8s.io"], ["ingressclasses"], ["get", "list", "watch"]),
    rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch", "get"]),
]


def _rbac() -> list[dict[str, Any]]:
    subject = [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME), "automountServiceAccountToken": True},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta(NAME), "rules": ROLE_RULES},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(NAME, False, None),
            "rules": CLUSTER_ROLE_RULES,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(NAME),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": subject,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(NAME, False, None),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": subject,
        },
    ]


def _probe(failures: int) -> dict[str, Any]:
    return {
        "failureThreshold": failures,
        "httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
        "initialDelaySeconds": 10,
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }


def publish_status_arg(address: str) -> str:
    """The controller flag that reports `address` (the CLB's) in every Ingress's status."""
    return f"--publish-status-address={address}"


def _controller(s: IngressNginxSettings, status_arg: Any) -> dict[str, Any]:
    args = [
        "/nginx-ingress-controller",
        f"--election-id={ELECTION_ID}",
        f"--controller-class={CONTROLLER_CLASS}",
        f"--ingress-class={CLASS}",
        f"--configmap=$(POD_NAMESPACE)/{CONTROLLER}",
        "--validating-webhook=:8443",
        "--validating-webhook-certificate=/usr/local/certificates/cert",
        "--validating-webhook-key=/usr/local/certificates/key",
    ]
    if status_arg is not None:
        args.append(status_arg)
    container = {
        "name": "controller",
        "image": s.image,
        "imagePullPolicy": "IfNotPresent",
        "lifecycle": {"preStop": {"exec": {"command": ["/wait-shutdown"]}}},
        "args": args,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 101,
            "runAsGroup": 82,
            "allowPrivilegeEscalation": False,
            "seccompProfile": {"type": "RuntimeDefault"},
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
            "readOnlyRootFilesystem": False,
        },
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "LD_PRELOAD", "value": "/usr/local/lib/libmimalloc.so"},
        ],
        "livenessProbe": _probe(5),
        "readinessProbe": _probe(3),
        "ports": [
            {"name": "http", "containerPort": 80, "protocol": "TCP"},
            {"name": "https", "containerPort": 443, "protocol": "TCP"},
            {"name": "webhook", "containerPort": 8443, "protocol": "TCP"},
        ],
        "volumeMounts": [{"name": "webhook-cert", "mountPath": "/usr/local/certificates/", "readOnly": True}],
        "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}},
    }
    pod = {
        "dnsPolicy": "ClusterFirst",
        "containers": [container],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": list(s.pools)}]}
                    ]
                }
            }
        },
        **({"tolerations": [dict(t) for t in s.tolerations]} if s.tolerations else {}),
        "serviceAccountName": NAME,
        "automountServiceAccountToken": True,
        "terminationGracePeriodSeconds": 300,
        "volumes": [{"name": "webhook-cert", "secret": {"secretName": ADMISSION}}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(CONTROLLER),
        "spec": {
            "selector": {"matchLabels": dict(SELECTOR)},
            "revisionHistoryLimit": 10,
            "minReadySeconds": 0,
            # One node at a time: the CLB health check takes that node out while its controller restarts.
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": {"labels": dict(SELECTOR)}, "spec": pod},
        },
    }


def service(s: IngressNginxSettings) -> dict[str, Any]:
    node_ports = dict(s.node_ports)
    ports = [
        {
            "name": key,
            "port": port,
            "protocol": "TCP",
            "targetPort": key,
            "appProtocol": key,
            "nodePort": node_ports[key],
        }
        for key, port in (("http", 80), ("https", 443))
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(CONTROLLER),
        "spec": {
            "type": "NodePort",
            "externalTrafficPolicy": "Local",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
            "ports": ports,
            "selector": dict(SELECTOR),
        },
    }


def objects(
    s: IngressNginxSettings, *, ca_pem: Any, cert_pem: Any, key_pem: Any, ca_bundle: Any = None, status_arg: Any = None
) -> list[dict[str, Any]]:
    """Every object, in apply order. The webhook's PEMs (and the caBundle, base64 of the CA PEM, which is derived
    from ca_pem when it is a str) may be pulumi Outputs: the component passes its pulumi-tls certificates, the
    tests plain text. `status_arg` is publish_status_arg(the CLB's address) (or an Output of it), None to omit."""
    if ca_bundle is None:
        ca_bundle = base64.b64encode(ca_pem.encode()).decode()
    webhook = {
        "name": "validate.nginx.ingress.kubernetes.io",
        "matchPolicy": "Equivalent",
        "rules": [
            {
                "apiGroups": ["networking.k8s.io"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["ingresses"],
            }
        ],
        "failurePolicy": "Fail",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "clientConfig": {
            "service": {
                "name": ADMISSION_SERVICE,
                "namespace": NAMESPACE,
                "port": 443,
                "path": "/networking/v1/ingresses",
            },
            "caBundle": ca_bundle,
        },
    }
    namespace_labels = {
        "app.kubernetes.io/instance": NAME,
        "app.kubernetes.io/name": NAME,
        "pod-security.kubernetes.io/enforce": "restricted",
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": namespace_labels}},
        *_rbac(),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(CONTROLLER),
            "data": {"allow-snippet-annotations": "false"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(ADMISSION, component="admission-webhook"),
            "type": "Opaque",
            "stringData": {"ca": ca_pem, "cert": cert_pem, "key": key_pem},
        },
        service(s),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(ADMISSION_SERVICE),
            "spec": {
                "type": "ClusterIP",
                "ports": [{"name": "https-webhook", "port": 443, "targetPort": "webhook", "appProtocol": "https"}],
                "selector": dict(SELECTOR),
            },
        },
        _controller(s, status_arg),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": _meta(CLASS, False, annotations={DEFAULT_CLASS_ANNOTATION: "true"}),
            "spec": {"controller": CONTROLLER_CLASS},
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": _meta(ADMISSION, False, "admission-webhook"),
            "webhooks": [webhook],
        },
    ]
