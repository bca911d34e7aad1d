"""A real kube-apiserver with a real etcd on 127.0.0.1, for the add-ons scenario (inside the rehearsal's namespace),
and, when asked, kube-controller-manager.

No kubelets and no scheduler: objects are stored and validated (schema, immutable fields, admission) exactly as a
cluster's API server does. With the controller manager, the controllers act on them as in a cluster: Deployments
get ReplicaSets and Pods, DaemonSets get a Pod per matching Node, each Pod through admission (PodSecurity included),
and the garbage collector and the namespace controller finish deletions; no Pod ever runs. The flags are kubeadm's for its static pod
(cmd/kubeadm/app/phases/controlplane/manifests.go getAPIServerCommand, kubernetes/kubernetes v1.30.14) where they
apply without nodes: `--authorization-mode=Node,RBAC`, `--enable-admission-plugins=NodeRestriction`,
`--allow-privileged=true` (the CBS CSI node plugin is privileged), client certificates signed by the cluster CA, a
service-account key pair. The front-proxy and kubelet client flags are left out: there is no kubelet and no
aggregated API server to reach.

The certificates are made here with `cryptography` (a CA, the serving certificate for 127.0.0.1, an admin client
certificate in system:masters as kubeadm's admin.conf has) and live in the scenario's temporary directory.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

from kubecvm.offline.rehearsal.stage import stop

HOST = "127.0.0.1"
SERVICE_CIDR = "10.96.0.0/12"  # kubeadm's default serviceSubnet; nothing routes it here
START_SECONDS = 180  # etcd, then the API server's /readyz (its RBAC bootstrap included), on a loaded machine


class StartFailed(Exception):
    """etcd or kube-apiserver did not come up: which, and the tail of its log."""


@dataclass(frozen=True)
class Cluster:
    url: str
    kubeconfig: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _pem(obj) -> bytes:
    """A certificate, a private key (PKCS#8) or a public key (SubjectPublicKeyInfo) as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization as ser

    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(ser.Encoding.PEM)
    if hasattr(obj, "private_bytes"):
        return obj.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    return obj.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)


def pki(out: Path) -> dict[str, Path]:
    """ca.crt, apiserver.crt/.key, admin.crt/.key, sa.key/.pub in `out`: {name: path}."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)

    def name(cn: str, org: str | None = None) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        return x509.Name(attrs + ([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []))

    def issue(subject: x509.Name, key, ca_key, issuer: x509.Name, *extensions) -> x509.Certificate:
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        for ext in extensions:
            b = b.add_extension(ext, critical=False)
        return b.sign(ca_key, hashes.SHA256())

    keys = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("ca", "apiserver", "admin", "sa")}
    ca_name = name("kubecvm-rehearsal-ca")
    ca = issue(ca_name, keys["ca"], keys["ca"], ca_name, x509.BasicConstraints(ca=True, path_length=None))
    service_ip = next(iter(ipaddress.ip_network(SERVICE_CIDR).hosts()))
    serving = issue(
        name("kube-apiserver"),
        keys["apiserver"],
        keys["ca"],
        ca_name,
        x509.SubjectAlternativeName(
            [
                x509.IPAddress(ipaddress.ip_address(HOST)),
                x509.IPAddress(service_ip),
                *(x509.DNSName(d) for d in ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")),
            ]
        ),
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
    )
    admin = issue(
        name("kubernetes-admin", "system:masters"),
        keys["admin"],
        keys["ca"],
        ca_name,
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
    )
    files = {
        "ca.crt": _pem(ca),
        "apiserver.crt": _pem(serving),
        "apiserver.key": _pem(keys["apiserver"]),
        "admin.crt": _pem(admin),
        "admin.key": _pem(keys["admin"]),
        "sa.key": _pem(keys["sa"]),
        "sa.pub": _pem(keys["sa"].public_key()),
    }
    out.mkdir(parents=True, exist_ok=True)
    for f, data in files.items():
        (out / f).write_bytes(data)
        (out / f).chmod(0o600)
    return {f: out / f for f in files}


def kubeconfig(url: str, files: dict[str, Path]) -> str:
    """An admin kubeconfig with everything inline, as kubeadm's admin.conf is."""
    data = {
        k: base64.b64encode(files[f].read_bytes()).decode()
        for k, f in (("ca", "ca.crt"), ("cert", "admin.crt"), ("key", "admin.key"))
    }
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "rehearsal",
            "clusters": [{"name": "rehearsal", "cluster": {"server": url, "certificate-authority-data": data["ca"]}}],
            "users": [
                {
                    "name": "kubernetes-admin",
                    "user": {"client-certificate-data": data["cert"], "client-key-data": data["key"]},
                }
            ],
            "contexts": [{"name": "rehearsal", "context": {"cluster": "rehearsal", "user": "kubernetes-admin"}}],
        },
        sort_keys=False,
    )


