"""TKE API 2018-05-25, the cluster route calls (podNetwork globalRouter): what Tencent accepts and refuses. Pure.

Sources, cited per fact below:
- [models] tencentcloud-sdk-python-tke tencentcloud/tke/v20180525/models.py: the members of each *Request.
- [api.json] TencentCloud/tencentcloud-cli tccli/services/tke/v20180525/api.json: which members are "required".
- [errorcodes] tencentcloud/tke/v20180525/errorcodes.py: the TKE error codes; the meanings below translate its
  comments.
- [GlobalRouter] Tencent's GlobalRouter page, tencentyun/qcloud-documents product/计算与网络/容器服务/
  控制台指南（新版）/网络管理/GlobalRouter模式/GlobalRouter网络模式介绍.md, "使用限制": "同一 VPC 内，不同集群的
  容器网络网段不能重叠" (in one VPC the container CIDRs of two clusters must not overlap) and "容器网络和 VPC 路由
  重叠时，优先在容器网络内转发" (an overlap with the VPC's routes is allowed, the container network wins).

A rule takes plain values (the account as it stands and the request) and returns the Refusal Tencent answers, or
None. The emulator (kubecvm/emulator/tke.py) answers with them; the simulated cloud (offline/simulated_cloud.py)
refuses a plan with the same ones (CREATE_RULES, through account.CloudState); components/global_router.py reads the
code sets.

kubecvm makes the cluster route table through its own dynamic provider (components/global_router.py), whose engine
type token, diff and id are at the end of this module.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import limits
from . import common
from .common import Refusal

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "tke"  # the credential scope's service and the endpoint's first label: tke.tencentcloudapi.com
VERSION = "2018-05-25"

# Action -> (required members, optional members) of its request: [models] for the members, [api.json] for which
# are required. A member outside both is refused with the common UnknownParameter.
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CreateClusterRouteTable": (("RouteTableName", "RouteTableCidrBlock", "VpcId"), ("IgnoreClusterCidrConflict",)),
    "DescribeClusterRouteTables": ((), ()),
    "DeleteClusterRouteTable": (("RouteTableName",), ()),
    "CreateClusterRoute": (("RouteTableName", "DestinationCidrBlock", "GatewayIp"), ()),
    "DescribeClusterRoutes": (("RouteTableName",), ("Filters",)),
    "DeleteClusterRoute": (("RouteTableName", "GatewayIp", "DestinationCidrBlock"), ()),
}

# Error codes [errorcodes]. Tencent answers some conditions under two prefixes (InternalError.* from older
# releases, InvalidParameter.* / ResourceInUse.* / ResourceNotFound.* from newer ones); a client accepts both.
RESOURCE_EXIST_ALREADY = "InternalError.ResourceExistAlready"
RESOURCE_IN_USE_EXIST_ALREADY = "ResourceInUse.ResourceExistAlready"
ROUTE_TABLE_NOT_FOUND = "InternalError.RouteTableNotFound"
RESOURCE_NOT_FOUND_ROUTE_TABLE = "ResourceNotFound.RouteTableNotFound"
ROUTE_TABLE_NOT_EMPTY = "InternalError.RouteTableNotEmpty"
CIDR_INVALID = "InvalidParameter.CidrInvalid"
CIDR_MASK_SIZE_OUT_OF_RANGE = "InvalidParameter.CIDRMaskSizeOutOfRange"
CIDR_CONFLICT_WITH_OTHER_CLUSTER = "InvalidParameter.CidrConflictWithOtherCluster"
CIDR_CONFLICT_WITH_VPC_GLOBAL_ROUTE = "InvalidParameter.CidrConflictWithVpcGlobalRoute"
CIDR_OUT_OF_ROUTE_TABLE = "InvalidParameter.CidrOutOfRouteTable"
GATEWAY_ALREADY_ASSOCIATED_CIDR = "InvalidParameter.GatewayAlreadyAssociatedCidr"
CIDR_CONFLICT_WITH_OTHER_ROUTE = "InvalidParameter.CidrConflictWithOtherRoute"

ERRORS: dict[str, str] = {
    RESOURCE_EXIST_ALREADY: "The resource already exists.",
    RESOURCE_IN_USE_EXIST_ALREADY: "The resource already exists.",
    ROUTE_TABLE_NOT_FOUND: "The route table does not exist.",
    RESOURCE_NOT_FOUND_ROUTE_TABLE: "No such route table.",
    ROUTE_TABLE_NOT_EMPTY: "The route table is not empty.",
    "InvalidParameter.RouteTableNotEmpty": "The route table is not empty.",
    CIDR_INVALID: "Parameter error: the CIDR is not well-formed.",
    CIDR_MASK_SIZE_OUT_OF_RANGE: "CIDR mask out of range (cluster CIDR: least 10, most 24).",
    CIDR_CONFLICT_WITH_OTHER_CLUSTER: "The CIDR conflicts with another cluster's CIDR.",
    "InternalError.CidrConflictWithOtherCluster": "The CIDR conflicts with another cluster's CIDR.",
    CIDR_CONFLICT_WITH_VPC_GLOBAL_ROUTE: "The route conflicts with a global route that exists in the VPC.",
    "InternalError.CidrConflictWithVpcGlobalRoute": "The CIDR conflicts with a global route.",
    CIDR_OUT_OF_ROUTE_TABLE: "The CIDR is not inside the route table.",
    "InternalError.CidrOutOfRouteTable": "The CIDR is not inside the route table.",
    GATEWAY_ALREADY_ASSOCIATED_CIDR: "The next hop is already associated with a CIDR.",
    "InternalError.GatewayAlreadyAssociatedCidr": "The next hop is already associated with a CIDR.",
    CIDR_CONFLICT_WITH_OTHER_ROUTE: "The route conflicts with another existing route.",
    "InternalError.CidrConflictWithOtherRoute": "The CIDR conflicts with another route.",
}

# What a client may read as "already there", "already gone" and "a route is in the way" (components/global_router.py
# adopts, ignores, or checks the live routes on these), and the common rate-limit code, retried with backoff.
EXISTS = frozenset({RESOURCE_EXIST_ALREADY, RESOURCE_IN_USE_EXIST_ALREADY})
TABLE_NOT_FOUND = frozenset({ROUTE_TABLE_NOT_FOUND, RESOURCE_NOT_FOUND_ROUTE_TABLE})
ROUTE_CONFLICT = frozenset(
    {
        "InternalError.CidrConflictWithOtherRoute",
        CIDR_CONFLICT_WITH_OTHER_ROUTE,
        "InternalError.GatewayAlreadyAssociatedCidr",
        GATEWAY_ALREADY_ASSOCIATED_CIDR,
    }
)
RATE_LIMITED = common.REQUEST_LIMIT_EXCEEDED  # and its sub-codes (common.rate_limited)


@dataclass(frozen=True)
class RouteTable:
    """A cluster route table: RouteTableName, RouteTableCidrBlock, VpcId (RouteTableInfo [models])."""

    name: str
    cidr: str
    vpc_id: str


@dataclass(frozen=True)
class Route:
    """One route of a table: DestinationCidrBlock (a node's pod CIDR) via GatewayIp (the node's address)."""

    destination: str
    gateway: str


def _network(value: object) -> ipaddress.IPv4Network | None:
    """The CIDR block, or None if it is not one (strict: host bits set, as in 172.16.0.1/12, is not a block)."""
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        return None


def cidr_refusal(member: str, value: object) -> Refusal | None:
    if _network(value) is None:
        return Refusal(CIDR_INVALID, f"{member} {value!r} is not an IPv4 CIDR block")
    return None


def table_mask_refusal(new: RouteTable) -> Refusal | None:
    """A table's CIDR is the cluster CIDR, whose prefix TKE keeps within 10..24 ([errorcodes]
    InvalidParameter.CIDRMaskSizeOutOfRange; planning/limits.py CLUSTER_CIDR_MASKS, which the spec checks too)."""
    lo, hi = limits.CLUSTER_CIDR_MASKS
    net = _network(new.cidr)
    if net is not None and not lo <= net.prefixlen <= hi:
        return Refusal(CIDR_MASK_SIZE_OUT_OF_RANGE, f"RouteTableCidrBlock {new.cidr}: the prefix must be /{lo}../{hi}")
    return None


def table_name_taken(new: RouteTable, tables: Iterable[RouteTable]) -> Refusal | None:
    """A table's name is its identity (the id every other call takes): a second one of that name is refused."""
    if any(t.name == new.name for t in tables):
        return Refusal(RESOURCE_EXIST_ALREADY, f"route table {new.name} exists")
    return None


