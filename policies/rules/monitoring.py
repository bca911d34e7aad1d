"""Monitoring rules: every CVM runs the Cloud Monitor agent, and the cluster's nodes and CLBs have alarm policies
bound to them (planning/monitoring.py)."""

from __future__ import annotations

from collections.abc import Iterator

from kubecvm.planning.plan import TAG_CLUSTER
from kubecvm.planning.tencent import monitor

from ..registry import ALARM_POLICY, CLB, CVM, Context, Finding, rule


@rule(
    "kubecvm-monitoring-agent",
    severity="high",
    scope=(CVM,),
    per_resource=True,
    description="Every CVM runs the Cloud Monitor agent (disableMonitorService is not true): without it Cloud "
    "Monitor sees neither memory nor disk use, and no alarm on them can fire.",
    remediation="Leave disable_monitor_service unset or false on the instance (kubecvm sets it false); turning it "
    "back on may reinstall the instance's OS, so replace the machine instead.",
)
def agent(ctx: Context) -> Iterator[Finding]:
    for c in ctx.cvms():
        if c.props.get("disableMonitorService") is True:
            yield c.urn, f"{c.name} has the Cloud Monitor agent turned off (disableMonitorService: true)"


def _bound(policy, cluster: str) -> bool:
    return any(t.get("key") == TAG_CLUSTER and t.get("value") == cluster for t in policy.props.get("policyTags") or [])


def _metrics(policy) -> set[str]:
    return {r.get("metricName") for r in (policy.props.get("conditions") or {}).get("rules") or []}


@rule(
    "kubecvm-monitoring-alarms",
    severity="medium",
    defaults={
        "nodeMetrics": [monitor.NODE_CPU, monitor.NODE_MEMORY, monitor.NODE_DISK],
        "clbMetrics": [monitor.CLB_UNHEALTHY, monitor.CLB_DROPPED],
    },
    description="The cluster's nodes and CLBs are watched: an enabled Cloud Monitor alarm policy bound by the "
    "kubecvm/cluster tag covers node CPU, memory and disk use (cvm_device), and for each CLB exposure "
    "policies of its alarm types cover unhealthy backends and dropped connections.",
    remediation="Set monitoring.alarms.enabled: true (the staging and prod presets do), and keep the policies' "
    "rules; add monitoring.noticeIds so someone is told.",
)
def alarms(ctx: Context) -> Iterator[Finding]:
    policies = [p for p in ctx.of_type(ALARM_POLICY) if p.props.get("enable", 1) == 1]
    for cluster in sorted({str(c.tags.get(TAG_CLUSTER)) for c in ctx.cvms() if c.tags.get(TAG_CLUSTER)}):
        mine = [p for p in policies if _bound(p, cluster)]
        watched = {m for p in mine if p.props.get("namespace") == monitor.NODE_NAMESPACE for m in _metrics(p)}
        if missing := [m for m in ctx.params["nodeMetrics"] if m not in watched]:
            yield (
                None,
                f"cluster {cluster}: no alarm policy bound by {TAG_CLUSTER}={cluster} watches node {', '.join(missing)}",
            )
        clbs = [lb for lb in ctx.of_type(CLB) if lb.tags.get(TAG_CLUSTER) == cluster]
        for exposure in sorted({"internal" if lb.props.get("networkType") == "INTERNAL" else "public" for lb in clbs}):
            for watch, metric in monitor.CLB_WATCHES.items():
                if metric not in ctx.params["clbMetrics"]:
                    continue
                namespace = monitor.CLB_NAMESPACE[(exposure, watch)]
                if not any(metric in _metrics(p) for p in mine if p.props.get("namespace") == namespace):
                    yield (
                        None,
                        (
                            f"cluster {cluster}: no alarm policy ({namespace}) bound by {TAG_CLUSTER}={cluster} "
                            f"watches its {exposure} CLBs' {metric}"
                        ),
                    )
