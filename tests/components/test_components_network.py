"""The network components under the recording mock runtime: pod routes and the cluster route table, subnets, the
API load balancer and its listener, the NAT gateway, security rule sets, the route quota."""

from __future__ import annotations

from collections import Counter

import pytest

from kubecvm.offline.runner import run_program
from tests.conftest import stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"
ROUTE = "tencentcloud:Route/tableEntry:TableEntry"


def test_pod_route_points_at_its_node_and_waits_for_it(prod):
    route = prod.by_name("demo-general-z4-0-pods")
    assert route.inputs == {
        "description": "pods of demo-general-z4-0",
        "destinationCidrBlock": "172.22.64.0/24",
        "nextHub": "10.0.100.0",
        "nextType": "NORMAL_CVM",
        "routeTableId": prod.by_name("demo-rtb").id,
    }
    assert prod.by_name("demo-general-z4-0").urn in route.dependencies


def test_the_cluster_route_table_waits_for_exactly_every_cvm():
    # globalRouter: the table lists each node pool as a whole in depends_on (components/pod_routes.py waits_for),
    # which the SDK expands into the pool's children: the engine must still get every CVM and nothing else.
    rec = run_program(
        stack_config(
            "prod",
            podNetwork={"mode": "globalRouter"},
            nodePools=[
                {"name": "general", "instanceType": "S5.2XLARGE16", "countPerZone": 2},
                {"name": "batch", "slot": 2, "instanceType": "S5.LARGE8", "countPerZone": 1},
            ],
        ),
        stack="prod",
    )
    table = next(r for r in rec.resources if r.type.endswith("kubecvm:ClusterRouteTable"))
    cvms = {r.urn for r in rec.of_type("tencentcloud:Instance/instance:Instance")}
    assert len(cvms) == 3 + 9
    from_inputs = {u for urns in table.property_dependencies.values() for u in urns}
    assert from_inputs == {rec.by_name("demo-vpc").urn}  # vpcId
    assert set(table.dependencies) == cvms | from_inputs


def test_subnets_join_the_route_table_at_creation(prod):
    rtb = prod.by_name("demo-rtb").id
    assert sorted(
        (s.inputs["availabilityZone"], s.inputs["cidrBlock"], s.inputs["routeTableId"])
        for s in prod.of_type("tencentcloud:Subnet/instance:Instance")
    ) == [
        ("ap-guangzhou-3", "10.0.64.0/19", rtb),
        ("ap-guangzhou-4", "10.0.96.0/19", rtb),
        ("ap-guangzhou-6", "10.0.160.0/19", rtb),
    ]


def test_api_load_balancer_is_internal_at_the_planned_vip_with_every_master(prod):
    lb = prod.by_name("demo-apiserver")
    assert {k: lb.inputs[k] for k in ("networkType", "vip", "subnetId")} == {
        "networkType": "INTERNAL",
        "vip": "10.0.64.11",
        "subnetId": prod.by_name("demo-subnet-z3").id,
    }
    listener = prod.by_name("demo-apiserver-6443")
    assert {k: listener.inputs[k] for k in ("port", "protocol", "healthCheckSwitch")} == {
        "port": 6443,
        "protocol": "TCP",
        "healthCheckSwitch": True,
    }
    targets = prod.by_name("demo-apiserver-targets").inputs["targets"]
    assert sorted(t["instanceId"] for t in targets) == sorted(prod.by_name(f"demo-master-{i}").id for i in range(3))
    assert {(t["port"], t["weight"]) for t in targets} == {(6443, 10)}
    assert prod.by_name("demo-apiserver-targets").inputs["listenerId"] == listener.id.split("#")[1]


@pytest.mark.parametrize("exposure", ["internal", "public"])
def test_api_listener_probes_from_the_100_64_range_which_the_masters_accept_on_6443(exposure):
    rec = run_program(stack_config("prod", apiEndpoint={"exposure": exposure}), stack="p")
    listener = rec.by_name("demo-apiserver-6443")
    assert listener.inputs == {
        "clbId": rec.by_name("demo-apiserver").id,
        "listenerName": "demo-apiserver-6443",
        "port": 6443,
        "protocol": "TCP",
        "scheduler": "WRR",
        "healthCheckSwitch": True,
        "healthCheckType": "TCP",
        "healthCheckIntervalTime": 5,
        "healthCheckHealthNum": 2,
        "healthCheckUnhealthNum": 3,
        "healthSourceIpType": 1,
    }
    rules = rec.by_name("demo-sg-master-rules").inputs["ingresses"]
    api = [(r["action"], r["port"], r["cidrBlock"], r["description"]) for r in rules if r.get("port") == "6443"]
    assert api == [
        ("ACCEPT", "6443", "10.0.0.0/16", "kube-apiserver"),
        ("ACCEPT", "6443", "100.64.0.0/10", "API CLB health checks"),
    ]
    assert rules[-1]["action"] == "DROP" and rules[-1]["cidrBlock"] == "0.0.0.0/0"


