"""At `pulumi destroy`, delete the CLBs and security groups kubecvm's load-balancer controller made for this cluster's
Services.

The controller makes a CLB for each `type: LoadBalancer` Service (planning/addons/lb_controller.py); Pulumi never
saw those CLBs, so without this step they would outlive the cluster (and, being in its subnets, stop the subnets'
deletion). This resource does nothing on create; its delete finds every CLB carrying the cluster's tag and the
controller's Service tags (kubecvm/cluster=<cluster> and a kubecvm/service-name tag: never a CLB someone else made,
nor one adopted through tke-existed-lbid, which the controller never tags) and deletes it, awaiting each task. Then
the security groups the controller made for spec.loadBalancerSourceRanges (the same tags): each is first unbound from
any CLB of the cluster it is still bound to (an adopted CLB, which stays, keeps its other groups), then deleted.

Order: the add-ons' objects of the controller depend on this resource, so `pulumi destroy` deletes the controller's
Deployment first (it can no longer make a CLB), then runs this delete, then the cluster's machines and network
(which this resource depends on through the add-ons' dependencies). Turning addons.loadBalancerController off deletes
it as well, and with it the CLBs of the Services the controller served.

Credentials and endpoints: the Tencent provider's (components/tencent_calls.py); TENCENTCLOUD_CLB_ENDPOINT and
TENCENTCLOUD_VPC_ENDPOINT point it at others (the emulator in tests).
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
import pulumi.dynamic

from kubecvm.planning.addons.programs.lb_controller import model
from kubecvm.planning.tencent import clb as clb_api
from kubecvm.planning.tencent import vpc as vpc_api

from .tencent_calls import ApiRefusal, Config, call_api, client_profile, resolve_credentials

TASK_POLLS, TASK_POLL_SECONDS = 600, 1.0


class CleanupError(Exception):
    pass


class Clb:
    """The CLB calls of the cleanup, on Tencent's official SDK."""

    def __init__(self, region: str, config: Config, poll_seconds: float | None = None):
        from tencentcloud.clb.v20180317 import clb_client

        secret = resolve_credentials(config, region)
        self.client = clb_client.ClbClient(secret.sdk(), region, client_profile("clb", config))
        self.poll_seconds = TASK_POLL_SECONDS if poll_seconds is None else poll_seconds

    def call(self, action: str, params: dict) -> dict:
        return call_api("clb", action, lambda: self.client.call_json(action, params)["Response"])

    def tagged(self, filters: list[dict]) -> list[dict]:
        rows: list[dict] = []
        while True:
            page = self.call(
                "DescribeLoadBalancers", {"Filters": filters, "Offset": len(rows), "Limit": clb_api.DESCRIBE_LIMIT}
            )
            rows += page.get("LoadBalancerSet") or []
            if not page.get("LoadBalancerSet") or len(rows) >= page.get("TotalCount", 0):
                return rows

    def of_cluster(self, cluster: str) -> list[dict]:
        """Every CLB carrying the cluster's tag: those the controller made, and adopted ones (which must carry it)."""
        return [
            r
            for r in self.tagged([{"Name": f"tag:{model.TAG_CLUSTER}", "Values": [cluster]}])
            if model.owned_by(r, {model.TAG_CLUSTER: cluster})
        ]

    def controller_made(self, cluster: str) -> list[str]:
        return sorted(
            r["LoadBalancerId"]
            for r in self.of_cluster(cluster)
            if any(t.get("TagKey") == model.TAG_NAME for t in r.get("Tags") or [])
        )

    def write(self, action: str, lb_id: str, params: dict) -> None:
        """An asynchronous CLB write, retried while the CLB is busy with the controller's last task, then awaited."""
        for _ in range(TASK_POLLS):
            try:
                task = self.call(action, params)["RequestId"]
                break
            except ApiRefusal as exc:  # a CLB still in operation is waited for; anything else fails the delete
                if exc.code != clb_api.RESOURCE_IN_OPERATING:
                    raise
                time.sleep(self.poll_seconds)
        else:
            raise CleanupError(f"{lb_id} stayed in operation")
        for _ in range(TASK_POLLS):
            status = self.call("DescribeTaskStatus", {"TaskId": task})["Status"]
            if status == clb_api.TASK_SUCCEEDED:
                return
            if status == clb_api.TASK_FAILED:
                raise CleanupError(f"{action} {lb_id}: task {task} failed")
            time.sleep(self.poll_seconds)
        raise CleanupError(f"{action} {lb_id}: task {task} did not end")

    def delete(self, lb_id: str) -> None:
        self.write("DeleteLoadBalancer", lb_id, {"LoadBalancerIds": [lb_id]})

    def set_groups(self, lb_id: str, groups: list[str]) -> None:
        self.write("SetLoadBalancerSecurityGroups", lb_id, {"LoadBalancerId": lb_id, "SecurityGroups": groups})


