"""The TKE API 2018-05-25 cluster route calls, with an account's route tables and routes. What TKE refuses is
decided by kubecvm/planning/tencent/tke.py (one rule per refusal, each with its source); this module holds the
state and shapes the answers as the SDK's models do (tencentcloud/tke/v20180525/models.py:
DescribeClusterRouteTablesResponse.RouteTableSet of RouteTableInfo, DescribeClusterRoutesResponse.RouteSet of
RouteInfo, TotalCount).
"""

from __future__ import annotations

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import common, tke


class TkeService(Service):
    name = tke.SERVICE
    version = tke.VERSION
    parameters = tke.PARAMETERS

    def reset(self) -> None:
        # Plain data a test may read or set directly, as it would arrange an account by hand.
        self.tables: dict[str, dict] = {}  # RouteTableName -> {"cidr", "vpcId"}
        self.routes: dict[
            str, list[tuple[str, str]]
        ] = {}  # RouteTableName -> [(destination, gateway)], in creation order
        # VpcId -> destinations of the VPC's own route-table entries (a vpcRoutes cluster's pod routes). The VPC
        # service is not emulated yet: a test sets them to exercise CidrConflictWithVpcGlobalRoute.
        self.vpc_routes: dict[str, list[str]] = {}
        super().reset()

    def resources(self) -> dict[str, int]:
        return {"tke/ClusterRouteTable": len(self.tables), "tke/ClusterRoute": sum(map(len, self.routes.values()))}

    def _all_tables(self) -> list[tke.RouteTable]:
        return [tke.RouteTable(n, t["cidr"], t["vpcId"]) for n, t in self.tables.items()]

    def _table(self, name: str) -> tke.RouteTable:
        if name not in self.tables:
            raise ApiError.of(tke.table_not_found(name))
        return tke.RouteTable(name, self.tables[name]["cidr"], self.tables[name]["vpcId"])

    def _routes(self, name: str) -> list[tke.Route]:
        return [tke.Route(d, g) for d, g in self.routes.get(name, [])]

    # --- the actions --------------------------------------------------------------------------------------------
    def CreateClusterRouteTable(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        new = tke.RouteTable(str(p["RouteTableName"]), str(p["RouteTableCidrBlock"]), str(p["VpcId"]))
        ignore = bool(p.get("IgnoreClusterCidrConflict"))
        if refusal := tke.create_table_refusal(new, self._all_tables(), self.vpc_routes.get(new.vpc_id, ()), ignore):
            raise ApiError.of(refusal)
        self.tables[new.name] = {"cidr": new.cidr, "vpcId": new.vpc_id}
        self.routes[new.name] = []
        return {}

    def DescribeClusterRouteTables(self, _p: dict) -> dict:  # noqa: N802
        rows = [
            {"RouteTableName": t.name, "RouteTableCidrBlock": t.cidr, "VpcId": t.vpc_id}
            for t in sorted(self._all_tables(), key=lambda t: t.name)
        ]
        return {"TotalCount": len(rows), "RouteTableSet": rows}

    def DeleteClusterRouteTable(self, p: dict) -> dict:  # noqa: N802
        table = self._table(p["RouteTableName"])
        if refusal := tke.delete_table_refusal(table.name, self._routes(table.name)):
            raise ApiError.of(refusal)
        del self.tables[table.name]
        self.routes.pop(table.name, None)
        return {}

    def CreateClusterRoute(self, p: dict) -> dict:  # noqa: N802
        table = self._table(p["RouteTableName"])
        new = tke.Route(str(p["DestinationCidrBlock"]), str(p["GatewayIp"]))
        if refusal := tke.create_route_refusal(table, self._routes(table.name), new):
            raise ApiError.of(refusal)
        self.routes.setdefault(table.name, []).append((new.destination, new.gateway))
        return {}

    def DescribeClusterRoutes(self, p: dict) -> dict:  # noqa: N802
        table = self._table(p["RouteTableName"])
        if p.get("Filters"):
            # The API documents one filter, on GatewayIP, without naming it: the emulator does not guess the name.
            raise ApiError(common.UNSUPPORTED_OPERATION, "the emulator does not evaluate DescribeClusterRoutes Filters")
        rows = [
            {"RouteTableName": table.name, "DestinationCidrBlock": r.destination, "GatewayIp": r.gateway}
            for r in self._routes(table.name)
        ]
        return {"TotalCount": len(rows), "RouteSet": rows}

    def DeleteClusterRoute(self, p: dict) -> dict:  # noqa: N802
        # Deleting a route that is not there succeeds: errorcodes.py has no code for a missing route (it has one for
        # a missing table only), so the emulator invents none.
        table = self._table(p["RouteTableName"])
        gone = (p["DestinationCidrBlock"], p["GatewayIp"])
        self.routes[table.name] = [r for r in self.routes.get(table.name, []) if r != gone]
        return {}
