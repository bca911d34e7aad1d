"""The node lifecycle against the emulator's DescribeInstances, leader election on a Lease, and the watch-driven
loop end to end."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kubecvm.planning.addons.programs.lb_controller import __main__ as entry
from kubecvm.planning.addons.programs.lb_controller import model
from tests.lb_controller.fake_kube import FakeKube
from tests.lb_controller.helpers import ins, node, rig, service

SHUTDOWN = model.SHUTDOWN_TAINT["key"]


def names(r) -> list[str]:
    return sorted(n["metadata"]["name"] for n in r.kube.objects["nodes"].values())


def test_a_not_ready_node_whose_cvm_is_gone_is_deleted_a_stopped_one_tainted():
    with rig(instances=4) as r:
        r.emulator.cvm.instances[ins(1)]["InstanceState"] = "STOPPED"
        del r.emulator.cvm.instances[ins(2)]  # terminated: DescribeInstances leaves it out
        del r.emulator.cvm.instances[ins(3)]
        for n in (node(0, ready=False), node(1, ready=False), node(2, ready=False), node(3)):
            r.kube.put("nodes", n)
        _, outcome = r.controller.reconcile_all()
        # Only NotReady nodes are looked at: node 3 is Ready, so its CVM's absence is not acted on.
        assert (outcome.deleted, outcome.tainted, outcome.error) == (["demo-general-z3-2"], ["demo-general-z3-1"], None)
        assert names(r) == ["demo-general-z3-0", "demo-general-z3-1", "demo-general-z3-3"]
        assert r.kube.get("nodes", "demo-general-z3-1")["spec"]["taints"] == [model.SHUTDOWN_TAINT]
        assert (
            "DeletingNode",
            "Normal",
            "Deleting node demo-general-z3-2 because its CVM ins-00000002 does not exist",
        ) in r.kube.events()
        calls = [(a, p["InstanceIds"]) for a, p in r.emulator.cvm.calls]
        assert calls == [("DescribeInstances", [ins(0), ins(1), ins(2)])]
        # Started again and Ready: the taint goes.
        r.kube.put("nodes", node(1) | {"spec": {**node(1)["spec"], "taints": [model.SHUTDOWN_TAINT]}})
        _, outcome = r.controller.reconcile_all()
        assert outcome.untainted == ["demo-general-z3-1"]
        assert r.kube.get("nodes", "demo-general-z3-1")["spec"].get("taints") is None


def test_an_api_error_deletes_nothing():
    with rig(instances=0) as r:
        r.emulator.cvm.fail["DescribeInstances"] = ["InternalError"]
        r.kube.put("nodes", node(0, ready=False))
        _, outcome = r.controller.reconcile_all()
        assert (outcome.deleted, outcome.tainted, outcome.error) == (
            [],
            [],
            "InternalError: injected by the emulator's user (Service.fail)",
        )
        assert names(r) == ["demo-general-z3-0"]
        r.emulator.cvm.fail["DescribeInstances"] = ["RequestLimitExceeded"] * 8  # retried, then given up: same
        assert r.controller.reconcile_all()[1].deleted == [] and names(r) == ["demo-general-z3-0"]


def test_more_than_a_hundred_nodes_are_asked_a_hundred_at_a_time():
    with rig(instances=0) as r:
        for i in range(150):
            r.kube.put("nodes", node(i, ready=False))
            r.emulator.cvm.add_instance(ins(i))
        assert r.controller.reconcile_all()[1].deleted == []
        assert [len(p["InstanceIds"]) for _, p in r.emulator.cvm.calls] == [100, 50]


def test_of_two_replicas_one_leads_and_the_other_waits():
    fake = FakeKube()
    acted: list[str] = []
    stop = threading.Event()
    with fake.serve() as api:
        electors = {}
        for pod in ("a", "b"):
            s = entry.settings(
                {
                    "CLUSTER": "demo",
                    "REGION": "ap-guangzhou",
                    "VPC_ID": "vpc-1",
                    "SUBNET_ID": "subnet-1",
                    "POD_NAME": pod,
                }
            )
            electors[pod] = entry.elect(
                s, api, lambda pod=pod: acted.append(pod) or stop.wait(), stop, lease=3, renew=2, retry=1
            )
        assert electors["a"].try_acquire_or_renew() is True  # a creates the Lease and leads
        assert electors["b"].try_acquire_or_renew() is False  # b sees a live lease held by a
        lease = fake.get("leases", "kubecvm-lb-controller", "kube-system")
        assert (lease["spec"]["holderIdentity"], lease["spec"]["leaseDurationSeconds"]) == ("a", 3)
        assert electors["a"].try_acquire_or_renew() is True  # a renews
        assert electors["b"].try_acquire_or_renew() is False
        # Both run their election loops: only the holder's callback runs.
        threads = [threading.Thread(target=e.run, daemon=True) for e in electors.values()]
        for t in threads:
            t.start()
        assert wait(lambda: acted)
        time.sleep(1.5)  # b keeps trying once a second meanwhile
        assert acted == ["a"]
        stop.set()
        for t in threads:
            t.join(10)
        assert not any(t.is_alive() for t in threads)


def test_the_watch_loop_creates_and_deletes_as_the_api_changes():
    with rig(workers=2, node_period=3600) as r:
        for i in range(2):
            r.kube.put("nodes", node(i))
        stop = threading.Event()
        runner = threading.Thread(target=r.controller.run, args=(stop,), daemon=True)
        runner.start()
        try:
            r.kube.put("services", service())
            assert wait(lambda: r.lbs() and r.listeners().get(("TCP", 80)) == [(ins(0), 30080), (ins(1), 30080)])
            r.kube.put("nodes", node(2))  # a new eligible node: every Service is synced again
            assert wait(lambda: len(r.listeners()[("TCP", 80)]) == 3)
            r.kube.delete("services", "web", "default")
            assert wait(lambda: not r.lbs() and r.kube.get("services", "web", "default") is None)
        finally:
            stop.set()
            runner.join(10)


def wait(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_vpc_and_subnet_come_from_the_masters_metadata():
    answers = {
        "/mac": "52:54:00:aa:bb:cc",
        "/network/interfaces/macs/52:54:00:aa:bb:cc/vpc-id": "vpc-0000000a",
        "/network/interfaces/macs/52:54:00:aa:bb:cc/subnet-id": "subnet-0000000b",
    }

    class Metadata(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = answers.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s = entry.settings(
            {
                "CLUSTER": "demo",
                "REGION": "ap-guangzhou",
                "METADATA_URL": f"http://127.0.0.1:{server.server_address[1]}/",
            }
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (s["VPC_ID"], s["SUBNET_ID"], s["CLB_ENDPOINT"]) == (
        "vpc-0000000a",
        "subnet-0000000b",
        "clb.internal.tencentcloudapi.com",
    )
    with pytest.raises(SystemExit, match="lb-controller: set REGION"):
        entry.settings({"CLUSTER": "demo"})
