"""Cloud Monitor alarm policies for a cluster's nodes and CLBs (spec `monitoring.alarms`), and where the Prometheus
agents write (spec `monitoring.prometheus`, PrometheusPlan at the end). Pure (no pulumi).

Each policy is one tencentcloud_monitor_alarm_policy (planning/tencent/monitor.py has the facts and sources), bound
by the cluster's tag (`policy_tags`: kubecvm/cluster=<name>), which every CVM and CLB of the cluster carries
(planning/plan_model.py role_tags). Cloud Monitor binds every instance of the policy's type that carries the tag, also
those created later, so adding or removing nodes changes neither the policies nor any binding resource: the plan of
a scaled pool differs only in its machines.

The nodes' policy alarms when any of CPU, memory or disk use crosses its threshold for `continuePeriods` periods in
a row (IsUnionRule 0: any rule); for each CLB exposure present (the API CLB, and the ingress CLB when enabled) one
policy alarms when backends fail health checks and another when connections are dropped (the two metrics are of
different Cloud Monitor alarm types, and a policy has one). Every CVM runs the Cloud Monitor agent
(components/machine.py states `disable_monitor_service=False`), without which memory and disk use are not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import images, names
from .addons import scrape
from .plan import TAG_CLUSTER, ClusterPlan
from .tencent import monitor


@dataclass(frozen=True)
class AlarmRule:
    metric: str
    operator: str  # one of monitor.OPERATORS
    value: int
    what: str  # for people: the plan summary and docs

    def inputs(self, period: int, continue_periods: int, notice_frequency: int) -> dict[str, object]:
        """One element of the provider's `conditions.rules` (its snake_case keys, as the SDK takes them)."""
        return {
            "metric_name": self.metric,
            "period": period,
            "operator": self.operator,
            "value": str(self.value),
            "continue_period": continue_periods,
            "notice_frequency": notice_frequency,
            "is_power_notice": 0,
        }


@dataclass(frozen=True)
class AlarmPolicyPlan:
    resource: str  # Pulumi name, also the policy's PolicyName
    namespace: str
    watches: str  # "nodes" | "CLBs (internal)" | "CLBs (public)"
    rules: tuple[AlarmRule, ...]
    remark: str

    def __post_init__(self) -> None:
        # Refused here as CreateAlarmPolicy would refuse it, before anything is registered.
        for refusal in (monitor.policy_name_refusal(self.resource), monitor.remark_refusal(self.remark)):
            if refusal is not None:
                raise ValueError(refusal.message)


# The CLB policies' one rule each (monitor.CLB_WATCHES: the two metrics live in different alarm types).
_CLB_RULES = {
    "health": lambda a: AlarmRule(
        monitor.CLB_UNHEALTHY, "gt", a.unhealthy_backends, f"unhealthy backends > {a.unhealthy_backends}"
    ),
    "drops": lambda a: AlarmRule(
        monitor.CLB_DROPPED, "gt", a.dropped_connections, f"dropped connections > {a.dropped_connections}"
    ),
}


@dataclass(frozen=True)
class MonitoringPlan:
    component: str
    policies: tuple[AlarmPolicyPlan, ...]
    notice_ids: tuple[str, ...]
    tag: tuple[str, str]  # (key, value) every policy is bound by
    period: int
    continue_periods: int
    notice_frequency: int

    def conditions(self, policy: AlarmPolicyPlan) -> dict[str, object]:
        """The provider's `conditions` block: IsUnionRule 0, so any one rule alarms."""
        return {
            "is_union_rule": 0,
            "rules": [r.inputs(self.period, self.continue_periods, self.notice_frequency) for r in policy.rules],
        }

    def summary(self) -> dict[str, object]:
        """What is watched, for the plan's summary."""
        return {
            "alarms": [
                {"policy": p.resource, "watches": p.watches, "rules": [r.what for r in p.rules]} for p in self.policies
            ],
            "boundByTag": f"{self.tag[0]}={self.tag[1]}",
            "noticeIds": list(self.notice_ids),
        }


