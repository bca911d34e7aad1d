"""What runs in the cluster: the add-ons, the ingress CLB and its controller, and the etcd backups."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .. import mirrors
from .base import CidrList, Int, Model, about, shown
from .kubernetes import _REGISTRY_SUFFIX, _image_prefix
from .network import PublicClb


# ---- ingress: the workload entry point, a CLB in front of the workers ----------------------------
class IngressPorts(Model):
    """The CLB's listener ports (what clients connect to); the NodePorts behind them are planned, not set."""

    model_config = about("The ingress CLB's listener ports; the NodePorts behind them are fixed (30080, 30081).")

    http: Int = Field(80, ge=1, le=65535, description="The HTTP listener's port (not the HTTPS one's).")
    https: Int = Field(443, ge=1, le=65535, description="The HTTPS listener's port.")

    @model_validator(mode="after")
    def _distinct(self) -> "IngressPorts":
        if self.http == self.https:
            raise ValueError(f"http and https are both {self.http}: a CLB has one listener per port")
        return self


class Ingress(PublicClb):
    model_config = about(
        "A CLB in front of the workers that runs ingress-nginx: the entry point of the cluster's "
        "workloads (prod policy refuses a public one unless the stack allows it)."
    )

    # Off unless asked: the staging and prod presets ask (stacks/presets.py), a spec built by hand says so itself.
    enabled: bool = Field(False, description="An ingress CLB and ingress-nginx in front of the workers.")
    # None means "the VPC CIDR only", as for the API endpoint.
    allowed_cidrs: CidrList | None = Field(
        None,
        description=(
            "Who may reach the ingress listeners (the CLB's group and the workers' NodePort rules), each CIDR once."
        ),
        json_schema_extra=shown("the VPC CIDR"),
    )
    ports: IngressPorts = Field(IngressPorts(), description="The CLB's listener ports.")
    # None means every node pool; else the pools whose workers run the controller and sit behind the CLB.
    pools: list[str] | None = Field(
        None,
        description=(
            "The node pools whose workers run the controller and sit behind the CLB, at most 100 workers (a CLB "
            "attachment's limit)."
        ),
        json_schema_extra=shown("every pool"),
    )


class Addons(Model):
    model_config = about("Add-ons installed into the cluster once its API server answers.")

    cbs_csi: bool = Field(True, description="Install the CBS CSI driver and the default StorageClass.")
    # Registry prefix of the Tencent-hosted add-on images; None: ccr.ccs.tencentyun.com (planning/mirrors.py).
    image_registry: Annotated[str, _image_prefix(_REGISTRY_SUFFIX)] | None = Field(
        None,
        description=(
            "Registry prefix of the Tencent-hosted add-on images (the same rules as kubernetes.imageRepository)."
        ),
        json_schema_extra=shown(mirrors.TENCENT_REGISTRY),
    )
    metrics_server: bool = Field(
        True,
        description=(
            "Install metrics-server (kubectl top, HPA), verifying kubelets against the cluster CA and verified by the "
            "API server (its own certificate from the stack, renewed by `pulumi up` in its last 90 days)."
        ),
    )
    load_balancer_controller: bool = Field(
        True,
        description=(
            "kubecvm's load-balancer controller: `type: LoadBalancer` Services on CLBs, and the Nodes of CVMs that are "
            "gone deleted (docs/load-balancer-services.md). Off: no controller, and no CLB rights on the masters' CAM "
            "role."
        ),
    )


class Backups(Model):
    model_config = about("etcd snapshots to COS.")

    etcd: bool = Field(
        True,
        description=(  # planning/backups.py
            "etcd snapshots from every master to a private, encrypted COS bucket the stack creates."
        ),
    )
    interval_hours: Int = Field(6, ge=1, le=24, description="Hours between snapshots.")
    retention_days: Int = Field(30, ge=1, le=3650, description="Days a snapshot is kept.")
