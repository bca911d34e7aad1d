"""podNetwork modes and the layout geometry: exact plans worked by hand, validation messages, and stable
identity under a non-default geometry (hypothesis)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kubecvm.planning import ClusterSpec, build_plan
from kubecvm.stacks.config import ConfigError, plan_from_config
from tests.conftest import REGION, make_spec, stack_config

POOL = {"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2}


def test_default_layout_and_mode_are_todays_plan(prod_spec):
    explicit = make_spec("prod", {"layout": {"zoneBlocks": 8, "poolBlocks": 8}, "podNetwork": {"mode": "vpcRoutes"}})
    assert build_plan(explicit) == build_plan(prod_spec).__class__(
        **{**build_plan(prod_spec).__dict__, "spec": explicit}
    )
    assert build_plan(prod_spec).cluster_route_table is None


def test_a_16_pod_cidr_holds_4_nodes_per_pool_zone_by_default_and_16_with_two_pool_blocks():
    default = build_plan(make_spec("prod", {"podCidr": "172.16.0.0/16"}))
    assert default.capacity.max_nodes_per_pool_zone == 4  # 2^(24 - 16 - 3 - 3)
    plan = build_plan(
        make_spec(
            "prod",
            {"podCidr": "172.16.0.0/16", "layout": {"poolBlocks": 2}, "nodePools": [{**POOL, "countPerZone": 16}]},
        )
    )
    # VPC 10.0.0.0/16: /19 per zone, /20 per pool block; pods 172.16.0.0/16: /20 per (zone, pool), bucket
    # index (zone - 1) x 2 + slot.
    assert [(s.zone, s.cidr) for s in plan.subnets][0] == ("ap-guangzhou-3", "10.0.64.0/19")
    m0 = plan.masters[0]
    assert (m0.private_ip, m0.pod_cidr) == ("10.0.64.4", "172.16.64.0/24")  # bucket 4
    w = plan.pools[0].nodes
    assert [(n.name, n.private_ip, n.pod_cidr) for n in w[:2]] == [
        ("demo-general-z3-0", "10.0.80.0", "172.16.80.0/24"),
        ("demo-general-z3-1", "10.0.80.1", "172.16.81.0/24"),
    ]
    assert w[15].pod_cidr == "172.16.95.0/24"  # the last block of bucket 5
    cap = plan.capacity
    assert (cap.max_nodes_per_pool_zone_by_pod_cidr, cap.max_nodes_per_pool_zone_by_subnet_ips) == (
        16,
        4092,
    )  # last block: tail kept
    assert cap.to_dict()["layout"] == {"zoneBlocks": 8, "poolBlocks": 2}
    assert cap.to_dict()["maxNodesPerPoolZone"] == 16


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"layout": {"zoneBlocks": 3}}, "layout.zoneBlocks: 3 is not a power of two in 1..8"),
        ({"layout": {"poolBlocks": 1}}, "layout.poolBlocks: 1 is not a power of two in 2..16"),
        ({"layout": {"poolBlocks": 32}}, "layout.poolBlocks: 32 is not a power of two in 2..16"),
        ({"layout": {"zoneBlocks": 4}}, "zones[2]: zone number 6 is above the 4 zone blocks of layout.zoneBlocks"),
        (
            {"layout": {"poolBlocks": 2}, "nodePools": [{**POOL, "slot": 2}]},
            "nodePools[0].slot: 2 is not a pool slot of layout.poolBlocks 2: expected 1..1",
        ),
        ({"layout": {"bogus": 1}}, "layout.bogus: unknown key"),
        ({"podNetwork": {"mode": "overlay"}}, "podNetwork.mode: expected 'vpcRoutes' or 'globalRouter'"),
        (
            {"podNetwork": {"mode": "globalRouter"}, "podCidr": "10.128.0.0/9", "vpcCidr": "172.16.0.0/16"},
            "podCidr: /9 is outside /10../24, the TKE API's range for a cluster route table's CIDR",
        ),
        (
            {"podCidr": "172.16.0.0/16", "nodePools": [{**POOL, "countPerZone": 5}]},
            "nodePools[0].countPerZone: 5 nodes per zone exceed the 4 that fit one pool in one zone",
        ),
    ],
)
def test_layout_and_mode_errors_name_the_field(override, expected):
    config = stack_config("prod", **override)
    with pytest.raises(ConfigError) as err:
        plan_from_config(preset="prod", overrides=config["kubecvm:cluster"], region=REGION, stack="test")
    assert expected in str(err.value)


def test_masters_sharing_a_zone_must_fit_its_pod_blocks():
    config = stack_config(
        "prod", zones=["ap-guangzhou-3"], podCidr="172.16.0.0/18", nodePools=[{**POOL, "countPerZone": 1}]
    )
    with pytest.raises(ConfigError) as err:
        plan_from_config(preset="prod", overrides=config["kubecvm:cluster"], region=REGION, stack="test")
    assert "controlPlane.count: 3 masters in zone ap-guangzhou-3 exceed the 1 pod blocks" in str(err.value)


def test_global_router_moves_every_node_route_into_one_cluster_route_table(prod_spec):
    vpc = build_plan(prod_spec)
    gr = build_plan(make_spec("prod", {"podNetwork": {"mode": "globalRouter"}}))
    assert [(m.name, m.private_ip, m.pod_cidr) for m in gr.machines] == [
        (m.name, m.private_ip, m.pod_cidr) for m in vpc.machines
    ]
    table = gr.cluster_route_table
    assert (table.name, table.cidr) == ("kubecvm-demo-pods", "172.16.0.0/12")
    assert table.routes == vpc.routes and gr.vpc_pod_routes == ()
    assert [(r.destination, r.next_hop) for r in table.routes][:2] == [
        ("172.20.0.0/24", "10.0.64.4"),
        ("172.22.0.0/24", "10.0.96.4"),
    ]
    cap = gr.capacity.to_dict()
    # The VPC table keeps only the NAT default route; the quota bounds nothing.
    assert (cap["routeEntriesUsed"], cap["maxNodesByRouteQuota"], cap["clusterRoutes"]) == (1, None, 9)
    assert (cap["maxNodes"], cap["boundedBy"], cap["podNetwork"]) == (1363, ["kubernetes"], "globalRouter")


def test_global_router_capacity_at_5000_nodes_is_bounded_by_kubernetes_not_the_quota():
    pools = [
        {"name": f"p{s}", "slot": s, "instanceType": "S5.LARGE8", "countPerZone": 238 - (s == 7)} for s in range(1, 8)
    ]
    spec = make_spec(
        "prod",
        {
            "zones": [f"ap-guangzhou-{n}" for n in (1, 2, 3)],
            "vpcCidr": "172.16.0.0/12",
            "podCidr": "10.0.0.0/10",
            "serviceCidr": "192.168.0.0/16",
            "nodePodMask": 25,
            "maxPodsPerNode": 30,
            "nodePools": pools,
            "controlPlane": {"instanceType": "S5.8XLARGE128"},
            "podNetwork": {"mode": "globalRouter"},
            "ingress": {"enabled": False},  # an ingress listener takes at most 100 workers (planning/ingress.py)
        },
    )
    plan = build_plan(spec)
    assert len(plan.machines) == 3 + 3 * (6 * 238 + 237) == 4998
    assert plan.capacity.max_nodes_by_route_quota is None and plan.capacity.route_entries_used == 1
    assert plan.capacity.cluster_routes == 4998 and plan.capacity.max_nodes == 5000


# Stable identity under a non-default geometry: zones and slots drawn inside it.
@st.composite
def geometry_specs(draw) -> dict:
    zone_blocks = draw(st.sampled_from([1, 2, 4, 8]))
    pool_blocks = draw(st.sampled_from([2, 4, 8, 16]))
    zones = [
        f"ap-guangzhou-{n}" for n in draw(st.lists(st.integers(1, zone_blocks), min_size=1, max_size=4, unique=True))
    ]
    slots = draw(st.lists(st.integers(1, pool_blocks - 1), min_size=1, max_size=3, unique=True))
    pod = draw(st.sampled_from(["172.16.0.0/16", "172.16.0.0/12"]))
    # Node blocks per (zone, pool) bucket: 2^(24 - pod prefix - zone bits - pool bits); room for the masters too.
    cap = 2 ** (24 - int(pod[-2:]) - (zone_blocks - 1).bit_length() - (pool_blocks - 1).bit_length())
    assume(cap >= -(-3 // len(zones)))
    pools = [
        {"name": f"pool{i}", "slot": s, "instanceType": "S5.LARGE8", "countPerZone": draw(st.integers(0, min(5, cap)))}
        for i, s in enumerate(slots)
    ]
    return {
        "preset": "staging",
        "region": "ap-guangzhou",
        "name": "c",
        "zones": zones,
        "vpcCidr": "10.0.0.0/16",
        "podCidr": pod,
        "serviceCidr": "192.168.0.0/20",
        "nodePodMask": 24,
        "maxPodsPerNode": 100,
        "controlPlane": {"count": 3, "instanceType": "S5.4XLARGE64"},
        "nodePools": pools,
        "quotas": {"routeEntriesPerTable": 5000},
        "layout": {"zoneBlocks": zone_blocks, "poolBlocks": pool_blocks},
        "podNetwork": {"mode": draw(st.sampled_from(["vpcRoutes", "globalRouter"]))},
    }


def _plan(doc):
    return build_plan(ClusterSpec.model_validate(doc))


def _ids(plan):
    return {m.name: (m.zone, m.private_ip, m.pod_cidr) for m in plan.machines}


@given(geometry_specs(), st.data())
def test_any_geometry_lays_out_disjoint_blocks_and_scaling_moves_nothing_else(doc, data):
    plan = _plan(doc)
    pod = ipaddress.IPv4Network(doc["podCidr"])
    blocks = sorted(ipaddress.IPv4Network(m.pod_cidr) for m in plan.machines)
    assert all(b.subnet_of(pod) for b in blocks)
    assert not any(a.overlaps(b) for a, b in zip(blocks, blocks[1:]))
    ips = [m.private_ip for m in plan.machines] + [plan.api.vip]
    assert len(set(ips)) == len(ips)
    i = data.draw(st.integers(0, len(doc["nodePools"]) - 1))
    grown = {**doc, "nodePools": [dict(p) for p in doc["nodePools"]]}
    grown["nodePools"][i]["countPerZone"] += 1
    assume(grown["nodePools"][i]["countPerZone"] <= plan.capacity.max_nodes_per_pool_zone)
    assert plan.capacity.max_nodes_per_pool_zone_by_pod_cidr == 2 ** (
        24 - int(doc["podCidr"][-2:]) - sum((b - 1).bit_length() for b in doc["layout"].values())
    )
    before, after = _ids(plan), _ids(_plan(grown))
    assert {k: after[k] for k in before} == before


@given(geometry_specs())
def test_switching_the_pod_network_mode_moves_no_node(doc):
    other = {**doc, "podNetwork": {"mode": "globalRouter" if doc["podNetwork"]["mode"] == "vpcRoutes" else "vpcRoutes"}}
    a, b = _plan(doc), _plan(other)
    assert _ids(a) == _ids(b) and a.routes == b.routes
