"""Rehearsal program: a stack's GlobalRouter pod network on its own, the part of a cluster the real engine can run here.

It plans the stack as kubecvm's own program does (kubecvm:preset, kubecvm:cluster, tencentcloud:region) and
registers the pod-routes component with its cluster route table: kubecvm's dynamic provider calling the TKE API
through Tencent's official SDK. The rest of the cluster needs the Tencent provider plugin, which cannot be built here
(kubecvm.offline.rehearsal.engine.WANTED says why). Both runs read this one file: `kubecvm plan --program` under the
SDK's mocks (the prediction) and the Automation API under the real CLI (the rehearsal).
"""

import pulumi

from kubecvm.components.pod_routes import PodRoutes
from kubecvm.offline.rehearsal.programs import stack_plan

# The cluster route table names its VPC; with no VPC resource in this program, a fixed id stands in for it (the
# emulator's TKE, like the simulated cloud, does not resolve VPC ids).
VPC_ID = "vpc-rehearsal"


def main() -> None:
    plan = stack_plan()
    if plan.cluster_route_table is None:
        raise pulumi.RunError("kubecvm:cluster.podNetwork.mode: the GlobalRouter rehearsal needs globalRouter")
    routes = PodRoutes(
        plan.components["routes"],
        plan.routes,
        route_table_id="",
        instances={},
        cluster_table=plan.cluster_route_table,
        vpc_id=VPC_ID,
        region=plan.region,
    )
    pulumi.export("clusterRouteTable", routes.cluster_table.id)


if __name__ == "__main__":  # run as a program (runpy), never on import
    main()
