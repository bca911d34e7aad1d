# Two clusters in one program, as a user writes it (tests/api/test_cluster_args.py runs this file).
import pulumi
from kubecvm.testing import SimulatedCloud

pulumi.runtime.set_mocks(SimulatedCloud(), preview=False)
from kubecvm import Cluster, ClusterArgs, NodePoolArgs  # noqa: E402 (after the mocks, as the docs say)

pools = [NodePoolArgs(name="general", instance_type="S5.2XLARGE16", count_per_zone=1)]
for name in ("blue", "green"):
    Cluster(
        name,
        ClusterArgs(
            preset="staging",
            region="ap-guangzhou",
            vpc_cidr="10.1.0.0/16" if name == "blue" else "10.2.0.0/16",
            zones=["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
            node_pools=pools,
        ),
    )
