"""Credentials and calls to Tencent Cloud's API for kubecvm's dynamic providers (the cluster route table), resolved
and made as the Tencent Pulumi provider does, on Tencent's official SDK.

Credentials never enter a resource's inputs (which the state keeps): they are resolved when the provider runs, in
the order the Tencent provider resolves them (terraform-provider-tencentcloud tencentcloud/provider.go,
providerConfigure; `resolve_credentials` below). Every call goes to `<service>.<domain>` over the provider's protocol
(`tencentcloud:domain` / TENCENTCLOUD_DOMAIN, default tencentcloudapi.com; `tencentcloud:protocol` /
TENCENTCLOUD_PROTOCOL, HTTP or HTTPS), unless TENCENTCLOUD_<SERVICE>_ENDPOINT names that service's endpoint (a host,
or http://host:port for tests and the rehearsal). Rate limits are retried with backoff; any other refusal becomes a
CallError naming the code, what it means and what to do.

The SDK and tenacity are imported only when a call is made, never when a program merely declares a resource.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlparse

from kubecvm.planning.tencent import sts as sts_api
from kubecvm.planning.tencent import tke as tke_api

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
ASSUME_ROLE_UNSUPPORTED = (
    "TENCENTCLOUD_ASSUME_ROLE_SAML_ASSERTION",
    "TENCENTCLOUD_ASSUME_ROLE_PRINCIPAL_ARN",
    "TENCENTCLOUD_ASSUME_ROLE_WEB_IDENTITY_TOKEN",
)
DEFAULT_PROFILE = "default"
DEFAULT_CREDENTIALS_DIR = "~/.tccli"  # tccli's; a profile is <dir>/<profile>.credential, JSON
DEFAULT_SESSION_DURATION = sts_api.DEFAULT_DURATION
# Per-service endpoint overrides (kubecvm's, not the Tencent provider's): a host or an http(s)://host:port URL.
ENDPOINT_ENVS = {
    "tke": "TENCENTCLOUD_TKE_ENDPOINT",
    "cam": "TENCENTCLOUD_CAM_ENDPOINT",
    "sts": "TENCENTCLOUD_STS_ENDPOINT",
    "clb": "TENCENTCLOUD_CLB_ENDPOINT",
    "vpc": "TENCENTCLOUD_VPC_ENDPOINT",
}
ENDPOINT_ENV = ENDPOINT_ENVS["tke"]
# The CVM metadata service a CAM role's temporary credentials come from (tencentcloud-sdk-python-common
# credential.py CVMRoleCredential, the provider's GetAuthFromCAM): <base>cam/security-credentials/<role>.
# KUBECVM_CVM_METADATA_URL replaces the base, for tests (the real address answers only on a CVM).
METADATA_URL = "http://metadata.tencentyun.com/latest/meta-data/"
METADATA_ENV = "KUBECVM_CVM_METADATA_URL"
REFRESH_BEFORE = 300  # seconds: a temporary credential this close to expiry is resolved again
MISSING_SECRET = (
    "no Tencent Cloud credentials for the cluster route table: Please set your `secret_id` and `secret_key`: "
    "set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or `pulumi config set --secret tencentcloud:secretId/"
    "secretKey`), keep them in a tccli profile (~/.tccli/<profile>.credential), or, on a CVM, name its CAM role "
    "(TENCENTCLOUD_CAM_ROLE_NAME or tencentcloud:camRoleName)"
)
RATE_LIMITED = tke_api.RATE_LIMITED  # the API 3.0 common code (and its sub-codes) every service answers
RETRY_ATTEMPTS = 8
RETRY_FIRST_WAIT = 0.2  # seconds, doubling with jitter up to 10 s


class CallError(Exception):
    """A clear, user-facing failure of a Tencent Cloud call or of its credentials (the code, what it means, what
    to do)."""


class ApiRefusal(CallError):
    """Tencent refused a call with `code` (after retries, for a rate limit)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


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
            raise CallError(f"the Tencent Cloud credential from {self.identity} is malformed: {exc.message}") from None

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
        raise CallError(f"{where}: expected an object")
    return value


def read_profile(config: Config) -> dict[str, str]:
    """The tccli profile the Tencent provider reads when no secret is configured (provider.go getConfigFromProfile):
    `<sharedCredentialsDir>/<profile>.credential` (default ~/.tccli/default.credential), a JSON object whose string
    values count, trimmed: secretId, secretKey, token, role-arn, role-session-name. No file: no profile."""
    name = setting(config, PROFILE) or DEFAULT_PROFILE
    path = (
        Path(os.path.expanduser(setting(config, SHARED_CREDENTIALS_DIR) or DEFAULT_CREDENTIALS_DIR))
        / f"{name}.credential"
    )
    if not path.is_file():
        return {}
    try:
        doc = _json_object(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, CallError) as exc:
        raise CallError(f"the tccli profile {path} cannot be read as JSON ({exc}): fix or remove it") from None
    return {k: v.strip() for k, v in doc.items() if isinstance(v, str)}


def _duration(raw: Any, where: str) -> int:
    if raw is None or raw == "" or raw == 0:
        return DEFAULT_SESSION_DURATION
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise CallError(f"{where}={raw!r}: expected a number of seconds") from None


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
        params: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self.duration,
        }
        if self.policy:
            params["Policy"] = quote_plus(self.policy)  # Go's url.QueryEscape, as the provider sends it
        if self.external_id:
            params["ExternalId"] = self.external_id
        return params


