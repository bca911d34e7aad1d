"""The CBS CSI driver: its objects exactly, the CAM-role credential sidecar against a fake metadata service, and the
pinned version's node-plugin needs."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import addons, bootstrap, build_plan
from tests.conftest import REGION, make_spec
from tests.bootstrap._addons import ADDRESSES, CSI, OBJECTS, SETTINGS, TLS, VERSION, by_kind


# ---- exact content ----------------------------------------------------------------------------------------------


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
        "parameters": {
            "diskType": "CLOUD_SSD",
            "encrypt": "ENCRYPT",
            "disktags": "kubecvm/cluster:demo,kubecvm/role:volume",
        },
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer",
    }


@given(
    disk_type=st.sampled_from(addons.CSI_DISK_TYPES),
    zones=st.lists(st.integers(1, 8), min_size=1, max_size=4, unique=True),
)
def test_storage_class_follows_settings(disk_type, zones):
    zone_names = tuple(f"{REGION}-{n}" for n in zones)
    s = addons.AddonSettings(
        cluster="c1", region=REGION, zones=zone_names, kubernetes_version=VERSION, disk_type=disk_type, **ADDRESSES
    )
    (sc,) = by_kind("StorageClass", addons.objects(s, metrics_tls=TLS))
    assert sc["parameters"]["diskType"] == disk_type
    assert sc["parameters"]["encrypt"] == "ENCRYPT"
    assert sc["metadata"]["name"] == "cbs-" + disk_type.split("_", 1)[1].lower()
    # Adding or removing zones must not touch the class: its topology fields are immutable in Kubernetes.
    (first_zone_only,) = by_kind(
        "StorageClass", addons.objects(dataclasses.replace(s, zones=zone_names[:1]), metrics_tls=TLS)
    )
    assert sc == first_zone_only
    assert (
        sum(
            o["metadata"].get("annotations", {}).get(addons.DEFAULT_CLASS_ANNOTATION) == "true"
            for o in addons.objects(s, metrics_tls=TLS)
        )
        == 1
    )


def test_csi_driver_object():
    (driver,) = by_kind("CSIDriver")
    assert driver["metadata"]["name"] == "com.tencent.cloud.csi.cbs"
    assert driver["spec"] == {"attachRequired": True, "podInfoOnMount": False, "volumeLifecycleModes": ["Persistent"]}


def test_node_plugin_registers_the_driver_socket():
    (ds,) = by_kind("DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    registrar = next(c for c in pod["containers"] if c["name"] == "driver-registrar")
    assert (
        "--kubelet-registration-path=/var/lib/kubelet/plugins/com.tencent.cloud.csi.cbs/csi.sock" in registrar["args"]
    )
    plugin_dir = next(v for v in pod["volumes"] if v["name"] == "plugin-dir")
    assert plugin_dir["hostPath"] == {
        "path": "/var/lib/kubelet/plugins/com.tencent.cloud.csi.cbs",
        "type": "DirectoryOrCreate",
    }
    assert pod["serviceAccountName"] == "cbs-csi-node-sa" and pod["hostNetwork"] is True
    assert pod["tolerations"] == [{"operator": "Exists"}]


def test_controller_runs_on_masters_with_role_credentials():
    (dep,) = by_kind("Deployment")
    pod = dep["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert pod["tolerations"] == [
        {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
    ]
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
    workloads = {
        o["spec"]["template"]["spec"]["serviceAccountName"] for o in CSI if o["kind"] in ("Deployment", "DaemonSet")
    }
    assert workloads == accounts
    every_rule = [r for role in by_kind("ClusterRole") for r in role["rules"]]
    assert not [r for r in every_rule if "secrets" in r["resources"] or "*" in r["verbs"] or "*" in r["resources"]]


# ---- the credential sidecar against a fake metadata service ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _FakeMetadata(BaseHTTPRequestHandler):
    role: str | None = "kubecvm-demo-master"
    CRED = {
        "TmpSecretId": "AKIDtemporaryid",
        "TmpSecretKey": "temporarykey",
        "Token": "session-token",
        "ExpiredTime": 1_900_000_000,
        "Expiration": "2030-03-17T17:46:40Z",
        "Code": "Success",
    }

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
    env = {
        "METADATA_URL": f"http://127.0.0.1:{meta.server_port}/latest/meta-data/cam/security-credentials/",
        "LISTEN_PORT": str(port),
        "PATH": "/usr/bin:/bin",
    }
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
    body = json.dumps(
        {
            "eventId": 1,
            "timestamp": 1,
            "caller": "cloudprovider",
            "callee": "NORM",
            "version": "1",
            "password": "cloudprovider",
            "interface": {"interfaceName": "NORM.AssumeTkeCredential", "para": {}},
        }
    ).encode()
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
    assert body == {
        "returnValue": 0,
        "returnMsg": "ok",
        "returnData": {
            "credentials": {
                "sessionToken": "session-token",
                "tmpSecretId": "AKIDtemporaryid",
                "tmpSecretKey": "temporarykey",
            },
            "expiredTime": 1_900_000_000,
        },
    }


def test_sidecar_reports_a_missing_role_as_an_error(shim):
    _FakeMetadata.role = None
    status, body = _norm_request(shim)
    assert status == 502 and body["returnValue"] != 0 and "no CAM role credentials" in body["returnMsg"]


# ---- the CBS CSI pin: a version bump must come with what that version needs ---------------------------------------

# What was verified against upstream for each version we ever pinned (planning/addons/cbs_csi_facts.py says where
# from). Bumping CBS_CSI_VERSION without re-reading its node plugin and adding a row here (and to NODE_REQUIREMENTS)
# fails.
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
    assert tag in VERIFIED_NODE_NEEDS, (
        f"CBS CSI {tag} is not verified: read its node plugin upstream and record the flags and environment it needs"
    )
    needs = VERIFIED_NODE_NEEDS[tag]
    _, driver = _node_driver()
    assert [
        a
        for a in driver["args"]
        if a not in ("--v=5", "--logtostderr=true", "--endpoint=unix:///csi/csi.sock", "--component_type=node")
    ] == needs["args"]
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
            ports += [
                e["value"].split(":")[2].split("/")[0] for e in c.get("env", []) if e["name"] == "QCLOUD_NORM_URL"
            ]
    assert sorted(ports) == ["19101", "19101", "19102", "19102"]
