"""Clients for the emulator tests: Tencent's official SDK pointed at the emulator, and a hand-signed request for
what the SDK never sends (another Host, a malformed header)."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from datetime import datetime, timezone
from urllib.parse import urlparse

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.sign import Sign
from tencentcloud.monitor.v20180724 import models as monitor_models
from tencentcloud.monitor.v20180724 import monitor_client
from tencentcloud.tke.v20180525 import models, tke_client

from kubecvm.emulator import SECRET_ID, SECRET_KEY

REGION = "ap-guangzhou"
NO_VPC = {"vpc/SecurityGroup": 0, "vpc/SecurityGroupPolicy": 0}  # the summary's VPC resources of an account without any
# The summary's resources of the monitor service in an account without alarm policies or TMP instances.
NO_ALARMS = {"monitor/AlarmPolicy": 0, "monitor/PolicyTagBinding": 0, "monitor/PrometheusInstance": 0}


def profile(url: str) -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=urlparse(url).netloc, reqTimeout=10))


def tke(
    url: str, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY, token: str | None = None
) -> tke_client.TkeClient:
    """The SDK's own TKE client, as components/global_router.py builds it (a token: a temporary credential)."""
    return tke_client.TkeClient(credential.Credential(secret_id, secret_key, token), REGION, profile(url))


def common(url: str, service: str, version: str, cred: credential.Credential | None = None) -> CommonClient:
    """The SDK's generic client, for a service or version the TKE client cannot name (CAM, STS)."""
    return CommonClient(service, version, cred or credential.Credential(SECRET_ID, SECRET_KEY), REGION, profile(url))


def monitor(url: str) -> monitor_client.MonitorClient:
    """The SDK's own Cloud Monitor client (the provider's calls are made with its Go twin)."""
    return monitor_client.MonitorClient(credential.Credential(SECRET_ID, SECRET_KEY), REGION, profile(url))


def monitor_request(model: str, **members):
    req = getattr(monitor_models, f"{model}Request")()
    req._deserialize(members)
    return req


def request(model: str, **members):
    req = getattr(models, f"{model}Request")()
    req._deserialize(members)
    return req


def refused(call, *args) -> tuple[str, str]:
    """(code, message) of the TencentCloudSDKException the SDK raises for the emulator's error answer."""
    try:
        call(*args)
    except TencentCloudSDKException as exc:
        return exc.code, exc.message
    raise AssertionError("the emulator accepted the request")


def signed_post(
    url: str,
    action: str,
    body: bytes,
    *,
    host: str | None = None,
    service: str = "tke",
    version: str = "2018-05-25",
    secret_key: str = SECRET_KEY,
    headers: dict | None = None,
) -> dict:
    """POST a TC3-HMAC-SHA256 request signed here (the SDK's recipe, with Sign.sign_tc3) for `host` (default: the
    emulator's own address) and `service`; the emulator's JSON answer."""
    target = urlparse(url)
    host = host or target.netloc
    timestamp = int(time.time())
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    auth = (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, "
        f"Signature={Sign.sign_tc3(secret_key, date, service, to_sign)}"
    )
    sent = {
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": REGION,
        "Authorization": auth,
        **(headers or {}),
    }
    return send(url, "POST", "/", body, {k: v for k, v in sent.items() if v is not None})


def send(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
    target = urlparse(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        assert response.status == 200, (response.status, response.read())
        return json.loads(response.read())
    finally:
        conn.close()
