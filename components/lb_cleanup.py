"""At `pulumi destroy`, delete the CLBs kubecvm's load-balancer controller made for this cluster's Services.

The controller makes a CLB for each `type: LoadBalancer` Service (planning/addons/lb_controller.py); Pulumi never
saw those CLBs, so without this step they would outlive the cluster (and, being in its subnets, stop the subnets'
deletion). This resource does nothing on create; its delete finds every CLB carrying the cluster's tag and the
controller's Service tags (kubecvm/cluster=<cluster> and a kubecvm/service-name tag: never a CLB someone else made,
nor one adopted through tke-existed-lbid, which the controller never tags) and deletes it, awaiting each task.

Order: the add-ons' objects of the controller depend on this resource, so `pulumi destroy` deletes the controller's
Deployment first (it can no longer make a CLB), then runs this delete, then the cluster's machines and network
(which this resource depends on through the add-ons' dependencies). Turning addons.loadBalancerController off deletes
it as well, and with it the CLBs of the Services the controller served.

Credentials and endpoints: the Tencent provider's (components/tencent_calls.py); TENCENTCLOUD_CLB_ENDPOINT points
it at another endpoint (the emulator in tests).
"""

from __future__ import annotations

import time
from typing import Any

import pulumi
import pulumi.dynamic

from kubecvm.planning.addons.programs.lb_controller import model
from kubecvm.planning.tencent import clb as clb_api

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

    def controller_made(self, cluster: str) -> list[str]:
        filters = [{"Name": f"tag:{model.TAG_CLUSTER}", "Values": [cluster]},
                   {"Name": "tag-key", "Values": [model.TAG_NAME]}]
        ids: list[str] = []
        while True:
            page = self.call("DescribeLoadBalancers", {"Filters": filters, "Offset": len(ids),
                                                       "Limit": clb_api.DESCRIBE_LIMIT})
            rows = page.get("LoadBalancerSet") or []
            ids += [r["LoadBalancerId"] for r in rows
                    if model.owned_by(r, {model.TAG_CLUSTER: cluster}) and any(
                        t.get("TagKey") == model.TAG_NAME for t in r.get("Tags") or [])]
            if not rows or len(ids) >= page.get("TotalCount", 0):
                return sorted(ids)

    def delete(self, lb_id: str) -> None:
        for _ in range(TASK_POLLS):  # a CLB still busy with the controller's last task: wait for it
            try:
                task = self.call("DeleteLoadBalancer", {"LoadBalancerIds": [lb_id]})["RequestId"]
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
                raise CleanupError(f"DeleteLoadBalancer {lb_id}: task {task} failed")
            time.sleep(self.poll_seconds)
        raise CleanupError(f"DeleteLoadBalancer {lb_id}: task {task} did not end")


def delete_controller_clbs(cluster: str, region: str, config: Config, poll_seconds: float | None = None) -> list[str]:
    clb = Clb(region, config, poll_seconds)
    gone = clb.controller_made(cluster)
    for lb_id in gone:
        clb.delete(lb_id)
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


class LoadBalancerCleanup(pulumi.dynamic.Resource):
    """Deletes, when it is deleted, the CLBs the load-balancer controller made for `cluster`."""

    def __init__(self, name: str, *, cluster: str, region: str, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {"cluster": cluster, "region": region}
        super().__init__(_Provider(), name, props, opts)
