from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan
from kubecvm.planning.plan import NodePoolPlan

from .lifecycle import with_lifecycle
from .machine import MachineDeps, cvm

TYPE = "kubecvm:index:NodePool"


class NodePool(pulumi.ComponentResource):
    """One pool's workers, per zone, each at its planned address.

    Its children are its CVMs and nothing else: the cluster route table waits for the pool as a whole, which the SDK
    expands into its children (pod_routes.waits_for); a child of another kind would join that wait."""

    def __init__(
        self,
        name: str,
        plan: NodePoolPlan,
        *,
        cluster: ClusterPlan,
        deps: MachineDeps,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        self.nodes: dict[str, tc.instance.Instance] = {n.name: cvm(n, cluster, deps, self) for n in plan.nodes}
        self.register_outputs({"nodeIds": {n: i.id for n, i in self.nodes.items()}})
