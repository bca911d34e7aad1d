"""The TKE cluster route table (podNetwork globalRouter) as a Pulumi dynamic resource on Tencent's official SDK.

The Tencent Pulumi provider has no resource for it, so this module calls the TKE API 2018-05-25 itself
(tencentcloud-sdk-python-tke, tencentcloud/tke/v20180525/tke_client.py): CreateClusterRouteTable(RouteTableName,
RouteTableCidrBlock, VpcId, IgnoreClusterCidrConflict), DescribeClusterRouteTables(), DeleteClusterRouteTable(
RouteTableName), CreateClusterRoute(RouteTableName, DestinationCidrBlock, GatewayIp), DescribeClusterRoutes(
RouteTableName), DeleteClusterRoute(RouteTableName, GatewayIp, DestinationCidrBlock). Tencent's own cloud controller
manager drives the same calls for clusters self-built on CVMs (TencentCloud/tencentcloud-cloud-controller-manager,
tencentcloud/routes.go: one route per node, GatewayIp = the node's address, DestinationCidrBlock = its pod CIDR).

Granularity: ONE resource holds the table and a map node -> route (bench/RESULTS.md measures it against one
resource per route: a dynamic resource pickles its provider into every registration). The provider diffs the map
per node: a route whose destination or gateway changes is deleted and created again (a replacement of that route
only); the table itself is replaced when its name, CIDR, VPC or region changes.

Credentials never enter the resource's inputs (which the state keeps): they are read when the provider runs, as
the Tencent provider reads them (terraform-provider-tencentcloud tencentcloud/provider.go: the provider config
`tencentcloud:secretId` / `secretKey` / `securityToken`, else TENCENTCLOUD_SECRET_ID / _SECRET_KEY /
_SECURITY_TOKEN). TENCENTCLOUD_TKE_ENDPOINT overrides the endpoint (a host, or http://host:port for tests).

The SDK and tenacity are imported only when the provider runs, never when a program (or `kubecvm plan`) merely
declares the resource.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pulumi
import pulumi.dynamic

from kubecvm.planning.tencent import tke as tke_api

ENDPOINT_ENV = "TENCENTCLOUD_TKE_ENDPOINT"
API_VERSION = tke_api.VERSION
# (config key, environment variable): the provider config wins, as in terraform-provider-tencentcloud provider.go.
CREDENTIALS = (
    ("tencentcloud:secretId", "TENCENTCLOUD_SECRET_ID"),
    ("tencentcloud:secretKey", "TENCENTCLOUD_SECRET_KEY"),
    ("tencentcloud:securityToken", "TENCENTCLOUD_SECURITY_TOKEN"),
)
# The error codes the provider acts on, from the one model of TKE's answers (kubecvm/planning/tencent/tke.py, which
# cites errorcodes.py and the API 3.0 common codes): rate limits are retried (the code and its sub-codes, e.g.
# RequestLimitExceeded.UinLimitExceeded), EXISTS adopts, TABLE_NOT_FOUND means gone, ROUTE_CONFLICT checks the
# live routes.
RATE_LIMITED = tke_api.RATE_LIMITED
EXISTS = tke_api.EXISTS
TABLE_NOT_FOUND = tke_api.TABLE_NOT_FOUND
ROUTE_CONFLICT = tke_api.ROUTE_CONFLICT
RETRY_ATTEMPTS = 8
RETRY_FIRST_WAIT = 0.2  # seconds, doubling with jitter up to 10 s
CONCURRENCY = 8  # parallel route calls; rate-limit answers are retried with backoff
TABLE_INPUTS = ("routeTableName", "routeTableCidrBlock", "vpcId", "region")  # any change replaces the table


class GlobalRouterError(Exception):
    """A clear, user-facing failure of a TKE call (the code, what it means, what to do)."""


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
            problems.append((f"routes.{node}", f"{dest} is outside the table's CIDR {table} ({tke_api.CIDR_OUT_OF_ROUTE_TABLE})"))
        if r.gateway in gateways:
            problems.append((f"routes.{node}", f"gateway {r.gateway} is already {gateways[r.gateway]}'s"))
        gateways[r.gateway] = node
    return problems


def credentials(config: Callable[[str], str | None] = lambda _k: None) -> tuple[str, str, str | None]:
    """(secretId, secretKey, token) from the provider config, else the environment; a clear error if missing."""
    values = [config(key) or os.environ.get(env) or None for key, env in CREDENTIALS]
    if not values[0] or not values[1]:
        raise GlobalRouterError(
            "no Tencent Cloud credentials for the cluster route table: set TENCENTCLOUD_SECRET_ID and "
            "TENCENTCLOUD_SECRET_KEY (or `pulumi config set --secret tencentcloud:secretId/secretKey`)"
        )
    return values[0], values[1], values[2]


def endpoint() -> tuple[str, str | None]:
    """(scheme, host[:port] or None for the SDK's default tke.tencentcloudapi.com) from TENCENTCLOUD_TKE_ENDPOINT."""
    raw = os.environ.get(ENDPOINT_ENV, "").strip()
    if not raw:
        return "https", None
    url = urlparse(raw if "://" in raw else f"https://{raw}")
    if url.scheme not in ("http", "https") or not url.netloc:
        raise GlobalRouterError(f"{ENDPOINT_ENV}={raw!r}: expected a host or an http(s)://host[:port] URL")
    return url.scheme, url.netloc


class Tke:
    """The TKE calls kubecvm makes, with retries on rate limits and Tencent's error codes made plain."""

    def __init__(self, region: str, secret: tuple[str, str, str | None]):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.tke.v20180525 import models, tke_client

        scheme, host = endpoint()
        http = HttpProfile(protocol=scheme, endpoint=host, reqTimeout=30)
        self.models = models
        self.client = tke_client.TkeClient(credential.Credential(*secret), region, ClientProfile(httpProfile=http))

    def _call(self, action: str, params: dict) -> Any:
        import tenacity
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        request = getattr(self.models, f"{action}Request")()
        request._deserialize(params)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(
                lambda e: isinstance(e, TencentCloudSDKException) and str(e.code or "").startswith(RATE_LIMITED)),
            wait=tenacity.wait_exponential_jitter(initial=RETRY_FIRST_WAIT, max=10), stop=tenacity.stop_after_attempt(RETRY_ATTEMPTS),
            reraise=True,
        )
        return retrying(getattr(self.client, action), request)

    def call(self, action: str, params: dict, *, ok: Iterable[str] = ()) -> Any:
        """The SDK response model; None when Tencent answers one of the `ok` codes."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            return self._call(action, params)
        except TencentCloudSDKException as exc:
            code = str(exc.code or "")
            if code in ok:
                return None
            hint = ""
            if code.startswith("AuthFailure"):
                hint = "; check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (or tencentcloud:secretId/secretKey)"
            elif code.startswith(RATE_LIMITED):
                hint = f"; still rate-limited after {RETRY_ATTEMPTS} attempts, run `pulumi up` again"
            raise GlobalRouterError(f"TKE {action} failed: {code}: {exc.message} (request {exc.requestId}){hint}") from None

    def tables(self) -> list[dict]:
        resp = self.call("DescribeClusterRouteTables", {})
        return [{"name": t.RouteTableName, "cidr": t.RouteTableCidrBlock, "vpcId": t.VpcId} for t in resp.RouteTableSet or []]

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
                    raise GlobalRouterError(f"cluster route table {name} exists for {t['cidr']} in {t['vpcId']}, not "
                                            f"{cidr} in {vpc_id}: delete it or choose another cluster name")
                return
            if t["vpcId"] == vpc_id and ipaddress.IPv4Network(t["cidr"]).overlaps(net):
                raise GlobalRouterError(f"podCidr {cidr} overlaps cluster route table {t['name']} ({t['cidr']}) in "
                                        f"{vpc_id}: pod CIDRs of clusters in one VPC must be disjoint")
        self.call("CreateClusterRouteTable", {"RouteTableName": name, "RouteTableCidrBlock": cidr, "VpcId": vpc_id,
                                              "IgnoreClusterCidrConflict": int(ignore_vpc_routes)}, ok=EXISTS)

    def add_route(self, table: str, route: Route, existing: Callable[[], list[Route]]) -> None:
        params = {"RouteTableName": table, "DestinationCidrBlock": route.destination, "GatewayIp": route.gateway}
        if self.call("CreateClusterRoute", params, ok=EXISTS | ROUTE_CONFLICT) is None and route not in existing():
            raise GlobalRouterError(f"cluster route {route.destination} -> {route.gateway} conflicts with another route "
                                    f"in {table}; remove it (DeleteClusterRoute) and run `pulumi up` again")

    def remove_route(self, table: str, route: Route) -> None:
        params = {"RouteTableName": table, "GatewayIp": route.gateway, "DestinationCidrBlock": route.destination}
        self.call("DeleteClusterRoute", params, ok=TABLE_NOT_FOUND)

    def sync(self, table: str, delete: list[Route], create: list[Route]) -> None:
        """Delete, then create, CONCURRENCY calls at a time. Idempotent: a route already present is kept."""
        cache: list[list[Route]] = []

        def existing() -> list[Route]:
            if not cache:
                cache.append(self.routes(table) or [])
            return cache[0]

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(lambda r: self.remove_route(table, r), delete))
            list(pool.map(lambda r: self.add_route(table, r, existing), create))


def _plain(props: Mapping[str, Any]) -> dict:
    return {k: v for k, v in props.items() if not k.startswith("__")}


class ClusterRouteTableProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of one cluster route table and its routes. Holds no credentials until `configure` runs in the provider
    process, so nothing secret is pickled into the program's registrations."""

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        self._config = req.config

    def _tke(self, props: Mapping[str, Any]) -> Tke:
        config = getattr(self, "_config", None)
        return Tke(props["region"], credentials(lambda k: config.get(k) if config is not None else None))

    def check(self, _olds: dict, news: dict) -> pulumi.dynamic.CheckResult:
        failures = [pulumi.dynamic.CheckFailure(p, r) for p, r in check_problems(news)]
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, _id: str, olds: dict, news: dict) -> pulumi.dynamic.DiffResult:
        replaces = [k for k in TABLE_INPUTS if olds.get(k) != news.get(k)]
        changed = bool(replaces) or desired_routes(olds) != desired_routes(news)
        # The table's name is fixed, so a replacement must delete the old one first.
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, stables=[],
                                         delete_before_replace=bool(replaces))

    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        tke = self._tke(props)
        name = props["routeTableName"]
        tke.create_table(name, props["routeTableCidrBlock"], props["vpcId"], bool(props.get("ignoreClusterCidrConflict")))
        present = set(tke.routes(name) or [])
        wanted = desired_routes(props)
        # An adopted table (a retried create) may hold routes of an earlier attempt: keep ours, drop the rest.
        tke.sync(name, sorted(present - set(wanted.values()), key=str), [r for r in wanted.values() if r not in present])
        return pulumi.dynamic.CreateResult(id_=name, outs=_plain(props))

    def read(self, id_: str, props: dict) -> pulumi.dynamic.ReadResult:
        live = self._tke(props).routes(id_)
        if live is None:
            return pulumi.dynamic.ReadResult(None, {})  # gone: the engine drops it from the state
        by_gateway = {r.gateway: r for r in live}
        nodes = {n: r.gateway for n, r in desired_routes(props).items()}
        routes = {n: {"destinationCidrBlock": by_gateway[g].destination, "gatewayIp": g}
                  for n, g in sorted(nodes.items()) if g in by_gateway}
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
        tke.sync(id_, live, [])
        tke.call("DeleteClusterRouteTable", {"RouteTableName": id_}, ok=TABLE_NOT_FOUND)


class ClusterRouteTable(pulumi.dynamic.Resource, module="kubecvm", name="ClusterRouteTable"):
    """A TKE cluster route table for `cidr` in `vpc_id`, with one route per node: {node: (pod CIDR, node IP)}."""

    def __init__(
        self, name: str, *, table_name: str, cidr: str, vpc_id: pulumi.Input[str], region: str,
        routes: Mapping[str, tuple[str, str]], ignore_vpc_route_conflict: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        props = {
            "routeTableName": table_name, "routeTableCidrBlock": cidr, "vpcId": vpc_id, "region": region,
            # Read by create only (diff ignores it): the switch from vpcRoutes sets it for one `pulumi up`.
            "ignoreClusterCidrConflict": int(ignore_vpc_route_conflict),
            "routes": {node: {"destinationCidrBlock": d, "gatewayIp": g} for node, (d, g) in routes.items()},
        }
        super().__init__(ClusterRouteTableProvider(), name, props, opts)
