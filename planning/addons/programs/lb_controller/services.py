"""The service controller: one CLB per `type: LoadBalancer` Service of ours (model.is_ours), its TCP/UDP listeners
one per Service port, their targets the eligible Nodes' CVMs at the port's NodePort, status.loadBalancer.ingress
its address; the finalizer holds the Service until the CLB is gone. Upstream's controllers/service/controller.go
syncService/processLoadBalancerDelete, with Tencent's calls in place of the cloud provider's.

Ownership: a CLB this controller creates carries the cluster's and the Service's tags (model.owner_tags) and is
found by them, never by name, and keeps LoadBalancerPassToTarget on (back on if someone turns it off), so only its
own security group filters its clients. A CLB named by tke-existed-lbid is adopted: only the listeners this controller made
(named kubecvm-<protocol>-<port>) and its own security group (security.py, only where that is safe) are managed;
the CLB, its other listeners and other security groups are never changed, and it is never deleted. A CLB with the Service's tags but another cluster's is not ours either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import model
from .kube import Kube
from .security import SourceRanges
from .tencent import Cloud, CloudError


@dataclass
class Result:
    writes: int = 0  # CLB writes made (0: the CLB already matched)
    notes: list[str] = field(default_factory=list)


class ServiceController:
    def __init__(self, kube: Kube, cloud: Cloud, cluster: str, vpc: str, subnet: str):
        self.kube, self.cloud, self.cluster, self.vpc, self.subnet = kube, cloud, cluster, vpc, subnet
        self.ranges = SourceRanges(cloud, cluster)

    # --- entry ----------------------------------------------------------------------------------------------
    def sync(self, svc: dict, nodes: list[dict], slices: list[dict]) -> Result | None:
        """Bring the Service's CLB to what it asks for, or remove it. A CloudError is recorded as an Event with
        Tencent's code and raised again (the caller retries with backoff); a SpecError is an Event, not retried."""
        if model.needs_cleanup(svc):
            return self._guarded(svc, model.DELETE_FAILED, lambda: self.cleanup(svc))
        if not model.is_ours(svc):
            return None
        try:
            want = model.desired(svc, nodes, slices, self.subnet)
        except model.SpecError as exc:
            self.kube.event(svc, "Service", "Warning", model.SYNC_FAILED, str(exc))
            return None
        return self._guarded(svc, model.SYNC_FAILED, lambda: self.ensure(svc, want))

    def _guarded(self, svc: dict, reason: str, work):
        try:
            return work()
        except CloudError as exc:
            self.kube.event(svc, "Service", "Warning", reason,
                            f"Error syncing load balancer: {exc.action}: {exc.code}: {exc.message}")
            raise

    # --- ensure -----------------------------------------------------------------------------------------------
    def find(self, svc: dict, existing: str | None) -> dict | None:
        if existing:
            found = self.cloud.load_balancers(ids=[existing])
            if not found:
                raise CloudError("DescribeLoadBalancers", "InvalidParameter.LBIdNotFound",
                                 f"{model.EXISTING_LB} {existing} does not exist")
            return found[0]
        tags = model.owner_tags(self.cluster, svc)
        found = [lb for lb in self.cloud.load_balancers(tags=tags) if model.owned_by(lb, tags)]
        return found[0] if found else None

    def ensure(self, svc: dict, want: model.Desired) -> Result:
        result = Result()
        if not model.has_finalizer(svc):  # before anything exists in the cloud (controller.go addFinalizer)
            finalizers = [*(svc["metadata"].get("finalizers") or []), model.FINALIZER]
            svc = self.kube.patch_service(svc, {"metadata": {"finalizers": finalizers}})
        lb = self.find(svc, want.existing)
        if lb is None:
            self.kube.event(svc, "Service", "Normal", model.ENSURING, "Ensuring load balancer")
            lb_id = self.cloud.create(self._create_params(svc, want))
            result.writes += 1
            lb = self.cloud.load_balancers(ids=[lb_id])[0]
        elif not want.existing:
            result.notes += self._drift(lb, want)
            if lb.get("LoadBalancerPassToTarget") is False:  # turned off since: the workers' group filters again
                self.cloud.write(lb["LoadBalancerId"], "ModifyLoadBalancerAttributes",
                                 {"LoadBalancerPassToTarget": True})
                result.writes += 1
        # The source ranges before the listeners: a CLB whose ranges cannot be applied gets no listener to serve.
        ranges = self.ranges.ensure(svc, lb, want)
        result.writes += ranges.writes
        result.notes += ranges.notes
        result.writes += self._listeners(lb["LoadBalancerId"], want, adopted=bool(want.existing))
        ingress = model.ingress(lb)
        current = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if current != ingress:
            svc = self.kube.patch_service(svc, {"status": {"loadBalancer": {"ingress": ingress}}}, status=True)
        if (svc["metadata"].get("annotations") or {}).get(model.LB_ID) != lb["LoadBalancerId"]:
            self.kube.patch_service(svc, {"metadata": {"annotations": {model.LB_ID: lb["LoadBalancerId"]}}})
        for note in result.notes:
            self.kube.event(svc, "Service", "Warning", model.SYNC_FAILED, note)
        if not want.targets:
            self.kube.event(svc, "Service", "Warning", model.UNAVAILABLE,
                            f"There are no available nodes for LoadBalancer {lb['LoadBalancerId']}")
        if result.writes:
            self.kube.event(svc, "Service", "Normal", model.ENSURED, f"Ensured load balancer {lb['LoadBalancerId']}")
        return result

    def _create_params(self, svc: dict, want: model.Desired) -> dict:
        params: dict = {"LoadBalancerType": want.network, "LoadBalancerName": model.lb_name(self.cluster, svc),
                        "VpcId": self.vpc, "Forward": 1,
                        # Only the CLB's security group filters what it forwards (api/214/30692
                        # LoadBalancerPassToTarget): the workers' group would drop a public CLB's clients.
                        "LoadBalancerPassToTarget": True,
                        "Tags": [{"TagKey": k, "TagValue": v} for k, v in model.owner_tags(self.cluster, svc).items()]}
        if want.network == "INTERNAL":
            params["SubnetId"] = want.subnet
        if want.charge:
            params["InternetAccessible"] = {"InternetChargeType": want.charge,
                                            **({"InternetMaxBandwidthOut": want.bandwidth} if want.bandwidth else {})}
        return params

    @staticmethod
    def _drift(lb: dict, want: model.Desired) -> list[str]:
        """A CLB's network type and subnet cannot change in place: say so rather than replace it under traffic."""
        if lb.get("LoadBalancerType") != want.network or (want.network == "INTERNAL" and lb.get("SubnetId")
                                                          and lb.get("SubnetId") != want.subnet):
            return [f"the CLB {lb['LoadBalancerId']} is {lb.get('LoadBalancerType')} in {lb.get('SubnetId') or '-'}; "
                    f"the Service now asks for {want.network} in {want.subnet}: delete and re-create the Service "
                    "to move it"]
        return []

    def _listeners(self, lb_id: str, want: model.Desired, adopted: bool) -> int:
        writes = 0
        have = {(x["Protocol"], int(x["Port"])): x for x in self.cloud.listeners(lb_id)}
        mine = {k: x for k, x in have.items()
                if not adopted or str(x.get("ListenerName") or "").startswith(model.LISTENER_PREFIX + "-")}
        wanted = {(x.protocol, x.port): x for x in want.listeners}
        for k, x in mine.items():
            if k not in wanted:
                self.cloud.write(lb_id, "DeleteListener", {"ListenerId": x["ListenerId"]})
                writes += 1
        ids: dict[tuple[str, int], str] = {}
        for k, spec in wanted.items():
            health = dict(spec.health)
            if k in mine:
                ids[k] = mine[k]["ListenerId"]
                if any(mine[k].get("HealthCheck", {}).get(f) != v for f, v in health.items()):
                    self.cloud.write(lb_id, "ModifyListener", {"ListenerId": ids[k], "HealthCheck": health})
                    writes += 1
                continue
            # A port another listener holds (an adopted CLB's own) is refused by CLB: PortCheckFailed, an Event.
            answer = self.cloud.write(lb_id, "CreateListener", {
                "Ports": [spec.port], "Protocol": spec.protocol, "ListenerNames": [spec.name], "HealthCheck": health})
            ids[k] = answer["ListenerIds"][0]
            writes += 1
        targets = self.cloud.targets(lb_id)
        for k, spec in wanted.items():
            now = targets.get(ids[k], set())
            goal = {(ins, spec.node_port) for ins in want.targets}
            if gone := sorted(now - goal):
                self.cloud.change_targets(lb_id, ids[k], "DeregisterTargets", gone)
                writes += 1
            if new := sorted(goal - now):
                self.cloud.change_targets(lb_id, ids[k], "RegisterTargets", new)
                writes += 1
        return writes

    # --- cleanup ----------------------------------------------------------------------------------------------
    def cleanup(self, svc: dict) -> Result:
        """The CLB goes (an adopted one keeps everything but this controller's listeners and security group), then
        the Service's security group, then the finalizer."""
        self.kube.event(svc, "Service", "Normal", model.DELETING, "Deleting load balancer")
        existing = (svc["metadata"].get("annotations") or {}).get(model.EXISTING_LB)
        result = Result()
        groups = self.ranges.mine(svc)
        if existing:
            for lb in self.cloud.load_balancers(ids=[existing]):
                result.writes += self.ranges.remove(existing, list(lb.get("SecureGroups") or []), groups)
                groups = []
                result.writes += self._listeners(existing, model.Desired("INTERNAL", "", None, None, existing,
                                                                         (), ()), adopted=True)
        else:
            lb = self.find(svc, None)
            if lb is not None:
                self.cloud.delete(lb["LoadBalancerId"])  # its bindings go with it
                result.writes += 1
        result.writes += self.ranges.remove(None, [], groups)
        if (svc.get("status") or {}).get("loadBalancer", {}).get("ingress"):
            svc = self.kube.patch_service(svc, {"status": {"loadBalancer": {"ingress": None}}}, status=True)
        self.kube.event(svc, "Service", "Normal", model.DELETED, "Deleted load balancer")
        finalizers = [f for f in svc["metadata"].get("finalizers") or [] if f != model.FINALIZER]
        self.kube.patch_service(svc, {"metadata": {"finalizers": finalizers or None}})
        return result
