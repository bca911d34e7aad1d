"""Every rule: the prod baseline passes it, and one changed property (or one setting) makes it fail by its id."""

from __future__ import annotations

import base64
import dataclasses
import gzip
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import bootstrap
from kubecvm.policies.engine import evaluate, load_policy_config, policies
from kubecvm.policies.registry import CLUSTER_ROUTE_TABLE, RULES, Resource
from policy_helpers import freeze, mutate, thaw, without
from kubecvm.stacks.config import merge

Mutation = Callable[[tuple[Resource, ...]], tuple[list[Resource], dict]]


def props(name: str, **changes) -> Mutation:
    return lambda rs: (mutate(rs, name, lambda p: p.update(changes)), {})


def edit(name: str, change: Callable[[dict], None]) -> Mutation:
    return lambda rs: (mutate(rs, name, change), {})


def drop(name: str) -> Mutation:
    return lambda rs: (without(rs, name), {})


def setting(config: dict) -> Mutation:
    return lambda rs: (list(rs), config)


def _world(port: str, protocol: str = "TCP", action: str = "ACCEPT") -> dict:
    return {"action": action, "cidrBlock": "0.0.0.0/0", "description": "test", "port": port, "protocol": protocol}


def _add_cluster_route_table(cidr: str) -> Mutation:
    """A second pod network in the VPC: a TKE cluster route table whose CIDR is not the pod CIDR."""

    def add(rs):
        vpc = next(r for r in rs if r.type == "tencentcloud:Vpc/instance:Instance")
        table = Resource(
            f"{vpc.urn}-other-table",
            CLUSTER_ROUTE_TABLE,
            "other-pods",
            freeze({"routeTableName": "other-pods", "routeTableCidrBlock": cidr, "vpcId": "vpc-0", "routes": {}}),
        )
        return [*rs, table], {}

    return add


def _untag_role(p: dict) -> None:
    del p["tags"]["kubecvm/role"]


def _ingress_to_a_master(rs: tuple[Resource, ...]) -> tuple[list[Resource], dict]:
    """The ingress attachment also sends to prod-master-0 (its id among the targets, its URN a dependency)."""
    master = next(r for r in rs if r.name == "prod-master-0")
    out = []
    for r in rs:
        if r.name == "prod-ingress-http-targets":
            props_ = thaw(r.props)
            props_["targets"].append({"instanceId": "ins-master0", "port": 30080, "weight": 10})
            r = dataclasses.replace(r, props=freeze(props_), dependencies=(*r.dependencies, master.urn))
        out.append(r)
    return out, {}


