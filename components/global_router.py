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

Credentials never enter the resource's inputs (which the state keeps): they are resolved when the provider runs,
in the order the Tencent provider resolves them (terraform-provider-tencentcloud tencentcloud/provider.go,
providerConfigure; `resolve_credentials` below), then kept in the provider process until they near expiry. Every call
goes to `<service>.<domain>` over the provider's protocol (`tencentcloud:domain` / TENCENTCLOUD_DOMAIN, default
tencentcloudapi.com; `tencentcloud:protocol` / TENCENTCLOUD_PROTOCOL, HTTP or HTTPS), unless
TENCENTCLOUD_TKE_ENDPOINT, TENCENTCLOUD_CAM_ENDPOINT or TENCENTCLOUD_STS_ENDPOINT names that service's endpoint (a
host, or http://host:port for tests and the rehearsal).

The SDK and tenacity are imported only when the provider runs, never when a program (or `kubecvm plan`) merely
declares the resource.
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlparse

import pulumi
import pulumi.dynamic

from kubecvm.planning.tencent import cam as cam_api
from kubecvm.planning.tencent import sts as sts_api
from kubecvm.planning.tencent import tke as tke_api

API_VERSION = tke_api.VERSION
Config = Callable[[str], Any]  # a provider config key -> its value, or None

# The Tencent provider's settings, as (Pulumi config key, environment variable); the config wins, as each field's
# schema DefaultFunc in terraform-provider-tencentcloud provider.go makes the variable a fallback.
SECRET_ID = ("tencentcloud:secretId", "TENCENTCLOUD_SECRET_ID")
SECRET_KEY = ("tencentcloud:secretKey", "TENCENTCLOUD_SECRET_KEY")
SECURITY_TOKEN = ("tencentcloud:securityToken", "TENCENTCLOUD_SECURITY_TOKEN")
CREDENTIALS = (SECRET_ID, SECRET_KEY, SECURITY_TOKEN)
PROFILE = ("tencentcloud:profile", "TENCENTCLOUD_PROFILE")
SHARED_CREDENTIALS_DIR = ("tencentcloud:sharedCredentialsDir", "TENCENTCLOUD_SHARED_CREDENTIALS_DIR")
CAM_ROLE_NAME = ("tencentcloud:camRoleName", "TENCENTCLOUD_CAM_ROLE_NAME")
DOMAIN = ("tencentcloud:domain", "TENCENTCLOUD_DOMAIN")
PROTOCOL = ("tencentcloud:protocol", "TENCENTCLOUD_PROTOCOL")
ASSUME_ROLE = "tencentcloud:assumeRole"  # an object: roleArn, sessionName, sessionDuration, policy, externalId
ASSUME_ROLE_ARN = "TENCENTCLOUD_ASSUME_ROLE_ARN"
ASSUME_ROLE_SESSION_NAME = "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME"
ASSUME_ROLE_SESSION_DURATION = "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION"
ASSUME_ROLE_EXTERNAL_ID = "TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID"
# The provider's other ways to assume a role from the environment (SAML, OIDC): not implemented here, so refused
# rather than silently replaced by a plain AssumeRole.
ASSUME_ROLE_UNSUPPORTED = ("TENCENTCLOUD_ASSUME_ROLE_SAML_ASSERTION", "TENCENTCLOUD_ASSUME_ROLE_PRINCIPAL_ARN",
                           "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN")
