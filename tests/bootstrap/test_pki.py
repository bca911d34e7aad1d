"""The discovery hash against openssl, the bootstrap token format, the admin kubeconfig."""

from __future__ import annotations

import base64
import datetime
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
import yaml  # cloud-init and kubeadm-side tools read it with PyYAML too

from kubecvm.planning import bootstrap
from kubecvm.offline import simulated_cloud

OPENSSL = shutil.which("openssl")


def self_signed(key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def openssl_hash(pem: str) -> str:
    """kubeadm's documented recipe: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum."""
    pub = subprocess.run(
        [OPENSSL, "x509", "-pubkey", "-noout"], input=pem.encode(), capture_output=True, check=True
    ).stdout
    der = subprocess.run(
        [OPENSSL, "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True, check=True
    ).stdout
    digest = subprocess.run(["sha256sum"], input=der, capture_output=True, check=True).stdout.decode().split()[0]
    return f"sha256:{digest}"


@pytest.mark.skipif(not OPENSSL, reason="openssl not installed")
@pytest.mark.parametrize(
    "key",
    [
        pytest.param(
            rsa.generate_private_key(public_exponent=65537, key_size=2048), id="rsa-2048 (what pulumi-tls makes)"
        ),
        pytest.param(ec.generate_private_key(ec.SECP256R1()), id="ecdsa-p256"),
    ],
)
def test_ca_hash_equals_openssl(key):
    pem = self_signed(key)
    assert bootstrap.ca_cert_hash(pem) == openssl_hash(pem)
    assert bootstrap.CA_HASH_PATTERN.match(bootstrap.ca_cert_hash(pem))


@pytest.mark.skipif(not OPENSSL, reason="openssl not installed")
def test_ca_hash_of_the_simulated_cloud_ca_equals_openssl():
    # The offline plan's fake CA (Ed25519, derived from the resource name) is a real certificate too.
    key = simulated_cloud._fake_key("tls:index/privateKey:PrivateKey::demo-pki-ca-key")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    pem = simulated_cloud._cert(name, name, key.public_key(), key, ca=True, hours=24, seed="ca")
    assert bootstrap.ca_cert_hash(pem) == openssl_hash(pem)


def test_ca_hash_differs_per_ca():
    a, b = (self_signed(ec.generate_private_key(ec.SECP256R1())) for _ in range(2))
    assert bootstrap.ca_cert_hash(a) != bootstrap.ca_cert_hash(b)


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=6),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=16, max_size=16),
)
def test_kubeadm_token_format_accepted(token_id: str, secret: str):
    assert bootstrap.is_bootstrap_token(f"{token_id}.{secret}")


@pytest.mark.parametrize(
    "token",
    [
        "abcdef.0123456789abcdef0",
        "abcde.0123456789abcdef",
        "ABCDEF.0123456789abcdef",
        "abcdef-0123456789abcdef",
        "abcdef.0123456789abcde_",
        "abcdef.0123456789abcdef\n",
        "",
    ],
)
def test_kubeadm_token_format_rejected(token: str):
    assert not bootstrap.is_bootstrap_token(token)


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.isprintable()))
def test_simulated_token_parts_use_the_requested_alphabet(seed: str):
    # The simulated provider honours lower/numeric/upper/special like pulumi-random does: id.secret is kubeadm's.
    flags = {"lower": True, "numeric": True, "upper": False, "special": False}
    token = (
        simulated_cloud._random_string(seed + "id", {"length": 6, **flags})
        + "."
        + simulated_cloud._random_string(seed + "secret", {"length": 16, **flags})
    )
    assert bootstrap.is_bootstrap_token(token)


def test_kubeconfig_embeds_the_pems_and_the_endpoint():
    ca = self_signed(ec.generate_private_key(ec.SECP256R1()))
    text = bootstrap.kubeconfig("prod", "10.2.64.11:6443", ca, "CERT\n", "KEY\n")
    doc = yaml.safe_load(text)
    cluster = doc["clusters"][0]["cluster"]
    assert cluster["server"] == "https://10.2.64.11:6443"
    assert cluster["tls-server-name"] == "kubernetes"  # a SAN kubeadm always puts in the API server certificate
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == ca
    user = doc["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == b"CERT\n"
    assert base64.b64decode(user["client-key-data"]) == b"KEY\n"
    assert doc["current-context"] == "prod"
    assert doc["contexts"] == [{"name": "prod", "context": {"cluster": "prod", "user": "prod-admin"}}]
