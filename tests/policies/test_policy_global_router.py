"""The network rules hold for the globalRouter representation too: the prod stack in that mode passes every rule,
and one changed cluster route fails the same rules a changed VPC route entry fails."""

from __future__ import annotations

import pytest

from kubecvm.policies.engine import evaluate, load_policy_config
from kubecvm.policies.registry import CLUSTER_ROUTE_TABLE
from kubecvm.stacks.config import merge
from policy_helpers import _run_cached, mutate, stack_file_config  # noqa: F401

import json

GLOBAL = {"podNetwork": {"mode": "globalRouter"}}


def baseline():
    return _run_cached("prod", json.dumps(GLOBAL, sort_keys=True))


def evaluate_with(resources, facts, extra=None):
    return evaluate(resources, merge(load_policy_config("prod"), merge({"cluster": facts}, extra or {})))


def test_prod_in_global_router_mode_passes_every_rule_with_no_pod_route_entry():
    resources, facts = baseline()
    assert not [
        r
        for r in resources
        if r.type == "tencentcloud:Route/tableEntry:TableEntry" and r.props.get("nextType") == "NORMAL_CVM"
    ]
    [table] = [r for r in resources if r.type == CLUSTER_ROUTE_TABLE]
    assert len(table.props["routes"]) == 9
    evaluation = evaluate_with(resources, facts)
    assert evaluation.violations == ()


def _route(node: str, **change):
    def edit(p):
        p["routes"][node] = {**p["routes"][node], **change}

    return edit


@pytest.mark.parametrize(
    ("change", "rule", "message"),
    [
        (
            _route("prod-master-0", gatewayIp="10.2.99.99"),
            "kubecvm-network-route-per-node",
            "kubecvm-prod-pods/prod-master-0: next hop 10.2.99.99 is not the private IP of any node",
        ),
        (
            _route("prod-master-0", destinationCidrBlock="10.2.200.0/24"),
            "kubecvm-network-pod-route-range",
            "kubecvm-prod-pods/prod-master-0: destination 10.2.200.0/24 is outside the pod CIDR",
        ),
        (_route("prod-master-0", destinationCidrBlock="172.16.0.0/12"), "kubecvm-network-route-overlap", "overlaps"),
        (
            lambda p: p.update(routeTableCidrBlock="172.16.0.0/13"),
            "kubecvm-network-cluster-route-table-cidr",
            "kubecvm-prod-pods: CIDR 172.16.0.0/13 is not the pod CIDR 172.16.0.0/12",
        ),
    ],
)
def test_a_changed_cluster_route_fails_the_network_rule(change, rule, message):
    resources, facts = baseline()
    mutated = mutate(resources, "kubecvm-prod-pods", change)
    found = [v for v in evaluate_with(mutated, facts).violations if v.policy == rule]
    assert found and any(message in v.message for v in found), [v.message for v in found]


def test_route_quota_counts_only_vpc_entries_in_global_router_mode():
    resources, facts = baseline()
    # A quota of 1 holds the NAT default route alone: 9 cluster routes do not count against it.
    evaluation = evaluate_with(resources, {**facts, "routeEntriesPerTable": 1})
    assert not [v for v in evaluation.violations if v.policy == "kubecvm-network-route-quota"]
    vpc_resources, vpc_facts = _run_cached("prod", json.dumps({}))
    [v] = [
        v
        for v in evaluate_with(vpc_resources, {**vpc_facts, "routeEntriesPerTable": 1}).violations
        if v.policy == "kubecvm-network-route-quota"
    ]
    assert "10 route entries exceed the route-table quota of 1; set podNetwork.mode: globalRouter" in v.message
