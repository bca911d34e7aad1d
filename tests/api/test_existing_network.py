"""Bring your own network: a VPC, subnets and route table made elsewhere; kubecvm creates none of them."""

from __future__ import annotations

import ipaddress

import pulumi
import pytest
import tencentcloud_iac_pulumi as tc
from tests.cli.cli_helpers import kubecvm, stack_file

from kubecvm import Cluster, ClusterArgs, ClusterArgsError
from kubecvm.offline.runner import run_program

INSTANCE = "tencentcloud:Instance/instance:Instance"
ROUTE = "tencentcloud:Route/tableEntry:TableEntry"
NETWORK_TYPES = {
    "tencentcloud:Vpc/instance:Instance",
    "tencentcloud:Subnet/instance:Instance",
    "tencentcloud:Route/table:Table",
    "tencentcloud:Nat/gateway:Gateway",
    "tencentcloud:Eip/instance:Instance",
}
ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
CIDRS = {"ap-guangzhou-3": "10.8.16.0/20", "ap-guangzhou-4": "10.8.32.0/20", "ap-guangzhou-6": "10.8.48.0/20"}


def shared_network():
    """Another team's network, in the same program: its ids are Outputs kubecvm only copies."""
    vpc = tc.vpc.Instance("shared-vpc", name="shared", cidr_block="10.8.0.0/16")
    table = tc.route.Table("shared-rtb", name="shared", vpc_id=vpc.id)
    subnets = {
        z: tc.subnet.Instance(
            f"shared-{z}", name=z, vpc_id=vpc.id, availability_zone=z, cidr_block=c, route_table_id=table.id
        )
        for z, c in CIDRS.items()
    }
    return vpc, table, subnets


def test_outputs_of_another_network_are_used_and_nothing_of_it_is_created():
    def program():
        vpc, table, subnets = shared_network()
        Cluster(
            "byo",
            ClusterArgs(
                preset="staging",
                region="ap-guangzhou",
                zones=ZONES,
                vpc_cidr="10.8.0.0/16",
                vpc_id=vpc.id,
                subnet_ids={z: s.id for z, s in subnets.items()},
                subnet_cidrs=CIDRS,
                route_table_id=table.id,
            ),
        )

    rec = run_program({}, stack="apps", program=program)
    ours = [r for r in rec.resources if not r.name.startswith("shared")]
    assert not [r.name for r in ours if r.type in NETWORK_TYPES]  # no VPC, subnet, route table, NAT or EIP
    assert "kubecvm:index:Network" not in {r.type for r in ours}
    ids = {r.name: r.id for r in rec.resources if r.name.startswith("shared")}
    cvms = {r.name: r.inputs for r in rec.of_type(INSTANCE)}
    for name, inputs in cvms.items():
        zone = inputs["availabilityZone"]
        assert inputs["vpcId"] == ids["shared-vpc"] and inputs["subnetId"] == ids[f"shared-{zone}"]
        assert ipaddress.IPv4Address(inputs["privateIp"]) in ipaddress.IPv4Network(CIDRS[zone])
    # Addresses are planned inside the given subnets as in kubecvm's own: masters in block 0, pools in their slot.
    assert cvms["byo-master-0"]["privateIp"] == "10.8.16.4" and cvms["byo-general-z4-0"]["privateIp"] == "10.8.34.0"
    routes = [r.inputs for r in rec.of_type(ROUTE)]
    assert len(routes) == 6 and {r["routeTableId"] for r in routes} == {ids["shared-rtb"]}  # staging: no NAT route


def test_egress_auto_adds_no_nat_to_an_existing_network():
    # dev's egress is auto; in a network kubecvm does not own the boot's egress is the owner's route table.
    def program():
        vpc, table, subnets = shared_network()
        Cluster(
            "byo",
            ClusterArgs(
                preset="dev",
                region="ap-guangzhou",
                zones=ZONES[:1],
                vpc_cidr="10.8.0.0/16",
                vpc_id=vpc.id,
                subnet_ids={ZONES[0]: subnets[ZONES[0]].id},
                subnet_cidrs={ZONES[0]: CIDRS[ZONES[0]]},
                route_table_id=table.id,
                egress="auto",
            ),
        )

    rec = run_program({}, stack="apps", program=program)
    ours = [r for r in rec.resources if not r.name.startswith("shared")]
    assert not [r.name for r in ours if r.type in NETWORK_TYPES]
    assert [r.inputs["nextType"] for r in rec.of_type(ROUTE)] == ["NORMAL_CVM"] * 3  # pod routes only