def assume_role_from_env() -> AssumeRole | None:
    """TENCENTCLOUD_ASSUME_ROLE_ARN with _SESSION_NAME (both, or nothing), _SESSION_DURATION (default 7200) and
    _EXTERNAL_ID; no policy (provider.go: "get assume role from env")."""
    if unsupported := [v for v in ASSUME_ROLE_UNSUPPORTED if os.environ.get(v)]:
        raise CallError(
            f"{', '.join(unsupported)}: assuming a role with SAML or OIDC is not supported by the "
            f"cluster route table's provider; use TENCENTCLOUD_ASSUME_ROLE_ARN with a key"
        )
    arn, session = os.environ.get(ASSUME_ROLE_ARN), os.environ.get(ASSUME_ROLE_SESSION_NAME)
    if not arn or not session:
        return None
    return AssumeRole(
        arn,
        session,
        _duration(os.environ.get(ASSUME_ROLE_SESSION_DURATION), ASSUME_ROLE_SESSION_DURATION),
        f"{ASSUME_ROLE_ARN}",
        external_id=os.environ.get(ASSUME_ROLE_EXTERNAL_ID) or None,
    )


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
        raise CallError(f"{ASSUME_ROLE}: roleArn and sessionName are required")
    duration = block.get("sessionDuration") or os.environ.get(ASSUME_ROLE_SESSION_DURATION)
    return AssumeRole(
        str(arn),
        str(session),
        _duration(duration, f"{ASSUME_ROLE}.sessionDuration"),
        ASSUME_ROLE,
        policy=block.get("policy") or None,
        external_id=block.get("externalId") or os.environ.get(ASSUME_ROLE_EXTERNAL_ID) or None,
    )


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
        raise CallError(
            f"CAM role {role} ({CAM_ROLE_NAME[0]} / {CAM_ROLE_NAME[1]}): no temporary credentials from the CVM metadata "
            f"service at {cred._role_endpoint}{role}; run on a CVM with that role bound, or unset it"
        )
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
            chain.append(
                AssumeRole(
                    profile["role-arn"], profile["role-session-name"], DEFAULT_SESSION_DURATION, f"{source}'s role-arn"
                )
            )
    cam_role = setting(config, CAM_ROLE_NAME)
    chain += [a for a in (assume_role_from_env(), assume_role_from_config(config)) if a is not None]
    if not cam_role and not (secret_id and secret_key):
        raise CallError(MISSING_SECRET)
    current = cvm_role_credential(cam_role) if cam_role else Secret(secret_id, secret_key, token, identity=source)  # type: ignore[arg-type]
    for step in chain:
        current = assume_role(current, step, region, config)
    return current


def assume_role(current: Secret, step: AssumeRole, region: str, config: Config) -> Secret:
    """STS AssumeRole signed with `current`, through the official SDK's CommonClient; the role's credential."""
    from tencentcloud.common.common_client import CommonClient

    client = CommonClient(sts_api.SERVICE, sts_api.VERSION, current.sdk(), region, client_profile("sts", config))
    answer = call_api(
        "STS",
        "AssumeRole",
        lambda: client.call_json("AssumeRole", step.params()),
        context=f"assuming {step.role_arn} ({step.where}) as {current.identity}",
    )["Response"]
    creds = answer.get("Credentials") or {}
    if not all(creds.get(k) for k in ("TmpSecretId", "TmpSecretKey", "Token")):
        raise CallError(f"STS AssumeRole of {step.role_arn} answered no credentials")
    return Secret(
        creds["TmpSecretId"],
        creds["TmpSecretKey"],
        creds["Token"],
        expires=float(answer["ExpiredTime"]) if answer.get("ExpiredTime") else None,
        identity=f"role {step.role_arn}",
    )


def endpoint(service: str = "tke", config: Config = lambda _k: None) -> tuple[str, str | None]:
    """(scheme, host[:port]) of `service`'s endpoint; host None is the SDK's default, <service>.tencentcloudapi.com.
    TENCENTCLOUD_<SERVICE>_ENDPOINT wins; else `<service>.<domain>` when a domain is set; the scheme is the
    provider's protocol (HTTPS unless HTTP), or the override URL's own."""
    protocol = setting(config, PROTOCOL) or "HTTPS"
    if protocol.upper() not in ("HTTP", "HTTPS"):
        raise CallError(f"{PROTOCOL[0]} / {PROTOCOL[1]}={protocol!r}: expected HTTP or HTTPS")
    scheme = protocol.lower()
    env = ENDPOINT_ENVS[service]
    raw = os.environ.get(env, "").strip()
    if raw:
        url = urlparse(raw if "://" in raw else f"{scheme}://{raw}")
        if url.scheme not in ("http", "https") or not url.netloc:
            raise CallError(f"{env}={raw!r}: expected a host or an http(s)://host[:port] URL")
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
    any other refusal a CallError naming the code, what it means and what to do."""
    import tenacity
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, TencentCloudSDKException) and str(e.code or "").startswith(RATE_LIMITED)
        ),
        wait=tenacity.wait_exponential_jitter(initial=RETRY_FIRST_WAIT, max=10),
        stop=tenacity.stop_after_attempt(RETRY_ATTEMPTS),
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
            hint = (
                "; check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (or tencentcloud:secretId/secretKey), and "
                "TENCENTCLOUD_SECURITY_TOKEN with a temporary key"
            )
        elif code.startswith(RATE_LIMITED):
            hint = f"; still rate-limited after {RETRY_ATTEMPTS} attempts, run `pulumi up` again"
        where = f" ({context})" if context else ""
        raise ApiRefusal(
            f"{service} {action} failed{where}: {code}: {exc.message} (request {exc.requestId}){hint}", code
        ) from None
