"""ManagedPrometheus: where the Prometheus agents write (planning/monitoring.py prometheus_plan): a new TMP instance
in the cluster's VPC, an existing one's write address (the provider's tmp_instances data source), or the user's URL.

Thin. The token is a Pulumi secret from the stack's secret config (TOKEN_KEY): the provider's
tencentcloud_monitor_tmp_instance outputs the instance's address but no credential (remote_write, ipv4_address,
api_root_path, proxy_address: tencentcloud/services/tmp/resource_tc_monitor_tmp_instance.go), so the token is taken
as a setting, never read into the plan in clear.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan
from kubecvm.planning import addons as plan_addons
from kubecvm.planning.addons import ingress_nginx
from kubecvm.planning.monitoring import PrometheusPlan
from kubecvm.stacks.config import ConfigError

TYPE = "kubecvm:index:ManagedPrometheus"
# The stack's secret setting holding the remote store's token: `pulumi config set --secret kubecvm:prometheusToken`.
TOKEN_KEY = "prometheusToken"


class ManagedPrometheus(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        plan: ClusterPlan,
        pp: PrometheusPlan,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: dict[str, pulumi.Input[str]],
        token: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(TYPE, name, None, opts)
        self.instance: tc.monitor.TmpInstance | None = None
        if pp.url is not None:
            url: pulumi.Input[str] = pp.url
        elif pp.instance_id is not None:
            found = tc.monitor.get_tmp_instances_output(
                instance_ids=[pp.instance_id], opts=pulumi.InvokeOptions(parent=self)
            )
            url = found.instance_sets.apply(lambda sets: _only(sets, pp.instance_id))
        else:
            self.instance = tc.monitor.TmpInstance(
                pp.instance_resource,
                instance_name=pp.instance_resource,
                vpc_id=vpc_id,
                subnet_id=subnet_ids[pp.zone],
                zone=pp.zone,
                data_retention_time=pp.retention_days,
                tags=plan.tagged("monitoring"),
                opts=pulumi.ResourceOptions(parent=self, protect=plan.protect),
            )
            url = self.instance.remote_write
        self.url = pulumi.Output.from_input(url)
        self.token = pulumi.Output.secret(token)
        self.register_outputs({"remoteWrite": self.url})

    def objects(self, plan: ClusterPlan, pp: PrometheusPlan) -> list[dict]:
        """The agents', node-exporter's and kube-state-metrics' objects, for ClusterAddons to register."""
        return agent_objects(plan, pp, self.url, self.token)


def agent_objects(
    plan: ClusterPlan, pp: PrometheusPlan, url: pulumi.Input[str], token: pulumi.Input[str]
) -> list[dict]:
    """The agents', node-exporter's and kube-state-metrics' objects writing to `url` with `token`, their
    configurations rendered once the write address is known."""
    url = pulumi.Output.from_input(url)
    p = plan_addons.PrometheusObjects(
        cluster=plan.name,
        image=pp.images["prometheus"],
        url=url,
        token=token,
        auth=pp.auth,
        username=pp.username,
        ingress_namespace=ingress_nginx.NAMESPACE if plan.ingress else None,
    )
    return plan_addons.monitoring_objects(
        p,
        pp.images["node-exporter"],
        pp.images["kube-state-metrics"],
        url.apply(lambda u: plan_addons.agent_config(p, u)),
        url.apply(lambda u: plan_addons.control_plane_config(p, u)),
    )


def stack_token() -> pulumi.Output[str]:
    """The token from the stack's secret config, refused by name when it is missing."""
    token = pulumi.Config("kubecvm").get_secret(TOKEN_KEY)
    if token is None:
        raise ConfigError(
            f"kubecvm:{TOKEN_KEY}: required with monitoring.prometheus.mode: the token the agents write "
            f"with (pulumi config set --secret kubecvm:{TOKEN_KEY} <token>; docs/monitoring.md)"
        )
    return token


def _only(sets, instance_id: str) -> str:
    if len(sets) != 1:
        raise ValueError(
            f"monitoring.prometheus.instanceId: {instance_id} is not a TMP instance of this account "
            f"and region (the tmp_instances data source found {len(sets)})"
        )
    return sets[0].remote_write
