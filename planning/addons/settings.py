"""AddonSettings: everything the add-on objects depend on, from a spec or a plan. Pure."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from .. import mirrors, names
from ..mirrors import Mirrors
from ..plan import address_layout
from .cbs_csi_facts import CSI_DISK_TYPES, DEFAULT_DISK_TYPE

# The oldest Kubernetes these manifests target (storage.k8s.io/v1 CSIDriver, control-plane label/taint names).
MIN_KUBERNETES = (1, 25)


@dataclass(frozen=True)
class AddonSettings:
    """Everything the add-on manifests depend on; small and frozen so `objects` stays a pure function."""

    cluster: str
    region: str
    zones: tuple[str, ...]
    kubernetes_version: str
    disk_type: str = DEFAULT_DISK_TYPE
    cbs_csi: bool = True
    metrics_server: bool = True
    lb_controller: bool = True  # addons.loadBalancerController
    vpc_cidr: str = "10.0.0.0/16"  # where every node address lies (the spec's default)
    registries: Mirrors | None = None  # None: the region's defaults (planning/mirrors.py for_region)
    # The planned node addresses the serving-certificate approver accepts (settings_from_plan, csr_approver.planned_ip):
    # (master name, private IP), and per pool and zone (worker name prefix, first address, block size).
    masters: tuple[tuple[str, str], ...] = ()
    pool_blocks: tuple[tuple[str, str, int], ...] = ()

    @property
    def mirrors(self) -> Mirrors:
        return self.registries or mirrors.for_region(self.region)

    def __post_init__(self) -> None:
        problem = settings_problem(self)
        if problem:
            raise ValueError(problem)


def kubernetes_minor(version: str) -> tuple[int, int]:
    """Parse a Kubernetes version: "1.30", "1.30.4" or "v1.30.4" -> (1, 30)."""
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version)
    if not m:
        raise ValueError(f"kubernetes.version: {version!r} is not a version such as 1.30 or 1.30.4")
    return int(m[1]), int(m[2])


def settings_problem(s: AddonSettings) -> str | None:
    """The first thing wrong with the settings, naming the field, or None."""
    if kubernetes_minor(s.kubernetes_version) < MIN_KUBERNETES:
        return (
            f"kubernetes.version: {s.kubernetes_version} is older than the add-ons support "
            f"({MIN_KUBERNETES[0]}.{MIN_KUBERNETES[1]} or newer)"
        )
    if s.disk_type not in CSI_DISK_TYPES:
        return f"diskType: {s.disk_type} is not a CBS CSI disk type ({', '.join(CSI_DISK_TYPES)})"
    if not s.zones:
        return "zones: the StorageClass needs at least one zone"
    try:
        ipaddress.ip_network(s.vpc_cidr)
    except ValueError:
        return f"vpcCidr: {s.vpc_cidr!r} is not a CIDR such as 10.0.0.0/16"
    if any(not z.startswith(f"{s.region}-") for z in s.zones):
        return f"zones: every zone must be in region {s.region}"
    vpc = ipaddress.ip_network(s.vpc_cidr)
    for name, ip, size in [(m, ip, 1) for m, ip in s.masters] + list(s.pool_blocks):
        try:
            inside = size >= 1 and all(ipaddress.ip_address(ip) + k in vpc for k in (0, size - 1))
        except ValueError:
            inside = False
        if not inside:
            return f"masters/pool_blocks: {name}'s addresses ({ip!r}, {size}) are not inside vpcCidr {s.vpc_cidr}"
    names_ = [m for m, _ in s.masters] + [p for p, _, _ in s.pool_blocks]
    if len(set(names_)) != len(names_):
        return "masters/pool_blocks: a name or prefix appears twice"
    return None


def volume_disk_type(data_disk_types: list[str]) -> str:
    """The pools' data-disk type for volumes (the first pool that has one), if the driver takes it; else SSD."""
    if data_disk_types and data_disk_types[0] in CSI_DISK_TYPES:
        return data_disk_types[0]
    return DEFAULT_DISK_TYPE


def settings_from_spec(
    spec: Any, *, kubernetes_version: str | None = None, cbs_csi: bool | None = None, metrics_server: bool | None = None
) -> AddonSettings:
    """AddonSettings from a ClusterSpec: `kubernetes.version` and `addons.cbsCsi` from the spec (read with getattr
    so a spec from before those fields still works with explicit arguments); the keyword arguments override."""
    version = kubernetes_version or getattr(getattr(spec, "kubernetes", None), "version", None)
    if not version:
        raise ValueError("kubernetes.version: needed for the add-on manifests")
    if cbs_csi is None:
        addons = getattr(spec, "addons", None)
        cbs_csi = True if addons is None else bool(getattr(addons, "cbs_csi", True))
    if metrics_server is None:
        metrics_server = bool(getattr(getattr(spec, "addons", None), "metrics_server", True))
    lb_controller = bool(getattr(getattr(spec, "addons", None), "load_balancer_controller", True))
    disk_types = [p.data_disk.type.value for p in spec.node_pools if p.data_disk is not None]
    return AddonSettings(
        cluster=spec.name,
        region=spec.region,
        zones=tuple(spec.zones),
        kubernetes_version=str(version),
        disk_type=volume_disk_type(disk_types),
        cbs_csi=cbs_csi,
        metrics_server=metrics_server,
        vpc_cidr=spec.vpc_cidr,
        lb_controller=lb_controller,
        registries=mirrors.from_spec(spec) if hasattr(spec, "kubernetes") else None,
    )


def settings_from_plan(plan: Any, **overrides: Any) -> AddonSettings:
    """settings_from_spec(plan.spec) plus the planned addresses, which the serving-certificate approver checks.

    Workers as rules, not a list: per pool and zone number, the name prefix, the pool block's first address and its
    size, for every zone number the layout has (used or not), so scaling a pool or adding a zone changes nothing here
    (stable identity); a worker's address is the first address plus its ordinal (Layout.node_ip: a pool block's
    host offsets start at 0). Masters by name (their count is fixed).
    """
    spec, layout = plan.spec, address_layout(plan.spec)
    numbers = [n for n, _ in layout.given_subnets] or range(1, layout.zone_blocks + 1)
    blocks = tuple(
        (names.worker_prefix(spec.name, pool.name, n), layout.node_ip(n, pool.slot, 0), layout.ip_capacity(pool.slot))
        for pool in spec.node_pools
        if layout.ip_capacity(pool.slot) > 0
        for n in numbers
    )
    return dataclasses.replace(
        settings_from_spec(spec, **overrides),
        pool_blocks=blocks,
        masters=tuple((m.name, m.private_ip) for m in plan.masters),
    )
