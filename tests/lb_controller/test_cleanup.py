"""`pulumi destroy` leaves no CLB or security group the controller made: the cleanup resource's delete against the
emulator."""

from __future__ import annotations

from kubecvm.components import lb_cleanup
from kubecvm.emulator import SECRET_ID, SECRET_KEY
from kubecvm.planning.addons.programs.lb_controller import model
from tests.lb_controller.helpers import CLUSTER, REGION, SUBNET, VPC, node, rig, service


def aim_cleanup_at_the_rig(monkeypatch, r) -> None:
    """components/lb_cleanup.py as `pulumi destroy` runs it, aimed at the rig's emulator, its tasks not waited on."""
    url = f"http://{r.cloud.clb.profile.httpProfile.endpoint}"
    for k, v in {
        "TENCENTCLOUD_CLB_ENDPOINT": url,
        "TENCENTCLOUD_VPC_ENDPOINT": url,
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(lb_cleanup, "TASK_POLL_SECONDS", 0)


def test_destroy_deletes_the_clbs_the_controller_made_and_nothing_else(monkeypatch):
    with rig() as r:
        r.kube.put("nodes", node(0))
        for name in ("web", "api"):
            r.kube.put("services", service(name))
        settle = r.emulator.clb
        adopted = settle.CreateLoadBalancer(
            {
                "LoadBalancerType": "INTERNAL",
                "VpcId": VPC,
                "SubnetId": SUBNET,
                "Tags": [{"TagKey": model.TAG_CLUSTER, "TagValue": CLUSTER}],
            }
        )
        other = settle.CreateLoadBalancer(
            {
                "LoadBalancerType": "INTERNAL",
                "VpcId": VPC,
                "SubnetId": SUBNET,
                "Tags": [
                    {"TagKey": model.TAG_CLUSTER, "TagValue": "other"},
                    {"TagKey": model.TAG_NAME, "TagValue": "web"},
                ],
            }
        )
        untagged = settle.CreateLoadBalancer({"LoadBalancerType": "INTERNAL", "VpcId": VPC, "SubnetId": SUBNET})
        settle.busy.clear()
        r.kube.put(
            "services",
            service("old", annotations={model.EXISTING_LB: adopted["LoadBalancerIds"][0]}, ports=((81, "TCP", 30081),)),
        )
        assert set(r.controller.reconcile_all()[0].values()) == {"ok"}
        made = sorted(
            lb["LoadBalancerId"]
            for lb in r.lbs()
            if model.owned_by(lb, {model.TAG_NAME: "web"})
            and model.owned_by(lb, {model.TAG_CLUSTER: CLUSTER})
            or model.owned_by(lb, {model.TAG_NAME: "api"})
        )
        assert len(made) == 2
        # A CLB still in operation (the controller's last task) is waited for, not skipped.
        settle.fail["DeleteLoadBalancer"] = ["FailedOperation.ResourceInOperating"]
        calls = len(settle.calls)
        aim_cleanup_at_the_rig(monkeypatch, r)
        provider = lb_cleanup._Provider()
        provider.delete(f"{CLUSTER}-lb-cleanup", {"cluster": CLUSTER, "region": REGION})
        assert [a for a, _ in settle.calls[calls:]].count("DeleteLoadBalancer") == 3  # one refused, then two
        left = sorted(r.emulator.clb.lbs)
        assert left == sorted(
            [adopted["LoadBalancerIds"][0], other["LoadBalancerIds"][0], untagged["LoadBalancerIds"][0]]
        )
        assert lb_cleanup.delete_controller_clbs(CLUSTER, REGION, lambda _k: None, poll_seconds=0) == []


def test_destroy_deletes_the_controllers_security_groups_unbinding_them_from_an_adopted_clb(monkeypatch):
    with rig() as r:
        r.kube.put("nodes", node(0))
        clb = r.emulator.clb
        adopted = clb.CreateLoadBalancer(
            {
                "LoadBalancerType": "INTERNAL",
                "VpcId": VPC,
                "SubnetId": SUBNET,
                "Tags": [{"TagKey": model.TAG_CLUSTER, "TagValue": CLUSTER}],
            }
        )
        adopted_id = adopted["LoadBalancerIds"][0]
        clb.busy.clear()
        theirs = r.emulator.vpc.add_group(name="theirs")
        other_cluster = r.emulator.vpc.add_group(name="other", tags={model.TAG_CLUSTER: "other", model.TAG_NAME: "web"})
        r.kube.put("services", service("web", loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.kube.put(
            "services",
            service(
                "old",
                annotations={model.EXISTING_LB: adopted_id},
                loadBalancerSourceRanges=["198.51.100.0/24"],
                ports=((81, "TCP", 30081),),
            ),
        )
        assert set(r.controller.reconcile_all()[0].values()) == {"ok"}
        ours = sorted(g for g, v in r.emulator.vpc.groups.items() if v["tags"].get(model.TAG_CLUSTER) == CLUSTER)
        assert len(ours) == 2 and len(clb.lbs[adopted_id]["SecureGroups"]) == 1
        clb.settle = True
        clb.SetLoadBalancerSecurityGroups(
            {"LoadBalancerId": adopted_id, "SecurityGroups": [*clb.lbs[adopted_id]["SecureGroups"], theirs]}
        )
        clb.settle = False
        aim_cleanup_at_the_rig(monkeypatch, r)
        lb_cleanup._Provider().delete(f"{CLUSTER}-lb-cleanup", {"cluster": CLUSTER, "region": REGION})
        assert sorted(r.emulator.vpc.groups) == sorted([theirs, other_cluster])
        assert list(clb.lbs) == [adopted_id] and clb.lbs[adopted_id]["SecureGroups"] == [theirs]
        assert lb_cleanup.delete_controller_groups(CLUSTER, REGION, lambda _k: None, poll_seconds=0) == []
