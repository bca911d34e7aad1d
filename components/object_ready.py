"""A gate that `pulumi up` passes once an object exists in the new cluster, read with the admin kubeconfig.

kubeadm creates CoreDNS in its addon phase, seconds after the API server first answers /readyz (the ApiReady
gate); the add-ons patch that Deployment, and a server-side-apply patch of an object that does not exist yet is
refused (a Deployment without selector or containers). So the patch waits for the object itself.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile

import pulumi
import pulumi.dynamic
import yaml

from .api_ready import poll

TIMEOUT_SECONDS = 10 * 60
INTERVAL_SECONDS = 5


class NotFound(Exception):
    pass


def _context(kubeconfig: str) -> tuple[str, ssl.SSLContext]:
    """(server URL, TLS context trusting the cluster CA and presenting the admin client certificate)."""
    doc = yaml.safe_load(kubeconfig)
    cluster, user = doc["clusters"][0]["cluster"], doc["users"][0]["user"]
    decode = lambda key, src: base64.b64decode(src[key]).decode()  # noqa: E731
    context = ssl.create_default_context(cadata=decode("certificate-authority-data", cluster))
    # The server certificate names "kubernetes" (kubeadm adds it) but not a public CLB address: the CA is the check.
    context.check_hostname = False
    with tempfile.TemporaryDirectory() as tmp:  # the ssl module loads a client key only from a file
        cert, key = os.path.join(tmp, "client.crt"), os.path.join(tmp, "client.key")
        for path, text in ((cert, decode("client-certificate-data", user)), (key, decode("client-key-data", user))):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(text)
        context.load_cert_chain(cert, key)
    return cluster["server"].rstrip("/"), context


def wait_object(
    kubeconfig: str, path: str, *, timeout: float = TIMEOUT_SECONDS, interval: float = INTERVAL_SECONDS, **kwargs
) -> int:
    """GET `path` (e.g. /apis/apps/v1/namespaces/kube-system/deployments/coredns) until 200; return the attempts."""
    server, context = _context(kubeconfig)
    return poll(
        server + path,
        context,
        failure=f"{path} did not appear",
        error=NotFound,
        timeout=timeout,
        interval=interval,
        **kwargs,
    )


class _Provider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        wait_object(props["kubeconfig"], props["path"], timeout=props["timeoutSeconds"])
        return pulumi.dynamic.CreateResult(id_=props["path"], outs=props)


class ObjectReady(pulumi.dynamic.Resource):
    """Created once `path` answers 200 on the cluster of `kubeconfig` (kept secret: it holds the admin key)."""

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: pulumi.Input[str],
        path: str,
        timeout_seconds: int = TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            _Provider(),
            name,
            {"kubeconfig": pulumi.Output.secret(kubeconfig), "path": path, "timeoutSeconds": timeout_seconds},
            opts,
        )