DEFAULT_PROFILE = "default"
DEFAULT_CREDENTIALS_DIR = "~/.tccli"  # tccli's; a profile is <dir>/<profile>.credential, JSON
DEFAULT_SESSION_DURATION = sts_api.DEFAULT_DURATION
# Per-service endpoint overrides (kubecvm's, not the Tencent provider's): a host or an http(s)://host:port URL.
ENDPOINT_ENVS = {"tke": "TENCENTCLOUD_TKE_ENDPOINT", "cam": "TENCENTCLOUD_CAM_ENDPOINT", "sts": "TENCENTCLOUD_STS_ENDPOINT"}
ENDPOINT_ENV = ENDPOINT_ENVS["tke"]
# The CVM metadata service a CAM role's temporary credentials come from (tencentcloud-sdk-python-common
# credential.py CVMRoleCredential, the provider's GetAuthFromCAM): <base>cam/security-credentials/<role>.
# KUBECVM_CVM_METADATA_URL replaces the base, for tests (the real address answers only on a CVM).
METADATA_URL = "http://metadata.tencentyun.com/latest/meta-data/"
METADATA_ENV = "KUBECVM_CVM_METADATA_URL"
REFRESH_BEFORE = 300  # seconds: a temporary credential this close to expiry is resolved again
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
MISSING_SECRET = (
    "no Tencent Cloud credentials for the cluster route table: Please set your `secret_id` and `secret_key`: "
    "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or `pulumi config set --secret tencentcloud:secretId/"
    "secretKey`), keep them in a tccli profile (~/.tccli/<profile>.credential), or, on a CVM, name its CAM role "
    "(TENCENTCLOUD_CAM_ROLE_NAME or tencentcloud:camRoleName)"
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


class ApiRefusal(GlobalRouterError):
    """Tencent refused a call with `code` (after retries, for a rate limit)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


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


@dataclass(frozen=True)
class Secret:
    """A credential to sign with: a long-lived key, or a temporary one (a token and an expiry). `identity` names it
    in messages (a SecretId's source or a role), never its key."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expires: float | None = None  # Unix time; None: does not expire
    identity: str = ""

    def sdk(self) -> Any:
        """The official SDK's credential (tencentcloud.common.credential.Credential) for this secret."""
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            return credential.Credential(self.secret_id, self.secret_key, self.token or None)
        except TencentCloudSDKException as exc:  # empty, or with spaces around it
            raise GlobalRouterError(f"the Tencent Cloud credential from {self.identity} is malformed: {exc.message}") from None

    def fresh(self, now: float) -> bool:
        return self.expires is None or self.expires - now > REFRESH_BEFORE


def setting(config: Config, item: tuple[str, str]) -> str | None:
    """A Tencent provider setting: its Pulumi config key, else its environment variable; None if empty."""
    key, env = item
    value = config(key)
    if value is None or value == "":
        value = os.environ.get(env)
    return str(value).strip() or None if value is not None else None


def _json_object(value: Any, where: str) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise GlobalRouterError(f"{where}: expected an object")
    return value


def read_profile(config: Config) -> dict[str, str]:
    """The tccli profile the Tencent provider reads when no secret is configured (provider.go getConfigFromProfile):
    `<sharedCredentialsDir>/<profile>.credential` (default ~/.tccli/default.credential), a JSON object whose string
    values count, trimmed: secretId, secretKey, token, role-arn, role-session-name. No file: no profile."""
    name = setting(config, PROFILE) or DEFAULT_PROFILE
    path = Path(os.path.expanduser(setting(config, SHARED_CREDENTIALS_DIR) or DEFAULT_CREDENTIALS_DIR)) / f"{name}.credential"
    if not path.is_file():
        return {}
    try:
        doc = _json_object(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, GlobalRouterError) as exc:
        raise GlobalRouterError(f"the tccli profile {path} cannot be read as JSON ({exc}): fix or remove it") from None
    return {k: v.strip() for k, v in doc.items() if isinstance(v, str)}


def _duration(raw: Any, where: str) -> int:
    if raw is None or raw == "" or raw == 0:
        return DEFAULT_SESSION_DURATION
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise GlobalRouterError(f"{where}={raw!r}: expected a number of seconds") from None


@dataclass(frozen=True)
class AssumeRole:
    """One STS AssumeRole the chain makes: the role, the session, and where the request was configured."""

    role_arn: str
    session_name: str
    duration: int
    where: str
    policy: str | None = None
    external_id: str | None = None

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"RoleArn": self.role_arn, "RoleSessionName": self.session_name,
                                  "DurationSeconds": self.duration}
        if self.policy:
            params["Policy"] = quote_plus(self.policy)  # Go's url.QueryEscape, as the provider sends it
        if self.external_id:
            params["ExternalId"] = self.external_id
        return params


def assume_role_from_env() -> AssumeRole | None:
    """TENCENTCLOUD_ASSUME_ROLE_ARN with _SESSION_NAME (both, or nothing), _SESSION_DURATION (default 7200) and
    _EXTERNAL_ID; no policy (provider.go: "get assume role from env")."""
    if unsupported := [v for v in ASSUME_ROLE_UNSUPPORTED if os.environ.get(v)]:
        raise GlobalRouterError(f"{', '.join(unsupported)}: assuming a role with SAML or OIDC is not supported by the "
                                f"cluster route table's provider; use TENCENTCLOUD_ASSUME_ROLE_ARN with a key")
    arn, session = os.environ.get(ASSUME_ROLE_ARN), os.environ.get(ASSUME_ROLE_SESSION_NAME)
    if not arn or not session:
        return None
    return AssumeRole(arn, session, _duration(os.environ.get(ASSUME_ROLE_SESSION_DURATION), ASSUME_ROLE_SESSION_DURATION),
                      f"{ASSUME_ROLE_ARN}", external_id=os.environ.get(ASSUME_ROLE_EXTERNAL_ID) or None)


def assume_role_from_config(config: Config) -> AssumeRole | None:
    """`tencentcloud:assumeRole` {roleArn, sessionName, sessionDuration, policy, externalId}; a member it lacks
    defaults to its environment variable, as the block's schema does (sessionDuration: 7200)."""
    raw = config(ASSUME_ROLE)
    if raw is None or raw == "":
        return None
    block = _json_object(raw, ASSUME_ROLE)
    arn = block.get("roleArn") or os.environ.get(ASSUME_ROLE_ARN)
    session = block.get("sessionName") or os.environ.get(ASSUME_ROLE_SESSION_NAME)
    if not arn or not session:
        raise GlobalRouterError(f"{ASSUME_ROLE}: roleArn and sessionName are required")
    duration = block.get("sessionDuration") or os.environ.get(ASSUME_ROLE_SESSION_DURATION)
    return AssumeRole(str(arn), str(session), _duration(duration, f"{ASSUME_ROLE}.sessionDuration"), ASSUME_ROLE,
                      policy=block.get("policy") or None,
                      external_id=block.get("externalId") or os.environ.get(ASSUME_ROLE_EXTERNAL_ID) or None)


def cvm_role_credential(role: str) -> Secret:
    """The temporary credential of the CVM's CAM role `role`, from the metadata service, through the official SDK's
    CVMRoleCredential (it reads <base>cam/security-credentials/<role> and wants Code "Success", TmpSecretId,
    TmpSecretKey, Token and ExpiredTime)."""
    from tencentcloud.common.credential import CVMRoleCredential

    base = os.environ.get(METADATA_ENV) or METADATA_URL
    cred = CVMRoleCredential(role)
    # The SDK keeps the metadata address in a class attribute; this instance reads it from `base` instead.
    cred._role_endpoint = base.rstrip("/") + "/cam/security-credentials/"
    secret_id, secret_key, token = cred.get_credential_info()  # the SDK swallows the failure: all None then
    if not (secret_id and secret_key and token):
        raise GlobalRouterError(
            f"CAM role {role} ({CAM_ROLE_NAME[0]} / {CAM_ROLE_NAME[1]}): no temporary credentials from the CVM metadata "
            f"service at {cred._role_endpoint}{role}; run on a CVM with that role bound, or unset it")
    return Secret(secret_id, secret_key, token, expires=float(cred._expired_ts), identity=f"CVM role {role}")


def resolve_credentials(config: Config, region: str) -> Secret:
    """The credential the Tencent provider would sign with, in its order (provider.go providerConfigure):

    1. `tencentcloud:secretId` / `secretKey` / `securityToken`, each else TENCENTCLOUD_SECRET_ID / _KEY /
       _SECURITY_TOKEN; when none of the three is set, the tccli profile (read_profile);
    2. `tencentcloud:camRoleName` / TENCENTCLOUD_CAM_ROLE_NAME: the CVM role's temporary credential replaces it;
    3. the profile's role-arn with role-session-name (only when the profile was read): AssumeRole, 7200 s;
    4. TENCENTCLOUD_ASSUME_ROLE_ARN with _SESSION_NAME: AssumeRole;
    5. `tencentcloud:assumeRole`: AssumeRole.

    Each AssumeRole (STS 2018-08-13) is signed with the credential so far, and its TmpSecretId, TmpSecretKey and
    Token become the credential. Without a secret id and key, and without a CAM role, nothing is called: "Please set
    your `secret_id` and `secret_key`"."""
    secret_id, secret_key, token = (setting(config, item) for item in CREDENTIALS)
    source = "tencentcloud:secretId / TENCENTCLOUD_SECRET_ID"
    chain: list[AssumeRole] = []
    if not (secret_id or secret_key or token):
        profile = read_profile(config)
        secret_id, secret_key, token = profile.get("secretId"), profile.get("secretKey"), profile.get("token")
        source = f"the tccli profile {setting(config, PROFILE) or DEFAULT_PROFILE}"
        if profile.get("role-arn") and profile.get("role-session-name"):
            chain.append(AssumeRole(profile["role-arn"], profile["role-session-name"], DEFAULT_SESSION_DURATION,
                                    f"{source}'s role-arn"))
    cam_role = setting(config, CAM_ROLE_NAME)
    chain += [a for a in (assume_role_from_env(), assume_role_from_config(config)) if a is not None]
    if not cam_role and not (secret_id and secret_key):
        raise GlobalRouterError(MISSING_SECRET)
    current = cvm_role_credential(cam_role) if cam_role else Secret(secret_id, secret_key, token, identity=source)  # type: ignore[arg-type]
    for step in chain:
        current = assume_role(current, step, region, config)
    return current


def assume_role(current: Secret, step: AssumeRole, region: str, config: Config) -> Secret:
    """STS AssumeRole signed with `current`, through the official SDK's CommonClient; the role's credential."""
    from tencentcloud.common.common_client import CommonClient

    client = CommonClient(sts_api.SERVICE, sts_api.VERSION, current.sdk(), region, client_profile("sts", config))
    answer = call_api("STS", "AssumeRole", lambda: client.call_json("AssumeRole", step.params()),
                      context=f"assuming {step.role_arn} ({step.where}) as {current.identity}")["Response"]
    creds = answer.get("Credentials") or {}
    if not all(creds.get(k) for k in ("TmpSecretId", "TmpSecretKey", "Token")):
        raise GlobalRouterError(f"STS AssumeRole of {step.role_arn} answered no credentials")
    return Secret(creds["TmpSecretId"], creds["TmpSecretKey"], creds["Token"],
                  expires=float(answer["ExpiredTime"]) if answer.get("ExpiredTime") else None,
                  identity=f"role {step.role_arn}")


def endpoint(service: str = "tke", config: Config = lambda _k: None) -> tuple[str, str | None]:
    """(scheme, host[:port]) of `service`'s endpoint; host None is the SDK's default, <service>.tencentcloudapi.com.
    TENCENTCLOUD_<SERVICE>_ENDPOINT wins; else `<service>.<domain>` when a domain is set; the scheme is the
    provider's protocol (HTTPS unless HTTP), or the override URL's own."""
    protocol = setting(config, PROTOCOL) or "HTTPS"
    if protocol.upper() not in ("HTTP", "HTTPS"):
        raise GlobalRouterError(f"{PROTOCOL[0]} / {PROTOCOL[1]}={protocol!r}: expected HTTP or HTTPS")
    scheme = protocol.lower()
    env = ENDPOINT_ENVS[service]
    raw = os.environ.get(env, "").strip()
    if raw:
        url = urlparse(raw if "://" in raw else f"{scheme}://{raw}")
        if url.scheme not in ("http", "https") or not url.netloc:
            raise GlobalRouterError(f"{env}={raw!r}: expected a host or an http(s)://host[:port] URL")
        return url.scheme, url.netloc
    domain = setting(config, DOMAIN)
    return scheme, f"{service}.{domain}" if domain else None


def client_profile(service: str, config: Config) -> Any:
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    scheme, host = endpoint(service, config)
    return ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=host, reqTimeout=30))


