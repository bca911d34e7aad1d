"""Each shipped stack file, run through the real program: counts per preset and a reviewed snapshot.

A rename or a replacement-forcing change shows up as a snapshot diff (`pytest --snapshot-update` to accept it).
"""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path

import pytest

from kubecvm.planning import bootstrap
from kubecvm.stacks.config import read_stack_file, spec_from_stack_file
from kubecvm.offline.runner import PROJECT_DIR, run_program

INSTANCE = "tencentcloud:Instance/instance:Instance"


def stack_file(stack: str) -> Path:
    return PROJECT_DIR / f"Pulumi.{stack}.yaml"


def run_stack(stack: str):
    return run_program(read_stack_file(stack_file(stack)), stack=stack)


def readable(inputs: dict) -> dict:
    """A CVM's userData is encoded (bootstrap.encode_user_data): the snapshot shows the text it decodes to."""
    if isinstance(inputs.get("userData"), str):
        return {**inputs, "userData": "decoded: " + bootstrap.decode_user_data(inputs["userData"])}
    return inputs


def normalized(rec) -> list[dict]:
    by_urn = {r.urn: r.name for r in rec.resources}
    return [
        {
            "type": r.type,
            "name": r.name,
            "parent": by_urn.get(r.parent),
            "protect": r.protect,
            "deleteBeforeReplace": r.delete_before_replace,
            "ignoreChanges": r.ignore_changes,
            "dependsOn": sorted(by_urn[d] for d in r.dependencies if d in by_urn),
            "inputs": readable(r.inputs),
        }
        for r in rec.resources
    ]


@pytest.mark.parametrize(
    ("stack", "zones", "masters", "workers", "nat"),
    [("dev", 1, 1, 2, 1), ("staging", 3, 3, 3, 1), ("prod", 3, 3, 6, 1)],
)
def test_preset_shape(stack, zones, masters, workers, nat):
    rec = run_stack(stack)
    roles = Counter(r.inputs["tags"]["kubecvm/role"] for r in rec.of_type(INSTANCE))
    assert roles == Counter({"master": masters, "worker": workers})
    assert len({r.inputs["availabilityZone"] for r in rec.of_type(INSTANCE)}) == zones
    assert len(
        {r.inputs["availabilityZone"] for r in rec.of_type(INSTANCE) if r.inputs["tags"]["kubecvm/role"] == "master"}
    ) == min(zones, masters)
    assert len(rec.of_type("tencentcloud:Nat/gateway:Gateway")) == nat
    pod_routes = [
        r for r in rec.of_type("tencentcloud:Route/tableEntry:TableEntry") if r.inputs["nextType"] == "NORMAL_CVM"
    ]
    assert len(pod_routes) == masters + workers


def test_prod_is_protected_and_staging_is_not():
    prod, staging = spec_from_stack_file(stack_file("prod")), spec_from_stack_file(stack_file("staging"))
    assert prod.protect and prod.control_plane.etcd_disk.type.value == "CLOUD_SSD"
    rec = run_stack("prod")
    assert {r.name for r in rec.resources if r.protect} == {
        "prod-vpc",
        "prod-master-0-etcd",
        "prod-master-1-etcd",
        "prod-master-2-etcd",
        "kubecvm-prod-etcd",
    }  # + the etcd backups
    assert not staging.protect


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_preset_snapshot(stack, snapshot):
    assert normalized(run_stack(stack)) == snapshot


def test_same_config_gives_identical_registrations():
    assert normalized(run_stack("staging")) == normalized(run_stack("staging"))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_cvm_user_data_decodes_to_utf8_text(stack):
    # terraform-provider-tencentcloud v1.82.42 (cvm/resource_tc_instance.go, resourceTencentCloudInstanceRead) reads
    # the user data back after create and sets user_data_raw = string(base64-decoded UserData); Pulumi's gRPC cannot
    # marshal a string that is not UTF-8, so a binary one loses the CVM it just created (planning/user_data.py).
    cvms = run_stack(stack).of_type(INSTANCE)
    assert cvms
    for cvm in cvms:
        raw = base64.b64decode(cvm.inputs["userData"], validate=True)
        raw.decode("utf-8")  # strict: raises on gzip's bytes
        assert bootstrap.decode_user_data(cvm.inputs["userData"]).startswith("#cloud-config\n"), cvm.name
