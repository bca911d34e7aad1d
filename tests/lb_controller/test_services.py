"""The service controller against the Tencent API emulator and a fake Kubernetes API: CLBs, listeners and targets
as Services and Nodes ask, ownership, adoption, retries and Events."""

from __future__ import annotations

from kubecvm.planning.addons.programs.lb_controller import model
from tests.lb_controller.helpers import CLUSTER, SUBNET, VPC, endpoint_slice, ins, node, rig, service

TCP80 = ("TCP", 80)


def foreign_clb(r) -> str:
    """An internal CLB someone else made in the cluster's VPC (no tags), its creation settled."""
    lb_id = r.emulator.clb.CreateLoadBalancer({"LoadBalancerType": "INTERNAL", "VpcId": VPC, "SubnetId": SUBNET})[
        "LoadBalancerIds"
    ][0]
    r.emulator.clb.busy.clear()
    return lb_id


def arrange(r, *objects):
    for plural, obj in objects:
        r.kube.put(plural, obj)


def test_a_service_gets_an_internal_clb_with_a_listener_per_port_and_every_node_as_target():
    with rig() as r:
        arrange(
            r,
            *[("nodes", node(i)) for i in range(3)],
            ("services", service(ports=((80, "TCP", 30080), (53, "UDP", 30053)))),
        )
        results, _ = r.controller.reconcile_all()
        assert results == {"default/web": "ok"}
        lb = r.only_lb()
        assert (lb["LoadBalancerType"], lb["VpcId"], lb["SubnetId"], lb["LoadBalancerName"]) == (
            "INTERNAL",
            VPC,
            SUBNET,
            "demo-default-web",
        )
        assert lb["Tags"] == [
            {"TagKey": "kubecvm/cluster", "TagValue": CLUSTER},
            {"TagKey": "kubecvm/service-namespace", "TagValue": "default"},
            {"TagKey": "kubecvm/service-name", "TagValue": "web"},
        ]
        assert r.listeners() == {
            TCP80: [(ins(i), 30080) for i in range(3)],
            ("UDP", 53): [(ins(i), 30053) for i in range(3)],
        }
        checks = {x["Protocol"]: x["HealthCheck"]["CheckType"] for x in lb["Listeners"].values()}
        assert checks == {"TCP": "TCP", "UDP": "PING"}
        svc = r.kube.get("services", "web", "default")
        assert svc["metadata"]["finalizers"] == [model.FINALIZER]
        assert svc["metadata"]["annotations"][model.LB_ID] == lb["LoadBalancerId"]
        assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": lb["LoadBalancerVips"][0]}]
        assert [e[0] for e in r.kube.events()] == [model.ENSURING, model.ENSURED]
        # Every write awaited: the emulator refuses a write to a CLB whose task runs, and none was refused.
        assert r.emulator.summary()["refusals"] == []
        # A second pass changes nothing and says nothing.
        writes = len([c for c in r.emulator.clb.calls if not c[0].startswith("Describe")])
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert len([c for c in r.emulator.clb.calls if not c[0].startswith("Describe")]) == writes
        assert len(r.kube.events()) == 2


def test_targets_follow_the_nodes_and_upstreams_node_filters():
    with rig(instances=6) as r:
        arrange(r, *[("nodes", node(i)) for i in range(3)], ("services", service()))
        r.controller.reconcile_all()
        arrange(r, ("nodes", node(3)), ("nodes", node(4)))  # scale up
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == [(ins(i), 30080) for i in range(5)]
        r.kube.delete("nodes", node(4)["metadata"]["name"])  # scale down
        arrange(
            r,
            ("nodes", node(0, ready=False)),  # NotReady
            ("nodes", node(1, labels={model.EXCLUDE_LABEL: ""})),  # excluded by label
            ("nodes", node(2, taints=[{"key": model.TO_BE_DELETED_TAINT, "effect": "NoSchedule"}])),
        )
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == [(ins(3), 30080)]
        r.kube.delete("nodes", node(3)["metadata"]["name"])
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == []
        assert [e[0] for e in r.kube.events()[-2:]] == [model.UNAVAILABLE, model.ENSURED]


def test_local_traffic_keeps_only_nodes_with_a_ready_endpoint_and_checks_kube_proxys_health_port():
    with rig() as r:
        names = [node(i)["metadata"]["name"] for i in range(3)]
        arrange(
            r,
            *[("nodes", node(i)) for i in range(3)],
            ("services", service(policy="Local", healthCheckNodePort=32000)),
            ("endpointslices", endpoint_slice("web", {names[1]: True, names[2]: False})),
        )
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == [(ins(1), 30080)]
        (listener,) = r.only_lb()["Listeners"].values()
        assert {k: listener["HealthCheck"][k] for k in ("CheckType", "CheckPort", "HttpCheckPath", "HttpCode")} == {
            "CheckType": "HTTP",
            "CheckPort": 32000,
            "HttpCheckPath": "/healthz",
            "HttpCode": 2,
        }
        arrange(r, ("endpointslices", endpoint_slice("web", {names[0]: True, names[2]: True})))
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == [(ins(0), 30080), (ins(2), 30080)]
        arrange(r, ("services", service(policy="Cluster")))  # back to Cluster: every node, a TCP check
        r.controller.reconcile_all()
        assert r.listeners()[TCP80] == [(ins(i), 30080) for i in range(3)]
        (listener,) = r.only_lb()["Listeners"].values()
        assert listener["HealthCheck"]["CheckType"] == "TCP"