def test_plain_ids_from_a_stack_file_plan_through_the_cli(tmp_path):
    network = {
        "vpcId": "vpc-abcdefgh",
        "routeTableId": "rtb-abcdefgh",
        "subnets": {z: {"id": f"subnet-0000000{i}", "cidr": c} for i, (z, c) in enumerate(CIDRS.items())},
    }
    path = stack_file(
        tmp_path, "byo", {"zones": ZONES, "vpcCidr": "10.8.0.0/16", "existingNetwork": network}, preset="staging"
    )
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert not [r for r in doc["resources"] if r["type"] in NETWORK_TYPES]
    assert {r["inputs"]["subnetId"] for r in doc["resources"] if r["type"] == INSTANCE} == {
        "subnet-00000000",
        "subnet-00000001",
        "subnet-00000002",
    }
    assert doc["summary"]["zones"][0]["subnet"] == "10.8.16.0/20"
    del network["routeTableId"]
    path = stack_file(
        tmp_path, "byo", {"zones": ZONES, "vpcCidr": "10.8.0.0/16", "existingNetwork": network}, preset="staging"
    )
    run = kubecvm("plan", "--config-file", path)
    assert run.exit_code == 2
    assert run.stderr.endswith(
        "existingNetwork.routeTableId: required with existingNetwork (the network kubecvm uses but does not create)\n"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"subnet_cidrs": {**CIDRS, "ap-guangzhou-6": "10.9.48.0/20"}},
            "subnet_cidrs.ap-guangzhou-6: 10.9.48.0/20 is not inside vpc_cidr 10.8.0.0/16",
        ),
        (
            {"subnet_cidrs": {**CIDRS, "ap-guangzhou-6": "10.8.48.0/21"}},
            "subnet_cidrs: the subnets must be of one size",
        ),
        (
            {
                "subnet_cidrs": {k: v for k, v in CIDRS.items() if k != "ap-guangzhou-4"},
                "subnet_ids": {"ap-guangzhou-3": "subnet-00000000"},
            },
            "subnet_cidrs: no subnet for zone ap-guangzhou-4",
        ),
        (
            {"subnet_cidrs": {k: v for k, v in CIDRS.items() if k != "ap-guangzhou-4"}},
            "ClusterArgs of Cluster 'byo': subnet_ids.ap-guangzhou-4: no subnet_cidrs entry for this zone",
        ),
        ({"egress": "nat"}, "egress: nat would add a NAT gateway"),
        ({"subnet_cidrs": None}, "subnet_cidrs: required with vpc_id/subnet_ids, as plain values"),
    ],
)
def test_an_existing_network_that_does_not_fit_is_refused_by_name(change, message):
    def program():
        args = dict(
            preset="staging",
            region="ap-guangzhou",
            zones=ZONES,
            vpc_cidr="10.8.0.0/16",
            vpc_id=pulumi.Output.from_input("vpc-abcdefgh"),
            route_table_id="rtb-abcdefgh",
            subnet_ids={z: f"subnet-0000000{i}" for i, z in enumerate(ZONES)},
            subnet_cidrs=CIDRS,
        )
        Cluster("byo", ClusterArgs(**{**args, **change}))

    registered: list[str] = []
    with pytest.raises(ClusterArgsError, match="Cluster 'byo'") as info:
        run_program({}, stack="apps", program=program, on_register=registered.append)
    assert message in str(info.value) and registered == []


def test_policies_read_the_existing_subnets_from_the_cluster_facts(tmp_path):
    from kubecvm.policies import engine
    from kubecvm.offline import plan as offline

    network = {
        "vpcId": "vpc-abcdefgh",
        "routeTableId": "rtb-abcdefgh",
        "subnets": {z: {"id": f"subnet-0000000{i}", "cidr": c} for i, (z, c) in enumerate(CIDRS.items())},
    }
    path = stack_file(
        tmp_path, "byo", {"zones": ZONES, "vpcCidr": "10.8.0.0/16", "existingNetwork": network}, preset="prod"
    )
    run = kubecvm("plan", "--config-file", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["policies"]["violations"] == []  # prod's mandatory rules pass on the compliant baseline
    # One mutation: a node moved out of its zone's existing subnet is caught although no Subnet resource exists.
    loaded = offline.load_stack(config_file=path)
    _, config = offline.policy_config(loaded.plan, "prod")
    resources = [
        engine.Resource(urn=r["urn"], type=r["type"], name=r["name"], props=r["inputs"])
        for r in run.json()["resources"]
        if r["custom"]
    ]
    moved = [
        engine.Resource(r.urn, r.type, r.name, {**r.props, "privateIp": "10.8.99.4"}) if r.name == "byo-master-0" else r
        for r in resources
    ]
    found = [v.message for v in engine.evaluate(moved, config).violations if v.policy == "kubecvm-size-subnet-free-ips"]
    assert found == ["byo-master-0: private IP 10.8.99.4 is not inside a subnet of zone ap-guangzhou-3"]
