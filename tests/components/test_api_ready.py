"""The add-ons gate against a real TLS server on loopback: ready after the API server stops answering 503,
refused when its certificate is not from the cluster CA, bounded by its timeout."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kubecvm.components.api_ready import NotReady, wait_ready

NOW = datetime.datetime.now(datetime.timezone.utc)


def _cert(subject: str, key, issuer_key, issuer: str, *, ca: bool) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1)).not_valid_after(NOW + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def api_server(tmp_path):
    """An HTTPS server whose /readyz answers 503 `failures` times, then 200. Yields (url, ca_pem, set_failures)."""
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("kubernetes-ca", ca_key, ca_key, "kubernetes-ca", ca=True)
    server = _cert("kube-apiserver", server_key, ca_key, "kubernetes-ca", ca=False)
    (tmp_path / "tls.crt").write_text(_pem(server) + _pem(ca))
    (tmp_path / "tls.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    state = {"failures": 0, "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            state["requests"] += 1
            ok = self.path == "/readyz" and state["requests"] > state["failures"]
            self.send_response(200 if ok else 503)
            self.end_headers()
            self.wfile.write(b"ok" if ok else b"[-]etcd failed")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/readyz", _pem(ca), state
    finally:
        httpd.shutdown()
        httpd.server_close()


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_ready_once_the_api_server_answers_200(api_server):
    url, ca_pem, state = api_server
    state["failures"] = 3
    clock = FakeClock()
    assert wait_ready(url, ca_pem, timeout=600, interval=10, sleep=clock.sleep, clock=lambda: clock.now) == 4
    assert clock.sleeps == [10, 10, 10]


def test_gives_up_at_the_timeout_with_the_last_answer(api_server):
    url, ca_pem, state = api_server
    state["failures"] = 10**6
    clock = FakeClock()
    with pytest.raises(NotReady, match=r"did not answer ready within 30 s \(last: HTTP 503\)"):
        wait_ready(url, ca_pem, timeout=30, interval=10, sleep=clock.sleep, clock=lambda: clock.now)
    assert state["requests"] == 4  # at 0, 10, 20 and 30 s; a fifth would come after the deadline


def test_a_server_with_another_ca_is_never_ready(api_server):
    url, _, state = api_server
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_ca = _pem(_cert("other", other_key, other_key, "other", ca=True))
    clock = FakeClock()
    with pytest.raises(NotReady, match="CERTIFICATE_VERIFY_FAILED"):
        wait_ready(url, other_ca, timeout=5, interval=10, sleep=clock.sleep, clock=lambda: clock.now)
    assert state["requests"] == 0  # the handshake failed before any request was made


def test_the_gate_sits_between_the_masters_and_the_addons():
    from kubecvm.offline.runner import run_program
    from tests.conftest import stack_config

    rec = run_program(stack_config("prod"), stack="gate")
    gate = rec.by_name("demo-api-ready")
    assert (gate.inputs["url"], gate.inputs["caPem"]) == ("https://10.0.64.11:6443/readyz", "[secret]")
    assert {rec.by_name(f"demo-master-{i}").urn for i in range(3)} <= set(gate.dependencies)
    assert gate.urn in rec.by_name("demo-addons-k8s").dependencies


def _kubeconfig(url: str, ca_pem: str) -> str:
    """An admin kubeconfig for the loopback server, with a client certificate of its own CA (the server asks none)."""
    import base64

    import yaml

    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("kubernetes-admin", key, key, "kubernetes-admin", ca=False)
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return yaml.safe_dump({
        "clusters": [{"name": "c", "cluster": {"server": url.removesuffix("/readyz"),
                                              "certificate-authority-data": b64(ca_pem)}}],
        "users": [{"name": "u", "user": {"client-certificate-data": b64(_pem(cert)), "client-key-data": b64(key_pem)}}],
    })


def test_the_object_gate_shares_the_poll_and_says_which_object_never_appeared(api_server):
    from kubecvm.components.object_ready import NotFound, wait_object

    url, ca_pem, state = api_server
    kubeconfig = _kubeconfig(url, ca_pem)
    clock = FakeClock()
    assert wait_object(kubeconfig, "/readyz", timeout=60, interval=5, sleep=clock.sleep, clock=lambda: clock.now) == 1
    with pytest.raises(NotFound, match=r"^/apis/apps/v1/x did not appear within 10 s \(last: HTTP 503\)"):
        wait_object(kubeconfig, "/apis/apps/v1/x", timeout=10, interval=5, sleep=clock.sleep, clock=lambda: clock.now)
