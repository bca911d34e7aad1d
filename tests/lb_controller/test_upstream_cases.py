"""Our own fixtures for the cases upstream's service controller tests cover (kubernetes/cloud-provider
controllers/service/controller_test.go: TestSyncLoadBalancerIfNeeded, TestUpdateNodesInExternalLoadBalancer,
TestNodeChangesForExternalTrafficPolicyLocalServices / shouldSyncUpdatedNode, TestNeedsCleanup), run against the
emulator and the fake API server."""

from __future__ import annotations

import pytest

from kubecvm.planning.addons.programs.lb_controller import model
from tests.lb_controller.helpers import node, rig, service

INGRESS = {"loadBalancer": {"ingress": [{"ip": "8.8.8.8"}]}}


def variant(name: str) -> dict:
    svc = service("s")
    meta, spec = svc["metadata"], svc["spec"]
    if name == "no LB wanted":
        spec["type"] = "ClusterIP"
    elif name == "udp":
        spec["ports"] = [{"port": 80, "protocol": "UDP", "nodePort": 30080}]
    elif name == "sctp":
        spec["ports"] = [{"port": 80, "protocol": "SCTP", "nodePort": 30080}]
    elif name == "another class":
        spec["loadBalancerClass"] = "custom-loadbalancer"
    elif name == "our class":
        spec["loadBalancerClass"] = model.LOAD_BALANCER_CLASS
    elif name == "finalizer, no LB wanted":
        spec["type"], meta["finalizers"], svc["status"] = "ClusterIP", [model.FINALIZER], INGRESS
    elif name == "finalizer, deleted":
        meta["finalizers"], meta["deletionTimestamp"], svc["status"] = (
            [model.FINALIZER],
            "2026-01-01T00:00:00Z",
            INGRESS,
        )
    elif name == "finalizer, LB wanted":
        meta["finalizers"] = [model.FINALIZER]
    return svc


# name -> (a CLB exists first, CreateLoadBalancer calls, DeleteLoadBalancer calls, finalizer patched, status patched)
SYNC = {
    "no LB wanted": (False, 0, 0, False, False),
    "udp": (False, 1, 0, True, True),
    "tcp": (False, 1, 0, True, True),
    "sctp": (False, 0, 0, False, False),  # CLB has no SCTP listener: an Event (upstream's fake cloud accepts it)
    "another class": (False, 0, 0, False, False),
    "our class": (False, 1, 0, True, True),
    "finalizer, no LB wanted": (True, 0, 1, True, True),
    "finalizer, deleted": (True, 0, 1, True, True),
    "finalizer, LB wanted": (False, 1, 0, False, True),
}


@pytest.mark.parametrize("name", list(SYNC))
def test_sync_load_balancer_if_needed(name):
    exists, creates, deletes, finalizer, status = SYNC[name]
    with rig() as r:
        r.kube.put("nodes", node(0))
        if exists:  # the CLB a previous sync made
            r.kube.put("services", service("s"))
            r.controller.reconcile_all()
            r.emulator.clb.calls.clear()
            r.kube.requests.clear()
        svc = variant(name)
        if exists:
            current = r.kube.get("services", "s", "default")
            svc["metadata"]["uid"] = current["metadata"]["uid"]
        r.kube.put("services", svc)
        r.controller.reconcile_all()
        actions = [a for a, _ in r.emulator.clb.calls]
        patches = [p for m, p in r.kube.requests if m == "PATCH"]
        assert (actions.count("CreateLoadBalancer"), actions.count("DeleteLoadBalancer")) == (creates, deletes)
        assert (patches.count("/api/v1/namespaces/default/services/s/status") > 0) == status
        finalizers = (r.kube.get("services", "s", "default") or {"metadata": {}})["metadata"].get("finalizers")
        assert (finalizers != svc["metadata"].get("finalizers")) == finalizer
        if name == "sctp":
            assert r.kube.events()[-1][:2] == (model.SYNC_FAILED, "Warning")
        if not creates and not deletes:
            assert [a for a in actions if not a.startswith("Describe")] == []


