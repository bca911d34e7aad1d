"""kubecvm: self-managed Kubernetes clusters on Tencent Cloud CVMs, as reusable Pulumi components.

    from kubecvm import Cluster, ClusterArgs, NodePoolArgs
    Cluster("blue", ClusterArgs(preset="staging", zones=[...], node_pools=[NodePoolArgs(...)]))
    Cluster("green", preset="staging", zones=[...])  # the same arguments as keywords

The repository's top-level folders install under this one namespace: kubecvm.planning (pure), kubecvm.components,
kubecvm.stacks (presets, config loading), kubecvm.policies and kubecvm.offline (the offline plan and diff);
kubecvm.testing has the simulated cloud for unit tests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Where each public name lives. Imported on first use (PEP 562), so `kubecvm diff` and the pure planning modules do
# not load the Pulumi SDK and every provider class that the components need (about 60 MiB and seconds of imports).
_EXPORTS = {
    "Cluster": "kubecvm.components",
    **{
        name: "kubecvm.components.args"
        for name in (
            "AddonsArgs",
            "AddressLayoutArgs",
            "AlarmsArgs",
            "ApiEndpointArgs",
            "BackupsArgs",
            "ClusterArgs",
            "ControlPlaneArgs",
            "DiskArgs",
            "IngressArgs",
            "IngressPortsArgs",
            "KubernetesArgs",
            "MonitoringArgs",
            "NodePoolArgs",
            "PodNetworkArgs",
            "PrepaidArgs",
            "PrometheusArgs",
            "PrometheusDigestsArgs",
            "QuotasArgs",
            "SpotArgs",
            "SystemDiskArgs",
            "TaintArgs",
        )
    },
    "ClusterArgsError": "kubecvm.components.cluster_args",
    "ClusterInputs": "kubecvm.components.cluster_args",
    "build_plan": "kubecvm.planning",
}

__all__ = [
    "AddonsArgs",
    "AddressLayoutArgs",
    "AlarmsArgs",
    "ApiEndpointArgs",
    "BackupsArgs",
    "Cluster",
    "ClusterArgs",
    "ClusterArgsError",
    "ClusterInputs",
    "ControlPlaneArgs",
    "DiskArgs",
    "IngressArgs",
    "IngressPortsArgs",
    "KubernetesArgs",
    "MonitoringArgs",
    "NodePoolArgs",
    "PodNetworkArgs",
    "PrepaidArgs",
    "PrometheusArgs",
    "PrometheusDigestsArgs",
    "QuotasArgs",
    "SpotArgs",
    "SystemDiskArgs",
    "TaintArgs",
    "build_plan",
]
assert sorted(__all__) == sorted(_EXPORTS)

if TYPE_CHECKING:
    from kubecvm.components import Cluster
    from kubecvm.components.args import (
        AddonsArgs,
        AddressLayoutArgs,
        AlarmsArgs,
        ApiEndpointArgs,
        BackupsArgs,
        ClusterArgs,
        ControlPlaneArgs,
        DiskArgs,
        IngressArgs,
        IngressPortsArgs,
        KubernetesArgs,
        MonitoringArgs,
        NodePoolArgs,
        PodNetworkArgs,
        PrepaidArgs,
        PrometheusArgs,
        PrometheusDigestsArgs,
        QuotasArgs,
        SpotArgs,
        SystemDiskArgs,
        TaintArgs,
    )
    from kubecvm.components.cluster_args import ClusterArgsError, ClusterInputs
    from kubecvm.planning import build_plan


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kubecvm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
