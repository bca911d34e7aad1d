"""spec.loadBalancerSourceRanges (and upstream's legacy annotation) as a security group on the Service's CLB, against
the Tencent API emulator and a fake Kubernetes API: the group's rules, its binding, its changes and its removal,
groups this controller does not own, adopted CLBs, and what Tencent refuses."""

from __future__ import annotations

import pytest

from kubecvm.planning.addons.programs.lb_controller import model
from kubecvm.planning.tencent import vpc
from tests.lb_controller.helpers import CLUSTER, SUBNET, VPC, node, rig, service

PORTS = ((80, "TCP", 30080), (53, "UDP", 30053))


def rules(*cidrs: str, ports=(("UDP", "53"), ("TCP", "80"))) -> list[dict]:
    """The rules the emulator keeps, in order: ACCEPT each range on each port (by port), then DROP the rest."""
    return [
        *(
            {"action": "ACCEPT", "protocol": proto, "port": port, "cidrBlock": c}
            for c in cidrs
            for proto, port in ports
        ),
        {"action": "DROP", "protocol": "ALL", "cidrBlock": "0.0.0.0/0"},
    ]


def ours(r) -> dict[str, dict]:
    return {g: v for g, v in r.emulator.vpc.groups.items() if v["tags"].get(model.TAG_CLUSTER) == CLUSTER}


def only_group(r) -> tuple[str, dict]:
    ((group_id, group),) = ours(r).items()
    return group_id, group


def writes(r) -> int:
    return len([a for s in (r.emulator.clb, r.emulator.vpc) for a, _ in s.calls if not a.startswith("Describe")])


def test_ranges_make_a_tagged_group_with_exactly_their_rules_bound_to_the_clb():
    with rig() as r:
        r.kube.put("nodes", node(0))
        # host bits dropped, a duplicate merged, an IPv6 range left out of an IPv4 CLB (upstream's ParseIPNets)
        r.kube.put(
            "services",
            service(
                ports=PORTS,
                loadBalancerSourceRanges=["203.0.113.7/24", " 198.51.100.0/25", "203.0.113.0/24", "2001:db8::/32"],
            ),
        )
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        group_id, group = only_group(r)
        assert group["ingresses"] == rules("198.51.100.0/25", "203.0.113.0/24") and group["egresses"] == []
        assert group["tags"] == {model.TAG_CLUSTER: CLUSTER, model.TAG_NAMESPACE: "default", model.TAG_NAME: "web"}
        assert group["name"] == "demo-default-web"
        lb = r.only_lb()
        assert lb["SecureGroups"] == [group_id] and lb["LoadBalancerPassToTarget"] is True
        assert len(lb["Listeners"]) == 2 and r.emulator.summary()["refusals"] == []
        before = writes(r)  # a second pass changes nothing
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"} and writes(r) == before


