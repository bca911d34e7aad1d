"""The Python API as a library user meets it: keyword arguments, the exported argument types, the documented
outputs (ingress endpoint, node IPs), `name`, errors in ClusterArgs' spelling at the right field, a pool scaled to
zero and the internal API endpoint as `kubecvm plan` shows them."""

from __future__ import annotations

import typing

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from tests.cli.cli_helpers import kubecvm

import kubecvm as api
from kubecvm import Cluster, ClusterArgs, ClusterArgsError
from kubecvm.components import args as args_module
from kubecvm.offline.runner import run_program
from kubecvm.provider import PACKAGE, Cluster as HostedCluster

ZONE = "ap-guangzhou-3"
POOL = {"name": "general", "instance_type": "S5.LARGE8", "count_per_zone": 2}
BYO = {
    "vpc_cidr": "10.8.0.0/16",
    "vpc_id": "vpc-abcdefgh",
    "subnet_ids": {ZONE: "subnet-abcdefgh"},
    "route_table_id": "rtb-abcdefgh",
}


def registered(program) -> list[tuple[str, str, dict]]:
    rec = run_program({}, stack="apps", program=program)
    return [(r.type, r.name, r.inputs) for r in rec.resources]


def refusal(program) -> str:
    with pytest.raises(ClusterArgsError) as info:
        run_program({}, stack="apps", program=program)
    return str(info.value)


def test_keyword_arguments_build_what_cluster_args_build():
    by_keywords = registered(lambda: Cluster("c1", region="ap-guangzhou", zones=[ZONE], node_pools=[POOL]))
    by_args = registered(lambda: Cluster("c1", ClusterArgs(region="ap-guangzhou", zones=[ZONE], node_pools=[POOL])))
    assert by_keywords == by_args and len(by_keywords) > 100
    assert refusal(lambda: Cluster("c1", ClusterArgs(zones=[ZONE]), zones=[ZONE])) == (
        "Cluster 'c1': give the arguments either as ClusterArgs or as keyword arguments, not both (keywords given: zones)"
    )
    assert refusal(lambda: Cluster("c1")) == (
        "Cluster 'c1': no arguments: give ClusterArgs(zones=[...], ...) or keyword arguments (zones=[...], ...)"
    )
    assert refusal(lambda: Cluster("c1", region="ap-guangzhou", zones=[ZONE], node_poolz=[POOL])).startswith(
        "ClusterArgs of Cluster 'c1': node_poolz: unknown argument"
    )


def test_every_argument_type_is_exported_from_the_package():
    typed = {n for n, v in vars(args_module).items() if isinstance(v, type) and typing.is_typeddict(v)}
    assert {"IngressArgs", "PodNetworkArgs", "AddressLayoutArgs", "IngressPortsArgs"} <= typed
    assert typed <= set(api.__all__) and all(getattr(api, n) is getattr(args_module, n) for n in typed)


def test_the_ingress_endpoint_and_node_ips_are_documented_outputs():
    seen = {}

    def program():
        cluster = seen["c"] = Cluster(
            "web", preset="staging", region="ap-guangzhou", zones=[ZONE, "ap-guangzhou-4", "ap-guangzhou-6"]
        )
        pulumi.export("ingress", cluster.ingress_endpoint)
        pulumi.export("ports", cluster.ingress_ports)

    rec = run_program({}, stack="apps", program=program)
    cluster = seen["c"]
    assert rec.outputs == {"ingress": "10.0.64.12", "ports": {"http": 80, "https": 443}}
    cvms = {r.name: r.inputs["privateIp"] for r in rec.of_type("tencentcloud:Instance/instance:Instance")}
    assert cluster.node_ips == {n: ip for n, ip in cvms.items() if "-master-" not in n} and len(cluster.node_ips) == 3
    assert cluster.master_ips == {n: ip for n, ip in cvms.items() if "-master-" in n} and len(cluster.master_ips) == 3
    assert cluster.capacity["maxNodes"] == cluster.plan.capacity.max_nodes
    for name in ("ingress_endpoint", "ingress_ports", "node_ips", "master_ips", "pod_cidrs", "capacity", "kubeconfig"):
        assert name in Cluster.__doc__
    dev = {}
    run_program(
        {}, stack="apps", program=lambda: dev.setdefault("c", Cluster("dev", region="ap-guangzhou", zones=[ZONE]))
    )
    assert (dev["c"].ingress_endpoint, dev["c"].ingress_ports) == (None, None)  # dev has no ingress


