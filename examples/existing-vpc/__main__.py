"""A staging cluster in a VPC made elsewhere, and an app on it through a Kubernetes provider of your own.

kubecvm creates no VPC, subnet, route table or NAT here: its nodes get planned addresses inside the given subnets,
and one pod route per node goes into the given route table (which those subnets must use). Replace the ids and
CIDRs with your network's; `vpc_cidr` is the VPC's CIDR.
"""

import pulumi
import pulumi_kubernetes as k8s

from kubecvm import Cluster, ClusterArgs, NodePoolArgs

VPC_ID, VPC_CIDR, ROUTE_TABLE_ID = "vpc-0a1b2c3d", "10.8.0.0/16", "rtb-0a1b2c3d"
SUBNETS = {  # zone -> (subnet id, its CIDR): one per cluster zone, all of one size
    "ap-guangzhou-3": ("subnet-0a1b2c3d", "10.8.16.0/20"),
    "ap-guangzhou-4": ("subnet-1a1b2c3d", "10.8.32.0/20"),
    "ap-guangzhou-6": ("subnet-2a1b2c3d", "10.8.48.0/20"),
}

cluster = Cluster(
    "apps",
    ClusterArgs(
        preset="staging",
        region="ap-guangzhou",
        zones=list(SUBNETS),
        vpc_id=VPC_ID,
        vpc_cidr=VPC_CIDR,
        route_table_id=ROUTE_TABLE_ID,
        subnet_ids={zone: ids[0] for zone, ids in SUBNETS.items()},
        subnet_cidrs={zone: ids[1] for zone, ids in SUBNETS.items()},
        node_pools=[NodePoolArgs(name="general", instance_type="S5.2XLARGE16", count_per_zone=1)],
    ),
)

# A provider from the kubeconfig output (as another program would build it from a stack reference). Unlike
# `cluster.provider` it does not wait for the API server: depending on the cluster waits for all of it.
apps = k8s.Provider("apps", kubeconfig=cluster.kubeconfig, opts=pulumi.ResourceOptions(depends_on=[cluster]))
labels = {"app": "shop"}
shop = k8s.apps.v1.Deployment(
    "shop",
    metadata={"namespace": "default"},
    spec={
        "replicas": 3,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80}],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ]
            },
        },
    },
    opts=pulumi.ResourceOptions(provider=apps),
)
k8s.core.v1.Service(
    "shop",
    metadata={"name": "shop", "namespace": "default"},
    spec={
        "selector": labels,
        "ports": [{"port": 80, "targetPort": 80}],
    },
    opts=pulumi.ResourceOptions(provider=apps),
)

pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("apiEndpoint", cluster.api_endpoint)
pulumi.export("shopReadyReplicas", shop.status.ready_replicas)
