"""metrics-server: verifying kubelets against the cluster CA, the objects as upstream ships them, and its serving
certificate from the stack (under mocks and over loopback TLS)."""

from __future__ import annotations

import base64
import dataclasses
import json
import socket
import ssl
from http.server import BaseHTTPRequestHandler

import pytest
from cryptography import x509

from kubecvm.planning import addons
from kubecvm.planning.plan import CLUSTER_DOMAIN
from kubecvm.offline.runner import SECRET
from tests.bootstrap._addons import SETTINGS, TLS, by_kind


# ---- metrics-server ----------------------------------------------------------------------------------------------


def test_metrics_server_verifies_kubelets_against_the_cluster_ca():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    (dep,) = by_kind("Deployment", objs)
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == [
        "--cert-dir=/tmp",
        "--secure-port=10250",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
        "--kubelet-certificate-authority=/etc/kubelet-ca/ca.crt",
        "--tls-cert-file=/etc/metrics-server/tls/tls.crt",
        "--tls-private-key-file=/etc/metrics-server/tls/tls.key",
    ]
    assert not [a for a in container["args"] if "insecure" in a]
    assert {"mountPath": "/etc/kubelet-ca", "name": "kubelet-ca", "readOnly": True} in container["volumeMounts"]
    assert {
        "name": "kubelet-ca",
        "configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
    } in pod["volumes"]
    # registry.k8s.io is unreachable from mainland China: the region's mirror of it (planning/mirrors.py).
    assert container["image"] == "registry.aliyuncs.com/google_containers/metrics-server:v0.7.2"
    abroad = addons.metrics_server_objects(
        dataclasses.replace(SETTINGS, region="ap-singapore", zones=("ap-singapore-1",)), TLS
    )
    assert by_kind("Deployment", abroad)[0]["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
        "@sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9"
    )
    assert addons.METRICS_SERVER_MANIFEST.endswith("/v0.7.2/components.yaml")


def test_metrics_server_objects_as_upstream_ships_them():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("ServiceAccount", "metrics-server"),
        ("ClusterRole", "system:aggregated-metrics-reader"),
        ("ClusterRole", "system:metrics-server"),
        ("RoleBinding", "metrics-server-auth-reader"),
        ("ClusterRoleBinding", "metrics-server:system:auth-delegator"),
        ("ClusterRoleBinding", "system:metrics-server"),
        ("Service", "metrics-server"),
        ("Secret", "metrics-server-tls"),
        ("Deployment", "metrics-server"),
        ("APIService", "v1beta1.metrics.k8s.io"),
    ]
    (api,) = by_kind("APIService", objs)
    assert api["spec"]["service"] == {"name": "metrics-server", "namespace": "kube-system"}
    (svc,) = by_kind("Service", objs)
    (dep,) = by_kind("Deployment", objs)
    assert (
        svc["spec"]["selector"]
        == dep["spec"]["selector"]["matchLabels"]
        == dep["spec"]["template"]["metadata"]["labels"]
    )
    reader = next(r for r in by_kind("ClusterRole", objs) if r["metadata"]["name"] == "system:metrics-server")
    assert reader["rules"][0] == {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]}
    assert not addons.metrics_server_objects(dataclasses.replace(SETTINGS, metrics_server=False))


def test_metrics_server_serves_the_stacks_certificate_and_the_apiservice_verifies_it():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    (secret,) = by_kind("Secret", objs)
    assert secret["metadata"]["namespace"] == "kube-system" and secret["type"] == "kubernetes.io/tls"
    assert secret["stringData"] == {"tls.crt": TLS.cert_pem, "tls.key": TLS.key_pem}
    (dep,) = by_kind("Deployment", objs)
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert {"mountPath": "/etc/metrics-server/tls", "name": "serving-cert", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert {"name": "serving-cert", "secret": {"secretName": "metrics-server-tls"}} in pod["volumes"]
    (api,) = by_kind("APIService", objs)
    assert api["spec"]["caBundle"] == TLS.ca_bundle and "insecureSkipTLSVerify" not in api["spec"]
    # The names the aggregator dials (<service>.<namespace>.svc) and in-cluster clients use, in the plan's domain.
    assert addons.METRICS_SERVER_DNS_NAMES == (
        "metrics-server.kube-system.svc",
        "metrics-server.kube-system.svc.cluster.local",
    )
    # (kubeadm's networking.dnsDomain is the same constant: tests/bootstrap/test_render_kubeadm.py checks it is
    # cluster.local)
    assert addons.METRICS_SERVER_DNS_NAMES[1].endswith(".svc." + CLUSTER_DOMAIN)
    with pytest.raises(ValueError, match=r"^addons.metricsServer: metrics-server needs its serving certificate"):
        addons.metrics_server_objects(SETTINGS)


def test_under_mocks_metrics_server_gets_the_stacks_certificate_as_secrets(recorded):
    rec, _ = recorded
    ca, csr, cert = (rec.by_name(f"demo-metrics-server-tls-{p}") for p in ("ca-cert", "csr", "cert"))
    assert csr.inputs["dnsNames"] == ["metrics-server.kube-system.svc", "metrics-server.kube-system.svc.cluster.local"]
    assert csr.inputs["subject"] == {"commonName": "metrics-server.kube-system.svc"}
    assert (ca.inputs["isCaCertificate"], ca.inputs["validityPeriodHours"]) == (True, 10 * 365 * 24)
    assert ca.inputs["subject"] == {"commonName": "demo metrics-server CA"}
    # one year, replaced by any `pulumi up` in its last 90 days (pulumi-tls early_renewal_hours)
    assert (cert.inputs["validityPeriodHours"], cert.inputs["earlyRenewalHours"]) == (365 * 24, 90 * 24)
    assert cert.inputs["allowedUses"] == ["digital_signature", "key_encipherment", "server_auth"]
    assert all(r.parent == rec.by_name("demo-addons").urn for r in (ca, csr, cert))
    secret = rec.by_name("demo-addons-secret-metrics-server-tls")
    assert (secret.inputs["type"], secret.inputs["stringData"]) == ("kubernetes.io/tls", SECRET)
    api = rec.by_name("demo-addons-apiservice-v1beta1.metrics.k8s.io").inputs["spec"]
    assert "insecureSkipTLSVerify" not in api
    bundle = x509.load_pem_x509_certificate(base64.b64decode(api["caBundle"]))  # the CA itself, in clear: public
    assert bundle.subject.rfc4514_string() == "CN=demo metrics-server CA"
    assert bundle.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert "PRIVATE KEY" not in json.dumps([r.inputs for r in rec.resources])


def test_the_certificates_names_are_the_ones_the_aggregator_checks(recorded, loopback_tls):
    # kube-aggregator dials metrics-server with TLS ServerName <service>.<namespace>.svc and the caBundle as its
    # roots (handler_proxy.go): a server with a certificate for the names the stack asks for passes that check.
    rec, _ = recorded
    names = rec.by_name("demo-metrics-server-tls-csr").inputs["dnsNames"]
    service = rec.by_name("demo-addons-apiservice-v1beta1.metrics.k8s.io").inputs["spec"]["service"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = loopback_tls(Handler, dns=names, ca_name="demo metrics-server CA", subject=names[0])
    context = ssl.create_default_context(cadata=server.ca_pem)
    aggregator_name = f"{service['name']}.{service['namespace']}.svc"
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        context.wrap_socket(raw, server_hostname=aggregator_name) as tls,
    ):
        assert tls.getpeercert()["subject"] == ((("commonName", "metrics-server.kube-system.svc"),),)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            context.wrap_socket(raw, server_hostname="metrics-server.default.svc")
