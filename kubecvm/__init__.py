"""kubecvm: self-managed Kubernetes clusters on Tencent Cloud CVMs, as reusable Pulumi components.

    from kubecvm import Cluster, ClusterArgs, NodePoolArgs
    Cluster("blue", ClusterArgs(preset="staging", zones=[...], node_pools=[NodePoolArgs(...)]))
    Cluster("green", preset="staging", zones=[...])  # the same arguments as keywords

The repository's top-level folders install under this one namespace: kubecvm.planning (pure), kubecvm.components,
kubecvm.stacks (presets, config loading), kubecvm.policies and kubecvm.offline (the offline plan and diff);
kubecvm.testing has the simulated cloud for unit tests.
"""

from kubecvm.components import Cluster
from kubecvm.components.args import (
    AddonsArgs, AddressLayoutArgs, AlarmsArgs, ApiEndpointArgs, BackupsArgs, ClusterArgs, ControlPlaneArgs, DiskArgs,
    IngressArgs, IngressPortsArgs, KubernetesArgs, MonitoringArgs, NodePoolArgs, PodNetworkArgs, PrepaidArgs,
    PrometheusArgs, PrometheusDigestsArgs, QuotasArgs, SpotArgs, SystemDiskArgs, TaintArgs,
)
from kubecvm.components.cluster import ClusterArgsError, ClusterInputs
from kubecvm.planning import build_plan

__all__ = [
    "AddonsArgs", "AddressLayoutArgs", "AlarmsArgs", "ApiEndpointArgs", "BackupsArgs", "Cluster", "ClusterArgs", "ClusterArgsError",
    "ClusterInputs", "ControlPlaneArgs", "DiskArgs", "IngressArgs", "IngressPortsArgs", "KubernetesArgs",
    "MonitoringArgs", "NodePoolArgs", "PodNetworkArgs", "PrepaidArgs", "PrometheusArgs", "PrometheusDigestsArgs", "QuotasArgs", "SpotArgs", "SystemDiskArgs", "TaintArgs",
    "build_plan",
]