def test_ports_changed_listeners_follow():
    with rig() as r:
        arrange(r, ("nodes", node(0)), ("services", service(ports=((80, "TCP", 30080), (443, "TCP", 30443)))))
        r.controller.reconcile_all()
        arrange(r, ("services", service(ports=((80, "TCP", 31080),))))  # 443 gone, 80's NodePort moved
        r.controller.reconcile_all()
        assert r.listeners() == {TCP80: [(ins(0), 31080)]}


def test_deleting_the_service_deletes_its_clb_then_the_finalizer_lets_it_go():
    with rig() as r:
        arrange(r, ("nodes", node(0)), ("services", service()))
        r.controller.reconcile_all()
        r.kube.delete("services", "web", "default")  # held by the finalizer
        assert r.kube.get("services", "web", "default")["metadata"]["deletionTimestamp"]
        r.controller.reconcile_all()
        assert r.lbs() == [] and r.kube.get("services", "web", "default") is None
        assert [e[0] for e in r.kube.events()][-2:] == [model.DELETING, model.DELETED]


def test_a_service_no_longer_a_load_balancer_loses_its_clb_and_keeps_living():
    with rig() as r:
        arrange(r, ("nodes", node(0)), ("services", service()))
        r.controller.reconcile_all()
        svc = r.kube.get("services", "web", "default")
        svc["spec"]["type"] = "ClusterIP"
        arrange(r, ("services", svc))
        r.controller.reconcile_all()
        svc = r.kube.get("services", "web", "default")
        assert (
            r.lbs() == []
            and svc["metadata"].get("finalizers") is None
            and not svc["status"].get("loadBalancer", {}).get("ingress")
        )


def test_an_adopted_clb_keeps_its_own_listeners_and_survives_the_service():
    with rig() as r:
        lb_id = foreign_clb(r)
        r.emulator.clb.settle = True
        r.emulator.clb.CreateListener(
            {"LoadBalancerId": lb_id, "Ports": [8080], "Protocol": "TCP", "ListenerNames": ["theirs"]}
        )
        r.emulator.clb.settle = False
        arrange(r, ("nodes", node(0)), ("services", service(annotations={model.EXISTING_LB: lb_id})))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert r.listeners(r.emulator.clb.lbs[lb_id]) == {("TCP", 8080): [], TCP80: [(ins(0), 30080)]}
        r.kube.delete("services", "web", "default")
        r.controller.reconcile_all()
        assert list(r.emulator.clb.lbs) == [lb_id]
        assert r.listeners(r.emulator.clb.lbs[lb_id]) == {("TCP", 8080): []}
        assert r.emulator.clb.lbs[lb_id]["Tags"] == []  # never tagged as ours


def test_an_adopted_port_taken_by_a_foreign_listener_is_an_event_with_tencents_code():
    with rig() as r:
        lb_id = foreign_clb(r)
        r.emulator.clb.settle = True
        r.emulator.clb.CreateListener({"LoadBalancerId": lb_id, "Ports": [80], "Protocol": "TCP"})
        r.emulator.clb.settle = False
        arrange(r, ("nodes", node(0)), ("services", service(annotations={model.EXISTING_LB: lb_id})))
        assert r.controller.reconcile_all()[0] == {"default/web": "CreateListener: InvalidParameter.PortCheckFailed"}
        assert r.kube.events()[-1][:2] == (model.SYNC_FAILED, "Warning")
        assert "InvalidParameter.PortCheckFailed" in r.kube.events()[-1][2]


def test_a_clb_with_the_services_tags_of_another_cluster_is_never_touched():
    with rig() as r:
        theirs = r.emulator.clb.CreateLoadBalancer(
            {
                "LoadBalancerType": "INTERNAL",
                "VpcId": VPC,
                "SubnetId": SUBNET,
                "Tags": [
                    {"TagKey": "kubecvm/cluster", "TagValue": "other"},
                    {"TagKey": "kubecvm/service-namespace", "TagValue": "default"},
                    {"TagKey": "kubecvm/service-name", "TagValue": "web"},
                ],
            }
        )
        r.emulator.clb.busy.clear()
        arrange(r, ("nodes", node(0)), ("services", service()))
        r.controller.reconcile_all()
        r.kube.delete("services", "web", "default")
        r.controller.reconcile_all()
        assert list(r.emulator.clb.lbs) == theirs["LoadBalancerIds"]
        assert r.emulator.clb.lbs[theirs["LoadBalancerIds"][0]]["Listeners"] == {}


