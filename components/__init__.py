"""Thin Pulumi components: each copies values out of a planning.ClusterPlan into Tencent Cloud resources."""

from .addons import ClusterAddons
from .boot import Boot
from .cluster import Cluster
from .control_plane import ControlPlane
from .ingress import IngressLoadBalancer
from .machine import MachineDeps
from .network import Network
from .node_pool import NodePool
from .pki import Pki
from .pod_routes import PodRoutes
from .security import SecurityGroups

__all__ = [
    "Boot",
    "Cluster",
    "ClusterAddons",
    "ControlPlane",
    "IngressLoadBalancer",
    "MachineDeps",
    "Network",
    "NodePool",
    "Pki",
    "PodRoutes",
    "SecurityGroups",
]