@pytest.mark.parametrize(
    "types, synced",
    [
        ((), 0),
        (("ClusterIP", "NodePort"), 0),
        (("LoadBalancer",), 1),
        (("LoadBalancer",) * 3, 3),
        (("NodePort", "LoadBalancer", "LoadBalancer", "ClusterIP"), 2),
    ],
)
def test_update_nodes_in_external_load_balancers(types, synced):
    """A node joining updates the targets of the Services with a CLB, and only theirs."""
    with rig(instances=4) as r:
        for i in range(3):
            r.kube.put("nodes", node(i))
        for i, kind in enumerate(types):
            svc = service(f"s{i}", ports=((80, "TCP", 30080 + i),))
            svc["spec"]["type"] = kind
            r.kube.put("services", svc)
        r.controller.reconcile_all()
        r.emulator.clb.calls.clear()
        r.kube.put("nodes", node(3))
        r.controller.reconcile_all()
        registered = [p for a, p in r.emulator.clb.calls if a == "RegisterTargets"]
        assert len(registered) == synced
        assert all(p["Targets"][0]["InstanceId"] == "ins-00000003" for p in registered)


def heartbeat(n: dict) -> dict:
    n = {
        **n,
        "status": {
            **n["status"],
            "conditions": [{**n["status"]["conditions"][0], "lastHeartbeatTime": "2026-01-01T00:00:10Z"}],
        },
    }
    return n


@pytest.mark.parametrize(
    "change, resyncs",
    [
        (lambda n: heartbeat(n), False),  # upstream: a spurious change does not resync
        (lambda n: node(0, ready=False), True),
        (lambda n: node(0, taints=[{"key": model.TO_BE_DELETED_TAINT, "effect": "NoSchedule"}]), True),
        (lambda n: node(0, labels={model.EXCLUDE_LABEL: "true"}), True),
        (lambda n: node(0, labels={"team": "a"}), False),  # a label the filters do not read
        (lambda n: {**n, "spec": {**n["spec"], "providerID": "qcloud:///ap-guangzhou-3/ins-0000ffff"}}, True),
    ],
)
def test_node_changes_resync_the_services_only_when_the_eligible_set_moves(change, resyncs):
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service())
        r.controller.load()
        r.controller.due.clear()
        r.controller.changed("nodes", "MODIFIED", change(node(0)))
        assert (list(r.controller.due) == ["default/web"]) == resyncs


@pytest.mark.parametrize(
    "svc, cleanup",
    [
        ({"metadata": {}, "spec": {"type": "LoadBalancer"}}, False),
        ({"metadata": {"finalizers": [model.FINALIZER]}, "spec": {"type": "LoadBalancer"}}, False),
        (
            {"metadata": {"finalizers": [model.FINALIZER], "deletionTimestamp": "t"}, "spec": {"type": "LoadBalancer"}},
            True,
        ),
        ({"metadata": {"finalizers": [model.FINALIZER]}, "spec": {"type": "NodePort"}}, True),
        (
            {"metadata": {"finalizers": [model.FINALIZER]}, "spec": {"type": "LoadBalancer", "loadBalancerClass": "x"}},
            True,
        ),
        ({"metadata": {"deletionTimestamp": "t"}, "spec": {"type": "LoadBalancer"}}, False),
    ],
)
def test_needs_cleanup(svc, cleanup):
    assert model.needs_cleanup(svc) == cleanup


def test_a_status_only_change_of_a_service_does_not_requeue_it():
    with rig() as r:
        r.kube.put("services", service())
        r.controller.load()
        r.controller.due.clear()
        r.controller.changed("services", "MODIFIED", {**service(), "status": INGRESS})
        assert r.controller.due == {}
        r.controller.changed("services", "MODIFIED", service(policy="Local"))
        assert list(r.controller.due) == ["default/web"]
