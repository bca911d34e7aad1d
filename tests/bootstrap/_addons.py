"""Shared by the add-on tests: the settings and objects of a demo cluster, manifest walkers, and ClusterAddons run
under the recording mocks (the `recorded` fixture in tests/bootstrap/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pulumi
from kubernetes_validate.utils import all_versions, major_minor

from kubecvm.planning import addons
from kubecvm.offline.runner import SECRET, run_program
from kubecvm.offline.simulated_cloud import SimulatedCloud
from tests.conftest import PROD_ZONES, REGION
from tests.loopback_tls import metrics_tls


VERSION = "1.30.4"
ADDRESSES = {"masters": (("demo-master-0", "10.0.64.11"),), "pool_blocks": (("demo-general-z3-", "10.0.65.0", 64),)}
SETTINGS = addons.AddonSettings(
    cluster="demo", region=REGION, zones=tuple(PROD_ZONES), kubernetes_version=VERSION, **ADDRESSES
)
TLS = metrics_tls()  # metrics-server's serving certificate (the component makes it with pulumi-tls)
OBJECTS = addons.objects(SETTINGS, metrics_tls=TLS)  # everything the add-ons create
CSI = addons.csi_objects(SETTINGS)
PROJECT_DIR = Path(__file__).resolve().parents[2]


def by_kind(kind: str, objs=CSI) -> list[dict]:
    return [o for o in objs if o["kind"] == kind]


def walk(value, path=""):
    """Every (path, key-or-string) in a manifest, so a check can see keys as well as values."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


# Every minor the installed schemas cover, from the oldest the add-ons support: a configured version anywhere in
# that range is checked against its own schema.
SUPPORTED = sorted(
    {major_minor(v) for v in all_versions() if addons.kubernetes_minor(v) >= addons.MIN_KUBERNETES},
    key=addons.kubernetes_minor,
)


class ProviderRecordingCloud(SimulatedCloud):
    """The simulated cloud, also noting which provider each resource was registered with."""

    def __init__(self):
        super().__init__()
        self.providers: dict[str, str] = {}

    def new_resource(self, args):
        self.providers[args.name] = args.provider or ""
        return super().new_resource(args)


def run_addons(settings):
    import tencentcloud_iac_pulumi as tc

    from kubecvm.components.addons import ClusterAddons

    def program():
        # Stands in for the bootstrap resources (the first master) that the add-ons must wait for.
        bootstrap = tc.vpc.Instance("bootstrap", cidr_block="10.0.0.0/16")
        ClusterAddons(
            "demo-addons",
            settings,
            kubeconfig=pulumi.Output.secret("apiVersion: v1\nkind: Config\n"),
            depends_on=[bootstrap],
        )

    cloud = ProviderRecordingCloud()
    return run_program({}, stack="test", program=program, cloud=cloud), cloud


METRICS_TLS_RESOURCES = {
    "demo-metrics-server-tls-ca-key": "tls:index/privateKey:PrivateKey",
    "demo-metrics-server-tls-key": "tls:index/privateKey:PrivateKey",
    "demo-metrics-server-tls-ca-cert": "tls:index/selfSignedCert:SelfSignedCert",
    "demo-metrics-server-tls-csr": "tls:index/certRequest:CertRequest",
    "demo-metrics-server-tls-cert": "tls:index/locallySignedCert:LocallySignedCert",
}


def as_registered(settings, rec) -> list[dict]:
    """The objects as the component registers them: metrics-server's certificate and key are Pulumi secrets (the
    Secret's stringData is one), the APIService's caBundle the stack's CA (checked in the metrics-server tests)."""
    api = next((r for r in rec.resources if r.type == "kubernetes:apiregistration.k8s.io/v1:APIService"), None)
    bundle = api.inputs["spec"]["caBundle"] if api else None
    objs = addons.objects(settings, metrics_tls=addons.ServingTls(cert_pem=SECRET, key_pem=SECRET, ca_bundle=bundle))
    return [{**o, "stringData": SECRET} if o["kind"] == "Secret" else o for o in objs]