class Vpc:
    """The security-group calls of the cleanup, on Tencent's official SDK."""

    def __init__(self, region: str, config: Config):
        from tencentcloud.vpc.v20170312 import vpc_client

        secret = resolve_credentials(config, region)
        self.client = vpc_client.VpcClient(secret.sdk(), region, client_profile("vpc", config))

    def call(self, action: str, params: dict) -> dict:
        return call_api("vpc", action, lambda: self.client.call_json(action, params)["Response"])

    def controller_made(self, cluster: str) -> list[str]:
        """The groups tagged with the cluster and a Service (the tags the controller creates them with)."""
        filters = [
            {"Name": f"tag:{model.TAG_CLUSTER}", "Values": [cluster]},
            {"Name": "tag-key", "Values": [model.TAG_NAME]},
        ]
        rows: list[dict] = []
        while True:
            page = self.call(
                "DescribeSecurityGroups",
                {"Filters": filters, "Offset": str(len(rows)), "Limit": str(vpc_api.DESCRIBE_LIMIT)},
            )
            rows += page.get("SecurityGroupSet") or []
            if not page.get("SecurityGroupSet") or len(rows) >= page.get("TotalCount", 0):
                break
        tags = [{t.get("Key"): t.get("Value") for t in r.get("TagSet") or []} for r in rows]
        return sorted(
            r["SecurityGroupId"]
            for r, t in zip(rows, tags)
            if t.get(model.TAG_CLUSTER) == cluster and model.TAG_NAME in t
        )

    def delete(self, group_id: str) -> None:
        self.call("DeleteSecurityGroup", {"SecurityGroupId": group_id})


def delete_controller_clbs(cluster: str, region: str, config: Config, poll_seconds: float | None = None) -> list[str]:
    clb = Clb(region, config, poll_seconds)
    gone = clb.controller_made(cluster)
    for lb_id in gone:
        clb.delete(lb_id)
    return gone


def delete_controller_groups(cluster: str, region: str, config: Config, poll_seconds: float | None = None) -> list[str]:
    """After the CLBs: the controller's security groups, each unbound first from a CLB that keeps it bound."""
    vpc = Vpc(region, config)
    gone = vpc.controller_made(cluster)
    if gone:
        clb = Clb(region, config, poll_seconds)
        for lb in clb.of_cluster(cluster):
            bound = list(lb.get("SecureGroups") or [])
            if any(g in gone for g in bound):
                clb.set_groups(lb["LoadBalancerId"], [g for g in bound if g not in gone])
    for group in gone:
        vpc.delete(group)
    return gone


class _Provider(pulumi.dynamic.ResourceProvider):
    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        self._config = req.config

    def _settings(self) -> Config:
        config = getattr(self, "_config", None)
        return lambda k: config.get(k) if config is not None else None

    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=f"{props['cluster']}-lb-cleanup", outs=props)

    def diff(self, _id: str, olds: dict, news: dict) -> pulumi.dynamic.DiffResult:
        changed = [k for k in ("cluster", "region") if olds.get(k) != news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=changed, stables=[])

    def delete(self, _id: str, props: dict) -> None:
        delete_controller_clbs(props["cluster"], props["region"], self._settings())
        delete_controller_groups(props["cluster"], props["region"], self._settings())


class LoadBalancerCleanup(pulumi.dynamic.Resource):
    """Deletes, when it is deleted, the CLBs and security groups the load-balancer controller made for `cluster`."""

    def __init__(self, name: str, *, cluster: str, region: str, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {"cluster": cluster, "region": region}
        super().__init__(_Provider(), name, props, opts)