MUTATIONS: dict[str, Mutation] = {
    "kubecvm-size-master-tier": props("prod-master-0", instanceType="S5.LARGE8"),  # 6 workers need 4C16G
    "kubecvm-size-master-minimum": props("prod-master-0", instanceType="S5.MEDIUM2"),
    "kubecvm-size-master-same-type": props("prod-master-0", instanceType="S5.2XLARGE32"),
    "kubecvm-size-node-count": setting({"kubecvm-size-node-count": {"maxNodes": 8}}),  # 9 nodes
    "kubecvm-size-max-pods-per-node": setting({"cluster": {"maxPodsPerNode": 111}}),
    "kubecvm-size-total-pods": setting({"kubecvm-size-total-pods": {"maxPods": 989}}),  # 9 x 110 = 990
    "kubecvm-size-etcd-disk": props("prod-master-0-etcd", storageSize=90),  # prod minimum 100
    "kubecvm-size-subnet-free-ips": props("prod-subnet-z3", cidrBlock="10.2.64.0/29"),
    "kubecvm-ha-master-count-odd": drop("prod-master-2"),
    "kubecvm-ha-masters-distinct-zones": props("prod-master-1", availabilityZone="ap-guangzhou-3"),
    "kubecvm-ha-zone-loss-quorum": props("prod-master-1", availabilityZone="ap-guangzhou-3"),
    "kubecvm-ha-workers-multi-zone": setting({"kubecvm-ha-workers-multi-zone": {"minZones": 4}}),
    "kubecvm-ha-master-zones-have-workers": props("prod-master-2", availabilityZone="ap-guangzhou-7"),
    "kubecvm-ha-pool-zone-skew": props("prod-general-z3-0", availabilityZone="ap-guangzhou-4"),
    "kubecvm-ha-api-load-balancer": edit("prod-apiserver-targets", lambda p: p["targets"].pop()),
    "kubecvm-ha-master-placement-group": props("prod-master-0", placementGroupId=None),
    "kubecvm-ha-no-spot-masters": props("prod-master-0", instanceChargeType="SPOTPAID"),
    "kubecvm-network-pod-route-range": props("prod-master-0-pods", destinationCidrBlock="10.2.200.0/24"),
    "kubecvm-network-route-per-node": props("prod-master-0-pods", nextHub="10.2.99.99"),
    "kubecvm-network-route-overlap": props("prod-master-0-pods", destinationCidrBlock="172.16.0.0/12"),
    "kubecvm-network-route-quota": setting({"cluster": {"routeEntriesPerTable": 9}}),  # 9 routes + NAT
    "kubecvm-network-route-quota-headroom": setting({"cluster": {"routeEntriesPerTable": 12}}),  # 10 > 9.6
    "kubecvm-network-subnet-route-table": props("prod-subnet-z4", routeTableId="rtb-elsewhere"),
    "kubecvm-network-boot-egress": drop("prod-route-default"),
    "kubecvm-network-cluster-route-table-cidr": _add_cluster_route_table("10.2.0.0/16"),  # the VPC's own range
    "kubecvm-network-cidrs-disjoint": setting({"cluster": {"serviceCidr": "10.2.0.0/20"}}),
    "kubecvm-security-no-public-ip": props("prod-general-z4-1", allocatePublicIp=True),
    "kubecvm-security-open-ports": edit("prod-sg-worker-rules", lambda p: p["ingresses"].insert(0, _world("22"))),
    "kubecvm-security-api-public": edit("prod-sg-lb-rules", lambda p: p["ingresses"].insert(0, _world("6443"))),
    "kubecvm-security-clb-internal": props("prod-apiserver", networkType="OPEN"),
    "kubecvm-security-ingress-public": props("prod-ingress", networkType="OPEN"),
    "kubecvm-network-ingress-targets": _ingress_to_a_master,
    "kubecvm-network-ingress-nodeports": edit(
        "prod-ingress-https-targets", lambda p: [t.update(port=30080) for t in p["targets"]]
    ),  # both on 30080
    "kubecvm-security-api-world-open": edit("prod-sg-master-rules", lambda p: p["ingresses"].insert(0, _world("6443"))),
    "kubecvm-security-user-data-secrets": props(
        "prod-general-z6-0",
        userDataRaw="#!/bin/sh\nexport TENCENTCLOUD_SECRET_ID=AKID" + "a1B2" * 8 + "\n",
    ),
    "kubecvm-security-ssh-keys": props("prod-general-z6-1", password="[secret]"),
    "kubecvm-storage-encrypted": props("prod-master-1-etcd", encrypt=False),
    "kubecvm-storage-etcd-disk-ssd": props("prod-master-2-etcd", storageType="CLOUD_PREMIUM"),
    "kubecvm-storage-etcd-disk-separate": drop("prod-master-1-etcd"),
    "kubecvm-tagging-cvm-tags": edit("prod-general-z4-0", _untag_role),
    "kubecvm-monitoring-agent": props("prod-general-z4-0", disableMonitorService=True),
    "kubecvm-monitoring-alarms": drop("prod-alarm-nodes"),
}


def prod_config(facts: dict, extra: dict | None = None) -> dict:
    return merge(load_policy_config("prod"), merge({"cluster": facts}, extra or {}))


def test_every_rule_has_a_mutation():
    assert set(MUTATIONS) == set(RULES)
    assert [p.id for p in policies()][:-1] == sorted(RULES)


def test_the_prod_baseline_passes_every_rule(prod_baseline):
    resources, facts = prod_baseline
    evaluation = evaluate(resources, prod_config(facts))
    assert evaluation.violations == ()
    assert evaluation.waivers == ()
    assert all(c.passed for c in evaluation.checks)


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_one_change_fails_the_rule(prod_baseline, rule_id):
    resources, facts = prod_baseline
    mutated, extra = MUTATIONS[rule_id](resources)
    evaluation = evaluate(mutated, prod_config(facts, extra))
    failing = {v.policy for v in evaluation.violations}
    assert rule_id in failing
    found = [v for v in evaluation.violations if v.policy == rule_id]
    assert all(v.severity == RULES[rule_id].severity and v.message for v in found)
    assert any(c.policy == rule_id and not c.passed for c in evaluation.checks)


