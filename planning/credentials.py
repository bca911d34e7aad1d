"""The bootstrap token's format, kubeadm's CA hash, the certificate authorities and the admin kubeconfig. Pure.

Split from planning/bootstrap.py, which re-exports every name here.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .cloud_config import _yaml


TOKEN_PATTERN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")  # kubeadm's bootstrap token format
TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH = 6, 16
CA_HASH_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


# The certificate authorities kubeadm is handed (item, common name, the files they fill) and the admin client.
CERTIFICATE_AUTHORITIES = (("ca", "kubernetes"), ("etcd-ca", "etcd-ca"), ("front-proxy-ca", "front-proxy-ca"))
CA_VALIDITY_HOURS = 10 * 365 * 24  # kubeadm's CA lifetime
CA_USES = ("cert_signing", "crl_signing", "digital_signature", "key_encipherment")
KEY_ALGORITHM, RSA_BITS = "RSA", 2048  # what kubeadm generates itself
ADMIN_ITEM = "admin"
# system:masters: the kubeconfig output works even when RBAC is broken (break-glass); keep it secret.
ADMIN_SUBJECT = {"common_name": "kubecvm-admin", "organization": "system:masters"}
ADMIN_VALIDITY_HOURS, ADMIN_RENEW_HOURS = 365 * 24, 30 * 24  # `pulumi up` in the last month renews it
ADMIN_USES = ("digital_signature", "key_encipherment", "client_auth")


# --- the bootstrap token and the CA hash --------------------------------------------------------------------


def is_bootstrap_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(value))


def ca_cert_hash(ca_pem: str) -> str:
    """kubeadm's discovery hash: sha256 over the DER SubjectPublicKeyInfo of the CA certificate."""
    cert = x509.load_pem_x509_certificate(ca_pem.encode())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def kubeconfig(cluster: str, server: str, ca_pem: str, cert_pem: str, key_pem: str) -> str:
    """An admin kubeconfig for `server` (host:port; the caller keeps it secret: it embeds a private key).

    The API server certificate always names "kubernetes" (kubeadm adds it), but not a public CLB address that
    Tencent assigns after the masters boot: verifying against that name works for every endpoint.
    """
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    user = f"{cluster}-admin"
    return _yaml(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": f"https://{server}",
                        "certificate-authority-data": b64(ca_pem),
                        "tls-server-name": "kubernetes",
                    },
                }
            ],
            "users": [
                {"name": user, "user": {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}}
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
        }
    )