def etcd_command(binary: Path, data: Path, client: int, peer: int) -> list[str]:
    return [
        str(binary),
        "--name",
        "rehearsal",
        "--data-dir",
        str(data),
        "--listen-client-urls",
        f"http://{HOST}:{client}",
        "--advertise-client-urls",
        f"http://{HOST}:{client}",
        "--listen-peer-urls",
        f"http://{HOST}:{peer}",
        "--initial-advertise-peer-urls",
        f"http://{HOST}:{peer}",
        "--initial-cluster",
        f"rehearsal=http://{HOST}:{peer}",
    ]


def apiserver_command(binary: Path, files: dict[str, Path], etcd: int, port: int) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers=http://{HOST}:{etcd}",
        f"--bind-address={HOST}",
        f"--advertise-address={HOST}",
        f"--secure-port={port}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        f"--client-ca-file={files['ca.crt']}",
        f"--tls-cert-file={files['apiserver.crt']}",
        f"--tls-private-key-file={files['apiserver.key']}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={files['sa.pub']}",
        f"--service-account-signing-key-file={files['sa.key']}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--profiling=false",
    ]


def controller_manager_command(binary: Path, files: dict[str, Path], kubeconfig: Path) -> list[str]:
    """kubeadm's flags for its kube-controller-manager static pod (getControllerManagerCommand, kubernetes v1.30.14)
    where they apply here: controllers with their own service accounts' credentials, the service-account key and
    root CA for the tokens they mint, no leader election (one instance) and no serving port (nothing scrapes it).
    No CSR signing keys: there are no kubelets to ask for certificates."""
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={files['sa.key']}",
        f"--root-ca-file={files['ca.crt']}",
        "--leader-elect=false",
        "--secure-port=0",
        "--controllers=*",
        "--concurrent-gc-syncs=5",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--profiling=false",
    ]


def _wait(what: str, check, process: subprocess.Popen, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"{what} exited {process.returncode}: {_tail(log)}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(1)
    raise StartFailed(f"{what} was not ready within {START_SECONDS} s: {_tail(log)}")


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").strip().splitlines() if log.is_file() else []
    return " | ".join(lines[-3:])[-600:] or "no output"


@contextmanager
def _process(cmd: list[str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process, timeout=20)


@contextmanager
def cluster(bin_dir: Path, work: Path, controllers: bool = False) -> Iterator[Cluster]:
    """etcd and kube-apiserver from `bin_dir` on 127.0.0.1, ready (/readyz), with an admin kubeconfig in `work`;
    `controllers`: kube-controller-manager too, started once the API server is ready."""
    files = pki(work / "pki")
    etcd_port, peer, port = free_port(), free_port(), free_port()
    url = f"https://{HOST}:{port}"
    deadline = time.monotonic() + START_SECONDS
    with ExitStack() as stack:
        etcd = stack.enter_context(
            _process(etcd_command(bin_dir / "etcd", work / "etcd", etcd_port, peer), work / "etcd.log")
        )
        _wait(
            "etcd",
            lambda: _get(f"http://{HOST}:{etcd_port}/health", None).startswith('{"health":"true"'),
            etcd,
            work / "etcd.log",
            deadline,
        )
        api = stack.enter_context(
            _process(apiserver_command(bin_dir / "kube-apiserver", files, etcd_port, port), work / "kube-apiserver.log")
        )
        context = ssl.create_default_context(cafile=str(files["ca.crt"]))
        context.load_cert_chain(str(files["admin.crt"]), str(files["admin.key"]))
        _wait(
            "kube-apiserver", lambda: _get(f"{url}/readyz", context) == "ok", api, work / "kube-apiserver.log", deadline
        )
        path = work / "kubeconfig"
        path.write_text(kubeconfig(url, files))
        path.chmod(0o600)
        if controllers:
            stack.enter_context(
                _process(
                    controller_manager_command(bin_dir / "kube-controller-manager", files, path),
                    work / "kube-controller-manager.log",
                )
            )
        yield Cluster(url, path)


def _get(url: str, context: ssl.SSLContext | None) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError:
        return ""