def test_rules_tell_what_is_wrong(prod_baseline):
    resources, facts = prod_baseline
    mutated, _ = MUTATIONS["kubecvm-size-master-tier"](resources)
    [v] = [v for v in evaluate(mutated, prod_config(facts)).violations if v.policy == "kubecvm-size-master-tier"]
    assert v.message == (
        "prod-master-0 (S5.LARGE8): 6 workers need masters of at least 4C16G (for example S5.LARGE16); these are 4C8G"
    )
    assert v.urn.endswith("::prod-master-0") and v.enforcement == "mandatory"


def test_node_count_is_bounded_by_the_pod_cidr(prod_baseline):
    resources, facts = prod_baseline
    # A /21 pod CIDR holds 8 /24 node blocks; prod has 9 nodes.
    evaluation = evaluate(resources, prod_config(facts, {"cluster": {"podCidr": "172.20.0.0/21"}}))
    assert "9 nodes need 9 /24 pod blocks but podCidr 172.20.0.0/21 holds only 8" in [
        v.message for v in evaluation.violations if v.policy == "kubecvm-size-node-count"
    ]


def test_rules_needing_cluster_facts_skip_without_them(prod_baseline):
    resources, _ = prod_baseline
    evaluation = evaluate(resources, load_policy_config("prod"))
    assert evaluation.violations == ()


@pytest.mark.parametrize(
    ("rules", "open_ports"),
    [
        ([_world("22", action="DROP"), _world("22")], []),  # ordered: the DROP wins
        ([_world("22"), _world("22", action="DROP")], ["22"]),
        ([_world("ALL", action="DROP"), _world("ALL", "ALL")], []),
        ([_world("ALL", "ALL")], ["22", "2379-2380", "10250", "10257", "10259", "ALL"]),
        ([_world("20-30")], ["22"]),
        ([_world("2380")], ["2379-2380"]),
        ([_world("10250,10257,10259")], ["10250", "10257", "10259"]),
        ([_world("22", "UDP")], []),
        ([_world("443")], []),
        ([{**_world("22"), "cidrBlock": "10.0.0.0/8"}], []),
    ],
)
def test_open_ports_respects_rule_order_and_ranges(prod_baseline, rules, open_ports):
    resources, facts = prod_baseline
    mutated = mutate(resources, "prod-sg-worker-rules", lambda p: p.update(ingresses=rules))
    found = [
        v.message for v in evaluate(mutated, prod_config(facts)).violations if v.policy == "kubecvm-security-open-ports"
    ]
    assert [m.split(" port ")[1].split(" from ")[0] for m in found] == open_ports


def test_public_api_is_allowed_when_the_stack_or_config_says_so(prod_baseline):
    resources, facts = prod_baseline
    mutated, _ = MUTATIONS["kubecvm-security-clb-internal"](resources)
    mutated = mutate(tuple(mutated), "prod-sg-lb-rules", lambda p: p["ingresses"].insert(0, _world("6443")))
    ids = {"kubecvm-security-clb-internal", "kubecvm-security-api-public"}

    def failing(extra):
        return {v.policy for v in evaluate(mutated, prod_config(facts, extra)).violations} & ids

    assert failing({}) == ids
    assert failing({"cluster": {"apiExposure": "public"}}) == set()
    assert failing({id_: {"allowPublicApi": True} for id_ in ids}) == set()
    # The file can forbid what the stack asks for.
    assert failing({"cluster": {"apiExposure": "public"}, **{id_: {"allowPublicApi": False} for id_ in ids}}) == ids


def test_single_master_only_where_allowed(prod_baseline):
    resources, facts = prod_baseline
    one = without(without(resources, "prod-master-1"), "prod-master-2")
    prod = [v for v in evaluate(one, prod_config(facts)).violations if v.policy == "kubecvm-ha-master-count-odd"]
    assert [v.message for v in prod] == ["1 master has no etcd quorum to spare; this level needs 3, 5 or 7"]
    dev = merge(load_policy_config("dev"), {"cluster": facts})
    assert "kubecvm-ha-master-count-odd" not in {v.policy for v in evaluate(one, dev).violations}


