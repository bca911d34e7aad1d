"""`pulumi destroy` leaves no CLB the controller made: the cleanup resource's delete against the emulator."""

from __future__ import annotations

from kubecvm.components import lb_cleanup
from kubecvm.emulator import SECRET_ID, SECRET_KEY
from kubecvm.planning.addons.programs.lb_controller import model
from tests.lb_controller.helpers import CLUSTER, REGION, SUBNET, VPC, node, rig, service


def test_destroy_deletes_the_clbs_the_controller_made_and_nothing_else(monkeypatch):
    with rig() as r:
        r.kube.put("nodes", node(0))
        for name in ("web", "api"):
            r.kube.put("services", service(name))
        settle = r.emulator.clb
        adopted = settle.CreateLoadBalancer({"LoadBalancerType": "INTERNAL", "VpcId": VPC, "SubnetId": SUBNET,
                                             "Tags": [{"TagKey": model.TAG_CLUSTER, "TagValue": CLUSTER}]})
        other = settle.CreateLoadBalancer({"LoadBalancerType": "INTERNAL", "VpcId": VPC, "SubnetId": SUBNET, "Tags": [
            {"TagKey": model.TAG_CLUSTER, "TagValue": "other"}, {"TagKey": model.TAG_NAME, "TagValue": "web"}]})
        untagged = settle.CreateLoadBalancer({"LoadBalancerType": "INTERNAL", "VpcId": VPC, "SubnetId": SUBNET})
        settle.busy.clear()
        r.kube.put("services", service("old", annotations={model.EXISTING_LB: adopted["LoadBalancerIds"][0]},
                                       ports=((81, "TCP", 30081),)))
        assert set(r.controller.reconcile_all()[0].values()) == {"ok"}
        made = sorted(lb["LoadBalancerId"] for lb in r.lbs() if model.owned_by(lb, {model.TAG_NAME: "web"})
                      and model.owned_by(lb, {model.TAG_CLUSTER: CLUSTER})
                      or model.owned_by(lb, {model.TAG_NAME: "api"}))
        assert len(made) == 2
        # A CLB still in operation (the controller's last task) is waited for, not skipped.
        settle.fail["DeleteLoadBalancer"] = ["FailedOperation.ResourceInOperating"]
        url = f"http://{r.cloud.clb.profile.httpProfile.endpoint}"
        calls = len(settle.calls)
        for k, v in {"TENCENTCLOUD_CLB_ENDPOINT": url, "TENCENTCLOUD_SECRET_ID": SECRET_ID,
                     "TENCENTCLOUD_SECRET_KEY": SECRET_KEY}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(lb_cleanup, "TASK_POLL_SECONDS", 0)
        provider = lb_cleanup._Provider()
        provider.delete(f"{CLUSTER}-lb-cleanup", {"cluster": CLUSTER, "region": REGION})
        assert [a for a, _ in settle.calls[calls:]].count("DeleteLoadBalancer") == 3  # one refused, then two
        left = sorted(r.emulator.clb.lbs)
        assert left == sorted([adopted["LoadBalancerIds"][0], other["LoadBalancerIds"][0],
                               untagged["LoadBalancerIds"][0]])
        assert lb_cleanup.delete_controller_clbs(CLUSTER, REGION, lambda _k: None, poll_seconds=0) == []