def table_cidr_conflict(new: RouteTable, tables: Iterable[RouteTable]) -> Refusal | None:
    """[GlobalRouter] "同一 VPC 内，不同集群的容器网络网段不能重叠": refused when the CIDR overlaps the table of another
    cluster (another name) in the same VPC. IgnoreClusterCidrConflict does not lift it: [models] documents that flag
    for the conflict with the VPC's route table only. The same name is table_name_taken's concern, not this rule's,
    so the offline replay's new copy of a replaced table does not conflict with its old self."""
    net = _network(new.cidr)
    if net is None or not new.vpc_id:
        return None
    for other in tables:
        other_net = _network(other.cidr)
        if other.name != new.name and other.vpc_id == new.vpc_id and other_net is not None and other_net.overlaps(net):
            return Refusal(
                CIDR_CONFLICT_WITH_OTHER_CLUSTER,
                f"RouteTableCidrBlock {new.cidr} overlaps route table {other.name} ({other.cidr}) in {new.vpc_id}",
            )
    return None


def vpc_route_conflict(new: RouteTable, vpc_destinations: Iterable[str], ignore: bool) -> Refusal | None:
    """A table whose CIDR overlaps a destination of the VPC's own route tables is refused unless the request sets
    IgnoreClusterCidrConflict=1 ("是否忽略CIDR与 vpc 路由表的冲突" [models]); then the container network wins
    [GlobalRouter]. kubecvm sets it once, when a cluster moves from vpcRoutes to globalRouter."""
    net = _network(new.cidr)
    if ignore or net is None:
        return None
    overlapping = [d for d in vpc_destinations if (n := _network(d)) is not None and n.overlaps(net)]
    if overlapping:
        return Refusal(
            CIDR_CONFLICT_WITH_VPC_GLOBAL_ROUTE,
            f"RouteTableCidrBlock {new.cidr} overlaps routes of {new.vpc_id}: {', '.join(overlapping)}",
        )
    return None


