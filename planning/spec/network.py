"""The network: the VPC's ranges and how they are cut, the CLBs' exposure, the pod network, egress, the route
quota, and a network kubecvm does not own."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from .. import limits
from .base import INPUT, LAX, Cidr, CidrList, Int, Model, about, shown


class Exposure(str, Enum):
    internal = "internal"
    public = "public"


class InternetChargeType(str, Enum):
    """How a public CLB's traffic is billed: clb/resource_tc_clb_instance.go internet_charge_type ("Valid values are
    `TRAFFIC_POSTPAID_BY_HOUR`, `BANDWIDTH_POSTPAID_BY_HOUR` and `BANDWIDTH_PACKAGE`", terraform-provider-tencentcloud
    v1.82.42, which gives it no ValidateFunc: CreateLoadBalancer's InternetAccessible is the judge)."""

    TRAFFIC_POSTPAID_BY_HOUR = "TRAFFIC_POSTPAID_BY_HOUR"
    BANDWIDTH_POSTPAID_BY_HOUR = "BANDWIDTH_POSTPAID_BY_HOUR"
    BANDWIDTH_PACKAGE = "BANDWIDTH_PACKAGE"


# A public CLB created without InternetAccessible is capped at 10 Mbps out (internet_bandwidth_max_out: "Default to
# 10Mbps when CreateLoadBalancer is call", clb/resource_tc_clb_instance.go), far below what an ingress serves. kubecvm
# always sends both: billed by traffic (so the cap costs nothing until it is used) and capped at 100 Mbps.
PUBLIC_CLB_CHARGE_TYPE = InternetChargeType.TRAFFIC_POSTPAID_BY_HOUR
PUBLIC_CLB_BANDWIDTH_MBPS = 100


class Egress(str, Enum):
    none = "none"
    nat = "nat"
    # A NAT gateway exactly when a booting node must reach a host outside the VPC (planning/mirrors.py
    # egress_hosts): kubeadm's images from a public registry need it, a copy in Tencent's registry does not.
    auto = "auto"


class PodNetworkMode(str, Enum):
    # One VPC route-table entry per node (bounded by the route-table quota, 50 entries documented).
    vpcRoutes = "vpcRoutes"
    # One TKE cluster route table for the pod CIDR, one cluster route per node.
    globalRouter = "globalRouter"


class PublicClb(Model):
    """What a CLB's exposure decides: `public` puts it on the internet, billed and capped by the two settings below
    (None: PUBLIC_CLB_CHARGE_TYPE, PUBLIC_CLB_BANDWIDTH_MBPS). They are refused on an internal CLB, as the provider
    refuses internet_charge_type there (planning/spec/cluster_checks.py _check_public_clbs)."""

    exposure: Annotated[Exposure, LAX] = Field(
        Exposure.internal, description=("`public` puts this CLB (only it) on the internet.")
    )
    internet_charge_type: Annotated[InternetChargeType, LAX] | None = Field(
        None,
        description=(
            "A public CLB's billing: TRAFFIC_POSTPAID_BY_HOUR or "
            "BANDWIDTH_POSTPAID_BY_HOUR (BANDWIDTH_PACKAGE needs a bandwidth package id kubecvm does not take); public "
            "only, changes in place."
        ),
        json_schema_extra=shown(PUBLIC_CLB_CHARGE_TYPE.value),
    )
    # clb/resource_tc_clb_instance.go internet_bandwidth_max_out: "Max bandwidth out, only applicable to open CLB.
    # Valid value ranges is [1, 2048]. Unit is Mbps." (v1.82.42; tencentcloud-iac-pulumi 0.2.3's clb.Instance says so).
    bandwidth: Int | None = Field(
        None,
        description=(
            "A public CLB's outbound bandwidth cap in Mbps, 1..2048 (without it Tencent would cap "
            "a public CLB at 10 Mbps); public only, changes in place."
        ),
        json_schema_extra=shown(str(PUBLIC_CLB_BANDWIDTH_MBPS)),
    )

    @field_validator("bandwidth")
    @classmethod
    def _bandwidth(cls, v: int | None) -> int | None:
        lo, hi = limits.CLB_BANDWIDTH_MBPS
        if v is not None and not lo <= v <= hi:
            raise ValueError(f"{v} Mbps is outside the {lo}..{hi} Mbps a public CLB's outbound bandwidth takes")
        return v

    @property
    def internet(self) -> tuple[str, int] | None:
        """(charge type, Mbps) for a public CLB, the defaults filled in; None for an internal one."""
        if self.exposure is not Exposure.public:
            return None
        return (
            (self.internet_charge_type or PUBLIC_CLB_CHARGE_TYPE).value,
            self.bandwidth if self.bandwidth is not None else PUBLIC_CLB_BANDWIDTH_MBPS,
        )