def test_rate_limits_and_a_busy_clb_are_retried_with_backoff_other_errors_are_events():
    with rig() as r:
        r.emulator.clb.fail["CreateListener"] = ["RequestLimitExceeded", "FailedOperation.ResourceInOperating"]
        r.emulator.clb.fail["RegisterTargets"] = ["RequestLimitExceeded.UinLimitExceeded"]
        arrange(r, ("nodes", node(0)), ("services", service()))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert r.cloud.retries == [
            ("CreateListener", "RequestLimitExceeded"),
            ("CreateListener", "FailedOperation.ResourceInOperating"),
            ("RegisterTargets", "RequestLimitExceeded.UinLimitExceeded"),
        ]
        assert r.listeners()[TCP80] == [(ins(0), 30080)]
        r.emulator.clb.fail["DeleteLoadBalancer"] = ["InternalError"]
        r.kube.delete("services", "web", "default")
        assert r.controller.reconcile_all()[0] == {"default/web": "DeleteLoadBalancer: InternalError"}
        reason, kind, message = r.kube.events()[-1]
        assert (reason, kind) == (model.DELETE_FAILED, "Warning") and "DeleteLoadBalancer: InternalError" in message
        assert r.kube.get("services", "web", "default")["metadata"]["finalizers"] == [model.FINALIZER]
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}  # the next pass finishes the job
        assert r.lbs() == [] and r.kube.get("services", "web", "default") is None


def test_retries_end_and_the_failure_is_an_event():
    with rig() as r:
        r.emulator.clb.fail["CreateLoadBalancer"] = ["RequestLimitExceeded"] * 8
        arrange(r, ("nodes", node(0)), ("services", service()))
        assert r.controller.reconcile_all()[0] == {"default/web": "CreateLoadBalancer: RequestLimitExceeded"}
        assert r.sleeps == [0] * 7  # seven retries after the first call, then the Event
        assert r.kube.events()[-1][0] == model.SYNC_FAILED and r.lbs() == []


def test_a_public_clb_from_tkes_annotations_and_bad_annotations_are_events_not_crashes():
    with rig() as r:
        arrange(
            r,
            ("nodes", node(0)),
            ("services", service(annotations={model.CHARGE_TYPE: "TRAFFIC_POSTPAID_BY_HOUR", model.BANDWIDTH: "20"})),
            ("services", service("bad", annotations={model.BANDWIDTH: "4096"})),
            ("services", service("classy", loadBalancerClass="example.com/other")),
        )
        results, _ = r.controller.reconcile_all()
        assert results == {"default/bad": "ok", "default/web": "ok"}
        lb = r.only_lb()
        assert (lb["LoadBalancerType"], lb["NetworkAttributes"]) == (
            "OPEN",
            {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut": 20},
        )
        assert (
            model.SYNC_FAILED,
            "Warning",
            f"annotation {model.BANDWIDTH}: '4096' is not a whole number of Mbps in 1..2048",
        ) in r.kube.events()
        assert r.kube.get("services", "classy", "default")["metadata"].get("finalizers") is None


def test_a_domain_clb_reports_its_hostname():
    assert model.ingress({"LoadBalancerVips": [], "LoadBalancerDomain": "lb-1.clb.example"}) == [
        {"hostname": "lb-1.clb.example"}
    ]


def test_pass_to_target_turned_off_on_its_clb_is_turned_back_on():
    with rig() as r:
        arrange(r, ("nodes", node(0)), ("services", service()))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        lb = r.only_lb()
        assert lb["LoadBalancerPassToTarget"] is True
        r.emulator.clb.settle = True  # someone turns it off in the console
        r.emulator.clb.ModifyLoadBalancerAttributes(
            {"LoadBalancerId": lb["LoadBalancerId"], "LoadBalancerPassToTarget": False}
        )
        r.emulator.clb.settle = False
        r.emulator.clb.calls.clear()
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert lb["LoadBalancerPassToTarget"] is True
        writes = [(a, p) for a, p in r.emulator.clb.calls if not a.startswith("Describe")]
        assert writes == [
            ("ModifyLoadBalancerAttributes", {"LoadBalancerId": lb["LoadBalancerId"], "LoadBalancerPassToTarget": True})
        ]
        r.emulator.clb.calls.clear()
        r.controller.reconcile_all()  # on: nothing to write
        assert [a for a, _ in r.emulator.clb.calls if not a.startswith("Describe")] == []


def test_an_adopted_clb_keeps_its_owners_pass_to_target():
    with rig() as r:
        lb_id = foreign_clb(r)
        arrange(r, ("nodes", node(0)), ("services", service(annotations={model.EXISTING_LB: lb_id})))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert r.emulator.clb.lbs[lb_id]["LoadBalancerPassToTarget"] is False
        assert "ModifyLoadBalancerAttributes" not in [a for a, _ in r.emulator.clb.calls]
