from __future__ import annotations

from collections.abc import Sequence

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning.plan import ClusterRouteTablePlan, RoutePlan

from .global_router import ClusterRouteTable
from .lifecycle import with_lifecycle
from .node_pool import NodePool

TYPE = "kubecvm:index:PodRoutes"


class PodRoutes(pulumi.ComponentResource):
    """The pod network's routes, one per node sending its pod block to its private IP: VPC route-table entries
    (podNetwork vpcRoutes), or one TKE cluster route table holding them all (globalRouter, `cluster_table`).

    `pools`: node pools whose instances are all in `instances`; the cluster table waits for each as a whole
    (see `waits_for`)."""

    def __init__(
        self,
        name: str,
        plan: Sequence[RoutePlan],
        *,
        route_table_id: pulumi.Input[str],
        instances: dict[str, pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
        cluster_table: ClusterRouteTablePlan | None = None,
        vpc_id: pulumi.Input[str] | None = None,
        region: str | None = None,
        pools: Sequence[NodePool] = (),
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        self.entries: dict[str, tc.route.TableEntry] = {}
        self.cluster_table: ClusterRouteTable | None = None
        if cluster_table is not None:
            self.cluster_table = ClusterRouteTable(
                cluster_table.name,
                table_name=cluster_table.name,
                cidr=cluster_table.cidr,
                vpc_id=vpc_id,
                region=region,
                routes={r.node: (r.destination, r.next_hop) for r in cluster_table.routes},
                ignore_vpc_route_conflict=cluster_table.ignore_vpc_route_conflict,
                # A route's gateway must be a node's address: the table waits for the instances holding them. Its
                # RouteTableName is fixed, so a replacement deletes the old table first (its provider's diff says so too).
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=waits_for(instances, pools), delete_before_replace=True
                ),
            )
        else:
            self.entries = {
                r.node: tc.route.TableEntry(
                    r.name,
                    route_table_id=route_table_id,
                    destination_cidr_block=r.destination,
                    next_type="NORMAL_CVM",
                    next_hub=r.next_hop,
                    description=f"pods of {r.node}",
                    # Tencent accepts a NORMAL_CVM next hop only once the instance holds that address.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[instances[r.node]]),
                )
                for r in plan
            }
        self.register_outputs({"routes": len(plan)})


def waits_for(instances: dict[str, pulumi.Resource], pools: Sequence[NodePool]) -> list[pulumi.Resource]:
    """What the cluster route table's depends_on lists so that it waits for every one of `instances`: each pool
    holding only instances among them as one item, the rest (masters) one by one.

    The SDK expands a local component in depends_on into its children (pulumi.runtime.rpc._add_dependency), and a
    NodePool's children are its CVMs and nothing else, so the engine receives the same list of instance URNs and
    waits exactly as before. What changes is the SDK's own work: it resolves a depends_on list one item at a time,
    uniting a growing set per item, which at 5000 instances cost 1.75 s on one resource (bench/RESULTS.md)."""
    held: set[str] = set()
    waits: list[pulumi.Resource] = []
    for pool in pools:
        if pool.nodes and all(instances.get(n) is i for n, i in pool.nodes.items()):
            waits.append(pool)
            held.update(pool.nodes)
    return [*waits, *(i for n, i in instances.items() if n not in held)]
