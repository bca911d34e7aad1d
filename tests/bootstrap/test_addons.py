"""The in-cluster add-ons as a whole: manifests validated by kubernetes-validate, the inventory, pinned images, no
keys anywhere, the settings, and ClusterAddons under mocks. Per add-on: test_addons_cbs_csi.py,
test_addons_coredns.py, test_addons_metrics_server.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import kubernetes_validate
import pytest
from kubernetes_validate.utils import major_minor

from kubecvm.planning import addons, build_plan, mirrors
from kubecvm.offline.runner import SECRET
from tests.conftest import PROD_ZONES, REGION, make_spec
from tests.bootstrap._addons import (
    ADDRESSES,
    CSI,
    METRICS_TLS_RESOURCES,
    OBJECTS,
    PROJECT_DIR,
    SETTINGS,
    SUPPORTED,
    TLS,
    VERSION,
    as_registered,
    by_kind,
    run_addons,
    walk,
)


# ---- kubernetes-validate ----------------------------------------------------------------------------------------
def test_validator_covers_the_supported_range():
    assert SUPPORTED[0] == "1.25"
    assert major_minor(VERSION) in SUPPORTED


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_object_validates_strictly(version):
    objs = addons.objects(
        addons.AddonSettings(
            cluster="demo", region=REGION, zones=tuple(PROD_ZONES), kubernetes_version=version, **ADDRESSES
        ),
        metrics_tls=TLS,
    )
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
        pytest.skip(
            "the spec has no kubernetes.version yet (added with the bootstrap user data); "
            "test_every_object_validates_strictly covers every minor the validator knows"
        )
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
    assert {
        o["metadata"].get("namespace")
        for o in OBJECTS
        if o["kind"] in ("ServiceAccount", "ConfigMap", "Deployment", "DaemonSet", "Service", "RoleBinding")
    } == {"kube-system"}
    assert OBJECTS == (
        addons.csr_approver_objects(SETTINGS)
        + CSI
        + addons.metrics_server_objects(SETTINGS, TLS)
        + addons.lb_controller_objects(SETTINGS)
    )


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
    pulls = {
        c["imagePullPolicy"]
        for o in OBJECTS
        if o["kind"] in ("Deployment", "DaemonSet")
        for c in o["spec"]["template"]["spec"]["containers"]
    }
    assert pulls == {"IfNotPresent"}


# Case-sensitive on purpose: the sidecar script names the metadata answer's fields (TmpSecretId, tmpSecretKey),
# which are read at run time on the instance; what must never appear is key wiring or a key itself.
FORBIDDEN = re.compile(r"SECRET_ID|SECRET_KEY|secretKeyRef|AKID[0-9A-Za-z]{8,}|BEGIN [A-Z ]*PRIVATE KEY")


def test_no_secret_keys_in_any_manifest():
    assert not by_kind("Secret")
    hits = [(path, text) for obj in OBJECTS for path, text in walk(obj) if FORBIDDEN.search(text)]
    assert hits == []
    env_names = {
        e["name"]
        for o in OBJECTS
        if o["kind"] in ("Deployment", "DaemonSet")
        for c in o["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
    }
    assert not [n for n in env_names if n.startswith("TENCENTCLOUD_")]


def test_forbidden_pattern_catches_upstream_key_wiring():
    # Upstream's manifests wire keys like this; the check above must be able to see it.
    upstream_env = {
        "name": "TENCENTCLOUD_API_SECRET_ID",
        "valueFrom": {"secretKeyRef": {"name": "cbs-csi-api-key", "key": "TENCENTCLOUD_CBS_API_SECRET_ID"}},
    }
    assert [t for _, t in walk(upstream_env) if FORBIDDEN.search(t)]


# ---- settings ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            {"kubernetes_version": "1.24.9"},
            "kubernetes.version: 1.24.9 is older than the add-ons support (1.25 or newer)",
        ),
        ({"kubernetes_version": "latest"}, "kubernetes.version: 'latest' is not a version such as 1.30 or 1.30.4"),
        (
            {"disk_type": "CLOUD_BASIC"},
            "diskType: CLOUD_BASIC is not a CBS CSI disk type (CLOUD_PREMIUM, CLOUD_SSD, CLOUD_HSSD)",
        ),
        ({"zones": ()}, "zones: the StorageClass needs at least one zone"),
        ({"zones": ("ap-shanghai-2",)}, "zones: every zone must be in region ap-guangzhou"),
        (
            {"masters": (("demo-master-0", "192.168.0.1"),)},
            "masters/pool_blocks: demo-master-0's addresses ('192.168.0.1', 1) are not inside vpcCidr 10.0.0.0/16",
        ),
        (
            {"masters": (("demo-master-0", "10.0.64"),)},
            "masters/pool_blocks: demo-master-0's addresses ('10.0.64', 1) are not inside vpcCidr 10.0.0.0/16",
        ),
        (
            {"pool_blocks": (("demo-a-z3-", "10.0.255.0", 512),)},  # runs past the VPC's end
            "masters/pool_blocks: demo-a-z3-'s addresses ('10.0.255.0', 512) are not inside vpcCidr 10.0.0.0/16",
        ),
        (
            {"masters": (("demo-master-0", "10.0.64.11"), ("demo-master-0", "10.0.64.12"))},
            "masters/pool_blocks: a name or prefix appears twice",
        ),
    ],
)
def test_settings_errors_name_the_field(change, problem):
    base = {"cluster": "demo", "region": REGION, "zones": ("ap-guangzhou-3",), "kubernetes_version": VERSION}
    with pytest.raises(ValueError) as err:
        addons.AddonSettings(**(base | change))
    assert str(err.value) == problem


@pytest.mark.parametrize(
    "pool_disks, expected",
    [
        ([], "CLOUD_SSD"),
        (["CLOUD_PREMIUM"], "CLOUD_PREMIUM"),
        (["CLOUD_HSSD", "CLOUD_PREMIUM"], "CLOUD_HSSD"),
        (["CLOUD_BSSD"], "CLOUD_SSD"),  # the driver does not create BSSD volumes
    ],
)
def test_volume_disk_type(pool_disks, expected):
    assert addons.volume_disk_type(pool_disks) == expected


def test_settings_from_spec():
    spec = make_spec(
        "prod",
        {
            "nodePools": [
                {
                    "name": "general",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "dataDisk": {"type": "CLOUD_PREMIUM", "size": 100},
                }
            ]
        },
    )
    s = addons.settings_from_spec(spec, kubernetes_version="1.31")
    assert s == addons.AddonSettings(
        cluster="demo",
        region=REGION,
        zones=tuple(PROD_ZONES),
        kubernetes_version="1.31",
        disk_type="CLOUD_PREMIUM",
        cbs_csi=True,
        registries=mirrors.from_spec(spec),
    )
    assert addons.settings_from_spec(spec, kubernetes_version="1.31", cbs_csi=False).cbs_csi is False
    if configured_version(spec) is None:
        with pytest.raises(ValueError, match="^kubernetes.version: needed"):
            addons.settings_from_spec(spec)
    else:
        assert addons.settings_from_spec(spec).kubernetes_version == configured_version(spec)


def test_disabled_addons_have_no_objects():
    base = {
        "cluster": "demo",
        "region": REGION,
        "zones": ("ap-guangzhou-3",),
        "kubernetes_version": VERSION,
        **ADDRESSES,
    }
    approver = addons.csr_approver_objects(addons.AddonSettings(**base))
    assert (
        addons.objects(
            addons.AddonSettings(**base, cbs_csi=False, metrics_server=False, lb_controller=False), metrics_tls=TLS
        )
        == approver
    )
    no_csi = addons.objects(addons.AddonSettings(**base, cbs_csi=False), metrics_tls=TLS)
    assert no_csi == approver + addons.metrics_server_objects(SETTINGS, TLS) + addons.lb_controller_objects(SETTINGS)
    assert not [o for o in no_csi if "cbs-csi" in o["metadata"]["name"]]
    # CoreDNS is kubeadm's: its spread is patched whatever the add-on switches say.
    assert addons.patches(addons.AddonSettings(**base, cbs_csi=False, metrics_server=False)) == [addons.coredns_patch()]


def test_planning_addons_imports_no_pulumi():
    code = "import sys, planning.addons; assert not [m for m in sys.modules if m.startswith('pulumi')], 'pulumi'"
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, check=True)


# ---- ClusterAddons under the recording mocks ---------------------------------------------------------------------
def test_component_registers_each_object_with_its_kubernetes_type(recorded):
    rec, _ = recorded
    component = rec.by_name("demo-addons")
    assert component.type == "kubecvm:index:ClusterAddons"
    children = sorted((r.name, r.type) for r in rec.resources if r.parent == component.urn)
    expected_types = {
        "ServiceAccount": "kubernetes:core/v1:ServiceAccount",
        "ConfigMap": "kubernetes:core/v1:ConfigMap",
        "ClusterRole": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "ClusterRoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "CSIDriver": "kubernetes:storage.k8s.io/v1:CSIDriver",
        "StorageClass": "kubernetes:storage.k8s.io/v1:StorageClass",
        "Deployment": "kubernetes:apps/v1:Deployment",
        "DaemonSet": "kubernetes:apps/v1:DaemonSet",
        "Service": "kubernetes:core/v1:Service",
        "RoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "APIService": "kubernetes:apiregistration.k8s.io/v1:APIService",
        "Secret": "kubernetes:core/v1:Secret",
        "Role": "kubernetes:rbac.authorization.k8s.io/v1:Role",
    }
    patch = "demo-addons-patch-deployment-coredns"
    assert children == sorted(
        [
            ("demo-addons-k8s", "pulumi:providers:kubernetes"),
            (patch, "kubernetes:apps/v1:DeploymentPatch"),
            (f"{patch}-exists", "pulumi-python:dynamic:Resource"),
            ("demo-addons-lb-cleanup", "pulumi-python:dynamic:Resource"),
        ]
        + [(addons.resource_name("demo-addons", o), expected_types[o["kind"]]) for o in OBJECTS]
        + list(METRICS_TLS_RESOURCES.items())
    )


def test_coredns_patch_waits_for_kubeadms_deployment(recorded):
    rec, cloud = recorded
    patch, gate = (
        rec.by_name("demo-addons-patch-deployment-coredns"),
        rec.by_name("demo-addons-patch-deployment-coredns-exists"),
    )
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
    rec, _ = run_addons(
        addons.AddonSettings(
            cluster="demo",
            region=REGION,
            zones=("ap-guangzhou-3",),
            kubernetes_version=VERSION,
            cbs_csi=False,
            metrics_server=False,
            lb_controller=False,
            **ADDRESSES,
        )
    )
    assert sorted(r.type for r in rec.resources) == sorted(
        [
            "kubecvm:index:ClusterAddons",
            "kubernetes:apps/v1:DeploymentPatch",
            "pulumi-python:dynamic:Resource",
            "pulumi:providers:kubernetes",
            "tencentcloud:Vpc/instance:Instance",
            "kubernetes:apps/v1:Deployment",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ]
    )


@pytest.mark.parametrize("cbs_csi", [True, False])
def test_component_takes_a_plan_and_follows_addons_cbs_csi(cbs_csi):
    spec = make_spec("staging", {"addons": {"cbsCsi": cbs_csi}, "ingress": {"enabled": False}})  # CSI alone
    if configured_version(spec) is None:
        pytest.skip("the spec has no kubernetes.version/addons yet (added with the bootstrap user data)")
    rec, _ = run_addons(build_plan(spec))
    kube = [r for r in rec.resources if r.type.startswith(("kubernetes:", "pulumi:providers:kubernetes"))]
    expected = as_registered(addons.settings_from_plan(build_plan(spec)), rec)
    assert len(kube) == len(expected) + 2  # the provider and the CoreDNS patch
    assert any("csi" in o["metadata"]["name"] for o in expected) is cbs_csi
    for obj in expected:
        assert rec.by_name(addons.resource_name("demo-addons", obj)).inputs == obj


def test_addon_images_follow_the_specs_registries():
    spec = make_spec(
        "prod",
        {
            "addons": {"imageRegistry": "ccr.ccs.tencentyun.com/mirror"},
            "kubernetes": {"imageRepository": "ccr.ccs.tencentyun.com/k8s"},
        },
    )
    used = addons.images(addons.objects(addons.settings_from_plan(build_plan(spec)), metrics_tls=TLS))
    assert "ccr.ccs.tencentyun.com/mirror/tkeimages/csi-tencentcloud-cbs:v2.3.0" in used
    assert "ccr.ccs.tencentyun.com/k8s/metrics-server:v0.7.2" in used
    assert all(i.startswith(("ccr.ccs.tencentyun.com/mirror/", "ccr.ccs.tencentyun.com/k8s/")) for i in used)