class ApiEndpoint(PublicClb):
    model_config = about("The Kubernetes API's CLB (port 6443).")

    # None means "the VPC CIDR only": the least that lets nodes and in-VPC tooling reach the API.
    allowed_cidrs: CidrList | None = Field(
        None,
        description=("Who may reach port 6443, each CIDR once (the cluster's own ranges always may)."),
        json_schema_extra=shown("the VPC CIDR"),
    )


class PodNetwork(Model):
    model_config = about("How the VPC forwards each node's pod CIDR to the node.")

    mode: Annotated[PodNetworkMode, LAX] = Field(
        PodNetworkMode.vpcRoutes,
        description=(
            "vpcRoutes: one VPC route-table entry per node (bounded by the route quota); globalRouter: one TKE cluster "
            "route table for podCidr (a /10../24) with one cluster route per node, beyond the VPC quota."
        ),
    )
    # CreateClusterRouteTable's IgnoreClusterCidrConflict: create the table although VPC route entries overlap the
    # pod CIDR, as they do while a vpcRoutes cluster switches (docs/concepts/pod-network.md); read only at creation.
    ignore_vpc_route_conflict: bool = Field(
        False,
        description=(
            "Create the cluster route table although VPC route entries overlap podCidr (only while switching from "
            "vpcRoutes); read only when the table is created."
        ),
    )


def _power_of_two(lo: int, hi: int):
    def check(v: int) -> int:
        if not lo <= v <= hi or v & (v - 1):
            raise ValueError(f"{v} is not a power of two in {lo}..{hi}")
        return v

    return AfterValidator(check)


class AddressLayout(Model):
    """How the VPC and the pod CIDR are cut before node addresses (planning/addressing.py): set once, like podCidr."""

    model_config = about("How the VPC CIDR and podCidr are cut into zone and pool blocks; set once, like podCidr.")

    # Zone number n takes block n-1, so zones 1..zoneBlocks fit.
    zone_blocks: Annotated[Int, _power_of_two(1, limits.ZONE_SLOTS)] = Field(
        limits.ZONE_SLOTS,
        description=(
            f"Blocks the VPC CIDR and podCidr are cut into, one per zone number: a power of two, 1..{limits.ZONE_SLOTS}; "
            "zones <region>-1 to <region>-zoneBlocks fit."
        ),
    )
    # Block 0 is the control plane; pool slots 1..poolBlocks-1.
    pool_blocks: Annotated[Int, _power_of_two(2, limits.MAX_POOL_BLOCKS)] = Field(
        limits.POOL_SLOTS,
        description=(
            f"Blocks each zone's block is cut into, one per pool slot, block 0 for the masters: a power of two, "
            f"2..{limits.MAX_POOL_BLOCKS}; pool slots 1..poolBlocks-1."
        ),
    )


class Quotas(Model):
    model_config = about("Account quotas kubecvm plans against (offline there is no account to ask).")

    route_entries_per_table: Int = Field(
        50,
        ge=1,
        le=100_000,
        description=(
            "Your account's route-table quota (route-table-max-policies): one route per node plus the NAT route, and an "
            "existing network's own entries, must fit."
        ),
    )


class ExistingSubnet(Model):
    model_config = about("One given subnet of an existing network.")

    # None only when the id comes as a pulumi Input (kubecvm.ClusterArgs.subnet_ids); stacks/config checks.
    id: Annotated[str, Field(pattern=r"^subnet-[a-z0-9]{8}$")] | None = Field(
        None, description=("The subnet's id (subnet-xxxxxxxx), one per cluster zone."), json_schema_extra={INPUT: True}
    )
    cidr: Cidr = Field(
        description=(
            "The subnet's CIDR, inside vpcCidr, all of one size (plain: every node address is planned inside it)."
        )
    )


class ExistingNetwork(Model):
    """A VPC kubecvm does not own: no VPC, subnet, route table or NAT is created; nodes go in the given subnets
    (one per cluster zone, their CIDRs planned like kubecvm's own zone subnets) and the pod routes into the given
    route table, which those subnets use."""

    model_config = about(
        "Bring your own VPC: kubecvm then creates no VPC, subnet, route table or NAT; nodes are planned inside the "
        "given subnets as in its own (masters in block 0, pools in their slot) and the pod routes go into the given "
        "route table, which those subnets must use. egress becomes none: the network's own routes give egress."
    )

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[a-z0-9]{8}$")] | None = Field(
        None, description=("The VPC (vpc-xxxxxxxx); set vpcCidr to its CIDR."), json_schema_extra={INPUT: True}
    )
    route_table_id: Annotated[str, Field(pattern=r"^rtb-[a-z0-9]{8}$")] | None = Field(
        None,
        description=(
            "The route table the given subnets use (rtb-xxxxxxxx): kubecvm adds one pod route per node to it, and its "
            "existing entries count against quotas.routeEntriesPerTable."
        ),
        json_schema_extra={INPUT: True},
    )
    subnets: dict[str, ExistingSubnet] = Field(
        min_length=1, description=("Zone -> that zone's subnet, one per cluster zone.")
    )
