from __future__ import annotations

from collections.abc import Sequence

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning.plan import RoutePlan

from .lifecycle import with_lifecycle

TYPE = "kubecvm:index:PodRoutes"


class PodRoutes(pulumi.ComponentResource):
    """The GlobalRouter underlay: one VPC route per node sending its pod block to its private IP."""

    def __init__(
        self, name: str, plan: Sequence[RoutePlan], *, route_table_id: pulumi.Input[str],
        instances: dict[str, pulumi.Resource], opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        self.entries = {
            r.node: tc.route.TableEntry(
                r.name, route_table_id=route_table_id, destination_cidr_block=r.destination,
                next_type="NORMAL_CVM", next_hub=r.next_hop, description=f"pods of {r.node}",
                # Tencent accepts a NORMAL_CVM next hop only once the instance holds that address.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[instances[r.node]]),
            )
            for r in plan
        }
        self.register_outputs({"routes": len(self.entries)})
