"""Another team's program: kubecvm's network and one worker pool, with no control plane of its own.

It shows the components compose outside this project: it imports kubecvm as an installed package.
"""

import pulumi

from kubecvm.components import MachineDeps, Network, NodePool, PodRoutes, SecurityGroups
from kubecvm.planning import build_plan
from kubecvm.stacks.config import spec_from_config

spec = spec_from_config(
    preset="staging",
    overrides={
        "name": "batch",
        "zones": ["ap-shanghai-2", "ap-shanghai-4"],
        "vpcCidr": "10.30.0.0/16",
        "imageId": "img-abcdefgh",
        "nodePools": [{"name": "batch", "instanceType": "S5.4XLARGE64", "countPerZone": 2}],
    },
    region="ap-shanghai",
    stack=pulumi.get_stack(),
)
plan = build_plan(spec)
network = Network("batch-net", plan)
security = SecurityGroups("batch-sg", plan)
pool = plan.pools[0]
workers = NodePool(
    "batch-workers",
    pool,
    cluster=plan,
    deps=MachineDeps(
        vpc_id=network.vpc.id,
        subnet_ids={z: s.id for z, s in network.subnets.items()},
        security_group_id=security.groups["worker"].id,
        image_id=spec.image_id,
    ),
)
PodRoutes(
    "batch-routes",
    [r for r in plan.routes if r.node in workers.nodes],
    route_table_id=network.route_table.id,
    instances=workers.nodes,
)
pulumi.export("workers", {n.name: n.private_ip for n in pool.nodes})