def test_name_in_cluster_args_is_the_components_or_refused():
    assert registered(lambda: Cluster("c1", ClusterArgs(name="c1", region="ap-guangzhou", zones=[ZONE]))) == registered(
        lambda: Cluster("c1", region="ap-guangzhou", zones=[ZONE])
    )
    assert refusal(lambda: Cluster("c1", ClusterArgs(name="c2", region="ap-guangzhou", zones=[ZONE]))) == (
        "ClusterArgs of Cluster 'c1': name: 'c2': the cluster is named after the component (Cluster('c1', ...)); drop "
        "name, or name the component as the cluster"
    )


def test_a_small_existing_subnet_is_named_in_the_callers_spelling():
    message = refusal(
        lambda: Cluster("byo", region="ap-guangzhou", zones=[ZONE], subnet_cidrs={ZONE: "10.8.16.0/28"}, **BYO)
    )
    assert message == (
        "invalid ClusterArgs of Cluster 'byo' (preset dev): subnet_cidrs.ap-guangzhou-3: 10.8.16.0/28 is too small: its "
        "/31 address blocks (one per pool slot, layout.pool_blocks 8) cannot hold the 1 master(s) and the API address; "
        "give larger subnets"
    )
    # From another language (the component package), in the schema's camelCase.
    provider = ComponentProvider([HostedCluster], PACKAGE, version="0.1.0")
    inputs = {
        "region": "ap-guangzhou",
        "zones": [ZONE],
        "vpcCidr": "10.8.0.0/16",
        "vpcId": "vpc-abcdefgh",
        "subnetIds": {ZONE: "subnet-abcdefgh"},
        "subnetCidrs": {ZONE: "10.8.16.0/28"},
        "routeTableId": "rtb-abcdefgh",
    }
    with pytest.raises(Exception) as info:
        run_program(
            {},
            stack="yaml",
            program=lambda: provider.construct("byo", "kubecvm:index:Cluster", inputs, pulumi.ResourceOptions()),
        )
    assert (
        "subnetCidrs.ap-guangzhou-3: 10.8.16.0/28 is too small: its /31 address blocks (one per pool slot, "
        "layout.poolBlocks 8)" in str(info.value)
    )


def test_an_output_where_a_plain_value_is_needed_says_so():
    assert refusal(lambda: Cluster("o", region="ap-guangzhou", zones=pulumi.Output.from_input([ZONE]))) == (
        "ClusterArgs of Cluster 'o': zones: a pulumi Output, where kubecvm needs a plain value: every address and name "
        "is planned before anything exists (only image_id, ssh_key_ids, security_group_ids and the existing network's "
        "ids may be Outputs)"
    )
    assert refusal(
        lambda: Cluster(
            "o",
            region="ap-guangzhou",
            zones=[ZONE],
            node_pools=[{**POOL, "instance_type": pulumi.Output.from_input("S5.LARGE8")}],
        )
    ).startswith(
        "ClusterArgs of Cluster 'o': node_pools[0].instance_type: a pulumi Output, where kubecvm needs a plain value"
    )


def test_a_pool_scaled_to_zero_and_the_internal_endpoint_in_the_plan(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import kubecvm\n\n"
        "kubecvm.Cluster('zero', preset='staging', region='ap-guangzhou', zones=['ap-guangzhou-3'],\n"
        "                node_pools=[kubecvm.NodePoolArgs(name='general', instance_type='S5.LARGE8', count_per_zone=0)])\n"
    )
    run = kubecvm("plan", "--program", program, "--no-policies")
    assert run.exit_code == 0, run.stderr
    text = " ".join(run.stdout.replace("│", " ").split())  # the table's cells, unwrapped
    assert "workers general: none (countPerZone 0, S5.LARGE8) (total 0)" in text
    assert "on no workers yet (pool general has none): nothing answers" in text
    assert (
        "API endpoint internal 10.0.64.11:6443; reachable only inside the VPC: run `pulumi up` from a machine "
        "there (or joined to it by VPN, Direct Connect or CCN), or set apiEndpoint.exposure public with "
        "allowedCidrs"
    ) in text
