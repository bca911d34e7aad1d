"""The simulated tls and random providers: fake-but-valid keys, certificates and CSRs, and random strings, all
derived from the resource's name so that every run gives the same bytes.

Apart from offline/simulated_cloud.py (Tencent's resources and data sources) because these providers are not
Tencent's; every name stays importable from offline/simulated_cloud.py.
"""

from __future__ import annotations

import datetime
import hashlib
import string

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from kubecvm.offline.simulated_values import _digest, _plain

_NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


# Fake-but-valid PKI: Ed25519 keys derived from the resource name and deterministic Ed25519 signatures, so every
# run gives byte-identical PEMs and the CA hash is computed exactly as on a real stack (whatever key algorithm
# was asked for).
def _fake_key(seed: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _load_key(pem: str) -> ed25519.Ed25519PrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _subject(subject: dict | None) -> x509.Name:
    subject = _plain(subject) or {}
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, subject.get("commonName") or "fake")]
    if subject.get("organization"):
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject["organization"]))
    return x509.Name(attrs)


def _cert(subject: x509.Name, issuer: x509.Name, public_key, signer, *, ca: bool, hours: float, seed: str) -> str:
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(int(_digest(seed, 16), 16))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + datetime.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _tls_state(typ: str, key: str, state: dict) -> dict:
    if typ == "tls:index/privateKey:PrivateKey":
        k = _fake_key(key)
        pem = k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        pub = k.public_key()
        return {
            "privateKeyPem": pem,
            "privateKeyPemPkcs8": pem,
            "privateKeyOpenssh": k.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            ).decode(),
            "publicKeyPem": pub.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
            "publicKeyOpenssh": pub.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            ).decode()
            + "\n",
        }
    if typ == "tls:index/selfSignedCert:SelfSignedCert":
        k = _load_key(_plain(state["privateKeyPem"]))
        name = _subject(state.get("subject"))
        return {
            "certPem": _cert(
                name,
                name,
                k.public_key(),
                k,
                ca=bool(state.get("isCaCertificate")),
                hours=state["validityPeriodHours"],
                seed=key,
            )
        }
    if typ == "tls:index/certRequest:CertRequest":
        k = _load_key(_plain(state["privateKeyPem"]))
        csr = x509.CertificateSigningRequestBuilder().subject_name(_subject(state.get("subject"))).sign(k, None)
        return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}
    if typ == "tls:index/locallySignedCert:LocallySignedCert":
        csr = x509.load_pem_x509_csr(_plain(state["certRequestPem"]).encode())
        ca = x509.load_pem_x509_certificate(_plain(state["caCertPem"]).encode())
        signer = _load_key(_plain(state["caPrivateKeyPem"]))
        return {
            "certPem": _cert(
                csr.subject,
                ca.subject,
                csr.public_key(),
                signer,
                ca=False,
                hours=state["validityPeriodHours"],
                seed=key,
            )
        }
    return {}


def _random_string(key: str, state: dict) -> str:
    alphabet = "".join(
        chars
        for flag, chars in (
            ("lower", string.ascii_lowercase),
            ("upper", string.ascii_uppercase),
            ("numeric", string.digits),
            ("special", "!@#$%&*()-_=+[]{}<>:?"),
        )
        if state.get(flag, True)
    )
    stream = hashlib.sha256(key.encode()).digest() * 8
    return "".join(alphabet[b % len(alphabet)] for b in stream[: int(state["length"])])
