"""spec.loadBalancerSourceRanges as a security group on the Service's CLB.

A CLB with no security group lets every client reach its listeners; with one, the group's inbound rules decide, top
down. With LoadBalancerPassToTarget on (what this controller creates its CLBs with), the CLB's group is the only
check for traffic through the CLB; with it off, the target's group is checked too, so a DROP in the CLB's group
still holds (tencentyun/qcloud-documents product/计算与网络/负载均衡/负载均衡实例/配置负载均衡安全组.md: "若 CLB 实例
不配置安全组，则放通所有流量", and the two modes of "安全组默认放通"; CreateLoadBalancer's LoadBalancerPassToTarget in
tencentcloud-sdk-python clb/v20180317/models.py: "开启放通（true）：只验证CLB上的安全组").

So a Service with ranges gets one group of its own, created with the Service's owner tags (model.owner_tags, as its
CLB) and found by them: ACCEPT each range on each port, then DROP the rest (model.security_policies). The group is
filled before it is bound, and bound before the listeners are made, so a Service whose ranges cannot be applied (a
refusal such as LimitExceeded.SecurityGroupPolicySet) never serves unrestricted. Ranges removed: the group is unbound
and deleted. Groups this controller did not tag are never changed or deleted, and stay bound: SetLoadBalancerSecurityGroups
is given the CLB's current groups with ours added or taken out.

An adopted CLB (tke-existed-lbid) gets the group only while that is safe: every listener on it is this
controller's and no other group is bound to it. A group of ours there would also filter the owner's listeners (its
DROP matches their ports too), and next to the owner's groups its effect would depend on how Tencent orders several
groups. When it is not safe the ranges are not applied, an Event says why, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import model
from .tencent import Cloud


def policy_key(policy: dict) -> tuple[str, str, str, str]:
    """A rule as Tencent compares it: protocol, port (ALL when none), source and action, case-insensitively."""
    return (str(policy.get("Protocol") or "ALL").upper(), str(policy.get("Port") or "ALL").upper(),
            str(policy.get("CidrBlock") or ""), str(policy.get("Action") or "").upper())


def group_tags(group: dict) -> dict[str, str]:
    """A security group's tags (DescribeSecurityGroups TagSet of Tag {Key, Value})."""
    return {str(t.get("Key")): str(t.get("Value")) for t in group.get("TagSet") or []}


@dataclass
class Outcome:
    writes: int = 0
    notes: list[str] = field(default_factory=list)


class SourceRanges:
    def __init__(self, cloud: Cloud, cluster: str):
        self.cloud, self.cluster = cloud, cluster

    def mine(self, svc: dict) -> list[str]:
        """The groups made for this Service: all its owner tags, read back (never a group without them)."""
        tags = model.owner_tags(self.cluster, svc)
        return sorted(g["SecurityGroupId"] for g in self.cloud.security_groups(tags)
                      if all(group_tags(g).get(k) == v for k, v in tags.items()))

    def ensure(self, svc: dict, lb: dict, want: model.Desired) -> Outcome:
        out = Outcome()
        lb_id, bound = lb["LoadBalancerId"], list(lb.get("SecureGroups") or [])
        policies = model.security_policies(want)
        if not policies and not bound:  # open, and no group to take off (a stray one goes with the Service)
            return out
        mine = self.mine(svc)
        if not policies:
            out.writes += self.remove(lb_id, bound, mine)
            return out
        if want.existing and (reason := self._unsafe(lb_id, bound, mine)):
            kept = [g for g in mine if g in bound]
            out.notes.append(f"spec.loadBalancerSourceRanges is not applied to the adopted CLB {lb_id}: {reason}, "
                             "whose traffic a security group of this controller would filter too; bind a security "
                             "group of your own to the CLB (docs/load-balancer-services.md)"
                             + (f"; {', '.join(kept)}, bound before, stays until the ranges or the Service go"
                                if kept else ""))
            return out
        if mine:  # the one bound, if any
            group = next((g for g in mine if g in bound), mine[0])
        else:
            meta = svc["metadata"]
            group = self.cloud.create_group(model.lb_name(self.cluster, svc),
                                            f"kubecvm {self.cluster}: source ranges of {meta['namespace']}/"
                                            f"{meta['name']}"[:100], model.owner_tags(self.cluster, svc))
            out.writes += 1
        if [policy_key(p) for p in self.cloud.ingress(group)] != [policy_key(p) for p in policies]:
            self.cloud.set_ingress(group, policies)
            out.writes += 1
        if group not in bound:
            bound = [group, *bound]
            self.cloud.bind_groups(lb_id, bound)
            out.writes += 1
        if extra := [g for g in mine if g != group]:  # a create whose answer was lost, then made again
            out.writes += self.remove(lb_id, bound, extra)
        return out

    def _unsafe(self, lb_id: str, bound: list[str], mine: list[str]) -> str:
        foreign = sorted(f"{x['Protocol']}:{x['Port']}" for x in self.cloud.listeners(lb_id)
                         if not str(x.get("ListenerName") or "").startswith(model.LISTENER_PREFIX + "-"))
        groups = sorted(g for g in bound if g not in mine)
        parts = ([f"it has listeners this controller did not make ({', '.join(foreign)})"] if foreign else []) + (
            [f"security groups this controller did not make are bound to it ({', '.join(groups)})"] if groups else [])
        return " and ".join(parts)

    def remove(self, lb_id: str | None, bound: list[str], mine: list[str]) -> int:
        """Unbind these groups of ours from the CLB (keeping every other group), then delete them."""
        writes = 0
        if lb_id and any(g in mine for g in bound):
            self.cloud.bind_groups(lb_id, [g for g in bound if g not in mine])
            writes += 1
        for group in mine:
            self.cloud.delete_group(group)
            writes += 1
        return writes
