"""kubecvm: self-managed Kubernetes clusters on Tencent Cloud CVMs, as reusable Pulumi components.

The repository's top-level folders install under this one namespace: kubecvm.planning (pure), kubecvm.components,
kubecvm.stacks (presets, config loading), kubecvm.policies and kubecvm.offline (the offline plan and diff).
"""

from kubecvm.components import Cluster
from kubecvm.planning import build_plan

__all__ = ["Cluster", "build_plan"]