def call_api(service: str, action: str, send: Callable[[], Any], *, ok: Iterable[str] = (), context: str = "") -> Any:
    """`send()`'s answer, retrying rate limits with backoff; None when Tencent answers one of the `ok` codes;
    any other refusal a GlobalRouterError naming the code, what it means and what to do."""
    import tenacity
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, TencentCloudSDKException) and str(e.code or "").startswith(RATE_LIMITED)),
        wait=tenacity.wait_exponential_jitter(initial=RETRY_FIRST_WAIT, max=10), stop=tenacity.stop_after_attempt(RETRY_ATTEMPTS),
        reraise=True,
    )
    try:
        return retrying(send)
    except TencentCloudSDKException as exc:
        code = str(exc.code or "")
        if code in ok:
            return None
        hint = ""
        if code.startswith("AuthFailure"):
            hint = ("; check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (or tencentcloud:secretId/secretKey), and "
                    "TENCENTCLOUD_SECURITY_TOKEN with a temporary key")
        elif code.startswith(RATE_LIMITED):
            hint = f"; still rate-limited after {RETRY_ATTEMPTS} attempts, run `pulumi up` again"
        where = f" ({context})" if context else ""
        raise ApiRefusal(f"{service} {action} failed{where}: {code}: {exc.message} (request {exc.requestId}){hint}",
                         code) from None


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
        return call_api("TKE", action, lambda: getattr(self.client, action)(request), ok=ok,
                        context=f"as {context}" if context else "")

    def check_service_role(self) -> None:
        """Refuse to go on when the account has no TKE service role: TKE acts on the VPC through TKE_QCSRole, which
        exists only once the container service has been activated (CAM 2019-01-16 GetRole; a missing role is
        InvalidParameter.RoleNotExist, planning/tencent/cam.py). A caller that may not read CAM is let through:
        TKE itself refuses if the role is missing."""
        from tencentcloud.common.common_client import CommonClient

        client = CommonClient(cam_api.SERVICE, cam_api.VERSION, self.secret.sdk(), self.region,
                              client_profile("cam", self.config))
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
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, stables=[],
                                         delete_before_replace=bool(replaces))

    def create(self, props: dict) -> pulumi.dynamic.CreateResult:
        tke = self._tke(props)
        name = props["routeTableName"]
        tke.check_service_role()
        tke.create_table(name, props["routeTableCidrBlock"], props["vpcId"], bool(props.get("ignoreClusterCidrConflict")))
        present = set(tke.routes(name) or [])
        wanted = desired_routes(props)
        # An adopted table (a retried create) may hold routes of an earlier attempt: keep ours, drop the rest.
        tke.sync(name, sorted(present - set(wanted.values()), key=str), [r for r in wanted.values() if r not in present],
                 live=list(present))
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
        tke.sync(id_, live, [], live=live)
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
