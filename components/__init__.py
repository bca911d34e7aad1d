"""Thin Pulumi components: each copies values out of a planning.ClusterPlan into Tencent Cloud resources."""

from .cluster import Cluster
from .control_plane import ControlPlane
from .machine import MachineDeps
from .network import Network
from .node_pool import NodePool
from .pod_routes import PodRoutes
from .security import SecurityGroups

__all__ = ["Cluster", "ControlPlane", "MachineDeps", "Network", "NodePool", "PodRoutes", "SecurityGroups"]
