"""The TKE cluster route table (podNetwork globalRouter) as a Pulumi dynamic resource on Tencent's official SDK.

The Tencent Pulumi provider has no resource for it, so this module calls the TKE API 2018-05-25 itself
(tencentcloud-sdk-python-tke, tencentcloud/tke/v20180525/tke_client.py): CreateClusterRouteTable(RouteTableName,
RouteTableCidrBlock, VpcId, IgnoreClusterCidrConflict), DescribeClusterRouteTables(), DeleteClusterRouteTable(
RouteTableName), CreateClusterRoute(RouteTableName, DestinationCidrBlock, GatewayIp), DescribeClusterRoutes(
RouteTableName), DeleteClusterRoute(RouteTableName, GatewayIp, DestinationCidrBlock). Tencent's own cloud controller
manager drives the same calls for clusters self-built on CVMs (TencentCloud/tencentcloud-cloud-controller-manager,
tencentcloud/routes.go: one route per node, GatewayIp = the node's address, DestinationCidrBlock = its pod CIDR).

Before creating the table, the provider checks that the account has the TKE service role TKE_QCSRole (CAM GetRole;
kubecvm/planning/tencent/cam.py): TKE acts on the VPC through it, and it exists only once the container service
has been activated. A missing role stops the create with how to create it; a caller that may not read CAM is let
through (TKE itself would refuse).

Granularity: ONE resource holds the table and a map node -> route (bench/RESULTS.md measures it against one
resource per route: a dynamic resource pickles its provider into every registration). The provider diffs the map
per node: a route whose destination or gateway changes is deleted and created again (a replacement of that route
only); the table itself is replaced when its name, CIDR, VPC or region changes.

Credentials never enter the resource's inputs (which the state keeps): they are resolved when the provider runs, as
the Tencent provider resolves them (components/tencent_calls.py), then kept in the provider process until they
near expiry.

The SDK and tenacity are imported only when the provider runs, never when a program (or `kubecvm plan`) merely
declares the resource.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from kubecvm.planning.tencent import cam as cam_api
from kubecvm.planning.tencent import tke as tke_api

from .tencent_calls import ApiRefusal, Config, Secret, call_api, client_profile, resolve_credentials
from .tencent_calls import CallError as GlobalRouterError

API_VERSION = tke_api.VERSION
MISSING_SERVICE_ROLE = (
    f"the TKE service role {cam_api.TKE_SERVICE_ROLE} does not exist in this account (CAM GetRole: "
    f"{cam_api.ROLE_NOT_EXIST}). TKE applies the cluster route table's routes to the VPC through that role, which "
    f"exists once the container service (TKE) is activated. Activate it: in the TKE console "
    f"(https://console.cloud.tencent.com/tke2) open Clusters and accept the Service Authorization it asks for (Go to "
    f"Cloud Access Management, Grant Authorization); or create it in CAM (https://console.cloud.tencent.com/cam/role): "
    f"a role for the Tencent Cloud service TKE (principal service {cam_api.TKE_SERVICE_PRINCIPAL}) named "
    f"{cam_api.TKE_SERVICE_ROLE}, with the preset policies {' and '.join(cam_api.TKE_SERVICE_ROLE_POLICIES)}. Then run "
    f"`pulumi up` again. See {cam_api.TKE_SERVICE_ROLE_DOCS}."
)
# The error codes the provider acts on, from the one model of TKE's answers (kubecvm/planning/tencent/tke.py, which
# cites errorcodes.py and the API 3.0 common codes): rate limits are retried (the code and its sub-codes, e.g.
# RequestLimitExceeded.UinLimitExceeded), EXISTS adopts, TABLE_NOT_FOUND means gone, ROUTE_CONFLICT checks the
# live routes.
RATE_LIMITED = tke_api.RATE_LIMITED
EXISTS = tke_api.EXISTS
TABLE_NOT_FOUND = tke_api.TABLE_NOT_FOUND
ROUTE_CONFLICT = tke_api.ROUTE_CONFLICT
CONCURRENCY = 8  # parallel route calls; rate-limit answers are retried with backoff
TABLE_INPUTS = ("routeTableName", "routeTableCidrBlock", "vpcId", "region")  # any change replaces the table


@dataclass(frozen=True)
class Route:
    destination: str
    gateway: str


def desired_routes(props: Mapping[str, Any]) -> dict[str, Route]:
    return {node: Route(r["destinationCidrBlock"], r["gatewayIp"]) for node, r in (props.get("routes") or {}).items()}


def route_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[list[Route], list[Route]]:
    """(routes to delete, routes to create) to turn the old map into the new one. A node whose destination or
    gateway changed is both: its old route goes first, since Tencent refuses a second route for a gateway."""
    old, new = desired_routes(olds), desired_routes(news)
    delete = [old[n] for n in sorted(old) if new.get(n) != old[n]]
    create = [new[n] for n in sorted(new) if old.get(n) != new[n]]
    return delete, create


def check_problems(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for inputs the API would refuse; checked before any call."""
    problems = []
    for key in ("routeTableName", "routeTableCidrBlock", "vpcId", "region"):
        if not props.get(key):
            problems.append((key, "required"))
    try:
        table = ipaddress.IPv4Network(str(props.get("routeTableCidrBlock")))
    except ValueError:
        return problems + [("routeTableCidrBlock", f"{props.get('routeTableCidrBlock')!r} is not a canonical CIDR")]
    gateways: dict[str, str] = {}
    for node, r in sorted(desired_routes(props).items()):
        try:
            dest = ipaddress.IPv4Network(r.destination)
            ipaddress.IPv4Address(r.gateway)
        except ValueError:
            problems.append((f"routes.{node}", f"{r.destination} -> {r.gateway} is not a CIDR and an IPv4 address"))
            continue
        if not dest.subnet_of(table):
            problems.append(
                (f"routes.{node}", f"{dest} is outside the table's CIDR {table} ({tke_api.CIDR_OUT_OF_ROUTE_TABLE})")
            )
        if r.gateway in gateways:
            problems.append((f"routes.{node}", f"gateway {r.gateway} is already {gateways[r.gateway]}'s"))
        gateways[r.gateway] = node
    return problems


