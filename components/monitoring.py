"""CloudMonitoring: the Cloud Monitor alarm policies of a cluster, bound by its tag.

Thin: the policies, their rules and the tag come from planning/monitoring.py (sources in planning/tencent/monitor.py).
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning.monitoring import MonitoringPlan
from kubecvm.planning.tencent import monitor

TYPE = "kubecvm:index:CloudMonitoring"


class CloudMonitoring(pulumi.ComponentResource):
    def __init__(self, name: str, mp: MonitoringPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key, value = mp.tag
        self.policies = {
            p.resource: tc.monitor.AlarmPolicy(
                p.resource,
                policy_name=p.resource,
                monitor_type=monitor.MONITOR_TYPE,
                namespace=p.namespace,
                remark=p.remark,
                enable=1,
                project_id=monitor.PROJECT_ID,
                conditions=mp.conditions(p),
                notice_ids=list(mp.notice_ids) or None,
                # One tag: the provider binds only the first (BindingPolicyTag's Tag is tagSet[0]).
                policy_tags=[{"key": key, "value": value}],
                opts=child,
            )
            for p in mp.policies
        }
        self.policy_ids = pulumi.Output.from_input({n: p.id for n, p in self.policies.items()})
        self.register_outputs({"policyIds": self.policy_ids})
