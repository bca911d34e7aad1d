"""One model of TKE's rules (kubecvm/planning/tencent/tke.py), two faces: the emulator answers a refusal with the
same code the simulated cloud refuses the plan with."""

from __future__ import annotations

import re

import pytest
from emulator_helpers import refused, request, tke

from kubecvm.components import global_router as gr
from kubecvm.emulator import Emulator
from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.runner import run_program
from kubecvm.planning.tencent import tke as facts

EXISTING = ("other-cluster", "172.20.0.0/16", "vpc-1")
CASES = [  # (name, CIDR, VPC) of a second table beside EXISTING; the code both faces refuse it with, or None
    (("mine", "172.16.0.0/12", "vpc-1"), "InvalidParameter.CidrConflictWithOtherCluster"),
    (("mine", "172.20.128.0/17", "vpc-1"), "InvalidParameter.CidrConflictWithOtherCluster"),
    (("mine", "172.16.0.0/12", "vpc-2"), None),
    (("mine", "172.21.0.0/16", "vpc-1"), None),
]


def emulator_code(table: tuple[str, str, str]) -> str | None:
    emulator = Emulator()
    with emulator.serve() as url:
        client = tke(url)
        for name, cidr, vpc in (EXISTING, table):
            create = request("CreateClusterRouteTable", RouteTableName=name, RouteTableCidrBlock=cidr, VpcId=vpc)
            if name == EXISTING[0]:
                client.CreateClusterRouteTable(create)
                continue
            try:
                return refused(client.CreateClusterRouteTable, create)[0]
            except AssertionError:  # accepted
                return None
    raise AssertionError("unreachable")


def simulated_code(table: tuple[str, str, str]) -> str | None:
    state = sim.CloudState()
    for name, cidr, vpc in (EXISTING, table):
        inputs = {"routeTableName": name, "routeTableCidrBlock": cidr, "vpcId": vpc, "region": "ap-guangzhou"}
        try:
            state.create(name, facts.CLUSTER_ROUTE_TABLE, name, inputs)
        except sim.CloudRefusal as exc:
            return re.search(r"\(([\w.]+)\)$", str(exc))[1]
    return None


@pytest.mark.parametrize(("table", "code"), CASES)
def test_the_emulator_and_the_simulated_cloud_refuse_the_same_tables_with_the_same_code(table, code):
    assert emulator_code(table) == simulated_code(table) == code


def test_a_plan_with_two_overlapping_cluster_route_tables_in_one_vpc_is_refused_offline():
    def program() -> None:
        for name, cidr in (("a", "172.20.0.0/16"), ("b", "172.16.0.0/12")):
            gr.ClusterRouteTable(name, table_name=name, cidr=cidr, vpc_id="vpc-1", region="ap-guangzhou", routes={})

    # The SDK registers resources from several threads: either table may be the second, the refused one.
    with pytest.raises(
        sim.CloudRefusal,
        match=r"overlaps route table [ab] \(172.\d+.0.0/1[26]\) in vpc-1 "
        r"\(InvalidParameter.CidrConflictWithOtherCluster\)$",
    ):
        run_program({"tencentcloud:region": "ap-guangzhou"}, stack="raw", program=program)


def test_a_replaced_table_does_not_conflict_with_its_old_self():
    old = facts.RouteTable("kubecvm-x-pods", "172.16.0.0/12", "vpc-1")
    assert facts.table_cidr_conflict(facts.RouteTable(old.name, "172.16.0.0/13", "vpc-1"), [old]) is None
    assert facts.table_name_taken(old, [old]) == facts.Refusal(
        "InternalError.ResourceExistAlready", "route table kubecvm-x-pods exists"
    )


@pytest.mark.parametrize(
    ("cidr", "code"),
    [
        ("172.0.0.0/9", "InvalidParameter.CIDRMaskSizeOutOfRange"),
        ("10.0.0.0/25", "InvalidParameter.CIDRMaskSizeOutOfRange"),
        ("10.0.0.0/24", None),
        ("10.0.0.0/10", None),
    ],
)
def test_a_table_cidr_is_a_cluster_cidr_of_prefix_10_to_24(cidr, code):
    refusal = facts.create_table_refusal(facts.RouteTable("t", cidr, "vpc-1"), [])
    assert (refusal.code if refusal else None) == code


def test_the_vpc_route_conflict_is_lifted_by_the_flag_only():
    new = facts.RouteTable("t", "172.16.0.0/12", "vpc-1")
    assert facts.vpc_route_conflict(new, ["172.20.0.0/24", "10.0.0.0/16"], ignore=False) == facts.Refusal(
        "InvalidParameter.CidrConflictWithVpcGlobalRoute",
        "RouteTableCidrBlock 172.16.0.0/12 overlaps routes of vpc-1: 172.20.0.0/24",
    )
    assert facts.vpc_route_conflict(new, ["172.20.0.0/24"], ignore=True) is None