class Tke:
    """The TKE calls kubecvm makes, with retries on rate limits and Tencent's error codes made plain."""

    def __init__(self, region: str, secret: Secret, config: Config = lambda _k: None):
        from tencentcloud.tke.v20180525 import models, tke_client

        self.region, self.secret, self.config = region, secret, config
        self.models = models
        self.client = tke_client.TkeClient(secret.sdk(), region, client_profile("tke", config))

    def call(self, action: str, params: dict, *, ok: Iterable[str] = ()) -> Any:
        """The SDK response model; None when Tencent answers one of the `ok` codes."""
        request = getattr(self.models, f"{action}Request")()
        request._deserialize(params)
        context = self.secret.identity if self.secret.token else ""
        return call_api(
            "TKE",
            action,
            lambda: getattr(self.client, action)(request),
            ok=ok,
            context=f"as {context}" if context else "",
        )

    def check_service_role(self) -> None:
        """Refuse to go on when the account has no TKE service role: TKE acts on the VPC through TKE_QCSRole, which
        exists only once the container service has been activated (CAM 2019-01-16 GetRole; a missing role is
        InvalidParameter.RoleNotExist, planning/tencent/cam.py). A caller that may not read CAM is let through:
        TKE itself refuses if the role is missing."""
        from tencentcloud.common.common_client import CommonClient

        client = CommonClient(
            cam_api.SERVICE, cam_api.VERSION, self.secret.sdk(), self.region, client_profile("cam", self.config)
        )
        try:
            call_api("CAM", "GetRole", lambda: client.call_json("GetRole", {"RoleName": cam_api.TKE_SERVICE_ROLE}))
        except ApiRefusal as refusal:
            if refusal.code in cam_api.NOT_ALLOWED:
                return
            if refusal.code == cam_api.ROLE_NOT_EXIST:
                raise GlobalRouterError(MISSING_SERVICE_ROLE) from None
            raise

    def tables(self) -> list[dict]:
        resp = self.call("DescribeClusterRouteTables", {})
        return [
            {"name": t.RouteTableName, "cidr": t.RouteTableCidrBlock, "vpcId": t.VpcId}
            for t in resp.RouteTableSet or []
        ]

    def routes(self, table: str) -> list[Route] | None:
        resp = self.call("DescribeClusterRoutes", {"RouteTableName": table}, ok=TABLE_NOT_FOUND)
        return None if resp is None else [Route(r.DestinationCidrBlock, r.GatewayIp) for r in resp.RouteSet or []]

    def create_table(self, name: str, cidr: str, vpc_id: str, ignore_vpc_routes: bool = False) -> None:
        """Create the table, or adopt ours if it is already there; refuse an overlap with another table of the VPC
        (TKE GlobalRouter: pod CIDRs of clusters in one VPC must not overlap)."""
        net = ipaddress.IPv4Network(cidr)
        for t in self.tables():
            if t["name"] == name:
                if (t["cidr"], t["vpcId"]) != (cidr, vpc_id):
                    raise GlobalRouterError(
                        f"cluster route table {name} exists for {t['cidr']} in {t['vpcId']}, not "
                        f"{cidr} in {vpc_id}: delete it or choose another cluster name"
                    )
                return
            if t["vpcId"] == vpc_id and ipaddress.IPv4Network(t["cidr"]).overlaps(net):
                raise GlobalRouterError(
                    f"podCidr {cidr} overlaps cluster route table {t['name']} ({t['cidr']}) in "
                    f"{vpc_id}: pod CIDRs of clusters in one VPC must be disjoint"
                )
        self.call(
            "CreateClusterRouteTable",
            {
                "RouteTableName": name,
                "RouteTableCidrBlock": cidr,
                "VpcId": vpc_id,
                "IgnoreClusterCidrConflict": int(ignore_vpc_routes),
            },
            ok=EXISTS,
        )

    def add_route(self, table: str, route: Route, existing: Callable[[], list[Route]]) -> None:
        params = {"RouteTableName": table, "DestinationCidrBlock": route.destination, "GatewayIp": route.gateway}
        if self.call("CreateClusterRoute", params, ok=EXISTS | ROUTE_CONFLICT) is None and route not in existing():
            raise GlobalRouterError(
                f"cluster route {route.destination} -> {route.gateway} conflicts with another route "
                f"in {table}; remove it (DeleteClusterRoute) and run `pulumi up` again"
            )

    def remove_route(self, table: str, route: Route) -> None:
        params = {"RouteTableName": table, "GatewayIp": route.gateway, "DestinationCidrBlock": route.destination}
        self.call("DeleteClusterRoute", params, ok=TABLE_NOT_FOUND)

    def sync(self, table: str, delete: list[Route], create: list[Route], live: list[Route] | None = None) -> None:
        """Delete, then create, CONCURRENCY calls at a time. Idempotent both ways: a route to delete that is not
        among the live routes (`live`, else read once here) is skipped, since a retried update after a partial sync,
        or a hand, may have removed it already; a route to create that is already there is kept (not sent again when
        the live routes were read)."""
        if delete:
            present = set(live if live is not None else (self.routes(table) or []))
            delete = [r for r in delete if r in present]
            create = [r for r in create if r not in present or r in delete]
        cache: list[list[Route]] = []

        def existing() -> list[Route]:
            if not cache:
                cache.append(self.routes(table) or [])
            return cache[0]

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda r: self.remove_route(table, r), delete))
            list(pool.map(lambda r: self.add_route(table, r, existing), create))


