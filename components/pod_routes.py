from __future__ import annotations

from collections.abc import Sequence

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning.plan import ClusterRouteTablePlan, RoutePlan

from .global_router import ClusterRouteTable
from .lifecycle import with_lifecycle

TYPE = "kubecvm:index:PodRoutes"


class PodRoutes(pulumi.ComponentResource):
    """The pod network's routes, one per node sending its pod block to its private IP: VPC route-table entries
    (podNetwork vpcRoutes), or one TKE cluster route table holding them all (globalRouter, `cluster_table`)."""

    def __init__(
        self, name: str, plan: Sequence[RoutePlan], *, route_table_id: pulumi.Input[str],
        instances: dict[str, pulumi.Resource], opts: pulumi.ResourceOptions | None = None,
        cluster_table: ClusterRouteTablePlan | None = None, vpc_id: pulumi.Input[str] | None = None,
        region: str | None = None,
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        self.entries: dict[str, tc.route.TableEntry] = {}
        self.cluster_table: ClusterRouteTable | None = None
        if cluster_table is not None:
            self.cluster_table = ClusterRouteTable(
                cluster_table.name, table_name=cluster_table.name, cidr=cluster_table.cidr, vpc_id=vpc_id,
                region=region, routes={r.node: (r.destination, r.next_hop) for r in cluster_table.routes},
                ignore_vpc_route_conflict=cluster_table.ignore_vpc_route_conflict,
                # A route's gateway must be a node's address: the table waits for the instances holding them. Its
                # RouteTableName is fixed, so a replacement deletes the old table first (its provider's diff says so too).
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(instances.values()), delete_before_replace=True),
            )
        else:
            self.entries = {
                r.node: tc.route.TableEntry(
                    r.name, route_table_id=route_table_id, destination_cidr_block=r.destination,
                    next_type="NORMAL_CVM", next_hub=r.next_hop, description=f"pods of {r.node}",
                    # Tencent accepts a NORMAL_CVM next hop only once the instance holds that address.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[instances[r.node]]),
                )
                for r in plan
            }
        self.register_outputs({"routes": len(plan)})
