"""A local fake of the TKE API 2018-05-25 cluster-route calls, on 127.0.0.1, for the GlobalRouter provider's tests.

It checks what Tencent's API gateway checks (API 3.0, TC3-HMAC-SHA256): the Authorization header's credential
scope and signature, computed here with the SDK's own primitive (tencentcloud.common.sign.Sign.sign_tc3) from
the received method, host, content type and body; the X-TC-Action / X-TC-Version / X-TC-Timestamp headers; the
request body's required fields. It answers in Tencent's shape: {"Response": {..., "RequestId"}} and, for a
failure, {"Response": {"Error": {"Code", "Message"}, "RequestId"}} with HTTP 200, as the API does.
Error codes are those of tencentcloud/tke/v20180525/errorcodes.py and the API 3.0 common codes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tencentcloud.common.sign import Sign

SECRET_ID, SECRET_KEY = "AKIDkubecvmTEST0000000000000000000000", "kubecvm-test-secret-key-0000000000"
VERSION = "2018-05-25"
REQUIRED = {
    "CreateClusterRouteTable": ("RouteTableName", "RouteTableCidrBlock", "VpcId"),
    "DescribeClusterRouteTables": (),
    "DeleteClusterRouteTable": ("RouteTableName",),
    "CreateClusterRoute": ("RouteTableName", "DestinationCidrBlock", "GatewayIp"),
    "DescribeClusterRoutes": ("RouteTableName",),
    "DeleteClusterRoute": ("RouteTableName", "GatewayIp", "DestinationCidrBlock"),
}


class ApiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


class FakeTke:
    """State (tables, routes), a log of accepted calls, and failures to inject per action."""

    def __init__(self) -> None:
        self.tables: dict[str, dict] = {}        # name -> {"cidr", "vpcId"}
        self.vpc_routes: dict[str, list[str]] = {}  # vpcId -> destinations of VPC route-table entries
        self.routes: dict[str, list[tuple[str, str]]] = {}  # table -> [(destination, gateway)]
        self.calls: list[tuple[str, dict]] = []  # (action, body) of every signed, well-formed request
        self.fail: dict[str, list[str]] = defaultdict(list)  # action -> error codes to answer, in order
        self.lock = threading.Lock()

    # --- the API -------------------------------------------------------------------------------------------
    def CreateClusterRouteTable(self, p: dict) -> dict:
        name, cidr = p["RouteTableName"], ipaddress.IPv4Network(p["RouteTableCidrBlock"])
        if name in self.tables:
            raise ApiError("InternalError.ResourceExistAlready", f"route table {name} exists")
        for other, t in self.tables.items():
            if t["vpcId"] == p["VpcId"] and ipaddress.IPv4Network(t["cidr"]).overlaps(cidr) and not p.get("IgnoreClusterCidrConflict"):
                raise ApiError("InvalidParameter.CidrConflictWithOtherCluster", f"conflicts with {other}")
        overlapping = [d for d in self.vpc_routes.get(p["VpcId"], []) if ipaddress.IPv4Network(d).overlaps(cidr)]
        if overlapping and not p.get("IgnoreClusterCidrConflict"):
            raise ApiError("InvalidParameter.CidrConflictWithVpcGlobalRoute", f"conflicts with VPC routes {overlapping}")
        self.tables[name] = {"cidr": str(cidr), "vpcId": p["VpcId"]}
        self.routes[name] = []
        return {}

    def DescribeClusterRouteTables(self, _p: dict) -> dict:
        rows = [{"RouteTableName": n, "RouteTableCidrBlock": t["cidr"], "VpcId": t["vpcId"]} for n, t in sorted(self.tables.items())]
        return {"TotalCount": len(rows), "RouteTableSet": rows}

    def DeleteClusterRouteTable(self, p: dict) -> dict:
        name = self._table(p)
        if self.routes[name]:
            raise ApiError("InternalError.RouteTableNotEmpty", f"route table {name} still has routes")
        del self.tables[name], self.routes[name]
        return {}

    def CreateClusterRoute(self, p: dict) -> dict:
        name = self._table(p)
        dest, gw = ipaddress.IPv4Network(p["DestinationCidrBlock"]), str(ipaddress.IPv4Address(p["GatewayIp"]))
        if not dest.subnet_of(ipaddress.IPv4Network(self.tables[name]["cidr"])):
            raise ApiError("InvalidParameter.CidrOutOfRouteTable", f"{dest} is not inside {self.tables[name]['cidr']}")
        for d, g in self.routes[name]:
            if g == gw:
                raise ApiError("InvalidParameter.GatewayAlreadyAssociatedCidr", f"{gw} already routes {d}")
            if ipaddress.IPv4Network(d).overlaps(dest):
                raise ApiError("InvalidParameter.CidrConflictWithOtherRoute", f"{dest} conflicts with {d}")
        self.routes[name].append((str(dest), gw))
        return {}

    def DescribeClusterRoutes(self, p: dict) -> dict:
        name = self._table(p)
        rows = [{"RouteTableName": name, "DestinationCidrBlock": d, "GatewayIp": g} for d, g in self.routes[name]]
        return {"TotalCount": len(rows), "RouteSet": rows}

    def DeleteClusterRoute(self, p: dict) -> dict:
        name = self._table(p)
        self.routes[name] = [r for r in self.routes[name] if r != (p["DestinationCidrBlock"], p["GatewayIp"])]
        return {}

    def _table(self, p: dict) -> str:
        if p["RouteTableName"] not in self.tables:
            raise ApiError("InternalError.RouteTableNotFound", f"route table {p['RouteTableName']} not found")
        return p["RouteTableName"]

    # --- the gateway ---------------------------------------------------------------------------------------
    def handle(self, headers, body: bytes) -> dict:
        action = headers.get("X-TC-Action", "")
        if headers.get("X-TC-Version") != VERSION:
            raise ApiError("NoSuchVersion", f"version {headers.get('X-TC-Version')!r} of tke")
        if action not in REQUIRED:
            raise ApiError("InvalidAction", f"no action {action!r}")
        self._authenticate(headers, body)
        params = json.loads(body or b"{}")
        missing = [k for k in REQUIRED[action] if params.get(k) in (None, "")]
        if missing:
            raise ApiError("MissingParameter", f"{action} needs {', '.join(missing)}")
        with self.lock:
            self.calls.append((action, params))
            if self.fail[action]:
                code = self.fail[action].pop(0)
                raise ApiError(code, "injected by the test")
            return getattr(self, action)(params)

    def _authenticate(self, headers, body: bytes) -> None:
        auth = headers.get("Authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            secret_id, date, service, scope_end = fields["Credential"].split("/")
        except ValueError:
            raise ApiError("AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256") from None
        timestamp = int(headers.get("X-TC-Timestamp", "0"))
        if algorithm != "TC3-HMAC-SHA256" or service != "tke" or scope_end != "tc3_request":
            raise ApiError("AuthFailure.InvalidAuthorization", f"credential scope {fields['Credential']}")
        if fields.get("SignedHeaders") != "content-type;host":
            raise ApiError("AuthFailure.InvalidAuthorization", "SignedHeaders must be content-type;host")
        if abs(time.time() - timestamp) > 300 or date != datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d"):
            raise ApiError("AuthFailure.SignatureExpire", "timestamp or date out of range")
        if secret_id != SECRET_ID:
            raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId does not exist")
        canonical = "\n".join([
            "POST", "/", "", f"content-type:{headers.get('Content-Type')}\nhost:{headers.get('Host')}\n",
            "content-type;host", hashlib.sha256(body).hexdigest(),
        ])
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/tke/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        if Sign.sign_tc3(SECRET_KEY, date, "tke", to_sign) != fields.get("Signature"):
            raise ApiError("AuthFailure.SignatureFailure", "the signature does not match")


def serve(fake: FakeTke) -> ThreadingHTTPServer:
    """Start the fake on 127.0.0.1 (a free port) in a daemon thread; call .shutdown() and .server_close() after."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                response = fake.handle(self.headers, body)
            except ApiError as err:
                response = {"Error": {"Code": err.code, "Message": err.message}}
            payload = json.dumps({"Response": {**response, "RequestId": str(uuid.uuid4())}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server
