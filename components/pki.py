"""The cluster's PKI, generated in the stack with pulumi-tls: every key and certificate is a Pulumi secret."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

import pulumi
import pulumi_tls as tls

from kubecvm.planning import ClusterPlan, bootstrap, names

TYPE = "kubecvm:index:Pki"


class Pki(pulumi.ComponentResource):
    """Cluster, etcd and front-proxy CAs, the service-account key pair and an admin client certificate.

    `files` maps each planning.bootstrap.PKI_FILES item to its PEM (secret), ready for SSM.
    """

    def __init__(self, name: str, plan: ClusterPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        c = plan.name
        # Certificates and public keys are not sensitive on their own, but kept secret so no PEM reaches a report.
        opts_for = lambda *outputs: pulumi.ResourceOptions(parent=self, additional_secret_outputs=list(outputs))  # noqa: E731

        def key(item: str) -> tls.PrivateKey:
            return tls.PrivateKey(
                names.pki_key(c, item),
                algorithm=bootstrap.KEY_ALGORITHM,
                rsa_bits=bootstrap.RSA_BITS,
                opts=opts_for("publicKeyPem", "publicKeyOpenssh"),
            )

        self.files: dict[str, pulumi.Output[str]] = {}
        cas: dict[str, tuple[tls.PrivateKey, tls.SelfSignedCert]] = {}
        for item, common_name in bootstrap.CERTIFICATE_AUTHORITIES:
            k = key(item)
            cert = tls.SelfSignedCert(
                names.pki_cert(c, item),
                private_key_pem=k.private_key_pem,
                is_ca_certificate=True,
                subject={"common_name": common_name},
                validity_period_hours=bootstrap.CA_VALIDITY_HOURS,
                allowed_uses=list(bootstrap.CA_USES),
                opts=opts_for("certPem"),
            )
            cas[item] = (k, cert)
            self.files[f"{item}-crt"] = cert.cert_pem
            self.files[f"{item}-key"] = k.private_key_pem
        sa = key("sa")
        self.files["sa-key"] = sa.private_key_pem
        self.files["sa-pub"] = sa.public_key_pem

        ca_key, ca_cert = cas["ca"]
        admin_key = key(bootstrap.ADMIN_ITEM)
        csr = tls.CertRequest(
            names.pki_csr(c, bootstrap.ADMIN_ITEM),
            private_key_pem=admin_key.private_key_pem,
            subject=bootstrap.ADMIN_SUBJECT,
            opts=opts_for("certRequestPem"),
        )
        admin = tls.LocallySignedCert(
            names.pki_cert(c, bootstrap.ADMIN_ITEM),
            cert_request_pem=csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=bootstrap.ADMIN_VALIDITY_HOURS,
            early_renewal_hours=bootstrap.ADMIN_RENEW_HOURS,
            allowed_uses=list(bootstrap.ADMIN_USES),
            opts=opts_for("certPem"),
        )
        self.ca_cert_pem = ca_cert.cert_pem
        self.admin_cert_pem = admin.cert_pem
        self.admin_key_pem = admin_key.private_key_pem
        # The discovery hash is public by design (kubeadm prints it): unsecret so user data stays reviewable.
        self.ca_hash = pulumi.Output.unsecret(ca_cert.cert_pem.apply(bootstrap.ca_cert_hash))
        self.register_outputs({"caHash": self.ca_hash})


SERVER_USES = ("digital_signature", "key_encipherment", "server_auth")


def service_certificates(
    name: Callable[[str], str],
    *,
    ca_common_name: str,
    common_name: str,
    dns_names: Sequence[str],
    validity_hours: int,
    renew_hours: int | None = None,
    ca_validity_hours: int = bootstrap.CA_VALIDITY_HOURS,
    parent: pulumi.Resource,
) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
    """(CA PEM, serving certificate PEM, serving key PEM), all Pulumi secrets: a small CA of its own and one serving
    certificate from it for an in-cluster Service's `dns_names` (the admission webhook, metrics-server). `name(part)`
    names each resource (part "ca-key", "ca-cert", "key", "csr", "cert"). `renew_hours`: pulumi-tls early_renewal_hours,
    a `pulumi up` within that many hours of the certificate's expiry replaces it (same key, same CA)."""
    opts = pulumi.ResourceOptions(parent=parent)

    def key(part: str) -> tls.PrivateKey:
        return tls.PrivateKey(name(part), algorithm="ECDSA", ecdsa_curve="P256", opts=opts)

    ca_key = key("ca-key")
    ca = tls.SelfSignedCert(
        name("ca-cert"),
        private_key_pem=ca_key.private_key_pem,
        is_ca_certificate=True,
        subject={"common_name": ca_common_name},
        validity_period_hours=ca_validity_hours,
        allowed_uses=list(bootstrap.CA_USES),
        opts=opts,
    )
    server_key = key("key")
    csr = tls.CertRequest(
        name("csr"),
        private_key_pem=server_key.private_key_pem,
        subject={"common_name": common_name},
        dns_names=list(dns_names),
        opts=opts,
    )
    cert = tls.LocallySignedCert(
        name("cert"),
        cert_request_pem=csr.cert_request_pem,
        ca_private_key_pem=ca_key.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        validity_period_hours=validity_hours,
        early_renewal_hours=renew_hours,
        allowed_uses=list(SERVER_USES),
        opts=opts,
    )
    secret = pulumi.Output.secret
    return secret(ca.cert_pem), secret(cert.cert_pem), secret(server_key.private_key_pem)


def ca_bundle(ca_pem: pulumi.Output[str]) -> pulumi.Output[str]:
    """The caBundle an APIService or webhook wants: base64 of the CA certificate's PEM (public: not a secret)."""
    return pulumi.Output.unsecret(ca_pem).apply(lambda pem: base64.b64encode(pem.encode()).decode())
