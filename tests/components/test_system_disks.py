"""System disks: a type per pool and for the control plane, a default valid for the family, refusal of what Tencent
does not sell naming the field (the plan, the simulated cloud, and the provider's data source under `pulumi up`)."""

from __future__ import annotations

import pulumi
import pytest

from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.runner import run_program
from kubecvm.planning import SpecError, build_plan, disks
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec, stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"


def system_disk(resource) -> tuple:
    return resource.inputs["systemDiskType"], resource.inputs["systemDiskSize"]


def test_every_machine_gets_its_familys_default_unless_told():
    rec = run_program(stack_config("prod"), stack="p")
    assert {r.name: system_disk(r) for r in rec.of_type(INSTANCE)} == {
        **{f"demo-master-{i}": ("CLOUD_SSD", 50) for i in range(3)},
        **{f"demo-general-z{z}-{k}": ("CLOUD_SSD", 50) for z in (3, 4, 6) for k in range(2)},
    }


def test_the_settings_reach_the_cvms():
    rec = run_program(
        stack_config(
            "prod",
            controlPlane={"systemDisk": {"type": "CLOUD_BSSD", "size": 80}},
            nodePools=[
                {
                    "name": "general",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "systemDisk": {"type": "CLOUD_PREMIUM", "size": 100},
                },
                {"name": "old", "slot": 2, "instanceType": "S5.LARGE8", "countPerZone": 1, "systemDiskSize": 60},
            ],
        ),
        stack="p",
    )
    assert system_disk(rec.by_name("demo-master-1")) == ("CLOUD_BSSD", 80)
    assert system_disk(rec.by_name("demo-general-z4-0")) == ("CLOUD_PREMIUM", 100)
    assert system_disk(rec.by_name("demo-old-z6-0")) == ("CLOUD_SSD", 60)  # systemDiskSize, the older spelling


@pytest.mark.parametrize(
    "overrides, field, problem",
    [
        (
            {
                "nodePools": [
                    {
                        "name": "general",
                        "instanceType": "S5.2XLARGE32",
                        "countPerZone": 1,
                        "systemDisk": {"type": "CLOUD_HSSD"},
                    }
                ]
            },
            "nodePools[0].systemDisk.type",
            'CLOUD_HSSD is not a system disk of a S5 instance: Tencent: "Enhanced SSD cannot be used as the system disk" '
            "(CBS use limits); choose one of CLOUD_SSD, CLOUD_PREMIUM, CLOUD_BSSD",
        ),
        (
            {"controlPlane": {"systemDisk": {"type": "CLOUD_TSSD"}}},  # auto-sized: S5 masters
            "controlPlane.systemDisk.type",
            'CLOUD_TSSD is not a system disk of a S5 instance: Tencent: "Tremendous SSD cannot be used as the system disk" '
            "(CBS use limits); it is sold only as an S5se data disk; choose one of CLOUD_SSD, CLOUD_PREMIUM, CLOUD_BSSD",
        ),
        (
            {
                "nodePools": [
                    {
                        "name": "general",
                        "instanceType": "SA2.LARGE8",
                        "countPerZone": 1,
                        "systemDisk": {"type": "CLOUD_BASIC"},
                    }
                ]
            },
            "nodePools[0].systemDisk.type",
            "CLOUD_BASIC is not a system disk of a SA2 instance: the basic (HDD) cloud disk is no longer among the cloud "
            "disks Tencent sells (Premium, SSD, Enhanced SSD: CBS cloud disk types); choose one of CLOUD_SSD, CLOUD_PREMIUM, "
            "CLOUD_BSSD",
        ),
    ],
)
def test_a_type_the_family_is_not_sold_with_is_refused_naming_the_field(overrides, field, problem):
    with pytest.raises(SpecError) as err:
        build_plan(make_spec("prod", overrides))
    assert (err.value.field, err.value.problem) == (field, problem)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {
                "nodePools": [
                    {
                        "name": "general",
                        "instanceType": "S5.LARGE8",
                        "countPerZone": 1,
                        "systemDisk": {"size": 100},
                        "systemDiskSize": 100,
                    }
                ]
            },
            "nodePools[0].systemDiskSize: set the size as systemDisk.size (systemDiskSize is its older spelling), not both",
        ),
        (
            {"controlPlane": {"systemDisk": {"size": 10}}},
            "controlPlane.systemDisk.size: Input should be greater than or equal to 20",
        ),
        (
            {"controlPlane": {"systemDisk": {"type": "LOCAL_SSD"}}},
            "controlPlane.systemDisk.type: expected 'CLOUD_BASIC'",
        ),
    ],
)
def test_bad_system_disk_settings_name_the_field(overrides, message):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", overrides)
    assert message in str(err.value)


