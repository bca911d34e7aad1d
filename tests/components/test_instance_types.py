"""The program's real-cloud instance-type check: the provider's instance-types data source (tc.instance.get_types)
asked once per distinct (zone, family) the plan uses, and a type it does not list fails the run naming the field
before any CVM is registered. Here the simulated cloud answers it from offline/instance_types.py."""

from __future__ import annotations

import pulumi
import pytest

from kubecvm.offline import instance_types
from kubecvm.offline.runner import run_program
from kubecvm.offline.simulated_cloud import (
    INSTANCE_TYPES_TOKEN,
    CloudState,
    SimulatedCloud,
    instance_type_sold,
    offered_types,
)
from kubecvm.planning import build_plan
from tests.conftest import make_spec, stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"


class CountingCloud(SimulatedCloud):
    """The simulated cloud, keeping the arguments of every instance-types look-up."""

    def __init__(self):
        super().__init__()
        self.asked: list[tuple[str, ...]] = []

    def call(self, args):
        if args.token == INSTANCE_TYPES_TOKEN and not args.args.get("cbsFilter"):  # the system-disk look-ups aside
            filters = {f["name"]: tuple(f["values"]) for f in args.args["filters"]}
            self.asked.append((*filters["zone"], *filters["instance-family"]))
        return super().call(args)


def test_one_lookup_per_distinct_zone_and_family_however_many_nodes():
    cloud = CountingCloud()
    pools = [
        {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 4},
        {"name": "big", "slot": 2, "instanceType": "S5.4XLARGE64", "countPerZone": 2},
        {"name": "amd", "slot": 3, "instanceType": "SA2.4XLARGE64", "countPerZone": 3, "zones": ["ap-guangzhou-4"]},
    ]
    rec = run_program(stack_config("prod", nodePools=pools), stack="prod", cloud=cloud)
    assert sum(r.type == INSTANCE for r in rec.resources) == 3 + 3 * 4 + 3 * 2 + 3
    assert sorted(cloud.asked) == [
        ("ap-guangzhou-3", "S5"),
        ("ap-guangzhou-4", "S5"),
        ("ap-guangzhou-4", "SA2"),
        ("ap-guangzhou-6", "S5"),
    ]


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        (
            {"nodePools": [{"name": "general", "instanceType": "S5.LARGE9", "countPerZone": 1}]},
            "kubecvm:cluster.nodePools[0].instanceType: 'S5.LARGE9' is not among the S5 sizes the provider's instance-types "
            "data source offers in ap-guangzhou-3: " + ", ".join(instance_types.types_of("S5")),
        ),
        (
            {"controlPlane": {"instanceType": "Q9.LARGE8"}},
            "kubecvm:cluster.controlPlane.instanceType: 'Q9.LARGE8': the provider's instance-types data source offers no Q9 "
            "instances in ap-guangzhou-3; choose an instance family Tencent sells there",
        ),
    ],
)
def test_a_type_the_data_source_does_not_list_fails_before_any_cvm(cluster, message):
    registered: list[str] = []
    with pytest.raises(pulumi.RunError) as exc:
        run_program(stack_config("prod", **cluster), stack="prod", on_register=registered.append)
    assert str(exc.value) == message
    cvms = {m.name for m in build_plan(make_spec("prod", cluster)).machines}
    assert cvms and not cvms & set(registered)


def test_the_simulated_data_source_filters_as_the_provider_does():
    by_family = offered_types(
        {"filters": [{"name": "zone", "values": ["ap-guangzhou-3"]}, {"name": "instance-family", "values": ["S6"]}]}
    )
    assert [t["instanceType"] for t in by_family] == instance_types.types_of("S6")
    assert {t["availabilityZone"] for t in by_family} == {"ap-guangzhou-3"}
    one = offered_types(
        {"availabilityZone": "ap-guangzhou-4", "filters": [{"name": "instance-type", "values": ["SA2.22XLARGE224"]}]}
    )
    assert [(t["instanceType"], t["cpuCoreCount"], t["memorySize"], t["status"]) for t in one] == [
        ("SA2.22XLARGE224", 90, 224, "SELL")
    ]
    assert [t["instanceType"] for t in offered_types({"cpuCoreCount": 4, "memorySize": 8})] == [
        "S6.LARGE8",
        "SA3.LARGE8",
        "SR1.LARGE8",
        "S5.LARGE8",
        "SA2.LARGE8",
        "S4.LARGE8",
        "SN3ne.LARGE8",
        "S3.LARGE8",
        "SA1.LARGE8",
        "S2ne.LARGE8",
        "S2.LARGE8",
        "S1.LARGE8",
        "C6.LARGE8",
        "C5.LARGE8",
        "C4.LARGE8",
        "CN3.LARGE8",
        "C3.LARGE8",
        "C2.LARGE8",
        "BS1.LARGE8",
    ]
    assert offered_types({"filters": [{"name": "instance-family", "values": ["Q9"]}]}) == []
    gpu = offered_types({"filters": [{"name": "instance-type", "values": ["GN7.2XLARGE40", "GN7vw.LARGE16"]}]})
    assert [(t["instanceType"], t["cpuCoreCount"], t["memorySize"]) for t in gpu] == [
        ("GN7.2XLARGE40", 10, 40),
        ("GN7vw.LARGE16", 4, 16),
    ]  # GN7.2XLARGE40 has 10 vCPU on Tencent's page


def test_a_family_documented_without_sizes_is_sold_in_the_sizes_the_stack_asks_for_and_nothing_else():
    bare_metal = {
        "filters": [{"name": "zone", "values": ["ap-guangzhou-3"]}, {"name": "instance-family", "values": ["BMS5"]}]
    }
    assert offered_types(bare_metal) == []
    sold = offered_types(bare_metal, sells=("BMS5.24XLARGE384", "Q9.LARGE8", "BMS5.24XLARGE384"))
    assert [(t["instanceType"], t["cpuCoreCount"], t["memorySize"]) for t in sold] == [("BMS5.24XLARGE384", 96, 384)]
    state = CloudState()
    assert instance_type_sold(state, {"instanceType": "BMS5.24XLARGE384"}) is None
    assert instance_type_sold(state, {"instanceType": "Q9.LARGE8"}) == (
        "instanceType 'Q9.LARGE8' is not a type Tencent sells (InvalidParameterValue.InstanceTypeNotFound)"
    )
    assert instance_type_sold(state, {"instanceType": "M5.LARGE16"}) is not None  # M5 has LARGE32 only
