"""The whole spec (ClusterSpec): the cluster's own settings, its parts, and the checks that need more than one
part (zones, CIDRs, pool slots, billing, public CLBs). The longer checks of several parts (public CLBs, an
existing network, the ingress pools) are planning/spec/cluster_checks.py's."""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from .. import checks, limits, mirrors, names, validation
from .addons import Addons, Backups, Ingress
from .base import _K8S_NAME, INPUT, LAX, CidrList, Int, PrivateCidr, Model, SpecError, about, shown
from .kubernetes import Kubernetes
from .machines import ChargeType, ControlPlane, NodePool, _check_billing, _check_system_disk
from .monitoring import Monitoring, _check_prometheus
from .cluster_checks import _check_existing_network, _check_ingress, _check_public_clbs
from .network import (
    AddressLayout,
    ApiEndpoint,
    Egress,
    ExistingNetwork,
    PodNetwork,
    PodNetworkMode,
    Quotas,
)


class Preset(str, Enum):
    dev = "dev"
    staging = "staging"
    prod = "prod"


def _image_regex(pattern: str) -> str:
    if problem := validation.image_regex_problem(pattern):
        raise ValueError(problem)
    return pattern


class ClusterSpec(Model):
    model_config = about("Everything a stack's kubecvm:cluster holds, with the preset and the region.")

    preset: Annotated[Preset, LAX] = Field(
        description=("The defaults the other settings override (see Presets)."),
        json_schema_extra=shown("dev", key="kubecvm:preset"),
    )
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+(-[a-z]+)?$")] = Field(
        description=("Tencent Cloud region, e.g. ap-guangzhou."),
        json_schema_extra=shown(
            "TENCENTCLOUD_REGION from the environment; a component first takes its stack's region",
            key="tencentcloud:region",
        ),
    )
    name: Annotated[str, Field(pattern=_K8S_NAME)] = Field(
        description=("Cluster name, prefix of every resource name: a lower-case DNS label of at most 20 characters."),
        json_schema_extra=shown("the stack name"),
    )
    zones: list[str] = Field(
        min_length=1,
        description=(
            "Zones of the region, `<region>-<n>` with n in 1..layout.zoneBlocks (1..8 by default); the masters go "
            "round-robin over them in zone-number order."
        ),
    )
    vpc_cidr: PrivateCidr = Field(
        "10.0.0.0/16",
        description=(
            "The VPC's CIDR, inside 10.0.0.0/8 or 172.16.0.0/12 (/12../28) or 192.168.0.0/16 (/16../28), at most a /22 "
            "so each zone and pool gets addresses; with an existing network, that VPC's CIDR. Set once."
        ),
    )
    pod_cidr: PrivateCidr = Field(
        "172.16.0.0/12",
        description=("Pod addresses, outside the VPC CIDR (VPC routes cannot point inside it); set once."),
    )
    service_cidr: PrivateCidr = Field(
        "192.168.0.0/20",
        description=(
            "Service ClusterIPs, a /12 (kube-apiserver's largest) to a /28 (room for the DNS address at the 10th); the "
            "VPC, pod and service ranges must be disjoint. Set once."
        ),
    )
    node_pod_mask: Int = Field(
        24,
        ge=8,
        le=30,
        description=("Prefix length of each node's pod CIDR, which must hold maxPodsPerNode + 2 addresses; set once."),
    )
    max_pods_per_node: Int = Field(110, ge=8, description="The kubelet's maxPods, at most 110 (the Kubernetes limit).")
    image_id: Annotated[str, Field(pattern=r"^img-[a-z0-9]{8}$")] | None = Field(
        None,
        description=(
            "The CVM image (img-xxxxxxxx), used by machines created from now on: running machines keep theirs."
        ),
        json_schema_extra=shown("the newest public image matching imageNameRegex", **{INPUT: True}),
    )
    image_name_regex: Annotated[str, AfterValidator(_image_regex)] = Field(
        "^Ubuntu Server 22.04 LTS 64bit$",
        description=(
            "Picks the newest public image whose name matches, when imageId is not set: Go (RE2) syntax as the "
            "provider matches it, no lookaround or backreferences; one that matches no image is an error naming it."
        ),
    )
    ssh_key_ids: list[Annotated[str, Field(pattern=r"^skey-[a-z0-9]{8}$")]] = Field(
        [],
        description=("Key pairs (skey-xxxxxxxx) for every CVM; no password is ever set."),
        json_schema_extra={INPUT: True},
    )
    control_plane: ControlPlane = Field(
        ControlPlane(), description=("The masters (their count, instance type and etcd disk default from the preset).")
    )
    node_pools: list[NodePool] = Field(min_length=1, description="The worker pools.")
    api_endpoint: ApiEndpoint = Field(
        ApiEndpoint(), description=("The Kubernetes API's CLB (internal, reachable from the VPC, by default).")
    )
    ssh_allowed_cidrs: CidrList | None = Field(
        None, description="Who may reach port 22 of the nodes, each CIDR once.", json_schema_extra=shown("the VPC CIDR")
    )
    egress: Annotated[Egress, LAX] = Field(
        Egress.nat,
        description=(
            "nat: a NAT gateway with an EIP and a default route; none: no NAT; auto: a NAT exactly when a booting node "
            "must reach a host outside the VPC. none with an existing network, whose egress is its owner's."
        ),
    )
    protect: bool = Field(
        False,
        description=(
            "Pulumi protect on what holds state (the VPC, the etcd disks, the backup bucket); always on in prod, whose "
            "masters also get disableApiTermination."
        ),
    )
    # Masters whose termination protection (prod) is lifted, so `pulumi up --replace` can delete them (docs/operations/masters.md).
    lift_termination_protection: list[str] = Field(
        [],
        description=(
            "Prod masters (by name, e.g. prod-master-1) whose termination protection is lifted so they can be replaced."
        ),
    )
    quotas: Quotas = Field(Quotas(), description="Account quotas the plan checks against.")
    pod_network: PodNetwork = Field(PodNetwork(), description="How pod traffic reaches its node.")
    layout: AddressLayout = Field(
        AddressLayout(), description=("How the VPC and pod CIDRs are cut into zone and pool blocks (set once).")
    )
    kubernetes: Kubernetes = Field(Kubernetes(), description="The Kubernetes release and its mirrors.")
    addons: Addons = Field(Addons(), description="Add-ons installed into the cluster.")
    backups: Backups = Field(Backups(), description="etcd snapshots to COS.")
    ingress: Ingress = Field(Ingress(), description="The ingress CLB and controller.")
    monitoring: Monitoring = Field(Monitoring(), description="Cloud Monitor alarms and Prometheus.")
    tags: dict[str, str] = Field(
        {},
        description=(
            "Added to every taggable resource: at most 47 (Tencent's 50 less kubecvm's 3), keys 1..127 and values up to "
            "255 letters, digits, spaces, Chinese characters or `+-=._:/@`, no qcloud, tencent or project key prefix, "
            "no key under kubecvm/."
        ),
    )
    existing_network: ExistingNetwork | None = Field(
        None,
        description=("A network made elsewhere to put the cluster in."),
        json_schema_extra=shown("none: kubecvm creates its own"),
    )

    @field_validator("zones")
    @classmethod
    def _zones_unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({z for z in v if v.count(z) > 1})
        if dupes:
            raise ValueError(f"zones must be distinct; repeated: {', '.join(dupes)}")
        return v

    @field_validator("max_pods_per_node")
    @classmethod
    def _max_pods(cls, v: int) -> int:
        if v > limits.MAX_PODS_PER_NODE:
            raise ValueError(f"{v} exceeds the Kubernetes limit of {limits.MAX_PODS_PER_NODE} pods per node")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        reserved = sorted(k for k in v if k.startswith("kubecvm/"))
        if reserved:
            raise ValueError(f"tag keys under kubecvm/ are set by kubecvm itself: {', '.join(reserved)}")
        room = validation.TAGS_PER_RESOURCE - validation.KUBECVM_TAGS
        if len(v) > room:
            raise ValueError(
                f"{len(v)} tags; Tencent Cloud allows {validation.TAGS_PER_RESOURCE} per resource and "
                f"kubecvm sets {validation.KUBECVM_TAGS} itself, so at most {room}"
            )
        for key, value in v.items():
            if problem := validation.tag_problem(key, value):
                raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "ClusterSpec":
        # Each problem raises with the field path first; stacks.config turns it into the user's message.
        if self.region not in mirrors.MAINLAND | mirrors.OUTSIDE_MAINLAND:
            raise SpecError(
                "region",
                f"{self.region!r} is not a Tencent Cloud region; expected one of "
                f"{', '.join(sorted(mirrors.MAINLAND | mirrors.OUTSIDE_MAINLAND))} (tencentcloud:region)",
            )
        # fullmatch, not match with $: "$" also matches before a trailing newline ("ap-guangzhou-3\n").
        zone_re = re.compile(rf"{re.escape(self.region)}-([1-9][0-9]*)")
        for i, zone in enumerate(self.zones):
            m = zone_re.fullmatch(zone)
            if not m:
                raise SpecError(
                    f"zones[{i}]", f"{zone!r} is not a zone of region {self.region} (expected {self.region}-<n>)"
                )
            if int(m[1]) > self.layout.zone_blocks:
                raise SpecError(
                    f"zones[{i}]",
                    f"zone number {m[1]} is above the {self.layout.zone_blocks} zone blocks "
                    f"of layout.zoneBlocks (zone <region>-n takes block n-1)",
                )
        if self.control_plane.count == 1 and self.preset is not Preset.dev:
            raise SpecError(
                "controlPlane.count",
                f"1 master has no etcd quorum to spare; the {self.preset.value} preset needs 3, 5 or 7",
            )
        if problem := validation.service_cidr_problem(self.service_net):
            raise SpecError("serviceCidr", f"{self.service_cidr}: {problem}")
        for field, problem in checks.cidr_problems(
            vpc=self.vpc_net,
            pod=self.pod_net,
            service=self.service_net,
            node_pod_mask=self.node_pod_mask,
            max_pods=self.max_pods_per_node,
        ):
            raise SpecError(field, problem)
        lo, hi = limits.CLUSTER_CIDR_MASKS
        if self.pod_network.mode is PodNetworkMode.globalRouter and not lo <= self.pod_net.prefixlen <= hi:
            raise SpecError(
                "podCidr",
                f"/{self.pod_net.prefixlen} is outside /{lo}../{hi}, the TKE API's range for "
                "a cluster route table's CIDR (podNetwork.mode globalRouter)",
            )
        masters = [names.master(self.name, i) for i in range(self.control_plane.count)]
        for i, machine in enumerate(self.lift_termination_protection):
            if machine not in masters:
                raise SpecError(
                    f"liftTerminationProtection[{i}]",
                    f"{machine!r} is not a master of this cluster "
                    f"(only masters are termination-protected; expected one of {', '.join(masters)})",
                )
        _check_existing_network(self)
        if self.control_plane.zones is not None and not self.control_plane.zones:
            raise SpecError("controlPlane.zones", "at least one zone (omit the key for every cluster zone)")
        self._check_zone_subset("controlPlane.zones", self.control_plane.zones)
        _check_billing("controlPlane", self.control_plane)
        _check_system_disk("controlPlane", self.control_plane)
        slots: dict[int, str] = {}
        for i, pool in enumerate(self.node_pools):
            self._check_zone_subset(f"nodePools[{i}].zones", pool.zones)
            _check_billing(f"nodePools[{i}]", pool)
            _check_system_disk(f"nodePools[{i}]", pool)
            if pool.name in {p.name for p in self.node_pools[:i]}:
                raise SpecError(f"nodePools[{i}].name", f"pool name {pool.name!r} is used twice")
            if pool.slot >= self.layout.pool_blocks:
                raise SpecError(
                    f"nodePools[{i}].slot",
                    f"{pool.slot} is not a pool slot of layout.poolBlocks "
                    f"{self.layout.pool_blocks}: expected 1..{self.layout.pool_blocks - 1} (0 is the control plane)",
                )
            if pool.data_disk is not None and pool.charge_type is ChargeType.SPOTPAID:
                # A data disk outlives a non-postpaid instance (delete_with_instance may only be true on
                # POSTPAID_BY_HOUR, delete_with_instance_prepaid only on PREPAID: cvm/resource_tc_instance.go), so
                # every reclaimed spot node would leave a billed disk behind.
                raise SpecError(
                    f"nodePools[{i}].dataDisk",
                    "a SPOTPAID pool cannot have a data disk: Tencent deletes "
                    "data disks with the instance only for POSTPAID_BY_HOUR and PREPAID instances, so each "
                    "reclaimed spot node would leave its disk behind; drop dataDisk or use another chargeType",
                )
            if pool.slot in slots:
                free = [s for s in range(1, self.layout.pool_blocks) if s not in {p.slot for p in self.node_pools}]
                raise SpecError(
                    f"nodePools[{i}].slot",
                    f"slot {pool.slot} is already pool {slots[pool.slot]!r}'s; give each pool its own slot "
                    f"(free: {', '.join(map(str, free)) or 'none'}) and never change it afterwards",
                )
            slots[pool.slot] = pool.name
            if twice := validation.duplicate_taint_problem([(t.key, t.effect.value) for t in pool.taints]):
                raise SpecError(f"nodePools[{i}].taints[{twice[0]}]", twice[1])
        if problem := checks.node_limit_problem(self.worker_count + self.control_plane.count):
            raise SpecError("nodePools", problem)
        _check_ingress(self)
        _check_public_clbs(self)
        _check_prometheus(self)
        return self

    @property
    def nat(self) -> bool:
        """Whether the cluster gets a NAT gateway and a default route (`egress`, with `auto` resolved)."""
        if self.egress is Egress.auto:
            return self.existing_network is None and bool(mirrors.from_spec(self).egress_hosts)
        return self.egress is Egress.nat

    @property
    def subnet_nets(self) -> dict[int, ipaddress.IPv4Network]:
        """Zone number -> the given subnet's network, for an existing network (else empty: the layout cuts the VPC)."""
        if self.existing_network is None:
            return {}
        return {names.zone_number(z): ipaddress.IPv4Network(s.cidr) for z, s in self.existing_network.subnets.items()}

    # Derived views used by the planner; pure functions of the fields above.
    @property
    def vpc_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)

    @property
    def pod_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.pod_cidr)

    @property
    def service_net(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.service_cidr)

    def _check_zone_subset(self, where: str, zones: list[str] | None) -> None:
        """A controlPlane's or pool's `zones`: distinct cluster zones (None: every cluster zone)."""
        for j, zone in enumerate(zones or []):
            if zone not in self.zones:
                raise SpecError(f"{where}[{j}]", f"{zone!r} is not one of the cluster zones ({', '.join(self.zones)})")
        if zones is not None and len(set(zones)) != len(zones):
            raise SpecError(where, "zones must be distinct")

    @property
    def master_zones(self) -> list[str]:
        """The zones the masters go round-robin over, by zone number (controlPlane.zones, else every zone)."""
        return sorted(self.control_plane.zones or self.zones, key=names.zone_number)

    def pool_zones(self, pool: NodePool) -> list[str]:
        return sorted(pool.zones if pool.zones is not None else self.zones, key=names.zone_number)

    @property
    def ingress_pools(self) -> list[NodePool]:
        """The pools behind the ingress CLB, in spec order (every pool unless ingress.pools names some)."""
        names_ = self.ingress.pools
        return [p for p in self.node_pools if names_ is None or p.name in names_]

    @property
    def worker_count(self) -> int:
        return sum(p.count_per_zone * len(self.pool_zones(p)) for p in self.node_pools)