def test_changed_ranges_rewrite_the_groups_rules_and_the_annotation_counts_only_without_the_field():
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service(ports=PORTS, loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.controller.reconcile_all()
        group_id, _ = only_group(r)
        r.kube.put(
            "services",
            service(
                ports=((80, "TCP", 30080),),
                loadBalancerSourceRanges=["192.0.2.0/24"],
                annotations={model.SOURCE_RANGES: "10.0.0.0/8"},
            ),
        )
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert ours(r)[group_id]["ingresses"] == rules("192.0.2.0/24", ports=(("TCP", "80"),))
        r.kube.put(
            "services",
            service(ports=((80, "TCP", 30080),), annotations={model.SOURCE_RANGES: " 10.0.0.0/8, 172.16.0.0/12 "}),
        )
        r.controller.reconcile_all()
        assert ours(r)[group_id]["ingresses"] == rules("10.0.0.0/8", "172.16.0.0/12", ports=(("TCP", "80"),))
        assert list(ours(r)) == [group_id] and r.only_lb()["SecureGroups"] == [group_id]


@pytest.mark.parametrize(
    "spec", [{}, {"loadBalancerSourceRanges": ["0.0.0.0/0", "203.0.113.0/24"]}], ids=["no-ranges", "allow-all"]
)
def test_ranges_removed_or_allowing_all_unbind_and_delete_the_group(spec):
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service(loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.controller.reconcile_all()
        r.kube.put("services", service(**spec))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert ours(r) == {} and r.only_lb()["SecureGroups"] == []
        assert [a for a, _ in r.emulator.clb.calls if a == "SetLoadBalancerSecurityGroups"] == [
            "SetLoadBalancerSecurityGroups"
        ] * 2  # bound, then unbound: the CLB was never left with a deleted group


def test_deleting_the_service_deletes_its_clb_then_its_group():
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service(loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.controller.reconcile_all()
        r.kube.delete("services", "web", "default")
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert r.lbs() == [] and ours(r) == {} and r.kube.get("services", "web", "default") is None
        deletes = [a for a, _ in r.emulator.clb.calls + r.emulator.vpc.calls if a.startswith("Delete")]
        assert deletes == ["DeleteLoadBalancer", "DeleteSecurityGroup"]


def test_groups_the_controller_does_not_own_are_never_changed_unbound_or_deleted():
    with rig() as r:
        r.kube.put("nodes", node(0))
        theirs = r.emulator.vpc.add_group(name="theirs")
        r.emulator.vpc.ModifySecurityGroupPolicies(
            {
                "SecurityGroupId": theirs,
                "SecurityGroupPolicySet": {
                    "Ingress": [{"Protocol": "TCP", "Port": "22", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}]
                },
            }
        )
        other = r.emulator.vpc.add_group(
            name="other", tags={model.TAG_CLUSTER: "other", model.TAG_NAMESPACE: "default", model.TAG_NAME: "web"}
        )
        r.kube.put("services", service(loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.controller.reconcile_all()
        lb = r.only_lb()
        bind(r, lb["LoadBalancerId"], [*lb["SecureGroups"], theirs])  # the owner's group next to ours
        (mine,) = ours(r)
        r.kube.put("services", service(loadBalancerSourceRanges=["192.0.2.0/24"]))
        r.controller.reconcile_all()
        assert r.only_lb()["SecureGroups"] == [mine, theirs]
        r.kube.put("services", service())
        r.controller.reconcile_all()
        assert r.only_lb()["SecureGroups"] == [theirs]
        r.kube.delete("services", "web", "default")
        r.controller.reconcile_all()
        assert sorted(r.emulator.vpc.groups) == sorted([theirs, other])
        assert r.emulator.vpc.groups[theirs]["ingresses"] == [
            {"action": "ACCEPT", "protocol": "TCP", "port": "22", "cidrBlock": "10.0.0.0/8"}
        ]
        # the controller's VPC calls named its own group only (the arrangement above called the service directly)
        assert {p["SecurityGroupId"] for _, p in r.emulator.vpc.calls if "SecurityGroupId" in p} == {mine}


def test_more_rules_than_a_group_holds_is_an_event_with_tencents_code_and_the_clb_serves_nothing():
    with rig() as r:
        r.kube.put("nodes", node(0))
        ranges = [f"10.{i}.0.0/16" for i in range(50)]  # 50 ranges x 2 ports + the DROP: 101 inbound rules
        r.kube.put("services", service(ports=PORTS, loadBalancerSourceRanges=ranges))
        results, _ = r.controller.reconcile_all()
        assert results == {"default/web": f"ModifySecurityGroupPolicies: {vpc.POLICY_LIMIT_EXCEEDED}"}
        reason, kind, message = r.kube.events()[-1]
        assert (reason, kind) == (model.SYNC_FAILED, "Warning") and vpc.POLICY_LIMIT_EXCEEDED in message
        lb = r.only_lb()
        assert lb["Listeners"] == {} and lb["SecureGroups"] == []  # no listener serves unrestricted
        (group,) = ours(r).values()
        assert group["ingresses"] == []
        r.kube.put("services", service(ports=PORTS, loadBalancerSourceRanges=ranges[:49]))  # 99 rules: fits
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert len(only_group(r)[1]["ingresses"]) == 99 and len(r.only_lb()["Listeners"]) == 2


@pytest.mark.parametrize(
    "spec, annotations, message",
    [
        (
            {"loadBalancerSourceRanges": ["203.0.113.0/24", "not-a-cidr"]},
            {},
            "spec.loadBalancerSourceRanges: 'not-a-cidr' is not a CIDR (for example 10.0.0.0/24)",
        ),
        (
            {},
            {model.SOURCE_RANGES: "203.0.113.0/24,,"},
            f"annotation {model.SOURCE_RANGES}: '' is not a CIDR (for example 10.0.0.0/24)",
        ),
        (
            {},
            {model.SOURCE_RANGES: "203.0.113.0/33"},
            f"annotation {model.SOURCE_RANGES}: '203.0.113.0/33' is not a CIDR (for example 10.0.0.0/24)",
        ),
    ],
    ids=["field", "annotation-empty-item", "annotation-bad-prefix"],
)
def test_an_invalid_range_is_an_event_and_nothing_is_made(spec, annotations, message):
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service(annotations=annotations, **spec))
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}  # an Event, not a failure to retry
        assert r.kube.events() == [(model.SYNC_FAILED, "Warning", message)]
        assert r.lbs() == [] and r.emulator.vpc.groups == {}


def adopted_clb(r, listener: str | None) -> str:
    lb_id = r.emulator.clb.CreateLoadBalancer(
        {
            "LoadBalancerType": "INTERNAL",
            "VpcId": VPC,
            "SubnetId": SUBNET,
            "Tags": [{"TagKey": model.TAG_CLUSTER, "TagValue": CLUSTER}],
        }
    )["LoadBalancerIds"][0]
    r.emulator.clb.busy.clear()
    if listener:
        r.emulator.clb.settle = True
        r.emulator.clb.CreateListener(
            {"LoadBalancerId": lb_id, "Ports": [8080], "Protocol": "TCP", "ListenerNames": [listener]}
        )
        r.emulator.clb.settle = False
    return lb_id


def serve_adopted(r, lb_id: str, *ranges: str) -> dict[str, str]:
    """A Node and the Service adopting `lb_id` with these ranges; one pass's results."""
    r.kube.put("nodes", node(0))
    r.kube.put("services", service(annotations={model.EXISTING_LB: lb_id}, loadBalancerSourceRanges=list(ranges)))
    return r.controller.reconcile_all()[0]


def bind(r, lb_id: str, groups: list[str]) -> None:
    """The owner binds groups to the CLB (settled: a test's arrangement, not a task to await)."""
    r.emulator.clb.settle = True
    r.emulator.clb.SetLoadBalancerSecurityGroups({"LoadBalancerId": lb_id, "SecurityGroups": groups})
    r.emulator.clb.settle = False


def test_an_adopted_clb_with_only_this_controllers_listeners_gets_the_group_and_loses_it_with_the_service():
    with rig() as r:
        lb_id = adopted_clb(r, None)
        assert serve_adopted(r, lb_id, "203.0.113.0/24") == {"default/web": "ok"}
        group_id, group = only_group(r)
        assert r.emulator.clb.lbs[lb_id]["SecureGroups"] == [group_id]
        assert group["ingresses"] == rules("203.0.113.0/24", ports=(("TCP", "80"),))
        r.kube.delete("services", "web", "default")
        r.controller.reconcile_all()
        assert list(r.emulator.clb.lbs) == [lb_id] and r.emulator.clb.lbs[lb_id]["SecureGroups"] == []
        assert ours(r) == {}


def test_an_adopted_clb_with_a_listener_of_its_owner_keeps_its_traffic_and_the_service_gets_an_event():
    with rig() as r:
        lb_id = adopted_clb(r, "theirs")
        assert serve_adopted(r, lb_id, "203.0.113.0/24") == {"default/web": "ok"}
        assert r.emulator.vpc.groups == {} and r.emulator.clb.lbs[lb_id]["SecureGroups"] == []
        assert (
            model.SYNC_FAILED,
            "Warning",
            f"spec.loadBalancerSourceRanges is not applied to the adopted CLB {lb_id}: it has listeners this "
            "controller did not make (TCP:8080), whose traffic a security group of this controller would filter "
            "too; bind a security group of your own to the CLB (docs/load-balancer-services.md)",
        ) in r.kube.events()


@pytest.mark.parametrize(
    "spec, annotations, want",
    [
        ({}, {}, None),
        ({"loadBalancerSourceRanges": []}, {model.SOURCE_RANGES: "   "}, None),
        ({"loadBalancerSourceRanges": ["10.1.2.3/8", "10.0.0.0/8"]}, {}, ("10.0.0.0/8",)),
        ({"loadBalancerSourceRanges": ["::/0"]}, {}, ()),  # IPv6 only: no IPv4 client is admitted
        ({}, {model.SOURCE_RANGES: "0.0.0.0/0"}, None),
        ({"loadBalancerSourceRanges": ["192.0.2.0/24"]}, {model.SOURCE_RANGES: "not-read"}, ("192.0.2.0/24",)),
    ],
)
def test_source_ranges_follow_upstreams_helper(spec, annotations, want):
    assert model.source_ranges(service(annotations=annotations, **spec)) == want


def test_an_adopted_clb_that_turns_unsafe_keeps_the_group_it_has_and_the_event_says_so():
    with rig() as r:
        lb_id = adopted_clb(r, None)
        serve_adopted(r, lb_id, "203.0.113.0/24")
        group_id, _ = only_group(r)
        theirs = r.emulator.vpc.add_group(name="theirs")
        bind(r, lb_id, [group_id, theirs])
        assert serve_adopted(r, lb_id, "192.0.2.0/24") == {"default/web": "ok"}
        assert r.emulator.clb.lbs[lb_id]["SecureGroups"] == [group_id, theirs]
        assert only_group(r)[1]["ingresses"] == rules("203.0.113.0/24", ports=(("TCP", "80"),))  # left as it was
        reason, kind, message = r.kube.events()[-1]
        assert (reason, kind) == (model.SYNC_FAILED, "Warning") and message.endswith(
            f"security groups this controller did not make are bound to it ({theirs}), whose traffic a security "
            "group of this controller would filter too; bind a security group of your own to the CLB "
            f"(docs/load-balancer-services.md); {group_id}, bound before, stays until the ranges or the Service go"
        )


def test_a_second_group_of_the_services_is_unbound_and_deleted_the_bound_one_kept():
    with rig() as r:
        r.kube.put("nodes", node(0))
        r.kube.put("services", service(loadBalancerSourceRanges=["203.0.113.0/24"]))
        r.controller.reconcile_all()
        group_id, group = only_group(r)
        stray = r.emulator.vpc.add_group("sg-00000000", name="stray", tags=group["tags"])  # sorts first
        assert r.controller.reconcile_all()[0] == {"default/web": "ok"}
        assert list(ours(r)) == [group_id] and r.only_lb()["SecureGroups"] == [group_id]
        assert ("DeleteSecurityGroup", {"SecurityGroupId": stray}) in r.emulator.vpc.calls
