"""Rehearsal program: a stack's in-cluster add-on objects, registered on a real kube-apiserver.

It plans the stack as kubecvm's own program does and registers exactly the objects planning.addons and
planning.addons.ingress_nginx make for that plan (the CSR approver, the CBS CSI driver, metrics-server, ingress-nginx),
each through the typed pulumi_kubernetes class ClusterAddons uses (components/addons.py KINDS), with a
pulumi_kubernetes Provider from the rehearsal's kubeconfig. Both runs read this one file: `kubecvm plan --program`
under the SDK's mocks (the prediction) and the Automation API under the real CLI against the real API server.

What differs from ClusterAddons, and why:
- The serving certificates of metrics-server and of the ingress-nginx admission webhook come from pulumi-tls in the
  component; that plugin cannot be built here, so a test certificate stands in (Ed25519 from a fixed seed, fixed
  dates: the same bytes in every run, so a refresh finds nothing changed).
- Every object carries `pulumi.com/skipAwait: "true"` (pulumi-kubernetes provider/pkg/metadata/overrides.go
  SkipAwaitLogic): this cluster has no kubelets, so no Pod ever runs and no Deployment becomes ready. The provider
  then returns as soon as the API server has accepted the object; kube-controller-manager creates the Pods, which
  the rehearsal checks (workloads.py). The real component waits. Deletions are the provider's default (foreground):
  the controller manager's garbage collector finishes them, as in a cluster.
- kubeadm's CoreDNS Deployment, which the component patches, does not exist here (no kubeadm): no patch.
- With monitoring.prometheus, the agents' write token is a fixed test string (the component takes the stack's secret
  kubecvm:prometheusToken) and the write address is the stack's `url` (mode remoteWrite; a TMP instance is a
  tencentcloud resource, which cannot be built here).
"""

import base64
import datetime
import os
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from kubecvm.components.addons import KINDS, PROVIDER_SETTINGS, _args
from kubecvm.components.prometheus import agent_objects
from kubecvm.planning import addons as plan_addons
from kubecvm.offline.rehearsal.programs import stack_plan
from kubecvm.planning.addons import ingress_nginx
from kubecvm.planning.monitoring import prometheus_plan

KUBECONFIG = "KUBECVM_REHEARSAL_KUBECONFIG"  # the rehearsal's kubeconfig file (offline/rehearsal/apiserver.py)
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}  # provider/pkg/metadata/annotations.go in pulumi-kubernetes


def test_tls(common_name: str, dns_names: tuple[str, ...]) -> tuple[str, str, str]:
    """(CA PEM, certificate PEM, key PEM) of a test CA and serving certificate, byte-identical in every run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    ca_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubecvm rehearsal CA")])

    def cert(subject: str, public_key, serial: int, extensions) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(ca_name)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        return builder.sign(ca_key, None)

    ca = cert("kubecvm rehearsal CA", ca_key.public_key(), 1, [(x509.BasicConstraints(ca=True, path_length=0), True)])
    leaf = cert(
        common_name, key.public_key(), 2, [(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), False)]
    )
    pem = serialization.Encoding.PEM
    return (
        ca.public_bytes(pem).decode(),
        leaf.public_bytes(pem).decode(),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
    )


def main() -> None:
    plan = stack_plan()
    settings = plan_addons.settings_from_plan(plan)
    ca, cert, key = test_tls(plan_addons.METRICS_SERVER_DNS_NAMES[0], plan_addons.METRICS_SERVER_DNS_NAMES)
    metrics_tls = plan_addons.ServingTls(
        cert_pem=pulumi.Output.secret(cert),
        key_pem=pulumi.Output.secret(key),
        ca_bundle=base64.b64encode(ca.encode()).decode(),
    )
    objs = plan_addons.objects(settings, metrics_tls=metrics_tls)
    if (ingress := ingress_nginx.settings_from_plan(plan)) is not None:
        ca, cert, key = test_tls(ingress_nginx.WEBHOOK_DNS_NAMES[2], ingress_nginx.WEBHOOK_DNS_NAMES)
        status = ingress_nginx.publish_status_arg(plan.ingress.vip) if plan.ingress.vip else None
        objs += ingress_nginx.objects(
            ingress,
            ca_pem=ca,
            cert_pem=pulumi.Output.secret(cert),
            key_pem=pulumi.Output.secret(key),
            status_arg=status,
        )
    if (pp := prometheus_plan(plan)) is not None:
        # as ManagedPrometheus.objects renders them, for the stack's own write URL
        objs += agent_objects(plan, pp, pp.url, pulumi.Output.secret("rehearsal-token"))
    path = os.environ.get(KUBECONFIG)
    provider = k8s.Provider(
        "addons-k8s", kubeconfig=pulumi.Output.secret(Path(path).read_text() if path else ""), **PROVIDER_SETTINGS
    )  # as ClusterAddons' own provider
    child = pulumi.ResourceOptions(provider=provider)
    for obj in objs:
        meta = obj["metadata"]
        obj = {**obj, "metadata": {**meta, "annotations": {**meta.get("annotations", {}), **SKIP_AWAIT}}}
        KINDS[obj["apiVersion"], obj["kind"]](plan_addons.resource_name("addons", obj), opts=child, **_args(obj))
    pulumi.export("objects", len(objs))


if __name__ == "__main__":  # run as a program (runpy), never on import
    main()
