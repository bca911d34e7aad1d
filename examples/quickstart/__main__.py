import pulumi
import pulumi_kubernetes as k8s
from kubecvm import Cluster, ClusterArgs, NodePoolArgs

cluster = Cluster(
    "demo",
    ClusterArgs(
        preset="dev",
        region="ap-guangzhou",
        zones=["ap-guangzhou-3"],
        node_pools=[NodePoolArgs(name="general", instance_type="S5.LARGE8", count_per_zone=2)],
    ),
)
labels = {"app": "hello"}
k8s.apps.v1.Deployment(
    "hello",
    spec={
        "replicas": 2,
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}},
    },
    opts=pulumi.ResourceOptions(provider=cluster.provider),
)  # the provider waits until the API server is ready
pulumi.export("kubeconfig", cluster.kubeconfig)