def create_table_refusal(
    new: RouteTable,
    tables: Iterable[RouteTable],
    vpc_destinations: Iterable[str] = (),
    ignore_vpc_route_conflict: bool = False,
) -> Refusal | None:
    """CreateClusterRouteTable's refusals, the request's own form first, then the account's state."""
    tables = list(tables)
    return (
        cidr_refusal("RouteTableCidrBlock", new.cidr)
        or table_mask_refusal(new)
        or table_name_taken(new, tables)
        or table_cidr_conflict(new, tables)
        or vpc_route_conflict(new, vpc_destinations, ignore_vpc_route_conflict)
    )


def create_route_refusal(table: RouteTable, routes: Iterable[Route], new: Route) -> Refusal | None:
    """CreateClusterRoute's refusals [errorcodes]: the destination must lie inside the table's CIDR
    (CidrOutOfRouteTable); a gateway carries one destination (GatewayAlreadyAssociatedCidr, also for the same route
    again); two destinations must not overlap (CidrConflictWithOtherRoute). Existing routes are checked in order."""
    dest = _network(new.destination)
    if dest is None:
        return cidr_refusal("DestinationCidrBlock", new.destination)
    try:
        ipaddress.IPv4Address(new.gateway)
    except ValueError:
        return Refusal(common.INVALID_PARAMETER, f"GatewayIp {new.gateway!r} is not an IPv4 address")
    table_net = _network(table.cidr)
    if table_net is not None and not dest.subnet_of(table_net):
        return Refusal(CIDR_OUT_OF_ROUTE_TABLE, f"{new.destination} is not inside {table.name}'s {table.cidr}")
    for r in routes:
        if r.gateway == new.gateway:
            return Refusal(GATEWAY_ALREADY_ASSOCIATED_CIDR, f"{new.gateway} already routes {r.destination}")
        if (other := _network(r.destination)) is not None and other.overlaps(dest):
            return Refusal(
                CIDR_CONFLICT_WITH_OTHER_ROUTE, f"{new.destination} conflicts with {r.destination} via {r.gateway}"
            )
    return None


def table_not_found(name: str) -> Refusal:
    return Refusal(ROUTE_TABLE_NOT_FOUND, f"route table {name} not found")


def delete_table_refusal(name: str, routes: Iterable[Route]) -> Refusal | None:
    """DeleteClusterRouteTable refuses a table that still has routes (RouteTableNotEmpty [errorcodes])."""
    if any(True for _ in routes):
        return Refusal(ROUTE_TABLE_NOT_EMPTY, f"route table {name} still has routes")
    return None