def test_a_family_sold_with_other_system_disks_gets_its_own_default_and_refusal(monkeypatch):
    monkeypatch.setitem(disks.FAMILY_SYSTEM_DISKS, "SA2", ("CLOUD_BSSD", "CLOUD_PREMIUM"))
    pools = [{"name": "amd", "instanceType": "SA2.LARGE8", "countPerZone": 1}]
    plan = build_plan(make_spec("prod", {"nodePools": pools}))
    assert {w.system_disk_type for w in plan.workers} == {"CLOUD_BSSD"}
    assert {m.system_disk_type for m in plan.masters} == {"CLOUD_SSD"}  # S5 masters keep theirs
    with pytest.raises(SpecError) as err:
        build_plan(make_spec("prod", {"nodePools": [{**pools[0], "systemDisk": {"type": "CLOUD_SSD"}}]}))
    assert err.value.field == "nodePools[0].systemDisk.type"
    assert err.value.problem == (
        "CLOUD_SSD is not a system disk of a SA2 instance: Tencent does not sell it as a SA2 "
        "system disk; choose one of CLOUD_BSSD, CLOUD_PREMIUM"
    )


class NoSsdSystemDisks(sim.SimulatedCloud):
    """A zone where the data source lists only CLOUD_PREMIUM system disks for S5 (DescribeDiskConfigQuota's say)."""

    def __init__(self):
        super().__init__()
        self.disk_lookups: list[tuple] = []

    def call(self, args):
        answer = super().call(args)
        if args.token == sim.INSTANCE_TYPES_TOKEN and args.args.get("cbsFilter"):
            filters = {f["name"]: tuple(f["values"]) for f in args.args["filters"]}
            self.disk_lookups.append(
                (*filters["zone"], *filters["instance-type"], args.args["cbsFilter"]["diskChargeType"])
            )
            for t in answer["instanceTypes"]:
                t["cbsConfigs"] = [c for c in t["cbsConfigs"] if c["diskType"] == "CLOUD_PREMIUM"]
        return answer


def test_under_pulumi_up_the_data_source_decides_before_any_cvm():
    registered: list[str] = []
    cloud = NoSsdSystemDisks()
    with pytest.raises(pulumi.RunError) as exc:
        run_program(stack_config("prod"), stack="prod", cloud=cloud, on_register=registered.append)
    assert str(exc.value) == (
        "kubecvm:cluster.controlPlane.systemDisk.type: CLOUD_SSD is not a system disk Tencent sells with S5.LARGE16 in "
        "ap-guangzhou-3; the provider's instance-types data source (DescribeDiskConfigQuota) offers CLOUD_PREMIUM"
    )
    cvms = {m.name for m in build_plan(make_spec("prod")).machines}
    assert cvms and not cvms & set(registered)
    # One look-up per distinct (zone, instance type, disk charge type), however many machines share it.
    assert sorted(cloud.disk_lookups) == sorted(
        [(z, "S5.LARGE16", "POSTPAID_BY_HOUR") for z in ("ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6")]
        + [(z, "S5.2XLARGE32", "POSTPAID_BY_HOUR") for z in ("ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6")]
    )
    ok = run_program(
        stack_config(
            "prod",
            controlPlane={"systemDisk": {"type": "CLOUD_PREMIUM"}},
            nodePools=[
                {
                    "name": "general",
                    "instanceType": "S5.2XLARGE32",
                    "countPerZone": 1,
                    "systemDisk": {"type": "CLOUD_PREMIUM"},
                }
            ],
        ),
        stack="prod",
        cloud=NoSsdSystemDisks(),
    )
    assert {r.inputs["systemDiskType"] for r in ok.of_type(INSTANCE)} == {"CLOUD_PREMIUM"}


def test_a_prepaid_pool_asks_for_prepaid_system_disks():
    cloud = NoSsdSystemDisks()
    pools = [
        {
            "name": "general",
            "instanceType": "S5.2XLARGE32",
            "countPerZone": 1,
            "chargeType": "PREPAID",
            "prepaid": {"period": 1},
            "systemDisk": {"type": "CLOUD_PREMIUM"},
        }
    ]
    run_program(
        stack_config("prod", nodePools=pools, controlPlane={"systemDisk": {"type": "CLOUD_PREMIUM"}}),
        stack="prod",
        cloud=cloud,
    )
    assert ("ap-guangzhou-3", "S5.2XLARGE32", "PREPAID") in cloud.disk_lookups


@pytest.mark.parametrize(
    "disk_type, problem",
    [
        ("CLOUD_HSSD", "Enhanced SSD cannot be used as the system disk"),
        ("CLOUD_TSSD", "Tremendous SSD cannot be used as the system disk"),
        ("CLOUD_BASIC", "no longer among the cloud disks Tencent sells"),
    ],
)
def test_the_simulated_cloud_refuses_what_tencent_does_not_sell_as_a_system_disk(disk_type, problem):
    state = sim.CloudState()
    with pytest.raises(sim.CloudRefusal, match=f"systemDiskType: {disk_type} is not a system disk of a S5 instance"):
        state.create("a", INSTANCE, "ins-a", {"instanceType": "S5.LARGE8", "systemDiskType": disk_type})
    with pytest.raises(sim.CloudRefusal, match=problem):
        state.create("a", INSTANCE, "ins-a", {"instanceType": "S5.LARGE8", "systemDiskType": disk_type})
    for ok in disks.SYSTEM_DISK_TYPES:
        state.create(f"ok-{ok}", INSTANCE, f"ins-{ok}", {"instanceType": "S5.LARGE8", "systemDiskType": ok})
