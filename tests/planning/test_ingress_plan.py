"""The ingress CLB plan: listeners, NodePorts, VIP, targets, the rules that guard them, and its stability."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import SpecError, build_plan
from kubecvm.planning import firewall
from kubecvm.planning import ingress as ing
from kubecvm.planning.plan import DROP_REST, Rule
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec
from tests.planning.test_properties import spec_of, specs

POOLS = [
    {"name": "general", "slot": 1, "instanceType": "S5.2XLARGE32", "countPerZone": 2},
    {
        "name": "edge",
        "slot": 2,
        "instanceType": "S5.LARGE8",
        "countPerZone": 1,
        "zones": ["ap-guangzhou-4"],
        "taints": [{"key": "dedicated", "value": "edge", "effect": "NoSchedule"}],
    },
]


def test_prod_plans_an_internal_ingress_clb_in_front_of_every_worker():
    plan = build_plan(make_spec("prod"))
    i = plan.ingress
    assert (i.name, i.component, i.exposure, i.network_type, i.zone) == (
        "demo-ingress",
        "demo-ingress-lb",
        "internal",
        "INTERNAL",
        "ap-guangzhou-3",
    )
    # The control-plane block of zone 3: masters from offset 4, the API VIP at index 7, the ingress VIP next.
    assert (plan.api.vip, i.vip) == ("10.0.64.11", "10.0.64.12")
    assert i.allowed_cidrs == ("10.0.0.0/16",)
    assert [(li.key, li.name, li.port, li.node_port, li.targets_name) for li in i.listeners] == [
        ("http", "demo-ingress-http", 80, 30080, "demo-ingress-http-targets"),
        ("https", "demo-ingress-https", 443, 30081, "demo-ingress-https-targets"),
    ]
    assert i.targets == tuple(sorted(w.name for w in plan.workers)) and len(i.targets) == 6
    assert i.node_ports == "30080,30081" and i.ports == {"http": 80, "https": 443}


def test_dev_has_no_ingress_and_no_ingress_group():
    plan = build_plan(make_spec("dev", {"zones": ["ap-guangzhou-3"]}))
    assert plan.ingress is None
    assert [g.role for g in plan.security_groups] == ["master", "worker", "lb"]
    assert not [r for r in plan.security_group("worker").ingress if "ingress" in r.description]


def test_node_ports_sit_in_the_static_band_of_the_default_range():
    assert ing.STATIC_BAND == (30000, 30085)
    assert all(ing.STATIC_BAND[0] <= p <= ing.STATIC_BAND[1] for p in ing.NODE_PORTS.values())
    assert len(set(ing.NODE_PORTS.values())) == len(ing.NODE_PORTS)


def test_selected_pools_only_and_their_label():
    plan = build_plan(make_spec("prod", {"nodePools": POOLS, "ingress": {"pools": ["edge"]}}))
    assert plan.ingress.pools == ("edge",)
    assert plan.ingress.targets == ("demo-edge-z4-0",)
    # Every worker carries its pool as a node label: the controller's DaemonSet selects pools by it.
    assert {w.name: w.labels[ing.POOL_LABEL] for w in plan.workers}["demo-edge-z4-0"] == "edge"
    assert all(w.labels[ing.POOL_LABEL] == w.pool for w in plan.workers)


def test_public_exposure_has_no_planned_vip_and_its_own_allowed_cidrs():
    plan = build_plan(
        make_spec(
            "prod",
            {"ingress": {"exposure": "public", "allowedCidrs": ["0.0.0.0/0"], "ports": {"http": 8080, "https": 8443}}},
        )
    )
    assert (plan.ingress.network_type, plan.ingress.vip, plan.ingress.allowed_cidrs) == ("OPEN", None, ("0.0.0.0/0",))
    assert plan.ingress.ports == {"http": 8080, "https": 8443}
    assert [li.node_port for li in plan.ingress.listeners] == [30080, 30081]  # NodePorts do not follow the ports
    assert plan.security_group("ingress").ingress == (
        Rule("ACCEPT", "TCP", "8080,8443", "0.0.0.0/0", "ingress listeners"),
        DROP_REST,
    )


def test_worker_rules_guard_the_node_ports_before_the_vpc_wide_accept():
    plan = build_plan(make_spec("prod", {"ingress": {"allowedCidrs": ["10.0.64.0/19", "192.168.100.0/24"]}}))
    rules = plan.security_group("worker").ingress
    mine = [r for r in rules if r.port == "30080,30081"]
    assert mine == [
        Rule("ACCEPT", "TCP", "30080,30081", "10.0.64.0/19", "ingress NodePorts from allowed clients"),
        Rule("ACCEPT", "TCP", "30080,30081", "192.168.100.0/24", "ingress NodePorts from allowed clients"),
        Rule("ACCEPT", "TCP", "30080,30081", "100.64.0.0/10", "ingress CLB health checks"),
        Rule("DROP", "TCP", "30080,30081", "0.0.0.0/0", "ingress NodePorts from anyone else"),
    ]
    vpc_wide = next(i for i, r in enumerate(rules) if r.port == "30000-32767")
    assert all(rules.index(r) < vpc_wide for r in mine)
    assert plan.security_group("ingress").ingress == (
        Rule("ACCEPT", "TCP", "80,443", "10.0.64.0/19", "ingress listeners"),
        Rule("ACCEPT", "TCP", "80,443", "192.168.100.0/24", "ingress listeners"),
        DROP_REST,
    )
    assert all(firewall.rule_problem(r) is None for g in plan.security_groups for r in g.ingress)


# The packet table (planning/firewall.py evaluates the plan's ordered rules as Tencent does).
@pytest.mark.parametrize(
    "exposure, allowed, source, groups, port, expected",
    [
        ("internal", None, "100.64.3.7", (), 30080, "ACCEPT"),  # CLB health check -> worker NodePort
        ("internal", None, "100.64.3.7", (), 30081, "ACCEPT"),
        ("internal", None, "10.0.200.9", (), 30080, "ACCEPT"),  # a VPC client through the internal CLB
        ("internal", None, "203.0.113.9", (), 30080, "DROP"),  # the internet -> worker NodePort
        ("internal", None, "203.0.113.9", (), 30081, "DROP"),
        ("internal", ["10.0.64.0/19"], "10.0.200.9", (), 30080, "DROP"),  # a VPC host outside allowedCidrs
        ("internal", ["10.0.64.0/19"], "10.0.70.9", (), 30080, "ACCEPT"),
        ("internal", ["10.0.64.0/19"], "10.0.200.9", (), 30500, "ACCEPT"),  # other NodePorts stay open to the VPC
        ("internal", None, "10.0.96.4", ("master",), 30080, "ACCEPT"),  # the cluster's own nodes (kube-proxy SNAT)
        ("internal", None, "172.16.9.9", (), 30080, "ACCEPT"),  # pods
        ("public", ["0.0.0.0/0"], "203.0.113.9", (), 30080, "ACCEPT"),  # a public ingress open to the world
        ("public", ["0.0.0.0/0"], "203.0.113.9", (), 10250, "DROP"),  # ... and nothing else is
    ],
)
def test_worker_packet_table(exposure, allowed, source, groups, port, expected):
    cfg = {"exposure": exposure, **({"allowedCidrs": allowed} if allowed else {})}
    plan = build_plan(make_spec("prod", {"ingress": cfg}))
    assert firewall.verdict(plan.security_group("worker").ingress, source, "TCP", port, groups) == expected


@pytest.mark.parametrize(
    "source, port, expected",
    [
        ("10.0.200.9", 80, "ACCEPT"),
        ("10.0.200.9", 443, "ACCEPT"),
        ("10.0.200.9", 22, "DROP"),
        ("203.0.113.9", 80, "DROP"),
        ("203.0.113.9", 443, "DROP"),
    ],
)
def test_ingress_clb_packet_table_when_internal(source, port, expected):
    plan = build_plan(make_spec("prod"))
    assert firewall.verdict(plan.security_group("ingress").ingress, source, "TCP", port) == expected


@pytest.mark.parametrize(
    "ingress, message",
    [
        ({"pools": ["nope"]}, "ingress.pools[0]: 'nope' is not a node pool (general)"),
        ({"pools": ["general", "general"]}, "ingress.pools[1]: pool 'general' is listed twice"),
        ({"pools": []}, "ingress.pools: select at least one node pool"),
        ({"ports": {"http": 443, "https": 443}}, "http and https are both 443"),
        ({"ports": {"http": 0}}, "ingress.ports.http"),
        ({"exposure": "world"}, "ingress.exposure"),
        ({"allowedCidrs": ["10.0.0.1/16"]}, "is not canonical"),
        ({"loadBalancer": True}, "ingress.loadBalancer: unknown key"),
    ],
)
def test_bad_ingress_config_names_the_field(ingress, message):
    with pytest.raises(ConfigError, match=None) as err:
        make_spec("prod", {"ingress": ingress})
    assert message in str(err.value)


def test_more_workers_than_a_listener_takes_is_refused_with_the_way_out():
    spec = make_spec("prod", {"nodePools": [{**POOLS[0], "countPerZone": 34}]})  # 102 workers
    with pytest.raises(SpecError) as err:
        build_plan(spec)
    assert err.value.field == "ingress.pools"
    assert "102 workers of pool(s) general" in err.value.problem and "at most 100 targets" in err.value.problem
    ok = make_spec("prod", {"nodePools": [{**POOLS[0], "countPerZone": 34}, POOLS[1]], "ingress": {"pools": ["edge"]}})
    assert build_plan(ok).ingress.targets == ("demo-edge-z4-0",)


def _clb_fields(plan) -> tuple:
    """Everything of the ingress plan but its targets: what the CLB and its listeners are made from."""
    return dataclasses.replace(plan.ingress, targets=())


@given(specs(), st.integers(-3, 3), st.data())
def test_scaling_changes_only_the_ingress_targets(doc, delta, data):
    before = build_plan(spec_of(doc))
    i = data.draw(st.integers(0, len(doc["nodePools"]) - 1))
    doc["nodePools"][i] = {**doc["nodePools"][i], "countPerZone": max(0, doc["nodePools"][i]["countPerZone"] + delta)}
    after = build_plan(spec_of(doc))
    assert _clb_fields(after) == _clb_fields(before)
    assert after.security_groups == before.security_groups  # the rules name CIDRs and ports, never nodes
    old, new = set(before.ingress.targets), set(after.ingress.targets)
    assert (old <= new) if delta >= 0 else (new <= old)
    assert new == {w.name for w in after.workers if w.pool in after.ingress.pools}


@given(specs())
def test_ingress_vip_is_unique_and_inside_its_zone_subnet(doc):
    plan = build_plan(spec_of(doc))
    subnet = ipaddress.IPv4Network(next(s.cidr for s in plan.subnets if s.zone == plan.ingress.zone))
    assert ipaddress.IPv4Address(plan.ingress.vip) in subnet
    taken = [m.private_ip for m in plan.machines] + [plan.api.vip]
    assert plan.ingress.vip not in taken
