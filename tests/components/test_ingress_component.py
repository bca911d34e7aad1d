"""IngressLoadBalancer under the recording mocks: exact CLB, listener and attachment inputs, and its outputs."""

from __future__ import annotations

import pytest

from kubecvm.offline.runner import run_program
from tests.conftest import stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"
HEALTH = {
    "healthCheckSwitch": True,
    "healthCheckType": "TCP",
    "healthCheckIntervalTime": 5,
    "healthCheckTimeOut": 2,
    "healthCheckHealthNum": 2,
    "healthCheckUnhealthNum": 3,
    "healthSourceIpType": 1,
}


@pytest.fixture(scope="module")
def prod():
    return run_program(stack_config("prod"), stack="prod")


def test_internal_clb_at_the_planned_vip_with_its_own_group(prod):
    lb, ids = prod.by_name("demo-ingress"), {r.name: r.id for r in prod.resources}
    assert lb.inputs == {
        "clbName": "demo-ingress",
        "networkType": "INTERNAL",
        "vpcId": ids["demo-vpc"],
        "subnetId": ids["demo-subnet-z3"],
        "vip": "10.0.64.12",
        "securityGroups": [ids["demo-sg-ingress"]],
        "loadBalancerPassToTarget": False,
        "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "ingress"},
    }
    rules = prod.by_name("demo-sg-ingress-rules").inputs["ingresses"]
    assert [(r["action"], r["protocol"], r["port"], r["cidrBlock"]) for r in rules] == [
        ("ACCEPT", "TCP", "80,443", "10.0.0.0/16"),
        ("DROP", "ALL", "ALL", "0.0.0.0/0"),
    ]


@pytest.mark.parametrize("key, port, node_port", [("http", 80, 30080), ("https", 443, 30081)])
def test_listener_and_targets_exact(prod, key, port, node_port):
    listener = prod.by_name(f"demo-ingress-{key}")
    assert listener.inputs == {
        "clbId": prod.by_name("demo-ingress").id,
        "listenerName": f"demo-ingress-{key}",
        "port": port,
        "protocol": "TCP",
        "scheduler": "WRR",
        "targetType": "NODE",
        **HEALTH,
    }
    attachment = prod.by_name(f"demo-ingress-{key}-targets")
    workers = sorted(
        (r for r in prod.of_type(INSTANCE) if r.inputs["tags"]["kubecvm/role"] == "worker"), key=lambda r: r.name
    )
    assert attachment.inputs == {
        "clbId": prod.by_name("demo-ingress").id,
        "listenerId": listener.id.split("#")[1],
        "targets": [{"instanceId": w.id, "port": node_port, "weight": 10} for w in workers],
    }
    assert len(attachment.inputs["targets"]) == 6
    # The attachment waits for every worker it names (their ids), so a policy can tell targets from others.
    assert {w.urn for w in workers} <= set(attachment.dependencies)


def test_outputs_give_the_endpoint_and_ports(prod):
    assert prod.outputs["ingressEndpoint"] == "10.0.64.12"
    assert prod.outputs["ingressPorts"] == {"http": 80, "https": 443}


def test_public_ingress_uses_an_open_clb_and_reports_its_address():
    rec = run_program(stack_config("prod", ingress={"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}), stack="p")
    lb = rec.by_name("demo-ingress")
    assert lb.inputs["networkType"] == "OPEN" and "vip" not in lb.inputs and "subnetId" not in lb.inputs
    assert rec.outputs["ingressEndpoint"].startswith("203.0.113.")  # the simulated cloud's public address


def test_selected_pools_only_and_no_ingress_in_dev():
    pools = [
        {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 1},
        {"name": "edge", "slot": 2, "instanceType": "S5.LARGE8", "countPerZone": 1},
    ]
    rec = run_program(stack_config("prod", nodePools=pools, ingress={"pools": ["edge"]}), stack="p")
    ids = {r.id: r.name for r in rec.of_type(INSTANCE)}
    targets = rec.by_name("demo-ingress-http-targets").inputs["targets"]
    assert sorted(ids[t["instanceId"]] for t in targets) == ["demo-edge-z3-0", "demo-edge-z4-0", "demo-edge-z6-0"]
    dev = run_program(stack_config("dev", zones=["ap-guangzhou-3"]), stack="dev")
    assert not [r for r in dev.resources if "ingress" in r.name]
    assert dev.outputs["ingressEndpoint"] is None and dev.outputs["ingressPorts"] is None


def test_a_pool_scaled_to_zero_keeps_the_clb_and_drops_the_attachments():
    rec = run_program(
        stack_config("prod", nodePools=[{"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 0}]),
        stack="p",
    )
    names = {r.name for r in rec.resources}
    assert {"demo-ingress", "demo-ingress-http", "demo-ingress-https"} <= names
    assert not {"demo-ingress-http-targets", "demo-ingress-https-targets"} & names


def _doc(rec) -> dict:
    return {"resources": [{"urn": r.urn, "type": r.type, "id": r.id, "inputs": r.inputs} for r in rec.resources]}


def test_growing_a_pool_changes_only_the_attachments_targets():
    from kubecvm.offline.diff import diff_plans

    pool = {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 2}
    before = run_program(stack_config("prod", nodePools=[pool]), stack="p")
    after = run_program(stack_config("prod", nodePools=[{**pool, "countPerZone": 3}]), stack="p")
    result = diff_plans(_doc(before), _doc(after))
    assert not result.removed and not result.replacements
    assert {r["type"] for r in result.added} == {INSTANCE, "tencentcloud:Route/tableEntry:TableEntry"}
    changed = {c.urn.rsplit("::", 1)[-1]: c.keys for c in result.changed}
    # The masters' auto size and their user data do not move at 9 workers; only the two listeners' targets do.
    assert changed == {"demo-ingress-http-targets": ["targets"], "demo-ingress-https-targets": ["targets"]}
    old = {t["instanceId"] for t in before.by_name("demo-ingress-http-targets").inputs["targets"]}
    new = {t["instanceId"] for t in after.by_name("demo-ingress-http-targets").inputs["targets"]}
    assert old < new and len(new - old) == 3
