"""Test PKI and an HTTPS server on 127.0.0.1, shared by the tests that talk TLS to a fake (the API-ready and object
gates, the CSR approver's in-cluster API, metrics-server's serving certificate as the aggregator checks it).

`issue` makes real certificates with `cryptography`; the `loopback_tls` fixture (tests/conftest.py) starts a
ThreadingHTTPServer wrapped in TLS on a free loopback port with a certificate from a fresh CA, and stops it.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
LOOPBACK = "127.0.0.1"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def issue(
    subject: str, key, issuer_key, issuer: str, *, ca: bool, dns: Sequence[str] = (), ips: Sequence[str] = (LOOPBACK,)
) -> x509.Certificate:
    """A certificate for `key`, signed by `issuer_key`, valid from an hour ago for an hour. A leaf (ca=False) names
    `dns` and `ips` (by default the loopback address the servers here listen on)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if not ca and names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def self_signed_ca(name: str):
    """(key, certificate) of a new CA."""
    key = new_key()
    return key, issue(name, key, key, name, ca=True)


@dataclass(frozen=True)
class Server:
    """A running loopback HTTPS server: `base` is https://127.0.0.1:<port>; `ca_pem`/`ca_file` its CA."""

    base: str
    port: int
    ca_pem: str
    ca_file: str


@contextmanager
def serve(
    handler: type[BaseHTTPRequestHandler],
    directory: Path,
    *,
    dns: Sequence[str] = (),
    ca_name: str = "kubernetes-ca",
    subject: str = "kube-apiserver",
) -> Iterator[Server]:
    """Serve `handler` over TLS on 127.0.0.1 (a free port) with a leaf from a new CA (chain sent), until the block ends."""
    ca_key, ca = self_signed_ca(ca_name)
    server_key = new_key()
    leaf = issue(subject, server_key, ca_key, ca_name, ca=False, dns=dns)
    (directory / "ca.crt").write_text(pem(ca))
    (directory / "tls.crt").write_text(pem(leaf) + pem(ca))
    (directory / "tls.key").write_text(key_pem(server_key))
    httpd = ThreadingHTTPServer((LOOPBACK, 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "tls.crt", directory / "tls.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        yield Server(f"https://{LOOPBACK}:{port}", port, pem(ca), str(directory / "ca.crt"))
    finally:
        httpd.shutdown()
        httpd.server_close()


def metrics_tls(dns: Sequence[str] = ("metrics-server.kube-system.svc",)):
    """A metrics-server ServingTls for the pure manifests (planning.addons.objects): a real CA (its caBundle) and
    certificate, and a stand-in for the key, which the stack passes as a Pulumi secret and no manifest test holds."""
    from kubecvm.planning.addons import ServingTls

    ca_key, ca = self_signed_ca("demo metrics-server CA")
    leaf = issue(dns[0], new_key(), ca_key, "demo metrics-server CA", ca=False, dns=dns, ips=())
    return ServingTls(
        cert_pem=pem(leaf),
        key_pem="<metrics-server key: a Pulumi secret>",
        ca_bundle=base64.b64encode(pem(ca).encode()).decode(),
    )
