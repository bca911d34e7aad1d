"""A gate that `pulumi up` passes only once the new cluster's API server answers, so the add-ons that follow do
not race kubeadm on the first deployment. It runs where Pulumi runs, which must reach the API endpoint (a host in
the VPC, a VPN, or a public endpoint)."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pulumi
import pulumi.dynamic

TIMEOUT_SECONDS = 30 * 60  # three masters join one after another, each installing packages first
INTERVAL_SECONDS = 10


class NotReady(Exception):
    pass


def poll(
    url: str,
    context: ssl.SSLContext,
    *,
    failure: str,
    error: type[Exception] | None = None,
    timeout: float = TIMEOUT_SECONDS,
    interval: float = INTERVAL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """GET `url` until it answers 200; return the number of attempts. Past `timeout`, raise `error` (NotReady)
    saying `failure` ("<url> did not answer ready") with the last answer seen."""
    deadline, attempts, last = clock() + timeout, 0, "no answer"
    while True:
        attempts += 1
        try:
            with urllib.request.urlopen(url, context=context, timeout=5) as response:
                if response.status == 200:
                    return attempts
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if clock() + interval > deadline:
            raise (error or NotReady)(
                f"{failure} within {timeout:.0f} s (last: {last}); check /var/log/kubecvm-boot.log on the first master"
            )
        sleep(interval)


def wait_ready(url: str, ca_pem: str, **kwargs) -> int:
    """Poll `url` (an API server's /readyz) until it answers 200; return the number of attempts."""
    context = ssl.create_default_context(cadata=ca_pem)
    # The serving certificate is checked against the cluster CA; its names hold the VIP and master addresses but
    # not a public CLB's, and /readyz carries nothing secret, so the CA alone is the check that matters here.
    context.check_hostname = False
    return poll(url, context, failure=f"{url} did not answer ready", **kwargs)


class _Provider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        wait_ready(props["url"], props["caPem"], timeout=props["timeoutSeconds"])
        return pulumi.dynamic.CreateResult(id_=props["url"], outs=props)


class ApiReady(pulumi.dynamic.Resource):
    """Created once `endpoint` (host:port) answers /readyz with a certificate from `ca_pem`."""

    def __init__(
        self,
        name: str,
        *,
        endpoint: pulumi.Input[str],
        ca_pem: pulumi.Input[str],
        timeout_seconds: int = TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ):
        url = pulumi.Output.from_input(endpoint).apply(lambda e: f"https://{e}/readyz")
        super().__init__(
            _Provider(),
            name,
            {"url": url, "caPem": pulumi.Output.secret(ca_pem), "timeoutSeconds": timeout_seconds},
            opts,
        )