def test_public_api_endpoint_uses_an_open_clb_without_vip():
    rec = run_program(
        stack_config("prod", apiEndpoint={"exposure": "public", "allowedCidrs": ["203.0.113.0/24"]}), stack="p"
    )
    lb = rec.by_name("demo-apiserver")
    assert lb.inputs["networkType"] == "OPEN" and "vip" not in lb.inputs and "subnetId" not in lb.inputs
    assert rec.outputs["apiEndpoint"].endswith(":6443") and rec.outputs["apiEndpoint"].startswith("203.0.113.")
    assert not any(r.inputs.get("allocatePublicIp") for r in rec.of_type(INSTANCE))


def test_dev_gets_the_nat_its_boot_needs_and_no_termination_protection(dev):
    # egress auto: kubeadm's images come from registry.aliyuncs.com, outside the VPC, so the nodes need the NAT
    types = Counter(r.type for r in dev.resources)
    assert types["tencentcloud:Nat/gateway:Gateway"] == 1 and types["tencentcloud:Eip/instance:Instance"] == 1
    assert types[INSTANCE] == 3 and types[ROUTE] == 3 + 1
    assert not any(i.inputs.get("disableApiTermination") for i in dev.of_type(INSTANCE))


def test_dev_has_no_nat_once_its_images_come_from_inside_the_vpc():
    rec = run_program(
        stack_config("dev", zones=["ap-guangzhou-3"], kubernetes={"imageRepository": "ccr.ccs.tencentyun.com/team"}),
        stack="dev",
    )
    types = Counter(r.type for r in rec.resources)
    assert types["tencentcloud:Nat/gateway:Gateway"] == 0 and types["tencentcloud:Eip/instance:Instance"] == 0
    assert types[ROUTE] == 3


def test_nat_default_route(prod):
    route = prod.by_name("demo-route-default")
    assert route.inputs == {
        "description": "default egress via NAT",
        "destinationCidrBlock": "0.0.0.0/0",
        "nextHub": prod.by_name("demo-nat").id,
        "nextType": "NAT",
        "routeTableId": prod.by_name("demo-rtb").id,
    }


def test_security_rule_sets_are_ordered_drop_before_pod_accept(prod):
    rules = prod.by_name("demo-sg-master-rules").inputs["ingresses"]
    order = [(r["action"], r["port"], r.get("cidrBlock") or r["sourceSecurityId"]) for r in rules]
    assert order.index(("DROP", "2379-2380", "0.0.0.0/0")) < order.index(("ACCEPT", "ALL", "172.16.0.0/12"))
    assert ("ACCEPT", "22", "10.0.0.0/16") in order  # ssh defaults to the VPC only
    # The cluster's own nodes by their security groups' ids, after the etcd fence, and the rest dropped last.
    groups = [prod.by_name(f"demo-sg-{role}").id for role in ("master", "worker")]
    assert [("ACCEPT", "ALL", g) for g in groups] == [o for o in order if o[2] in groups]
    assert order.index(("DROP", "2379-2380", "0.0.0.0/0")) < order.index(("ACCEPT", "ALL", groups[1]))
    assert order[-1] == ("DROP", "ALL", "0.0.0.0/0")
    assert not any("cidrBlock" in r and "sourceSecurityId" in r for r in rules)


def test_live_route_quota_is_reported_and_a_mismatch_warned(monkeypatch):
    import pulumi

    from kubecvm.offline.simulated_cloud import SimulatedCloud

    warnings = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    rec = run_program(stack_config("prod"), stack="q", cloud=SimulatedCloud(route_table_quota=200))
    assert rec.outputs["capacity"]["routeQuotaLive"] == 200
    assert warnings == [
        "quotas.routeEntriesPerTable is 50 but this account's route-table-max-policies is 200; "
        "set it to 200 so the capacity report and the route-quota policy are right"
    ]
    warnings.clear()
    assert run_program(stack_config("prod"), stack="q").outputs["capacity"]["routeQuotaLive"] == 50
    assert warnings == []
