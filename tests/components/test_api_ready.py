"""The add-ons gate against a real TLS server on loopback: ready after the API server stops answering 503,
refused when its certificate is not from the cluster CA, bounded by its timeout."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from kubecvm.components.api_ready import NotReady, wait_ready
from tests.loopback_tls import issue, key_pem, new_key, pem, self_signed_ca


@pytest.fixture
def api_server(loopback_tls):
    """An HTTPS server whose /readyz answers 503 `failures` times, then 200. Yields (url, ca_pem, state)."""
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

    server = loopback_tls(Handler)
    return f"{server.base}/readyz", server.ca_pem, state


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
    other_ca = pem(self_signed_ca("other")[1])
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

    key = new_key()
    cert = issue("kubernetes-admin", key, key, "kubernetes-admin", ca=False)
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    return yaml.safe_dump(
        {
            "clusters": [
                {
                    "name": "c",
                    "cluster": {"server": url.removesuffix("/readyz"), "certificate-authority-data": b64(ca_pem)},
                }
            ],
            "users": [
                {"name": "u", "user": {"client-certificate-data": b64(pem(cert)), "client-key-data": b64(key_pem(key))}}
            ],
        }
    )


def test_the_object_gate_shares_the_poll_and_says_which_object_never_appeared(api_server):
    from kubecvm.components.object_ready import NotFound, wait_object

    url, ca_pem, state = api_server
    kubeconfig = _kubeconfig(url, ca_pem)
    clock = FakeClock()
    assert wait_object(kubeconfig, "/readyz", timeout=60, interval=5, sleep=clock.sleep, clock=lambda: clock.now) == 1
    with pytest.raises(NotFound, match=r"^/apis/apps/v1/x did not appear within 10 s \(last: HTTP 503\)"):
        wait_object(kubeconfig, "/apis/apps/v1/x", timeout=10, interval=5, sleep=clock.sleep, clock=lambda: clock.now)
