"""The emulator's API 3.0 gateway: what Tencent's gateway checks before a service sees a request, the routing to
the service the credential scope names, Tencent's answer shape, and the HTTP server.

Checked in this order, each failure answered with the common code of kubecvm/planning/tencent/common.py:
POST with a JSON body (UnsupportedOperation otherwise, UnsupportedProtocol for other methods), at most 10 MB
(RequestSizeLimitExceeded); the X-TC-Action, X-TC-Version and X-TC-Timestamp headers (MissingParameter); an
Authorization header `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=...,
Signature=...` whose service matches the Host's first label when the Host is `<service>.<domain>`
(AuthFailure.InvalidAuthorization); an emulated service (UnsupportedOperation), its version (NoSuchVersion) and
action (InvalidAction); the timestamp within 5 minutes and the scope's date its UTC day (AuthFailure.SignatureExpire);
the SecretId, the emulator's long-lived one or a temporary one STS issued (AuthFailure.SecretIdNotFound); for a
temporary one, its X-TC-Token and its expiry (AuthFailure.TokenFailure); the signature, recomputed with the official
SDK's signer tencentcloud.common.sign.Sign.sign_tc3 from the received method, path, signed headers and body, with the
key that SecretId stands for (AuthFailure.SignatureFailure); the body a JSON object (InvalidParameter); its members
(UnknownParameter, MissingParameter). X-TC-Region is not checked: the emulator holds one account for every region.
The service records who signed each request it handles (Service.callers): the SecretId of the long-lived key, or
the RoleArn a temporary credential stands for.

Not Tencent's: GET /_emulator/summary and POST /_emulator/reset, for test harnesses (docs/emulator.md). The HTTP
server is kubecvm/emulator/httpd.py's; its names stay importable from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tencentcloud.common.sign import Sign

from kubecvm.emulator import SECRET_ID, SECRET_KEY
from kubecvm.emulator.cam import CamService
from kubecvm.emulator.monitor import MonitorService
from kubecvm.emulator.clb import ClbService
from kubecvm.emulator.cvm import CvmService
from kubecvm.emulator.service import ApiError, Service
from kubecvm.emulator.sts import StsService
from kubecvm.emulator.tke import TkeService
from kubecvm.emulator.vpc import VpcService
from kubecvm.planning.tencent import common
from kubecvm.emulator.httpd import RESET_PATH, SUMMARY_PATH, _Handler, _Server, base_url, make_server  # noqa: F401

# The emulated services, one module each; adding one is a module with a Service subclass and a line here.
SERVICES: tuple[type[Service], ...] = (
    TkeService,
    CamService,
    StsService,
    VpcService,
    MonitorService,
    ClbService,
    CvmService,
)
# Services kubecvm's stacks call that the emulator does not answer yet (UnsupportedOperation); COS's XML API would be
# a second front door beside this JSON one. CAM, STS, VPC (its security-group calls), Cloud Monitor (alarm policies),
# CLB and CVM (those the load-balancer controller calls) are emulated for the actions in docs/emulator.md only.
NOT_EMULATED = ("cbs", "ssm", "tag", "cos")
COMMON_HEADERS = ("X-TC-Action", "X-TC-Version", "X-TC-Timestamp")
POST_ONLY = "the emulator answers POST requests with a JSON body signed with TC3-HMAC-SHA256"


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str | None) -> Authorization:
    try:
        algorithm, rest = (value or "").split(" ", 1)
        fields = dict(part.strip().split("=", 1) for part in rest.split(","))
        secret_id, date, service, terminator = fields["Credential"].split("/")
        signed = tuple(fields["SignedHeaders"].split(";"))
        signature = fields["Signature"]
    except (KeyError, ValueError):
        raise ApiError(
            common.INVALID_AUTHORIZATION,
            "Authorization is not `TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`",
        ) from None
    if algorithm != common.ALGORITHM or terminator != common.SCOPE_TERMINATOR or not service:
        raise ApiError(common.INVALID_AUTHORIZATION, f"{algorithm} with credential scope {date}/{service}/{terminator}")
    if missing := [h for h in common.REQUIRED_SIGNED_HEADERS if h not in signed]:
        raise ApiError(common.INVALID_AUTHORIZATION, f"SignedHeaders must include {', '.join(missing)}")
    return Authorization(secret_id, date, service, signed, signature)


def host_service(host: str) -> str | None:
    """The service a `<service>.<domain>` Host names (tke.tencentcloudapi.com -> tke); None for an address or a
    name without a dot (127.0.0.1:8080, localhost, a container's name), which name no service."""
    name = host.strip().lower()
    if not name or name.startswith("["):  # empty, or an IPv6 literal
        return None
    name = name.rsplit(":", 1)[0]
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        return None
    return name.split(".", 1)[0] if "." in name else None


class Emulator:
    """One Tencent Cloud account behind the API 3.0 gateway. Thread-safe: requests run one at a time."""

    def __init__(
        self,
        secret_id: str = SECRET_ID,
        secret_key: str = SECRET_KEY,
        *,
        clock: Callable[[], float] = time.time,
        tke_service_role: bool = True,
    ):
        """`tke_service_role=False`: an account where the container service was never activated, so CAM has no
        TKE_QCSRole (GetRole answers InvalidParameter.RoleNotExist)."""
        self.secret_id, self.secret_key, self.clock = secret_id, secret_key, clock
        self.tke_service_role = tke_service_role
        self.services: dict[str, Service] = {cls.name: cls() for cls in SERVICES}
        for service in self.services.values():
            service.attach(self)
        self.requests = 0  # signed, well-formed requests a service accepted to handle (its answer may be an error)
        self.refusals: list[dict[str, str]] = []  # every error answer: {"service", "action", "code", "message"}
        self.lock = threading.RLock()

    @property
    def tke(self) -> TkeService:
        return self.services["tke"]  # type: ignore[return-value]

    @property
    def cam(self) -> CamService:
        return self.services["cam"]  # type: ignore[return-value]

    @property
    def sts(self) -> StsService:
        return self.services["sts"]  # type: ignore[return-value]

    @property
    def vpc(self) -> VpcService:
        return self.services["vpc"]  # type: ignore[return-value]

    @property
    def monitor(self) -> MonitorService:
        return self.services["monitor"]  # type: ignore[return-value]

    @property
    def clb(self) -> ClbService:
        return self.services["clb"]  # type: ignore[return-value]

    @property
    def cvm(self) -> CvmService:
        return self.services["cvm"]  # type: ignore[return-value]

    def summary(self) -> dict[str, Any]:
        with self.lock:
            resources: dict[str, int] = {}
            for service in self.services.values():
                resources |= service.resources()
            callers = {
                name: dict(sorted(Counter(service.callers).items()))
                for name, service in sorted(self.services.items())
                if service.callers
            }
            return {
                "requests": self.requests,
                "refusals": [dict(r) for r in self.refusals],
                "resources": resources,
                "callers": callers,
            }

    def reset(self) -> None:
        """An empty account again: no resources, counts at zero, no failure left to inject."""
        with self.lock:
            self.requests = 0
            self.refusals.clear()
            for service in self.services.values():
                service.reset()

    # --- one request --------------------------------------------------------------------------------------------
    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> dict:
        """Tencent's document for one request to the API: {"Response": {..., "RequestId"}}."""
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            with self.lock:  # the temporary credentials STS holds are read while admitting
                service, action, params, caller = self._admit(method, target, headers, body)
                self.requests += 1
                return self._response(service.call(action, params, caller))
        except ApiError as err:
            return self.refuse(headers, err)

    def refuse(self, headers: Mapping[str, str], err: ApiError) -> dict:
        """The error document, recorded among the refusals with the service the request claimed."""
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            service = parse_authorization(headers.get("authorization")).service
        except ApiError:
            service = host_service(headers.get("host", "")) or ""
        with self.lock:
            self.refusals.append(
                {"service": service, "action": headers.get("x-tc-action", ""), "code": err.code, "message": err.message}
            )
        return self._response({"Error": {"Code": err.code, "Message": err.message}})

    @staticmethod
    def _response(fields: dict) -> dict:
        # An asynchronous action's RequestId is its TaskId (CLB's DescribeTaskStatus): a service may set it.
        return {"Response": {"RequestId": str(uuid.uuid4()), **fields}}

    def _admit(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[Service, str, dict]:
        if method != "POST":
            raise ApiError(common.UNSUPPORTED_OPERATION, POST_ONLY)
        if headers.get("content-type", "").split(";")[0].strip().lower() != common.JSON_CONTENT_TYPE:
            raise ApiError(common.UNSUPPORTED_OPERATION, f"{POST_ONLY} (Content-Type: {common.JSON_CONTENT_TYPE})")
        if missing := [h for h in COMMON_HEADERS if not headers.get(h.lower())]:
            raise ApiError(common.MISSING_PARAMETER, f"the request has no {', '.join(missing)} header")
        auth = parse_authorization(headers.get("authorization"))
        named = host_service(headers.get("host", ""))
        if named is not None and named != auth.service:
            raise ApiError(
                common.INVALID_AUTHORIZATION,
                f"the credential scope is for {auth.service}, the Host {headers.get('host')} for {named}",
            )
        service = self.services.get(auth.service)
        if service is None:
            raise ApiError(
                common.UNSUPPORTED_OPERATION,
                f"the emulator does not emulate {auth.service!r} (it emulates {', '.join(sorted(self.services))})",
            )
        if headers["x-tc-version"] != service.version:
            raise ApiError(common.NO_SUCH_VERSION, f"{auth.service} has no version {headers['x-tc-version']!r}")
        action = headers["x-tc-action"]
        if action not in service.parameters:
            raise ApiError(
                common.INVALID_ACTION,
                f"{action!r} is not a {auth.service} {service.version} action the emulator answers",
            )
        caller = self._verify(auth, method, target, headers, body)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise ApiError(common.INVALID_PARAMETER, "the body is not a JSON object")
        service.check(action, params)
        return service, action, params, caller

    def _secret(self, auth: Authorization, headers: dict[str, str]) -> tuple[str, str]:
        """(the SecretKey the request must be signed with, the caller's identity) for its SecretId: the long-lived
        pair, or a temporary credential STS issued, whose token must come in X-TC-Token until it expires."""
        if auth.secret_id == self.secret_id:
            return self.secret_key, self.secret_id
        temporary = self.sts.credentials.get(auth.secret_id)
        if temporary is None:
            raise ApiError(common.SECRET_ID_NOT_FOUND, "the SecretId does not exist")
        if not hmac.compare_digest(headers.get("x-tc-token", "").encode(), temporary.token.encode()):
            raise ApiError(common.TOKEN_FAILURE, "X-TC-Token is missing or not the token of this temporary SecretId")
        if self.clock() >= temporary.expires:
            raise ApiError(common.TOKEN_FAILURE, f"the temporary credential expired at {temporary.expires}")
        return temporary.secret_key, temporary.role_arn

    def _verify(self, auth: Authorization, method: str, target: str, headers: dict[str, str], body: bytes) -> str:
        try:
            timestamp = int(headers["x-tc-timestamp"])
        except ValueError:
            raise ApiError(common.INVALID_PARAMETER_VALUE, "X-TC-Timestamp is not a Unix time in seconds") from None
        day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
        if abs(self.clock() - timestamp) > common.MAX_CLOCK_SKEW_SECONDS or auth.date != day:
            raise ApiError(
                common.SIGNATURE_EXPIRE,
                f"X-TC-Timestamp {timestamp} or the scope's date {auth.date} is "
                f"more than {common.MAX_CLOCK_SKEW_SECONDS} s off",
            )
        secret_key, caller = self._secret(auth, headers)
        path, _, query = target.partition("?")
        canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in auth.signed_headers)
        payload = (
            common.UNSIGNED_PAYLOAD.encode() if headers.get("x-tc-content-sha256") == common.UNSIGNED_PAYLOAD else body
        )
        canonical = "\n".join(
            [
                method,
                path or "/",
                query,
                canonical_headers,
                ";".join(auth.signed_headers),
                hashlib.sha256(payload).hexdigest(),
            ]
        )
        to_sign = "\n".join(
            [
                common.ALGORITHM,
                str(timestamp),
                f"{auth.date}/{auth.service}/{common.SCOPE_TERMINATOR}",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        expected = Sign.sign_tc3(secret_key, auth.date, auth.service, to_sign)
        if not hmac.compare_digest(expected, auth.signature):
            raise ApiError(common.SIGNATURE_FAILURE, "the signature does not match")
        return caller

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve in a daemon thread while the block runs; yields the base URL (http://127.0.0.1:PORT)."""
        server = make_server(self, host, port)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="kubecvm-emulator", daemon=True
        )
        thread.start()
        try:
            yield base_url(server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