# --- The cluster route table as kubecvm's stacks make it ----------------------------------------------------
# podNetwork globalRouter: one dynamic resource (components/global_router.py ClusterRouteTable) holds the TKE cluster
# route table and its per-node routes: props routeTableName, routeTableCidrBlock, vpcId, region, routes {node: {...}}.

CLUSTER_ROUTE_TABLE = "pulumi-python:dynamic/kubecvm:ClusterRouteTable"
# Its id is its RouteTableName (the provider's create returns it), so no prefix.
ID_PREFIX: dict[str, str] = {}
# Its provider's diff() replaces the table when these change (TABLE_INPUTS there) and updates the per-node `routes`
# map in place, each changed route deleted then created: static enough to copy here.
FORCE_NEW: dict[str, frozenset[str]] = {
    CLUSTER_ROUTE_TABLE: frozenset({"routeTableName", "routeTableCidrBlock", "vpcId", "region"}),
}
# Map inputs compared per key, so a change names what moved: `routes.<node>` for one node's cluster route.
MAP_INPUTS: dict[str, frozenset[str]] = {CLUSTER_ROUTE_TABLE: frozenset({"routes"})}
# In place, but disruptive: input -> (what the update does, whether the machine stops serving meanwhile).
DISRUPTIVE: dict[str, dict[str, tuple[str, bool]]] = {
    CLUSTER_ROUTE_TABLE: {
        "routes": (
            "the changed nodes' cluster routes are deleted and created again (their pods are briefly unreachable)",
            False,
        ),
    },
}
# A create returns nothing beyond its inputs that kubecvm reads: the table is read by its name.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {}


def cluster_route_tables_disjoint(state: CloudState, inputs: dict) -> str | None:
    """TKE refuses a cluster route table whose CIDR overlaps another cluster's table in the same VPC: the shared rule
    table_cidr_conflict, which the emulator answers with too. Only that rule: the name's uniqueness is left out,
    since the provider replaces a table delete-first (its diff asks for it), which the offline replay does not see."""

    def table(i: dict) -> RouteTable:
        return RouteTable(
            str(i.get("routeTableName") or ""), str(i.get("routeTableCidrBlock") or ""), str(i.get("vpcId") or "")
        )

    refusal = table_cidr_conflict(table(inputs), [table(r.inputs) for r in state.of_type(CLUSTER_ROUTE_TABLE)])
    return f"{refusal.message} ({refusal.code})" if refusal else None


def cluster_route_table_vs_vpc_routes(state: CloudState, inputs: dict) -> str | None:
    """TKE refuses a cluster route table whose CIDR overlaps entries of the VPC's route tables unless the request
    sets IgnoreClusterCidrConflict: the shared rule vpc_route_conflict (docs/concepts/pod-network.md, "Switching an existing cluster from
    vpcRoutes"), so a replay from vpcRoutes to globalRouter without podNetwork.ignoreVpcRouteConflict is refused, as
    `pulumi up` would be. The VPC's entries: those of route tables of this VPC, or of a table the account does not
    hold (an existing network's). The default route (0.0.0.0/0, the NAT's) overlaps every CIDR and is left out: a new
    globalRouter cluster with a NAT gets its table."""
    from . import vpc  # its tokens (a local import: services.py reads every service module, tke first)

    vpc_id = str(inputs.get("vpcId") or "")
    vpc_of_table = {r.id: r.inputs.get("vpcId") for r in state.of_type(vpc.ROUTE_TABLE)}
    destinations = [
        str(r.inputs.get("destinationCidrBlock") or "")
        for r in state.of_type(vpc.ROUTE_ENTRY)
        if vpc_of_table.get(r.inputs.get("routeTableId"), vpc_id) == vpc_id
    ]
    table = RouteTable(str(inputs.get("routeTableName") or ""), str(inputs.get("routeTableCidrBlock") or ""), vpc_id)
    refusal = vpc_route_conflict(
        table, [d for d in destinations if d != "0.0.0.0/0"], bool(inputs.get("ignoreClusterCidrConflict"))
    )
    return (
        f"{refusal.message} ({refusal.code}); set podNetwork.ignoreVpcRouteConflict: true for the switch"
        if refusal
        else None
    )


CREATE_RULES = {CLUSTER_ROUTE_TABLE: (cluster_route_tables_disjoint, cluster_route_table_vs_vpc_routes)}
DELETE_RULES: dict = {}
