"""The ingress entry point, pure: an ingress CLB in front of the workers of the selected pools.

client --TCP 80/443--> ingress CLB (planned VIP, or a public address) --TCP NodePort--> worker --> ingress-nginx

The CLB works at layer 4 with TCP listeners, so HTTP routing and TLS stay in the cluster (ingress-nginx,
planning/addons/ingress_nginx.py). Each listener forwards to every selected worker at a fixed NodePort the plan reserves;
the controller's NodePort Service claims exactly those ports. Workers are targets by instance, so growing or
shrinking a pool changes the attachments' targets and nothing else.

Provider facts (terraform-provider-tencentcloud v1.82.42, tencentcloud/services/clb/):
- resource_tc_clb_listener.go: `port` and `protocol` are ForceNew; health_check_time_out 2..60 s and below the
  interval; health_check_interval_time 2..300 s; health_check_health_num / unhealth_num 2..10;
  health_source_ip_type 0 = the CLB VIP (default), 1 = the 100.64 range.
- resource_tc_clb_attachment.go: `targets` is a set of 1..100 (MinItems 1, MaxItems 100), updated in place
  (RegisterTargets / DeregisterTargets of the difference); clb_id and listener_id are ForceNew. The resource's
  Read returns every target of the listener, so one listener has exactly one attachment resource.
Tencent CLB docs (cloud.tencent.com/document/product/214, "健康检查源 IP 设置为 100.64 网段"): the 100.64.0.0/10
source lets the backends' security group admit health checks without naming the VIP, and avoids the self-built
Kubernetes loopback where kube-proxy binds the internal CLB's VIP locally. Layer-4 listeners pass the client's
own address to the backend (no SNAT), which is why the worker rules name the allowed client CIDRs.
Tencent CLB announcement (cloud.tencent.com/document/product/214/54819): accounts created after 2023-02-24 probe
from 100.64.0.0/10, older ones from the VIP unless told otherwise. Every kubecvm listener (these and the API's 6443,
components/control_plane.py) sets health_source_ip_type 1, so the source is the same on every account, and the
backends' groups accept exactly 100.64.0.0/10 on the probed ports before their final DROP (planning/plan.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import names

# kube-apiserver's default --service-node-port-range (kubeadm does not change it).
NODE_PORT_RANGE = (30000, 32767)
# The NodePorts the plan reserves. Kubernetes (KEP-3668, ServiceNodePortStaticSubrange, GA in 1.29) allocates
# random NodePorts from the upper part of the range first and keeps the lowest min(max(16, size/32), 128) ports
# (30000-30085 for the default range) for fixed ones like these, so user Services rarely take them first.
NODE_PORTS = {"http": 30080, "https": 30081}
STATIC_BAND = (
    NODE_PORT_RANGE[0],
    NODE_PORT_RANGE[0] + min(max(16, (NODE_PORT_RANGE[1] - NODE_PORT_RANGE[0] + 1) // 32), 128) - 1,
)
LISTENERS = ("http", "https")

# health_source_ip_type=1: health checks come from 100.64.0.0/10 (see the module docstring).
HEALTH_SOURCE_IP_TYPE = 1
HEALTH_CHECK_CIDR = "100.64.0.0/10"
# A TCP connect to the NodePort. With externalTrafficPolicy Local, kube-proxy drops NodePort traffic on a node
# without a ready controller pod, so the check fails there and the CLB stops sending to it.
HEALTH_CHECK = {"type": "TCP", "interval": 5, "timeout": 2, "healthy": 2, "unhealthy": 3}
TARGET_WEIGHT = 10  # the provider's default weight: every worker gets the same share
MAX_TARGETS = 100  # resource_tc_clb_attachment.go: targets MaxItems

# The node label the bootstrap gives every worker, which the controller's DaemonSet selects pools by.
POOL_LABEL = "kubecvm/pool"
ROLE = "ingress"  # kubecvm/role tag of the CLB and the name of its security group's role


@dataclass(frozen=True)
class IngressListenerPlan:
    key: str  # "http" | "https"
    name: str
    port: int  # the CLB's port, what clients connect to
    node_port: int  # the workers' port behind it
    targets_name: str  # the attachment's name


@dataclass(frozen=True)
class IngressPlan:
    name: str  # the CLB's name (resource and clb_name)
    component: str
    exposure: str  # internal | public
    zone: str  # the subnet an internal CLB takes its VIP from
    vip: str | None  # planned for internal exposure; Tencent assigns a public one
    allowed_cidrs: tuple[str, ...]
    listeners: tuple[IngressListenerPlan, ...]
    pools: tuple[str, ...]
    targets: tuple[str, ...]  # names of the workers attached, sorted
    # A public CLB's internet_charge_type and internet_bandwidth_max_out (spec PublicClb); None when internal.
    internet_charge_type: str | None = None
    bandwidth: int | None = None

    @property
    def network_type(self) -> str:
        return "INTERNAL" if self.exposure == "internal" else "OPEN"

    @property
    def node_ports(self) -> str:
        """The NodePorts as one Tencent port list ("30080,30081"), for security-group rules."""
        return ",".join(str(li.node_port) for li in self.listeners)

    @property
    def ports(self) -> dict[str, int]:
        return {li.key: li.port for li in self.listeners}


def plan_ingress(spec, *, zone: str, vip: str | None, workers) -> IngressPlan | None:
    """The ingress CLB for `spec` (None when disabled). `workers` are the plan's workers (MachinePlan); those of
    the selected pools become targets. Raises SpecError when more workers are selected than a listener takes."""
    from .spec import Exposure, SpecError

    ing = spec.ingress
    if not ing.enabled:
        return None
    # Sorted by name: the provider's targets are a set, so neither pool nor zone order may show up as a change.
    pools = tuple(sorted(p.name for p in spec.ingress_pools))
    targets = tuple(sorted(w.name for w in workers if w.pool in pools))
    if len(targets) > MAX_TARGETS:
        raise SpecError(
            "ingress.pools",
            f"{len(targets)} workers of pool(s) {', '.join(pools)} would sit behind the ingress CLB, but a listener "
            f"takes at most {MAX_TARGETS} targets; run the controller on a pool of its own (ingress.pools) or set "
            "ingress.enabled: false",
        )
    c = spec.name
    internal = ing.exposure is Exposure.internal
    ports = {"http": ing.ports.http, "https": ing.ports.https}
    charge, bandwidth = ing.internet or (None, None)
    return IngressPlan(
        name=names.ingress_lb(c),
        component=names.ingress_component(c),
        exposure=ing.exposure.value,
        zone=zone,
        vip=vip if internal else None,
        allowed_cidrs=tuple(ing.allowed_cidrs if ing.allowed_cidrs is not None else [spec.vpc_cidr]),
        listeners=tuple(
            IngressListenerPlan(
                key, names.ingress_listener(c, key), ports[key], NODE_PORTS[key], names.ingress_targets(c, key)
            )
            for key in LISTENERS
        ),
        pools=pools,
        targets=targets,
        internet_charge_type=charge,
        bandwidth=bandwidth,
    )
