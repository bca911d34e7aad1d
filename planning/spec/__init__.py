"""The cluster spec: the validated form of a stack's `kubecvm:cluster` config. Pure pydantic.

Every model is strict (unknown keys rejected, no type coerced: base.Model), frozen, and takes the camelCase config keys. Validators raise
ValueError with a message that says what was expected; `stacks.config` prefixes it with the field path.
Rules about the environment rather than malformed input (master size below the table, route quota, masters
sharing a zone) are left to the policy packs, so a team sees them in a pull request and decides.

One module per part of the spec: base (the strict Model, shared types, SpecError), machines (controlPlane,
nodePools), network (ranges, layout, CLB exposure, pod network, quotas, an existing network), kubernetes (the release
and its mirrors), addons (add-ons, ingress, backups), monitoring (alarms, Prometheus) and cluster (ClusterSpec and
the checks across parts). Every public name is importable from here.
"""

from .addons import Addons, Backups, Ingress, IngressPorts
from .base import INPUT, LAX, SHOWN_DEFAULT, Cidr, CidrList, Int, Model, PrivateCidr, SpecError, about, shown
from .cluster import ClusterSpec, Preset
from .kubernetes import KUBERNETES_VERSION, CloudApi, Kubernetes
from .machines import (
    PREPAID_PERIODS,
    ChargeType,
    ControlPlane,
    Disk,
    DiskType,
    InstanceType,
    NodePool,
    Prepaid,
    PrepaidRenewFlag,
    Spot,
    SpotInstanceType,
    SystemDisk,
    Taint,
    TaintEffect,
    system_disk_size,
)
from .monitoring import Alarms, Digest, Monitoring, Prometheus, PrometheusDigests, PrometheusMode, RemoteWriteAuth
from .network import (
    PUBLIC_CLB_BANDWIDTH_MBPS,
    PUBLIC_CLB_CHARGE_TYPE,
    AddressLayout,
    ApiEndpoint,
    Egress,
    ExistingNetwork,
    ExistingSubnet,
    Exposure,
    InternetChargeType,
    PodNetwork,
    PodNetworkMode,
    PublicClb,
    Quotas,
)

__all__ = [
    "INPUT",
    "KUBERNETES_VERSION",
    "LAX",
    "PREPAID_PERIODS",
    "PUBLIC_CLB_BANDWIDTH_MBPS",
    "PUBLIC_CLB_CHARGE_TYPE",
    "SHOWN_DEFAULT",
    "Addons",
    "AddressLayout",
    "Alarms",
    "ApiEndpoint",
    "Backups",
    "ChargeType",
    "Cidr",
    "CidrList",
    "CloudApi",
    "ClusterSpec",
    "ControlPlane",
    "Digest",
    "Disk",
    "DiskType",
    "Egress",
    "ExistingNetwork",
    "ExistingSubnet",
    "Exposure",
    "Ingress",
    "IngressPorts",
    "InstanceType",
    "Int",
    "InternetChargeType",
    "Kubernetes",
    "Model",
    "Monitoring",
    "NodePool",
    "PodNetwork",
    "PodNetworkMode",
    "Prepaid",
    "PrepaidRenewFlag",
    "Preset",
    "PrivateCidr",
    "Prometheus",
    "PrometheusDigests",
    "PrometheusMode",
    "PublicClb",
    "Quotas",
    "RemoteWriteAuth",
    "SpecError",
    "Spot",
    "SpotInstanceType",
    "SystemDisk",
    "Taint",
    "TaintEffect",
    "about",
    "shown",
    "system_disk_size",
]