# Guards each provider's credential cache; a module global, so never pickled with a provider.
_SECRETS_LOCK = threading.Lock()


def _plain(props: Mapping[str, Any]) -> dict:
    return {k: v for k, v in props.items() if not k.startswith("__")}


class ClusterRouteTableProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of one cluster route table and its routes. Holds no credentials until `configure` runs in the provider
    process, so nothing secret is pickled into the program's registrations."""

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        self._config = req.config

    def _settings(self) -> Config:
        config = getattr(self, "_config", None)
        return lambda k: config.get(k) if config is not None else None

    def _secret(self, region: str) -> Secret:
        """The resolved credential for `region` (STS is called in the resource's region), kept in this provider
        process while it is fresh: the provider resolves once, not at every call, as the Tencent provider does."""
        with _SECRETS_LOCK:
            cache: dict[str, Secret] = self.__dict__.setdefault("_secrets", {})
            cached = cache.get(region)
            if cached is None or not cached.fresh(time.time()):
                cached = cache[region] = resolve_credentials(self._settings(), region)
            return cached

    def _tke(self, props: Mapping[str, Any]) -> Tke:
        return Tke(props["region"], self._secret(props["region"]), self._settings())

    def check(self, _olds: dict, news: dict) -> pulumi.dynamic.CheckResult:
        failures = [pulumi.dynamic.CheckFailure(p, r) for p, r in check_problems(news)]
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, _id: str, olds: dict, news: dict) -> pulumi.dynamic.DiffResult:
        replaces = [k for k in TABLE_INPUTS if olds.get(k) != news.get(k)]
        changed = bool(replaces) or desired_routes(olds) != desired_routes(news)
        # The table's name is fixed, so a replacement must delete the old one first.
        return pulumi.dynamic.DiffResult(
            changes=changed, replaces=replaces, stables=[], delete_before_replace=bool(replaces)
        )

    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        tke = self._tke(props)
        name = props["routeTableName"]
        tke.check_service_role()
        tke.create_table(
            name, props["routeTableCidrBlock"], props["vpcId"], bool(props.get("ignoreClusterCidrConflict"))
        )
        present = set(tke.routes(name) or [])
        wanted = desired_routes(props)
        # An adopted table (a retried create) may hold routes of an earlier attempt: keep ours, drop the rest.
        tke.sync(
            name,
            sorted(present - set(wanted.values()), key=str),
            [r for r in wanted.values() if r not in present],
            live=list(present),
        )
        return pulumi.dynamic.CreateResult(id_=name, outs=_plain(props))

    def read(self, id_: str, props: dict) -> pulumi.dynamic.ReadResult:
        live = self._tke(props).routes(id_)
        if live is None:
            return pulumi.dynamic.ReadResult(None, {})  # gone: the engine drops it from the state
        by_gateway = {r.gateway: r for r in live}
        nodes = {n: r.gateway for n, r in desired_routes(props).items()}
        routes = {
            n: {"destinationCidrBlock": by_gateway[g].destination, "gatewayIp": g}
            for n, g in sorted(nodes.items())
            if g in by_gateway
        }
        return pulumi.dynamic.ReadResult(id_, {**_plain(props), "routes": routes})

    def update(self, id_: str, olds: dict, news: dict) -> pulumi.dynamic.UpdateResult:
        delete, create = route_changes(olds, news)
        self._tke(news).sync(id_, delete, create)
        return pulumi.dynamic.UpdateResult(outs=_plain(news))

    def delete(self, id_: str, props: dict) -> None:
        tke = self._tke(props)
        live = tke.routes(id_)
        if live is None:
            return  # already gone
        tke.sync(id_, live, [], live=live)
        tke.call("DeleteClusterRouteTable", {"RouteTableName": id_}, ok=TABLE_NOT_FOUND)


class ClusterRouteTable(pulumi.dynamic.Resource, module="kubecvm", name="ClusterRouteTable"):
    """A TKE cluster route table for `cidr` in `vpc_id`, with one route per node: {node: (pod CIDR, node IP)}."""

    def __init__(
        self,
        name: str,
        *,
        table_name: str,
        cidr: str,
        vpc_id: pulumi.Input[str],
        region: str,
        routes: Mapping[str, tuple[str, str]],
        ignore_vpc_route_conflict: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "routeTableName": table_name,
            "routeTableCidrBlock": cidr,
            "vpcId": vpc_id,
            "region": region,
            # Read by create only (diff ignores it): the switch from vpcRoutes sets it for one `pulumi up`.
            "ignoreClusterCidrConflict": int(ignore_vpc_route_conflict),
            "routes": {node: {"destinationCidrBlock": d, "gatewayIp": g} for node, (d, g) in routes.items()},
        }
        super().__init__(ClusterRouteTableProvider(), name, props, opts)
