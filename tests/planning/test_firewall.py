"""The security groups as a packet table: the prod plan's actual rule sets through the pure evaluator."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import build_plan, firewall
from kubecvm.planning.plan import Rule
from tests.bootstrap._boot import PRESETS, preset_plan
from tests.conftest import make_spec

PROD = preset_plan("prod")  # vpc 10.2.0.0/16, zones 3, 4, 6; API allowed from 10.0.0.0/8; SSH from the VPC
M0, M1 = PROD.masters[0].private_ip, PROD.masters[1].private_ip
W0, W_OTHER = PROD.workers[0].private_ip, PROD.workers[-1].private_ip
POD = str(next(ipaddress.ip_network(PROD.workers[0].pod_cidr).hosts()))
VPC_HOST = "10.2.84.10"  # in the VPC, zone 3, an unused pool block: not a node
PEERED = "10.9.0.5"  # another private network (apiEndpoint.allowedCidrs 10.0.0.0/8)
INTERNET = "203.0.113.7"
HEALTH_CHECK = "100.64.12.9"  # a CLB health-check source (100.64.0.0/10, planning/ingress.py)

GROUPS = {M0: ("master",), M1: ("master",), W0: ("worker",), W_OTHER: ("worker",)}
PACKETS = [
    # (what, group, source, protocol, port, expected)
    ("node->node NodePort (kube-proxy SNAT)", "worker", W_OTHER, "TCP", 30080, "ACCEPT"),
    ("node->node NodePort UDP", "worker", W_OTHER, "UDP", 31000, "ACCEPT"),
    ("worker->master DNS over UDP (CoreDNS on masters)", "master", W0, "UDP", 53, "ACCEPT"),
    ("worker->master DNS over TCP", "master", W0, "TCP", 53, "ACCEPT"),
    ("hostNetwork pod on a worker -> master kubelet (metrics)", "master", W0, "TCP", 10250, "ACCEPT"),
    ("worker->master API", "master", W0, "TCP", 6443, "ACCEPT"),
    ("worker->master etcd", "master", W0, "TCP", 2379, "DROP"),
    ("worker->master etcd peer", "master", W0, "TCP", 2380, "DROP"),
    ("pod->master etcd", "master", POD, "TCP", 2379, "DROP"),
    ("master->master etcd", "master", M1, "TCP", 2380, "ACCEPT"),
    ("master->worker kubelet", "worker", M0, "TCP", 10250, "ACCEPT"),
    ("pod->worker anything", "worker", POD, "TCP", 8080, "ACCEPT"),
    ("pod->master kubelet", "master", POD, "TCP", 10250, "ACCEPT"),
    ("VPC host->worker kubelet", "worker", VPC_HOST, "TCP", 10250, "DROP"),
    ("VPC host->master kubelet", "master", VPC_HOST, "TCP", 10250, "DROP"),
    ("VPC host->master controller manager", "master", VPC_HOST, "TCP", 10257, "DROP"),
    ("VPC host->worker NodePort (internal CLB keeps the client address)", "worker", VPC_HOST, "TCP", 30080, "ACCEPT"),
    ("VPC host->master API", "master", VPC_HOST, "TCP", 6443, "ACCEPT"),
    ("VPC host->worker ssh", "worker", VPC_HOST, "TCP", 22, "ACCEPT"),
    ("VPC host->worker ping", "worker", VPC_HOST, "ICMP", None, "ACCEPT"),
    ("VPC host->worker DNS", "worker", VPC_HOST, "UDP", 53, "DROP"),
    ("peered network->API CLB", "lb", PEERED, "TCP", 6443, "ACCEPT"),
    ("peered network->master API", "master", PEERED, "TCP", 6443, "ACCEPT"),
    ("peered network->worker ssh", "worker", PEERED, "TCP", 22, "DROP"),
    ("peered network->master etcd", "master", PEERED, "TCP", 2379, "DROP"),
    ("API CLB health check->master API", "master", HEALTH_CHECK, "TCP", 6443, "ACCEPT"),
    # monitoring.prometheus: the cluster agent (a pod) scrapes node addresses (planning/addons/scrape.py); the
    # control-plane agent scrapes its master's loopback, which no security group sees.
    ("Prometheus agent (pod)->worker kubelet", "worker", POD, "TCP", 10250, "ACCEPT"),
    ("Prometheus agent (pod)->worker node-exporter", "worker", POD, "TCP", 9100, "ACCEPT"),
    ("Prometheus agent (pod)->master node-exporter", "master", POD, "TCP", 9100, "ACCEPT"),
    ("Prometheus agent (pod)->master API (kube-apiserver metrics)", "master", POD, "TCP", 6443, "ACCEPT"),
    ("VPC host->worker node-exporter", "worker", VPC_HOST, "TCP", 9100, "DROP"),
    ("VPC host->master node-exporter", "master", VPC_HOST, "TCP", 9100, "DROP"),
    ("VPC host->master scheduler", "master", VPC_HOST, "TCP", 10259, "DROP"),
    ("peered network->worker node-exporter", "worker", PEERED, "TCP", 9100, "DROP"),
    ("100.64 range->master kubelet (only 6443 is probed)", "master", HEALTH_CHECK, "TCP", 10250, "DROP"),
    ("100.64 range->master etcd", "master", HEALTH_CHECK, "TCP", 2379, "DROP"),
    ("100.64 range->master ssh", "master", HEALTH_CHECK, "TCP", 22, "DROP"),
    ("100.64 range->API CLB", "lb", HEALTH_CHECK, "TCP", 6443, "DROP"),
    *[
        (f"internet->{g} {proto} {port}", g, INTERNET, proto, port, "DROP")
        for g in ("master", "worker", "lb")
        for proto, port in (
            ("TCP", 22),
            ("TCP", 6443),
            ("TCP", 2379),
            ("TCP", 10250),
            ("TCP", 30080),
            ("UDP", 53),
            ("ICMP", None),
        )
    ],
]


@pytest.mark.parametrize("what,group,source,protocol,port,expected", PACKETS, ids=[p[0] for p in PACKETS])
def test_prod_packet_table(what, group, source, protocol, port, expected):
    groups = GROUPS.get(source, ())
    assert firewall.verdict(PROD.security_group(group).ingress, source, protocol, port, groups) == expected, what


def test_the_internet_reaches_what_the_stack_allows():
    plan = build_plan(
        make_spec(
            "prod",
            {
                "apiEndpoint": {"exposure": "public", "allowedCidrs": ["203.0.113.0/24"]},
                "sshAllowedCidrs": ["198.51.100.0/24"],
            },
        )
    )
    ingress = {g.role: g.ingress for g in plan.security_groups}
    assert firewall.verdict(ingress["lb"], INTERNET, "TCP", 6443) == "ACCEPT"
    assert firewall.verdict(ingress["master"], INTERNET, "TCP", 6443) == "ACCEPT"  # the CLB keeps the client address
    assert firewall.verdict(ingress["master"], INTERNET, "TCP", 2379) == "DROP"
    assert firewall.verdict(ingress["worker"], "198.51.100.9", "TCP", 22) == "ACCEPT"
    assert firewall.verdict(ingress["worker"], "198.51.100.9", "TCP", 10250) == "DROP"
    assert firewall.verdict(ingress["master"], "8.8.8.8", "TCP", 6443) == "DROP"
    assert firewall.verdict(ingress["master"], HEALTH_CHECK, "TCP", 6443) == "ACCEPT"  # the public CLB's probes


def test_nodes_are_named_by_their_security_groups_so_a_new_zone_changes_no_rule():
    grown = build_plan(
        make_spec(
            "prod",
            {
                "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"],
                "nodePools": [
                    {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 3},
                    {"name": "batch", "slot": 2, "instanceType": "S5.LARGE8", "countPerZone": 1},
                ],
            },
        )
    )
    base = build_plan(make_spec("prod"))
    assert grown.security_groups == base.security_groups
    nodes = [r for r in base.security_group("worker").ingress if r.source_group]
    assert [(r.source_group, r.cidr, r.protocol, r.port) for r in nodes] == [
        ("master", "", "ALL", "ALL"),
        ("worker", "", "ALL", "ALL"),
    ]


@pytest.mark.parametrize("stack", PRESETS)
def test_every_rule_is_one_the_provider_accepts_and_every_list_ends_closed(stack):
    for g in preset_plan(stack).security_groups:
        for r in (*g.ingress, *g.egress):
            assert firewall.rule_problem(r) is None, (g.name, r)
        assert g.ingress[-1] == Rule("DROP", "ALL", "ALL", "0.0.0.0/0", "everything else")


@given(st.ip_addresses(v=4).map(str), st.sampled_from(["TCP", "UDP"]), st.integers(1, 65535))
def test_etcd_answers_masters_only(source, protocol, port):
    ok = (
        firewall.verdict(PROD.security_group("master").ingress, source, "TCP", 2379, GROUPS.get(source, ())) == "ACCEPT"
    )
    assert ok == (source in {m.private_ip for m in PROD.masters})
    # Workers never accept anything from outside private ranges.
    if not ipaddress.ip_address(source).is_private:
        assert firewall.verdict(PROD.security_group("worker").ingress, source, protocol, port) == "DROP"


@pytest.mark.parametrize(
    "rule,problem",
    [
        (Rule("ACCEPT", "ALL", "22", "10.0.0.0/8", ""), "protocol ALL takes port ALL"),
        (Rule("ALLOW", "TCP", "22", "10.0.0.0/8", ""), "action 'ALLOW'"),
        (Rule("ACCEPT", "SCTP", "22", "10.0.0.0/8", ""), "protocol 'SCTP'"),
        (Rule("ACCEPT", "TCP", "90-80", "10.0.0.0/8", ""), "low before high"),
        (Rule("ACCEPT", "TCP", "http", "10.0.0.0/8", ""), "not a Tencent port"),
        (Rule("ACCEPT", "TCP", "22", "10.0.0.1/8", ""), "host bits"),
        (Rule("ACCEPT", "TCP", "22", "10.0.0.0/8", "", source_group="worker"), "exactly one"),
        (Rule("ACCEPT", "TCP", "22", "", ""), "exactly one"),
    ],
)
def test_rule_problems(rule, problem):
    assert problem in firewall.rule_problem(rule)


def test_first_match_wins_and_nothing_matched_is_dropped():
    rules = (Rule("DROP", "TCP", "22", "10.0.0.0/24", ""), Rule("ACCEPT", "TCP", "22,80-90", "10.0.0.0/8", ""))
    assert firewall.verdict(rules, "10.0.0.5", "TCP", 22) == "DROP"
    assert firewall.verdict(rules, "10.1.0.5", "TCP", 22) == "ACCEPT"
    assert firewall.verdict(rules, "10.1.0.5", "TCP", 85) == "ACCEPT"
    assert firewall.verdict(rules, "10.1.0.5", "UDP", 22) == "DROP"
    assert firewall.verdict((), "10.1.0.5", "TCP", 22) == "DROP"
    by_group = (Rule("ACCEPT", "ALL", "ALL", "", "", source_group="worker"),)
    assert firewall.verdict(by_group, "10.1.0.5", "UDP", 53, ("worker",)) == "ACCEPT"
    assert firewall.verdict(by_group, "10.1.0.5", "UDP", 53, ("master",)) == "DROP"
    assert firewall.verdict(by_group, "10.1.0.5", "UDP", 53) == "DROP"