def monitoring_plan(plan: ClusterPlan) -> MonitoringPlan | None:
    """The cluster's alarm policies, or None when `monitoring.alarms.enabled` is off."""
    m = plan.spec.monitoring
    a = m.alarms
    if not a.enabled:
        return None
    c = plan.name
    nodes = AlarmPolicyPlan(
        names.alarm_policy(c, "nodes"),
        monitor.NODE_NAMESPACE,
        "nodes",
        (
            AlarmRule(monitor.NODE_CPU, "ge", a.cpu_percent, f"CPU >= {a.cpu_percent}%"),
            AlarmRule(monitor.NODE_MEMORY, "ge", a.memory_percent, f"memory >= {a.memory_percent}%"),
            AlarmRule(monitor.NODE_DISK, "ge", a.disk_percent, f"disk >= {a.disk_percent}%"),
        ),
        remark=f"kubecvm-{c}-nodes",
    )
    exposures = sorted({plan.api.exposure, *([plan.ingress.exposure] if plan.ingress else [])})
    clbs = tuple(
        AlarmPolicyPlan(
            names.alarm_policy(c, f"clb-{exposure}-{watch}"),
            monitor.CLB_NAMESPACE[(exposure, watch)],
            f"CLBs ({exposure})",
            (_CLB_RULES[watch](a),),
            remark=f"kubecvm-{c}-clb-{exposure}-{watch}",
        )
        for exposure in exposures
        for watch in monitor.CLB_WATCHES
    )
    return MonitoringPlan(
        component=names.monitoring_component(c),
        policies=(nodes, *clbs),
        notice_ids=tuple(m.notice_ids),
        tag=(TAG_CLUSTER, c),
        period=a.period,
        continue_periods=a.continue_periods,
        notice_frequency=a.notice_frequency,
    )


@dataclass(frozen=True)
class PrometheusPlan:
    """Where the agents write and what they run (spec monitoring.prometheus; planning/addons/prometheus.py)."""

    component: str
    mode: str  # tmp | remoteWrite
    instance_resource: str  # the TMP instance's Pulumi name and InstanceName (mode tmp without instanceId)
    zone: str  # the subnet a new TMP instance gets (the first master's, as the API CLB's)
    retention_days: int
    instance_id: str | None  # an existing TMP instance
    url: str | None  # mode remoteWrite
    auth: str
    username: str | None
    images: dict[str, str]  # prometheus, node-exporter, kube-state-metrics -> reference
    ingress: bool = False  # ingress-nginx runs (the ingress CLB): the cluster agent scrapes it too

    @property
    def new_instance(self) -> bool:
        return self.mode == "tmp" and self.instance_id is None

    def summary(self) -> dict[str, object]:
        where = (
            self.url
            if self.mode == "remoteWrite"
            else f"TMP instance {self.instance_id}"
            if self.instance_id
            else f"new TMP instance {self.instance_resource} ({self.zone}, {self.retention_days} days)"
        )
        jobs = [
            *scrape.cluster_jobs(namespace="", ingress_namespace="x" if self.ingress else None),
            *scrape.control_plane_jobs(),
        ]
        return {"mode": self.mode, "writesTo": where, "scrapes": [j["job_name"] for j in jobs]}


def prometheus_plan(plan: ClusterPlan) -> PrometheusPlan | None:
    """The agents' plan, or None when monitoring.prometheus.mode is unset."""
    p = plan.spec.monitoring.prometheus
    if p.mode is None:
        return None
    c = plan.name
    digests = {"prometheus": p.digests.prometheus, "node-exporter": p.digests.node_exporter}
    return PrometheusPlan(
        component=names.prometheus_component(c),
        mode=p.mode.value,
        instance_resource=names.tmp_instance(c),
        zone=plan.masters[0].zone,
        retention_days=p.retention_days,
        instance_id=p.instance_id,
        url=p.url,
        auth=p.auth.value,
        username=p.username,
        images={
            **{n: images.docker_reference(n, d) for n, d in digests.items()},
            "kube-state-metrics": images.kube_state_metrics_reference(p.image_repository),
        },
        ingress=plan.ingress is not None,
    )