def test_user_data_findings_never_quote_the_secret(prod_baseline):
    resources, facts = prod_baseline
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretsecret\n-----END RSA PRIVATE KEY-----"
    mutated = mutate(resources, "prod-general-z6-0", lambda p: p.update(userDataRaw=key))
    [v] = [
        v for v in evaluate(mutated, prod_config(facts)).violations if v.policy == "kubecvm-security-user-data-secrets"
    ]
    assert v.message == "prod-general-z6-0: user data contains a private key"
    masked = mutate(resources, "prod-general-z6-0", lambda p: p.update(userDataRaw="[secret]"))
    assert evaluate(masked, prod_config(facts)).violations == ()


@pytest.mark.parametrize("form", ["as shipped", "bare gzip"])
def test_a_secret_inside_encoded_user_data_is_found(prod_baseline, form):
    # The rule reads user data as cloud-init does (bootstrap.user_data_parts): kubecvm's MIME part and its gzip,
    # or the bare gzip it shipped before. Searching the decoded MIME text alone would find only base64.
    resources, facts = prod_baseline

    def plant(p: dict) -> None:
        text = bootstrap.decode_user_data(p["userData"]).replace(
            "#cloud-config\n", "#cloud-config\n# -----BEGIN RSA PRIVATE KEY-----\n", 1
        )
        p["userData"] = (
            bootstrap.encode_user_data(text)
            if form == "as shipped"
            else base64.b64encode(gzip.compress(text.encode())).decode()
        )

    mutated = mutate(resources, "prod-general-z6-0", plant)
    [v] = [
        v for v in evaluate(mutated, prod_config(facts)).violations if v.policy == "kubecvm-security-user-data-secrets"
    ]
    assert v.message == "prod-general-z6-0: user data contains a private key"


ROUTES = [f"prod-master-{i}-pods" for i in range(3)] + [
    f"prod-general-z{z}-{k}-pods" for z in (3, 4, 6) for k in (0, 1)
]


@given(st.sets(st.sampled_from(ROUTES), min_size=1, max_size=len(ROUTES) - 1))  # all gone: one stack finding
def test_each_missing_pod_route_names_its_node(prod_baseline, missing):
    resources, facts = prod_baseline
    remaining = [r for r in resources if r.name not in missing]
    found = [
        v for v in evaluate(remaining, prod_config(facts)).violations if v.policy == "kubecvm-network-route-per-node"
    ]
    assert sorted(v.urn.rsplit("::", 1)[1] + "-pods" for v in found) == sorted(missing)
    assert all(" has 0 pod routes in route table " in v.message for v in found)


WORKERS = [f"prod-general-z{z}-{k}" for z in (3, 4, 6) for k in (0, 1)]


@given(st.sets(st.sampled_from(WORKERS)))
def test_pool_skew_fails_exactly_when_zone_counts_differ_by_more_than_one(prod_baseline, removed):
    resources, facts = prod_baseline
    remaining = [r for r in resources if r.name not in removed]
    counts = [sum(w.startswith(f"prod-general-z{z}-") for w in set(WORKERS) - removed) for z in (3, 4, 6)]
    present = [c for c in counts if c]
    skewed = len(present) >= 2 and max(present) - min(present) > 1
    found = {v.policy for v in evaluate(remaining, prod_config(facts)).violations}
    assert ("kubecvm-ha-pool-zone-skew" in found) == skewed


@pytest.mark.parametrize(
    ("port", "ranges"),
    [
        ("ALL", [(1, 65535)]),
        ("22", [(22, 22)]),
        ("2379-2380", [(2379, 2380)]),
        ("10250,10257,10259", [(10250, 10250), (10257, 10257), (10259, 10259)]),
        ("ssh", []),
    ],
)
def test_tencent_port_syntax(port, ranges):
    from kubecvm.policies.rules.security import port_ranges

    assert port_ranges(port) == ranges


def _with_extra_workers(resources, n: int) -> list[Resource]:
    worker = next(r for r in resources if r.name == "prod-general-z3-0")
    extra = [Resource(f"{worker.urn}-x{i}", worker.type, f"{worker.name}-x{i}", worker.props) for i in range(n)]
    return [*resources, *extra]


