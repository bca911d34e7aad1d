"""metrics-server's objects against upstream's, field by field (planning/addons/metrics_server.py).

Upstream, as the index holds it (kubernetes-sigs/metrics-server):
- manifests/base/deployment.yaml@2efcd9fe23d41e20660d06eaf15619db25b900ed: args, the https port 10250, probes
  (/readyz after 20 s, /livez), requests 100m/200Mi, priorityClassName system-cluster-critical, nodeSelector linux,
  maxUnavailable 0, /tmp emptyDir, securityContext readOnlyRootFilesystem/runAsNonRoot/runAsUser 1000/
  allowPrivilegeEscalation false;
- charts/metrics-server/values.yaml@6e9b014e426b49573a3893cdbf29d0e7b281abad (the project's own chart, same
  defaults): the same args, probes, port and requests, and the securityContext with seccompProfile RuntimeDefault and
  capabilities drop ALL;
- manifests/base/rbac.yaml@b28fa66f185dcee1f1afe414e9674ed7ccb0f066: the aggregated reader (labels aggregate-to-view/
  edit/admin), the auth-reader RoleBinding, the auth-delegator binding, system:metrics-server and its binding.
Deliberate differences (and only these): the image through planning/mirrors.py; the kubelets' serving certificates
verified against the cluster CA (and metrics-server's own serving certificate, the APIService's caBundle: owned by the
TLS work, not checked here); system:metrics-server grants nodes/metrics get and pods, nodes get/list/watch only, where
older upstream rbac.yaml also lists namespaces and configmaps: metrics-server reads just the
extension-apiserver-authentication ConfigMap, which the auth-reader binding grants.
"""

from __future__ import annotations

from kubecvm.planning import addons
from tests.conftest import PROD_ZONES, REGION
from tests.loopback_tls import metrics_tls

SETTINGS = addons.AddonSettings(cluster="demo", region=REGION, zones=tuple(PROD_ZONES), kubernetes_version="1.30.6")
OBJECTS = {(o["kind"], o["metadata"]["name"]): o for o in addons.metrics_server_objects(SETTINGS, metrics_tls())}
DEPLOYMENT = OBJECTS[("Deployment", "metrics-server")]
POD = DEPLOYMENT["spec"]["template"]["spec"]
[CONTAINER] = [c for c in POD["containers"] if c["name"] == "metrics-server"]

UPSTREAM_ARGS = [
    "--cert-dir=/tmp",
    "--secure-port=10250",
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    "--kubelet-use-node-status-port",
    "--metric-resolution=15s",
]


def test_container_as_upstream_runs_it():
    assert CONTAINER["args"][: len(UPSTREAM_ARGS)] == UPSTREAM_ARGS
    assert "--kubelet-insecure-tls" not in CONTAINER["args"]
    assert CONTAINER["ports"] == [{"containerPort": 10250, "name": "https", "protocol": "TCP"}]
    assert CONTAINER["readinessProbe"] == {
        "httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"},
        "initialDelaySeconds": 20,
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    assert CONTAINER["livenessProbe"] == {
        "httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"},
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    assert CONTAINER["resources"] == {"requests": {"cpu": "100m", "memory": "200Mi"}}
    assert CONTAINER["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert CONTAINER["imagePullPolicy"] == "IfNotPresent"
    assert {"mountPath": "/tmp", "name": "tmp-dir"} in CONTAINER["volumeMounts"]


def test_pod_and_deployment_as_upstream_schedules_them():
    assert POD["priorityClassName"] == "system-cluster-critical"
    assert POD["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert POD["serviceAccountName"] == "metrics-server"
    assert {"name": "tmp-dir", "emptyDir": {}} in POD["volumes"]
    assert DEPLOYMENT["spec"]["strategy"] == {"rollingUpdate": {"maxUnavailable": 0}}
    assert DEPLOYMENT["spec"]["selector"] == {"matchLabels": {"k8s-app": "metrics-server"}}
    assert DEPLOYMENT["spec"]["template"]["metadata"]["labels"] == {"k8s-app": "metrics-server"}


def test_rbac_and_service_as_upstream_names_them():
    reader = OBJECTS[("ClusterRole", "system:aggregated-metrics-reader")]
    assert {k: v for k, v in reader["metadata"]["labels"].items() if k.startswith("rbac.")} == {
        f"rbac.authorization.k8s.io/aggregate-to-{r}": "true" for r in ("view", "edit", "admin")
    }
    assert reader["rules"] == [
        {"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]}
    ]
    assert OBJECTS[("ClusterRole", "system:metrics-server")]["rules"] == [
        {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
    ]
    sa = [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": "kube-system"}]
    bindings = {
        ("RoleBinding", "metrics-server-auth-reader"): ("Role", "extension-apiserver-authentication-reader"),
        ("ClusterRoleBinding", "metrics-server:system:auth-delegator"): ("ClusterRole", "system:auth-delegator"),
        ("ClusterRoleBinding", "system:metrics-server"): ("ClusterRole", "system:metrics-server"),
    }
    for key, (kind, name) in bindings.items():
        assert OBJECTS[key]["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}
        assert OBJECTS[key]["subjects"] == sa
    assert OBJECTS[("RoleBinding", "metrics-server-auth-reader")]["metadata"]["namespace"] == "kube-system"
    service = OBJECTS[("Service", "metrics-server")]["spec"]
    assert service == {
        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
        "selector": {"k8s-app": "metrics-server"},
    }
