"""The in-cluster add-ons: manifests validated by kubernetes-validate, the StorageClass exactly, pinned images,
no keys anywhere, the CAM-role credential sidecar against a fake metadata service, and ClusterAddons under mocks."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kubernetes_validate
import pulumi
import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st
from kubernetes_validate.utils import all_versions, major_minor

from kubecvm.planning import addons, bootstrap, build_plan, mirrors
from kubecvm.planning.plan import CLUSTER_DOMAIN
from kubecvm.offline.runner import SECRET, run_program
from kubecvm.offline.simulated_cloud import SimulatedCloud
from tests.conftest import PROD_ZONES, REGION, make_spec
from tests.loopback_tls import metrics_tls

VERSION = "1.30.4"
ADDRESSES = {"masters": (("demo-master-0", "10.0.64.11"),), "pool_blocks": (("demo-general-z3-", "10.0.65.0", 64),)}
SETTINGS = addons.AddonSettings(cluster="demo", region=REGION, zones=tuple(PROD_ZONES), kubernetes_version=VERSION,
                                **ADDRESSES)
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


# ---- kubernetes-validate ----------------------------------------------------------------------------------------

# Every minor the installed schemas cover, from the oldest the add-ons support: a configured version anywhere in
# that range is checked against its own schema.
SUPPORTED = sorted({major_minor(v) for v in all_versions()
                    if addons.kubernetes_minor(v) >= addons.MIN_KUBERNETES}, key=addons.kubernetes_minor)


def test_validator_covers_the_supported_range():
    assert SUPPORTED[0] == "1.25"
    assert major_minor(VERSION) in SUPPORTED


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_object_validates_strictly(version):
    objs = addons.objects(addons.AddonSettings(
        cluster="demo", region=REGION, zones=tuple(PROD_ZONES), kubernetes_version=version, **ADDRESSES), metrics_tls=TLS)
    for obj in objs:
        # validate() falls back to an older schema when it lacks the asked one; insist on the exact minor.
        assert kubernetes_validate.validate(obj, version, strict=True) == version, addons.resource_name("x", obj)


def configured_version(spec) -> str | None:
    return getattr(getattr(spec, "kubernetes", None), "version", None)


@pytest.mark.parametrize("preset", ["dev", "staging", "prod"])
def test_each_preset_configured_version_validates(preset):
    spec = make_spec(preset, {"zones": PROD_ZONES[:1]} if preset == "dev" else None)
    configured = configured_version(spec)
    if configured is None:
        pytest.skip("the spec has no kubernetes.version yet (added with the bootstrap user data); "
                    "test_every_object_validates_strictly covers every minor the validator knows")
    assert major_minor(configured) in SUPPORTED, f"kubernetes-validate has no schema for {configured}"
    objs = addons.objects(addons.settings_from_plan(build_plan(spec)), metrics_tls=TLS)
    assert objs  # every preset turns the CBS CSI driver on by default
    for obj in objs:
        assert kubernetes_validate.validate(obj, configured, strict=True) == major_minor(configured)


def test_validation_is_real_a_broken_object_fails():
    deployment = json.loads(json.dumps(by_kind("Deployment")[0]))
    deployment["spec"]["template"]["spec"]["hostNetwrk"] = True  # a typo strict validation must reject
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)
    sc = json.loads(json.dumps(by_kind("StorageClass")[0]))
    sc["allowVolumeExpansion"] = "yes"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sc, VERSION, strict=True)


# ---- exact content ----------------------------------------------------------------------------------------------

def test_object_inventory():
    assert [(o["kind"], o["metadata"]["name"]) for o in CSI] == [
        ("ServiceAccount", "cbs-csi-controller-sa"),
        ("ClusterRole", "cbs-csi-controller-role"),
        ("ClusterRoleBinding", "cbs-csi-controller-role-binding"),
        ("ServiceAccount", "cbs-csi-node-sa"),
        ("ClusterRole", "cbs-csi-node-role"),
        ("ClusterRoleBinding", "cbs-csi-node-role-binding"),
        ("ConfigMap", "cbs-csi-cam-credentials"),
        ("CSIDriver", "com.tencent.cloud.csi.cbs"),
        ("Deployment", "csi-cbs-controller"),
        ("DaemonSet", "csi-cbs-node"),
        ("StorageClass", "cbs-ssd"),
    ]
    assert {o["metadata"].get("namespace") for o in OBJECTS if o["kind"] in
            ("ServiceAccount", "ConfigMap", "Deployment", "DaemonSet", "Service", "RoleBinding")} == {"kube-system"}
    assert OBJECTS == (addons.csr_approver_objects(SETTINGS) + CSI + addons.metrics_server_objects(SETTINGS, TLS)
                       + addons.lb_controller_objects(SETTINGS))


def test_storage_class_exact():
    (sc,) = by_kind("StorageClass")
    assert sc == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "cbs-ssd",
            "labels": {"app.kubernetes.io/name": "cbs-csi", "app.kubernetes.io/part-of": "kubecvm"},
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "com.tencent.cloud.csi.cbs",
        "parameters": {"diskType": "CLOUD_SSD", "encrypt": "ENCRYPT",
                       "disktags": "kubecvm/cluster:demo,kubecvm/role:volume"},
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer",
    }


@given(disk_type=st.sampled_from(addons.CSI_DISK_TYPES),
       zones=st.lists(st.integers(1, 8), min_size=1, max_size=4, unique=True))
def test_storage_class_follows_settings(disk_type, zones):
    zone_names = tuple(f"{REGION}-{n}" for n in zones)
    s = addons.AddonSettings(cluster="c1", region=REGION, zones=zone_names, kubernetes_version=VERSION,
                             disk_type=disk_type, **ADDRESSES)
    (sc,) = by_kind("StorageClass", addons.objects(s, metrics_tls=TLS))
    assert sc["parameters"]["diskType"] == disk_type
    assert sc["parameters"]["encrypt"] == "ENCRYPT"
    assert sc["metadata"]["name"] == "cbs-" + disk_type.split("_", 1)[1].lower()
    # Adding or removing zones must not touch the class: its topology fields are immutable in Kubernetes.
    (first_zone_only,) = by_kind("StorageClass", addons.objects(dataclasses.replace(s, zones=zone_names[:1]), metrics_tls=TLS))
    assert sc == first_zone_only
    assert sum(o["metadata"].get("annotations", {}).get(addons.DEFAULT_CLASS_ANNOTATION) == "true"
               for o in addons.objects(s, metrics_tls=TLS)) == 1


def test_csi_driver_object():
    (driver,) = by_kind("CSIDriver")
    assert driver["metadata"]["name"] == "com.tencent.cloud.csi.cbs"
    assert driver["spec"] == {"attachRequired": True, "podInfoOnMount": False, "volumeLifecycleModes": ["Persistent"]}


def test_node_plugin_registers_the_driver_socket():
    (ds,) = by_kind("DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    registrar = next(c for c in pod["containers"] if c["name"] == "driver-registrar")
    assert "--kubelet-registration-path=/var/lib/kubelet/plugins/com.tencent.cloud.csi.cbs/csi.sock" in registrar["args"]
    plugin_dir = next(v for v in pod["volumes"] if v["name"] == "plugin-dir")
    assert plugin_dir["hostPath"] == {"path": "/var/lib/kubelet/plugins/com.tencent.cloud.csi.cbs", "type": "DirectoryOrCreate"}
    assert pod["serviceAccountName"] == "cbs-csi-node-sa" and pod["hostNetwork"] is True
    assert pod["tolerations"] == [{"operator": "Exists"}]


def test_controller_runs_on_masters_with_role_credentials():
    (dep,) = by_kind("Deployment")
    pod = dep["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert pod["tolerations"] == [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                   "effect": "NoSchedule"}]
    assert pod["hostNetwork"] is True
    driver = next(c for c in pod["containers"] if c["name"] == "cbs-csi")
    assert {"name": "QCLOUD_NORM_URL", "value": "http://127.0.0.1:19101/norm/api"} in driver["env"]
    assert "--component_type=controller" in driver["args"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "cam-credentials")
    assert {"name": "LISTEN_PORT", "value": "19101"} in sidecar["env"]
    (cm,) = by_kind("ConfigMap")
    assert cm["data"] == {"cam_credentials.py": addons.CAM_CREDENTIALS_SCRIPT}


def test_rbac_bindings_point_at_their_own_roles_and_accounts():
    bindings = {b["metadata"]["name"]: b for b in by_kind("ClusterRoleBinding")}
    roles = {r["metadata"]["name"] for r in by_kind("ClusterRole")}
    accounts = {a["metadata"]["name"] for a in by_kind("ServiceAccount")}
    for b in bindings.values():
        assert b["roleRef"]["name"] in roles and b["metadata"]["name"] == b["roleRef"]["name"] + "-binding"
        assert [s["name"] for s in b["subjects"]] == [b["roleRef"]["name"].replace("-role", "-sa")]
        assert {s["name"] for s in b["subjects"]} <= accounts
    workloads = {o["spec"]["template"]["spec"]["serviceAccountName"] for o in CSI if o["kind"] in ("Deployment", "DaemonSet")}
    assert workloads == accounts
    every_rule = [r for role in by_kind("ClusterRole") for r in role["rules"]]
    assert not [r for r in every_rule if "secrets" in r["resources"] or "*" in r["verbs"] or "*" in r["resources"]]


# ---- pinned images, no keys --------------------------------------------------------------------------------------

def test_images_come_only_from_the_pinned_block():
    used = addons.images(OBJECTS)
    pinned = {addons.image(n, SETTINGS) for n in [*addons.IMAGES, *addons.K8S_IMAGES]}
    assert set(used) == pinned  # every pinned image is used, none comes from elsewhere
    for name in addons.IMAGES:
        repo, tag = addons.image(name, SETTINGS).rsplit(":", 1)
        assert repo.startswith("ccr.ccs.tencentyun.com/"), name
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z]+)?", tag), name  # an explicit version, never latest
    assert addons.image("cbs-csi", SETTINGS) == "ccr.ccs.tencentyun.com/tkeimages/csi-tencentcloud-cbs:v2.3.0"
    pulls = {c["imagePullPolicy"] for o in OBJECTS if o["kind"] in ("Deployment", "DaemonSet")
             for c in o["spec"]["template"]["spec"]["containers"]}
    assert pulls == {"IfNotPresent"}


# Case-sensitive on purpose: the sidecar script names the metadata answer's fields (TmpSecretId, tmpSecretKey),
# which are read at run time on the instance; what must never appear is key wiring or a key itself.
FORBIDDEN = re.compile(r"SECRET_ID|SECRET_KEY|secretKeyRef|AKID[0-9A-Za-z]{8,}|BEGIN [A-Z ]*PRIVATE KEY")


def test_no_secret_keys_in_any_manifest():
    assert not by_kind("Secret")
    hits = [(path, text) for obj in OBJECTS for path, text in walk(obj) if FORBIDDEN.search(text)]
    assert hits == []
    env_names = {e["name"] for o in OBJECTS if o["kind"] in ("Deployment", "DaemonSet")
                 for c in o["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
    assert not [n for n in env_names if n.startswith("TENCENTCLOUD_")]


def test_forbidden_pattern_catches_upstream_key_wiring():
    # Upstream's manifests wire keys like this; the check above must be able to see it.
    upstream_env = {"name": "TENCENTCLOUD_API_SECRET_ID",
                    "valueFrom": {"secretKeyRef": {"name": "cbs-csi-api-key", "key": "TENCENTCLOUD_CBS_API_SECRET_ID"}}}
    assert [t for _, t in walk(upstream_env) if FORBIDDEN.search(t)]


# ---- the credential sidecar against a fake metadata service ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _FakeMetadata(BaseHTTPRequestHandler):
    role: str | None = "kubecvm-demo-master"
    CRED = {"TmpSecretId": "AKIDtemporaryid", "TmpSecretKey": "temporarykey", "Token": "session-token",
            "ExpiredTime": 1_900_000_000, "Expiration": "2030-03-17T17:46:40Z", "Code": "Success"}

    def do_GET(self):
        base = "/latest/meta-data/cam/security-credentials/"
        if self.role and self.path == base:
            body = (self.role + "\n").encode()
        elif self.role and self.path == base + self.role:
            body = json.dumps(self.CRED).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def shim(tmp_path):
    meta = ThreadingHTTPServer(("127.0.0.1", 0), _FakeMetadata)
    threading.Thread(target=meta.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    script = tmp_path / "cam_credentials.py"
    script.write_text(addons.CAM_CREDENTIALS_SCRIPT)
    port = _free_port()
    env = {"METADATA_URL": f"http://127.0.0.1:{meta.server_port}/latest/meta-data/cam/security-credentials/",
           "LISTEN_PORT": str(port), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/norm/api"
    finally:
        proc.kill()
        proc.wait()
        meta.shutdown()
        _FakeMetadata.role = "kubecvm-demo-master"


def _norm_request(url: str) -> tuple[int, dict]:
    # The request the driver sends (driver/cloud/credential.go GetTkeCredential).
    body = json.dumps({"eventId": 1, "timestamp": 1, "caller": "cloudprovider", "callee": "NORM", "version": "1",
                       "password": "cloudprovider",
                       "interface": {"interfaceName": "NORM.AssumeTkeCredential", "para": {}}}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_sidecar_answers_norm_with_the_instance_role(shim):
    status, body = _norm_request(shim)
    assert status == 200
    # The fields the driver's NormResponse/CredentialData structs read.
    assert body == {"returnValue": 0, "returnMsg": "ok", "returnData": {
        "credentials": {"sessionToken": "session-token", "tmpSecretId": "AKIDtemporaryid", "tmpSecretKey": "temporarykey"},
        "expiredTime": 1_900_000_000}}


def test_sidecar_reports_a_missing_role_as_an_error(shim):
    _FakeMetadata.role = None
    status, body = _norm_request(shim)
    assert status == 502 and body["returnValue"] != 0 and "no CAM role credentials" in body["returnMsg"]


# ---- settings ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, problem", [
    ({"kubernetes_version": "1.24.9"}, "kubernetes.version: 1.24.9 is older than the add-ons support (1.25 or newer)"),
    ({"kubernetes_version": "latest"}, "kubernetes.version: 'latest' is not a version such as 1.30 or 1.30.4"),
    ({"disk_type": "CLOUD_BASIC"}, "diskType: CLOUD_BASIC is not a CBS CSI disk type (CLOUD_PREMIUM, CLOUD_SSD, CLOUD_HSSD)"),
    ({"zones": ()}, "zones: the StorageClass needs at least one zone"),
    ({"zones": ("ap-shanghai-2",)}, "zones: every zone must be in region ap-guangzhou"),
    ({"masters": (("demo-master-0", "192.168.0.1"),)},
     "masters/pool_blocks: demo-master-0's addresses ('192.168.0.1', 1) are not inside vpcCidr 10.0.0.0/16"),
    ({"masters": (("demo-master-0", "10.0.64"),)},
     "masters/pool_blocks: demo-master-0's addresses ('10.0.64', 1) are not inside vpcCidr 10.0.0.0/16"),
    ({"pool_blocks": (("demo-a-z3-", "10.0.255.0", 512),)},  # runs past the VPC's end
     "masters/pool_blocks: demo-a-z3-'s addresses ('10.0.255.0', 512) are not inside vpcCidr 10.0.0.0/16"),
    ({"masters": (("demo-master-0", "10.0.64.11"), ("demo-master-0", "10.0.64.12"))},
     "masters/pool_blocks: a name or prefix appears twice"),
])
def test_settings_errors_name_the_field(change, problem):
    base = {"cluster": "demo", "region": REGION, "zones": ("ap-guangzhou-3",), "kubernetes_version": VERSION}
    with pytest.raises(ValueError) as err:
        addons.AddonSettings(**(base | change))
    assert str(err.value) == problem


@pytest.mark.parametrize("pool_disks, expected", [
    ([], "CLOUD_SSD"),
    (["CLOUD_PREMIUM"], "CLOUD_PREMIUM"),
    (["CLOUD_HSSD", "CLOUD_PREMIUM"], "CLOUD_HSSD"),
    (["CLOUD_BSSD"], "CLOUD_SSD"),  # the driver does not create BSSD volumes
])
def test_volume_disk_type(pool_disks, expected):
    assert addons.volume_disk_type(pool_disks) == expected


def test_settings_from_spec():
    spec = make_spec("prod", {"nodePools": [{"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 1,
                                             "dataDisk": {"type": "CLOUD_PREMIUM", "size": 100}}]})
    s = addons.settings_from_spec(spec, kubernetes_version="1.31")
    assert s == addons.AddonSettings(cluster="demo", region=REGION, zones=tuple(PROD_ZONES),
                                     kubernetes_version="1.31", disk_type="CLOUD_PREMIUM", cbs_csi=True,
                                     registries=mirrors.from_spec(spec))
    assert addons.settings_from_spec(spec, kubernetes_version="1.31", cbs_csi=False).cbs_csi is False
    if configured_version(spec) is None:
        with pytest.raises(ValueError, match="^kubernetes.version: needed"):
            addons.settings_from_spec(spec)
    else:
        assert addons.settings_from_spec(spec).kubernetes_version == configured_version(spec)


def test_disabled_addons_have_no_objects():
    base = {"cluster": "demo", "region": REGION, "zones": ("ap-guangzhou-3",), "kubernetes_version": VERSION,
            **ADDRESSES}
    approver = addons.csr_approver_objects(addons.AddonSettings(**base))
    assert addons.objects(addons.AddonSettings(**base, cbs_csi=False, metrics_server=False, lb_controller=False),
                          metrics_tls=TLS) == approver
    no_csi = addons.objects(addons.AddonSettings(**base, cbs_csi=False), metrics_tls=TLS)
    assert no_csi == approver + addons.metrics_server_objects(SETTINGS, TLS) + addons.lb_controller_objects(SETTINGS)
    assert not [o for o in no_csi if "cbs-csi" in o["metadata"]["name"]]
    # CoreDNS is kubeadm's: its spread is patched whatever the add-on switches say.
    assert addons.patches(addons.AddonSettings(**base, cbs_csi=False, metrics_server=False)) == [addons.coredns_patch()]


def test_planning_addons_imports_no_pulumi():
    code = "import sys, planning.addons; assert not [m for m in sys.modules if m.startswith('pulumi')], 'pulumi'"
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, check=True)


# ---- ClusterAddons under the recording mocks ---------------------------------------------------------------------

class ProviderRecordingCloud(SimulatedCloud):
    """The simulated cloud, also noting which provider each resource was registered with."""

    def __init__(self):
        super().__init__()
        self.providers: dict[str, str] = {}

    def new_resource(self, args):
        self.providers[args.name] = args.provider or ""
        return super().new_resource(args)


def _run(settings):
    import tencentcloud_iac_pulumi as tc

    from kubecvm.components.addons import ClusterAddons

    def program():
        # Stands in for the bootstrap resources (the first master) that the add-ons must wait for.
        bootstrap = tc.vpc.Instance("bootstrap", cidr_block="10.0.0.0/16")
        ClusterAddons("demo-addons", settings, kubeconfig=pulumi.Output.secret("apiVersion: v1\nkind: Config\n"),
                      depends_on=[bootstrap])

    cloud = ProviderRecordingCloud()
    return run_program({}, stack="test", program=program, cloud=cloud), cloud


@pytest.fixture(scope="module")
def recorded():
    return _run(SETTINGS)


METRICS_TLS_RESOURCES = {
    "demo-metrics-server-tls-ca-key": "tls:index/privateKey:PrivateKey", "demo-metrics-server-tls-key": "tls:index/privateKey:PrivateKey",
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


def test_component_registers_each_object_with_its_kubernetes_type(recorded):
    rec, _ = recorded
    component = rec.by_name("demo-addons")
    assert component.type == "kubecvm:index:ClusterAddons"
    children = sorted((r.name, r.type) for r in rec.resources if r.parent == component.urn)
    expected_types = {
        "ServiceAccount": "kubernetes:core/v1:ServiceAccount", "ConfigMap": "kubernetes:core/v1:ConfigMap",
        "ClusterRole": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "ClusterRoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "CSIDriver": "kubernetes:storage.k8s.io/v1:CSIDriver", "StorageClass": "kubernetes:storage.k8s.io/v1:StorageClass",
        "Deployment": "kubernetes:apps/v1:Deployment", "DaemonSet": "kubernetes:apps/v1:DaemonSet",
        "Service": "kubernetes:core/v1:Service", "RoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "APIService": "kubernetes:apiregistration.k8s.io/v1:APIService", "Secret": "kubernetes:core/v1:Secret",
        "Role": "kubernetes:rbac.authorization.k8s.io/v1:Role",
    }
    patch = "demo-addons-patch-deployment-coredns"
    assert children == sorted(
        [("demo-addons-k8s", "pulumi:providers:kubernetes"), (patch, "kubernetes:apps/v1:DeploymentPatch"),
         (f"{patch}-exists", "pulumi-python:dynamic:Resource"), ("demo-addons-lb-cleanup", "pulumi-python:dynamic:Resource")]
        + [(addons.resource_name("demo-addons", o), expected_types[o["kind"]]) for o in OBJECTS]
        + list(METRICS_TLS_RESOURCES.items())
    )


def test_coredns_patch_waits_for_kubeadms_deployment(recorded):
    rec, cloud = recorded
    patch, gate = rec.by_name("demo-addons-patch-deployment-coredns"), rec.by_name("demo-addons-patch-deployment-coredns-exists")
    provider = rec.by_name("demo-addons-k8s")
    assert cloud.providers[patch.name] == f"{provider.urn}::{provider.id}"
    assert patch.dependencies == [gate.urn]
    assert rec.by_name("bootstrap").urn in gate.dependencies
    assert gate.inputs["path"] == "/apis/apps/v1/namespaces/kube-system/deployments/coredns"
    assert gate.inputs["kubeconfig"] == SECRET  # it holds the admin key
    assert patch.inputs == addons.coredns_patch()


def test_objects_use_the_kubeconfig_provider_and_wait_for_bootstrap(recorded):
    rec, cloud = recorded
    provider = rec.by_name("demo-addons-k8s")
    bootstrap = rec.by_name("bootstrap")
    assert provider.inputs["kubeconfig"] == SECRET
    assert bootstrap.urn in provider.dependencies
    for obj in as_registered(SETTINGS, rec):
        reg = rec.by_name(addons.resource_name("demo-addons", obj))
        assert cloud.providers[reg.name] == f"{provider.urn}::{provider.id}"
        assert bootstrap.urn in reg.dependencies
        assert reg.inputs == obj  # what reaches the engine is exactly the validated manifest
        # The load-balancer controller stops before the cleanup deletes its CLBs at `pulumi destroy`.
        cleanup = rec.by_name("demo-addons-lb-cleanup").urn
        assert (cleanup in reg.dependencies) == obj["metadata"]["name"].startswith("kubecvm-lb-controller")


def test_disabled_addons_leave_the_approver_and_the_coredns_patch():
    rec, _ = _run(addons.AddonSettings(cluster="demo", region=REGION, zones=("ap-guangzhou-3",),
                                       kubernetes_version=VERSION, cbs_csi=False, metrics_server=False,
                                       lb_controller=False, **ADDRESSES))
    assert sorted(r.type for r in rec.resources) == sorted([
        "kubecvm:index:ClusterAddons", "kubernetes:apps/v1:DeploymentPatch", "pulumi-python:dynamic:Resource",
        "pulumi:providers:kubernetes", "tencentcloud:Vpc/instance:Instance", "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"])


@pytest.mark.parametrize("cbs_csi", [True, False])
def test_component_takes_a_plan_and_follows_addons_cbs_csi(cbs_csi):
    spec = make_spec("staging", {"addons": {"cbsCsi": cbs_csi}, "ingress": {"enabled": False}})  # CSI alone
    if configured_version(spec) is None:
        pytest.skip("the spec has no kubernetes.version/addons yet (added with the bootstrap user data)")
    rec, _ = _run(build_plan(spec))
    kube = [r for r in rec.resources if r.type.startswith(("kubernetes:", "pulumi:providers:kubernetes"))]
    expected = as_registered(addons.settings_from_plan(build_plan(spec)), rec)
    assert len(kube) == len(expected) + 2  # the provider and the CoreDNS patch
    assert any("csi" in o["metadata"]["name"] for o in expected) is cbs_csi
    for obj in expected:
        assert rec.by_name(addons.resource_name("demo-addons", obj)).inputs == obj


# ---- the CBS CSI pin: a version bump must come with what that version needs ---------------------------------------

# What was verified against upstream for each version we ever pinned (planning/addons/cbs_csi.py says where from). Bumping
# CBS_CSI_VERSION without re-reading its node plugin and adding a row here (and to NODE_REQUIREMENTS) fails.
VERIFIED_NODE_NEEDS = {
    "v2.3.0": {"args": ["--volume_attach_limit=18"], "env": {"NODE_ID", "QCLOUD_NORM_URL"}},
}


def _node_driver(objs=OBJECTS) -> tuple[dict, dict]:
    (ds,) = by_kind("DaemonSet", objs)
    pod = ds["spec"]["template"]["spec"]
    return pod, next(c for c in pod["containers"] if c["name"] == "cbs-csi")


def test_csi_image_tag_bump_needs_the_matching_node_flags():
    tag = addons.image("cbs-csi", SETTINGS).rsplit(":", 1)[1]
    assert tag == addons.CBS_CSI_VERSION
    assert tag in VERIFIED_NODE_NEEDS, (f"CBS CSI {tag} is not verified: read its node plugin upstream and record "
                                        "the flags and environment it needs")
    needs = VERIFIED_NODE_NEEDS[tag]
    _, driver = _node_driver()
    assert [a for a in driver["args"] if a not in ("--v=5", "--logtostderr=true", "--endpoint=unix:///csi/csi.sock",
                                                      "--component_type=node")] == needs["args"]
    assert {e["name"] for e in driver["env"]} - {"POD_NAMESPACE"} == needs["env"]


def _instance_id_from_provider_id(provider_id: str) -> str:
    """driver/cbs/node.go@2df1127 getInstanceIdFromProviderID for the qcloud scheme: the last path segment, an ins- id
    (anything else is "", and the node plugin exits)."""
    url = urllib.parse.urlsplit(provider_id)
    last = url.path.strip("/").split("/")[-1]
    return last if url.scheme == "qcloud" and last.startswith("ins-") and "/" not in last else ""


def test_every_kubelet_provider_id_is_one_the_node_plugin_reads_its_instance_from():
    # The v2 node plugin finds its instance id only in its Node's spec.providerID and exits (glog.Fatalf) when it has
    # none it can parse within 20 s (node.go getProviderIDFromNode): the kubelet's --provider-id must be that form.
    plan = build_plan(make_spec("prod"))
    for machine in (plan.masters[0], plan.workers[0]):
        rendered = bootstrap.provider_id(machine).replace(bootstrap.INSTANCE_PLACEHOLDER, "ins-4d2x9k1q")
        assert _instance_id_from_provider_id(rendered) == "ins-4d2x9k1q"
    assert _instance_id_from_provider_id("qcloud:///ap-guangzhou-3/") == ""  # the placeholder never filled in


def test_an_unverified_csi_version_is_refused():
    with pytest.raises(ValueError, match=r"^CBS CSI v2\.3\.3: no NODE_REQUIREMENTS row"):
        addons.node_requirements("v2.3.3")


def test_node_plugin_gets_its_node_name_and_own_credentials():
    pod, driver = _node_driver()
    env = {e["name"]: e for e in driver["env"]}
    assert env["NODE_ID"] == {"name": "NODE_ID", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    assert env["QCLOUD_NORM_URL"] == {"name": "QCLOUD_NORM_URL", "value": "http://127.0.0.1:19102/norm/api"}
    sidecar = next(c for c in pod["containers"] if c["name"] == "cam-credentials")
    assert sidecar["env"] == [{"name": "LISTEN_PORT", "value": "19102"}]
    assert {"name": "cam-credentials", "configMap": {"name": "cbs-csi-cam-credentials"}} in pod["volumes"]
    assert pod["hostNetwork"] is True  # the metadata service must see the node itself to hand out its role


def test_controller_and_node_sidecars_never_share_a_port():
    # Both run on the host network, and a master runs one of each: the same port would crash-loop one of them.
    ports = []
    for obj in by_kind("Deployment") + by_kind("DaemonSet"):
        for c in obj["spec"]["template"]["spec"]["containers"]:
            ports += [e["value"] for e in c.get("env", []) if e["name"] == "LISTEN_PORT"]
            ports += [e["value"].split(":")[2].split("/")[0] for e in c.get("env", []) if e["name"] == "QCLOUD_NORM_URL"]
    assert sorted(ports) == ["19101", "19101", "19102", "19102"]


# ---- CoreDNS spread (a patch of kubeadm's Deployment) -------------------------------------------------------------

def kubeadm_coredns() -> dict:
    """kubeadm's CoreDNS Deployment as it creates it (cmd/kubeadm/app/phases/addons/dns/manifests.go, templated)."""
    port = lambda n, name, proto="TCP": {"containerPort": n, "name": name, "protocol": proto}  # noqa: E731
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {
            "replicas": 2, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}}, "spec": {
                "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100, "podAffinityTerm": {
                        "labelSelector": {"matchExpressions": [{"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                        "topologyKey": "kubernetes.io/hostname"}}]}},
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "containers": [{
                    "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1", "imagePullPolicy": "IfNotPresent",
                    "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                    "args": ["-conf", "/etc/coredns/Corefile"],
                    "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
                    "ports": [port(53, "dns", "UDP"), port(53, "dns-tcp"), port(9153, "metrics"),
                              port(8080, "liveness-probe"), port(8181, "readiness-probe")],
                    "livenessProbe": {"httpGet": {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"},
                                      "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                                      "failureThreshold": 5},
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
                }],
                "dnsPolicy": "Default",
                "volumes": [{"name": "config-volume", "configMap": {
                    "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}],
            }},
        },
    }


def merge(base, patch):
    """Server-side apply's merge for what the patch sets: maps merge key by key, the patch's lists are new fields."""
    if isinstance(base, dict) and isinstance(patch, dict):
        return {k: merge(base.get(k), patch[k]) if k in patch else base[k] for k in {**base, **patch}}
    return patch


@pytest.mark.parametrize("version", SUPPORTED)
def test_coredns_patch_applies_to_kubeadms_deployment_for_every_version(version):
    patch = addons.coredns_patch()
    merged = merge(kubeadm_coredns(), {k: v for k, v in patch.items() if k != "metadata"})
    assert kubernetes_validate.validate(merged, version, strict=True) == version
    assert kubernetes_validate.validate(kubeadm_coredns(), version, strict=True) == version  # the fixture itself


def test_coredns_replicas_need_distinct_nodes_and_spread_over_zones():
    merged = merge(kubeadm_coredns(), addons.coredns_patch())
    pod = merged["spec"]["template"]["spec"]
    anti = pod["affinity"]["podAntiAffinity"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}}, "topologyKey": "kubernetes.io/hostname"}]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"]  # kubeadm's own preference is kept
    assert pod["topologySpreadConstraints"] == [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    # The selectors match kubeadm's pods, or the rules would constrain nothing.
    assert all(merged["spec"]["template"]["metadata"]["labels"][k] == v
               for k, v in addons.COREDNS_SELECTOR["matchLabels"].items())
    # The patch owns only those fields and waits for no rollout (the second replica waits for a second node).
    assert set(addons.coredns_patch()["spec"]["template"]["spec"]) == {"affinity", "topologySpreadConstraints"}
    assert addons.coredns_patch()["metadata"]["annotations"] == {"pulumi.com/patchForce": "true",
                                                                 "pulumi.com/skipAwait": "true"}
    assert addons.api_path(addons.coredns_patch()) == "/apis/apps/v1/namespaces/kube-system/deployments/coredns"


# ---- metrics-server ----------------------------------------------------------------------------------------------

def test_metrics_server_verifies_kubelets_against_the_cluster_ca():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    (dep,) = by_kind("Deployment", objs)
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == [
        "--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--kubelet-use-node-status-port", "--metric-resolution=15s",
        "--kubelet-certificate-authority=/etc/kubelet-ca/ca.crt",
        "--tls-cert-file=/etc/metrics-server/tls/tls.crt", "--tls-private-key-file=/etc/metrics-server/tls/tls.key"]
    assert not [a for a in container["args"] if "insecure" in a]
    assert {"mountPath": "/etc/kubelet-ca", "name": "kubelet-ca", "readOnly": True} in container["volumeMounts"]
    assert {"name": "kubelet-ca", "configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}} \
        in pod["volumes"]
    # registry.k8s.io is unreachable from mainland China: the region's mirror of it (planning/mirrors.py).
    assert container["image"] == "registry.aliyuncs.com/google_containers/metrics-server:v0.7.2"
    abroad = addons.metrics_server_objects(dataclasses.replace(SETTINGS, region="ap-singapore", zones=("ap-singapore-1",)), TLS)
    assert by_kind("Deployment", abroad)[0]["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
        "@sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9")
    assert addons.METRICS_SERVER_MANIFEST.endswith("/v0.7.2/components.yaml")


def test_metrics_server_objects_as_upstream_ships_them():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("ServiceAccount", "metrics-server"),
        ("ClusterRole", "system:aggregated-metrics-reader"),
        ("ClusterRole", "system:metrics-server"),
        ("RoleBinding", "metrics-server-auth-reader"),
        ("ClusterRoleBinding", "metrics-server:system:auth-delegator"),
        ("ClusterRoleBinding", "system:metrics-server"),
        ("Service", "metrics-server"),
        ("Secret", "metrics-server-tls"),
        ("Deployment", "metrics-server"),
        ("APIService", "v1beta1.metrics.k8s.io"),
    ]
    (api,) = by_kind("APIService", objs)
    assert api["spec"]["service"] == {"name": "metrics-server", "namespace": "kube-system"}
    (svc,) = by_kind("Service", objs)
    (dep,) = by_kind("Deployment", objs)
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == dep["spec"]["template"]["metadata"]["labels"]
    reader = next(r for r in by_kind("ClusterRole", objs) if r["metadata"]["name"] == "system:metrics-server")
    assert reader["rules"][0] == {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]}
    assert not addons.metrics_server_objects(dataclasses.replace(SETTINGS, metrics_server=False))


def test_metrics_server_serves_the_stacks_certificate_and_the_apiservice_verifies_it():
    objs = addons.metrics_server_objects(SETTINGS, TLS)
    (secret,) = by_kind("Secret", objs)
    assert secret["metadata"]["namespace"] == "kube-system" and secret["type"] == "kubernetes.io/tls"
    assert secret["stringData"] == {"tls.crt": TLS.cert_pem, "tls.key": TLS.key_pem}
    (dep,) = by_kind("Deployment", objs)
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert {"mountPath": "/etc/metrics-server/tls", "name": "serving-cert", "readOnly": True} in container["volumeMounts"]
    assert {"name": "serving-cert", "secret": {"secretName": "metrics-server-tls"}} in pod["volumes"]
    (api,) = by_kind("APIService", objs)
    assert api["spec"]["caBundle"] == TLS.ca_bundle and "insecureSkipTLSVerify" not in api["spec"]
    # The names the aggregator dials (<service>.<namespace>.svc) and in-cluster clients use, in the plan's domain.
    assert addons.METRICS_SERVER_DNS_NAMES == ("metrics-server.kube-system.svc", "metrics-server.kube-system.svc.cluster.local")
    # (kubeadm's networking.dnsDomain is the same constant: tests/bootstrap/test_render.py checks it is cluster.local)
    assert addons.METRICS_SERVER_DNS_NAMES[1].endswith(".svc." + CLUSTER_DOMAIN)
    with pytest.raises(ValueError, match=r"^addons.metricsServer: metrics-server needs its serving certificate"):
        addons.metrics_server_objects(SETTINGS)


def test_under_mocks_metrics_server_gets_the_stacks_certificate_as_secrets(recorded):
    rec, _ = recorded
    ca, csr, cert = (rec.by_name(f"demo-metrics-server-tls-{p}") for p in ("ca-cert", "csr", "cert"))
    assert csr.inputs["dnsNames"] == ["metrics-server.kube-system.svc", "metrics-server.kube-system.svc.cluster.local"]
    assert csr.inputs["subject"] == {"commonName": "metrics-server.kube-system.svc"}
    assert (ca.inputs["isCaCertificate"], ca.inputs["validityPeriodHours"]) == (True, 10 * 365 * 24)
    assert ca.inputs["subject"] == {"commonName": "demo metrics-server CA"}
    # one year, replaced by any `pulumi up` in its last 90 days (pulumi-tls early_renewal_hours)
    assert (cert.inputs["validityPeriodHours"], cert.inputs["earlyRenewalHours"]) == (365 * 24, 90 * 24)
    assert cert.inputs["allowedUses"] == ["digital_signature", "key_encipherment", "server_auth"]
    assert all(r.parent == rec.by_name("demo-addons").urn for r in (ca, csr, cert))
    secret = rec.by_name("demo-addons-secret-metrics-server-tls")
    assert (secret.inputs["type"], secret.inputs["stringData"]) == ("kubernetes.io/tls", SECRET)
    api = rec.by_name("demo-addons-apiservice-v1beta1.metrics.k8s.io").inputs["spec"]
    assert "insecureSkipTLSVerify" not in api
    bundle = x509.load_pem_x509_certificate(base64.b64decode(api["caBundle"]))  # the CA itself, in clear: public
    assert bundle.subject.rfc4514_string() == "CN=demo metrics-server CA"
    assert bundle.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert "PRIVATE KEY" not in json.dumps([r.inputs for r in rec.resources])


def test_the_certificates_names_are_the_ones_the_aggregator_checks(recorded, loopback_tls):
    # kube-aggregator dials metrics-server with TLS ServerName <service>.<namespace>.svc and the caBundle as its
    # roots (handler_proxy.go): a server with a certificate for the names the stack asks for passes that check.
    rec, _ = recorded
    names = rec.by_name("demo-metrics-server-tls-csr").inputs["dnsNames"]
    service = rec.by_name("demo-addons-apiservice-v1beta1.metrics.k8s.io").inputs["spec"]["service"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = loopback_tls(Handler, dns=names, ca_name="demo metrics-server CA", subject=names[0])
    context = ssl.create_default_context(cadata=server.ca_pem)
    aggregator_name = f"{service['name']}.{service['namespace']}.svc"
    with socket.create_connection(("127.0.0.1", server.port)) as raw, \
            context.wrap_socket(raw, server_hostname=aggregator_name) as tls:
        assert tls.getpeercert()["subject"] == ((("commonName", "metrics-server.kube-system.svc"),),)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            context.wrap_socket(raw, server_hostname="metrics-server.default.svc")


def test_addon_images_follow_the_specs_registries():
    spec = make_spec("prod", {"addons": {"imageRegistry": "ccr.ccs.tencentyun.com/mirror"},
                              "kubernetes": {"imageRepository": "ccr.ccs.tencentyun.com/k8s"}})
    used = addons.images(addons.objects(addons.settings_from_plan(build_plan(spec)), metrics_tls=TLS))
    assert "ccr.ccs.tencentyun.com/mirror/tkeimages/csi-tencentcloud-cbs:v2.3.0" in used
    assert "ccr.ccs.tencentyun.com/k8s/metrics-server:v0.7.2" in used
    assert all(i.startswith(("ccr.ccs.tencentyun.com/mirror/", "ccr.ccs.tencentyun.com/k8s/")) for i in used)