@pytest.mark.parametrize(("master_type", "fails"), [("S5.4XLARGE64", True), ("S5.8XLARGE128", False)])
def test_beyond_the_table_masters_of_the_named_size_pass(prod_baseline, master_type, fails):
    resources, facts = prod_baseline
    big = _with_extra_workers(resources, 200)  # 206 workers
    for i in range(3):
        big = mutate(tuple(big), f"prod-master-{i}", lambda p: p.update(instanceType=master_type))
    found = [v.message for v in evaluate(big, prod_config(facts)).violations if v.policy == "kubecvm-size-master-tier"]
    assert len(found) == (3 if fails else 0)
    assert all("206 workers is beyond the sizing table (up to 200 workers: 16C64G)" in m for m in found)


@pytest.mark.parametrize(
    ("rules", "open_from"),
    [
        ([_world("6443")], ["0.0.0.0/0"]),
        ([_world("ALL", "ALL")], ["0.0.0.0/0"]),
        ([_world("6000-7000")], ["0.0.0.0/0"]),
        (
            [{**_world("6443"), "cidrBlock": "0.0.0.0/1"}, {**_world("6443"), "cidrBlock": "128.0.0.0/1"}],
            ["0.0.0.0/1", "128.0.0.0/1"],
        ),  # the internet in two halves is still the internet
        ([{"action": "ACCEPT", "ipv6CidrBlock": "::/0", "port": "6443", "protocol": "TCP"}], ["::/0"]),
        ([_world("6443", action="DROP"), _world("6443")], []),  # ordered: the DROP from the world wins
        ([_world("6443"), _world("6443", action="DROP")], ["0.0.0.0/0"]),
        ([{**_world("6443", action="DROP"), "cidrBlock": "10.0.0.0/8"}, _world("6443")], ["0.0.0.0/0"]),
        ([{**_world("6443"), "cidrBlock": "10.0.0.0/8"}], []),  # a /8 is a network, not the world
        ([{**_world("6443"), "cidrBlock": "203.0.113.0/24"}], []),
        ([_world("6443", "UDP")], []),
        ([_world("443")], []),
    ],
)
def test_world_open_api_sources_respect_order_prefix_and_port(prod_baseline, rules, open_from):
    resources, facts = prod_baseline
    mutated = mutate(resources, "prod-sg-lb-rules", lambda p: p.update(ingresses=rules))
    found = [
        v.message
        for v in evaluate(mutated, prod_config(facts)).violations
        if v.policy == "kubecvm-security-api-world-open"
    ]
    assert [m.split(" from ")[1].split(" (rule")[0] for m in found] == open_from


def test_a_world_open_api_fails_prod_even_when_the_stack_asks_for_a_public_endpoint(prod_baseline):
    # The stack's own apiExposure and allowPublicApi silence the exposure rules, never this one: only an exemption.
    resources, facts = prod_baseline
    mutated, _ = MUTATIONS["kubecvm-security-api-world-open"](resources)
    rule_id = "kubecvm-security-api-world-open"
    public = {"cluster": {"apiExposure": "public"}, "kubecvm-security-api-public": {"allowPublicApi": True}}
    [v] = [v for v in evaluate(mutated, prod_config(facts, public)).violations if v.policy == rule_id]
    assert (v.enforcement, v.severity) == ("mandatory", "critical")
    assert v.message == (
        "prod-sg-master-rules accepts the API port 6443 from 0.0.0.0/0 (rule 'test'): the whole internet can reach it"
    )
    exempt = {
        rule_id: {
            "exemptions": [
                {"resource": "prod-sg-master-rules", "reason": "public demo, ticket SEC-9", "expires": "2099-01-01"}
            ]
        }
    }
    evaluation = evaluate(mutated, prod_config(facts, merge(public, exempt)))
    assert rule_id not in {v.policy for v in evaluation.violations}
    assert [w.policy for w in evaluation.waivers] == [rule_id]
    dev = merge(load_policy_config("dev"), merge({"cluster": facts}, public))
    assert {v.enforcement for v in evaluate(mutated, dev).violations if v.policy == rule_id} == {"advisory"}
