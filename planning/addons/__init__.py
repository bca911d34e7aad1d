"""In-cluster add-ons as plain Kubernetes objects (dicts), one module per add-on. Pure: no pulumi import.

`components.addons.ClusterAddons` registers exactly these objects (ingress-nginx through components/ingress.py),
and the tests validate them with kubernetes-validate, so what is reviewed here is what reaches the cluster.

- common: the namespace, metadata and RBAC helpers, image references and object names every add-on uses;
- settings: AddonSettings, from a spec or a plan;
- csr_approver: the kubelet serving-certificate approver (its program in programs/csr_approver.py);
- cbs_csi: the CBS CSI driver, its StorageClass and the CAM credential sidecar (programs/cam_credentials.py);
- metrics_server: metrics-server with verified kubelet and APIService TLS;
- coredns: the patch that spreads kubeadm's CoreDNS over nodes and zones;
- ingress_nginx: the ingress controller behind the ingress CLB;
- prometheus (with scrape), node_exporter, kube_state_metrics: monitoring.prometheus, Prometheus in agent mode.
- lb_controller: `type: LoadBalancer` Services on CLB and the node lifecycle (programs/lb_controller/).
"""

from __future__ import annotations

from typing import Any

from .cbs_csi import (
    CAM_ACTIONS,
    CAM_CREDENTIALS_SCRIPT,
    CBS_CSI_VERSION,
    CSI_DISK_TYPES,
    DEFAULT_CLASS_ANNOTATION,
    METADATA_IP,
    NODE_CAM_ACTIONS,
    csi_objects,
    node_requirements,
)
from .common import IMAGES, K8S_IMAGES, NAMESPACE, ServingTls, api_path, image, images, patch_name, resource_name
from .coredns import COREDNS_SELECTOR, coredns_patch, patches
from .csr_approver import approver_addresses, csr_approver_objects
from .kube_state_metrics import kube_state_metrics_objects
from .lb_controller import lb_controller_objects
from .metrics_server import (
    METRICS_SERVER_DNS_NAMES,
    METRICS_SERVER_MANIFEST,
    METRICS_SERVER_VERSION,
    metrics_server_objects,
)
from .node_exporter import node_exporter_objects
from .prometheus import PrometheusObjects, agent_config, control_plane_config, prometheus_objects
from .settings import (
    MIN_KUBERNETES,
    AddonSettings,
    kubernetes_minor,
    settings_from_plan,
    settings_from_spec,
    volume_disk_type,
)


def objects(s: AddonSettings, *, metrics_tls: ServingTls | None = None) -> list[dict[str, Any]]:
    """Every object the add-ons create, in apply order (RBAC and config before the workloads using them).
    `metrics_tls`: metrics-server's serving certificate (needed when addons.metricsServer is on)."""
    return [
        *csr_approver_objects(s),
        *csi_objects(s),
        *metrics_server_objects(s, metrics_tls),
        *lb_controller_objects(s),
    ]


def monitoring_objects(
    p: PrometheusObjects,
    node_exporter_image: str,
    kube_state_metrics_image: str,
    agent_yaml: Any,
    control_plane_yaml: Any,
) -> list[dict[str, Any]]:
    """monitoring.prometheus: node-exporter, kube-state-metrics and the two Prometheus agents, in apply order."""
    return [
        *node_exporter_objects(node_exporter_image),
        *kube_state_metrics_objects(kube_state_metrics_image),
        *prometheus_objects(p, agent_yaml, control_plane_yaml),
    ]


__all__ = [
    "CAM_ACTIONS",
    "CAM_CREDENTIALS_SCRIPT",
    "CBS_CSI_VERSION",
    "COREDNS_SELECTOR",
    "CSI_DISK_TYPES",
    "DEFAULT_CLASS_ANNOTATION",
    "IMAGES",
    "K8S_IMAGES",
    "METADATA_IP",
    "METRICS_SERVER_DNS_NAMES",
    "METRICS_SERVER_MANIFEST",
    "METRICS_SERVER_VERSION",
    "MIN_KUBERNETES",
    "NAMESPACE",
    "NODE_CAM_ACTIONS",
    "PrometheusObjects",
    "agent_config",
    "control_plane_config",
    "kube_state_metrics_objects",
    "monitoring_objects",
    "node_exporter_objects",
    "prometheus_objects",
    "AddonSettings",
    "ServingTls",
    "api_path",
    "approver_addresses",
    "coredns_patch",
    "csi_objects",
    "csr_approver_objects",
    "image",
    "images",
    "kubernetes_minor",
    "lb_controller_objects",
    "metrics_server_objects",
    "node_requirements",
    "objects",
    "patch_name",
    "patches",
    "resource_name",
    "settings_from_plan",
    "settings_from_spec",
    "volume_disk_type",
]
