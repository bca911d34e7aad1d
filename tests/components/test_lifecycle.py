"""Day 2 under the recording mocks: replacement order per type, the termination-protection lift, image pinning,
masters chained for updates, data disks per charge type."""

from __future__ import annotations

import pytest

from kubecvm.offline.runner import run_program
from kubecvm.planning.lifecycle import LIFECYCLE, Strategy
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec, planned_types, stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"


@pytest.fixture(scope="module")
def prod():
    return run_program(stack_config("prod"), stack="prod")


def test_every_tencent_type_any_preset_plans_says_how_it_is_replaced():
    """A new Tencent resource type (a COS bucket, an ingress CLB, ...) must get its planning/lifecycle.py entry."""
    missing = sorted(t for t in planned_types() if t.startswith("tencentcloud:") and t not in LIFECYCLE)
    assert not missing, (
        f"add a planning/lifecycle.py LIFECYCLE entry (strategy, unique inputs, cited why) for: {missing}"
    )


def test_every_tencent_resource_is_registered_with_its_lifecycle_order(prod):
    tencent = [r for r in prod.resources if r.custom and r.type.startswith("tencentcloud:")]
    for r in tencent:
        assert r.delete_before_replace is (LIFECYCLE[r.type].strategy is Strategy.DELETE_BEFORE_REPLACE), r.name
    by_name = {r.name: r for r in tencent}
    # The ones whose unique attributes collide with themselves go first; the others keep Pulumi's default.
    assert by_name["demo-master-0"].delete_before_replace and by_name["demo-general-z3-0-pods"].delete_before_replace
    assert by_name["demo-apiserver"].delete_before_replace and by_name["kubecvm-demo-master"].delete_before_replace
    assert not by_name["demo-vpc"].delete_before_replace and not by_name["demo-master-0-etcd"].delete_before_replace
    assert not by_name["kubecvm_demo_ca-crt"].delete_before_replace  # SSM: a unique name, not an order


def test_prod_masters_are_termination_protected_until_lifted():
    lifted = run_program(stack_config("prod", liftTerminationProtection=["demo-master-1"]), stack="prod")
    protected = {r.name: r.inputs["disableApiTermination"] for r in lifted.of_type(INSTANCE) if "master" in r.name}
    assert protected == {"demo-master-0": True, "demo-master-1": False, "demo-master-2": True}


def test_lifting_protection_of_a_machine_that_is_not_a_master_is_refused():
    with pytest.raises(ConfigError, match=r"liftTerminationProtection\[0\]: 'demo-general-z3-0' is not a master"):
        make_spec("prod", {"liftTerminationProtection": ["demo-general-z3-0"]})


def test_every_machine_ignores_image_changes_so_nothing_running_is_reinstalled(prod):
    machines = prod.of_type(INSTANCE)
    assert len(machines) == 9 and all(r.ignore_changes == ["imageId"] for r in machines)


def test_each_master_waits_for_the_previous_one(prod):
    urn = {r.name: r.urn for r in prod.resources}
    deps = {r.name: set(r.dependencies) for r in prod.of_type(INSTANCE)}
    assert urn["demo-master-0"] in deps["demo-master-1"] and urn["demo-master-1"] in deps["demo-master-2"]
    assert not any(urn[m] in deps["demo-master-0"] for m in ("demo-master-1", "demo-master-2"))
    assert not any(urn[f"demo-master-{i}"] in deps["demo-general-z3-0"] for i in range(3))  # workers are not chained


@pytest.mark.parametrize(
    ("charge", "disk"),
    [
        ("POSTPAID_BY_HOUR", {"deleteWithInstance": True}),
        ("PREPAID", {"deleteWithInstance": False, "deleteWithInstancePrepaid": True}),
    ],
)
def test_data_disks_ask_to_go_with_the_instance_as_the_provider_allows_for_its_charge_type(charge, disk):
    pool = {
        "name": "general",
        "instanceType": "S5.2XLARGE32",
        "countPerZone": 1,
        "chargeType": charge,
        "dataDisk": {"type": "CLOUD_SSD", "size": 200},
        **({"prepaid": {"period": 1}} if charge == "PREPAID" else {}),
    }
    rec = run_program(stack_config("prod", nodePools=[pool]), stack="prod")
    worker = rec.by_name("demo-general-z3-0")
    assert worker.inputs["instanceChargeType"] == charge
    assert worker.inputs["dataDisks"] == [{"dataDiskSize": 200, "dataDiskType": "CLOUD_SSD", "encrypt": True, **disk}]


def test_a_spot_pool_with_a_data_disk_is_refused_naming_the_field():
    pool = {
        "name": "spot",
        "instanceType": "S5.LARGE8",
        "countPerZone": 1,
        "chargeType": "SPOTPAID",
        "dataDisk": {"type": "CLOUD_SSD", "size": 100},
    }
    with pytest.raises(ConfigError, match=r"nodePools\[0\]\.dataDisk: a SPOTPAID pool cannot have a data disk"):
        make_spec("prod", {"nodePools": [pool]})
