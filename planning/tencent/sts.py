"""STS API 2018-08-13, AssumeRole: temporary credentials for a CAM role. Facts and refusal rules. Pure.

Sources, cited per fact below:
- [models] tencentcloud-sdk-python-sts tencentcloud/sts/v20180813/models.py (3.0.1459, the newest release the
  package index here serves): AssumeRoleRequest (RoleArn, RoleSessionName, DurationSeconds, Policy, ExternalId,
  Tags, SourceIdentity, SerialNumber, TokenCode), AssumeRoleResponse (Credentials {Token, TmpSecretId, TmpSecretKey},
  ExpiredTime: a Unix time in seconds, Expiration: the same in ISO 8601 UTC). RoleSessionName: "长度在2到128之间，
  可包含大小写字符，数字以及特殊字符：=,.@_-。正则为：[\\w+=,.@_-]*"; DurationSeconds: "默认 7200 秒，最长可设定有效期为
  43200 秒"; Policy: "该参数需要做urlencode，服务端会对该字段做urldecode", "策略中不能包含 principal 元素".
- [required] RoleArn and RoleSessionName: the Tencent provider's assume_role block requires both
  (terraform-provider-tencentcloud tencentcloud/provider.go: role_arn, session_name Required), and the SDK's own
  STSAssumeRoleCredential (tencentcloud-sdk-python-common credential.py) always sends both.
- [errorcodes] tencentcloud/sts/v20180813/errorcodes.py: ResourceNotFound.RoleNotFound ("账号对应的角色不存在"),
  InvalidParameter.OverTimeError ("过期时间超过阈值"), InvalidParameter.ParamError ("参数错误"),
  InvalidParameter.StrategyFormatError ("策略语法错误").
- [provider] terraform-provider-tencentcloud provider.go genClientWithSTS: Policy is sent as url.QueryEscape(policy)
  (Python: urllib.parse.quote_plus), and the answer's TmpSecretId, TmpSecretKey and Token become the credential.

The emulator (kubecvm/emulator/sts.py) answers with these rules; components/tencent_calls.py calls AssumeRole.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from .common import Refusal

SERVICE = "sts"  # sts.tencentcloudapi.com
VERSION = "2018-08-13"

PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "AssumeRole": (
        ("RoleArn", "RoleSessionName"),
        ("DurationSeconds", "Policy", "ExternalId", "Tags", "SourceIdentity", "SerialNumber", "TokenCode"),
    ),
}

DEFAULT_DURATION = 7200  # seconds [models]
MAX_DURATION = 43200

ROLE_NOT_FOUND = "ResourceNotFound.RoleNotFound"
OVER_TIME = "InvalidParameter.OverTimeError"
PARAM_ERROR = "InvalidParameter.ParamError"
STRATEGY_FORMAT = "InvalidParameter.StrategyFormatError"
ERRORS: dict[str, str] = {
    ROLE_NOT_FOUND: "The role of the account does not exist.",
    OVER_TIME: "The expiry time exceeds the threshold.",
    PARAM_ERROR: "Parameter error.",
    STRATEGY_FORMAT: "The policy syntax is incorrect.",
}

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,128}$")


def duration_refusal(value: Any) -> Refusal | None:
    """DurationSeconds: an integer of at most 43200 seconds [models]; more is OverTimeError [errorcodes]."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return Refusal(PARAM_ERROR, f"DurationSeconds {value!r} is not a positive number of seconds")
    if value > MAX_DURATION:
        return Refusal(OVER_TIME, f"DurationSeconds {value} is more than {MAX_DURATION}")
    return None


def session_name_refusal(name: Any) -> Refusal | None:
    if not isinstance(name, str) or not _SESSION_NAME.match(name):
        return Refusal(PARAM_ERROR, f"RoleSessionName {name!r}: 2 to 128 of letters, digits and =,.@_-")
    return None


def policy_refusal(policy: Any) -> Refusal | None:
    """Policy is the url-encoded text of a CAM policy (version, statement) without principal [models]."""
    if policy is None:
        return None
    try:
        doc = json.loads(unquote_plus(str(policy)))
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("statement"), list):
        return Refusal(STRATEGY_FORMAT, 'Policy, url-decoded, is not a CAM policy ({"version", "statement": [...]})')
    if any(isinstance(s, dict) and "principal" in s for s in doc["statement"]):
        return Refusal(STRATEGY_FORMAT, "Policy must not contain principal")
    return None


def role_not_found(arn: str) -> Refusal:
    return Refusal(ROLE_NOT_FOUND, f"{arn} is not a role of this account")


def assume_role_refusal(params: dict) -> Refusal | None:
    """AssumeRole's refusals of the request's own form; the role's existence is the account's (role_not_found)."""
    return (
        session_name_refusal(params.get("RoleSessionName"))
        or duration_refusal(params.get("DurationSeconds"))
        or policy_refusal(params.get("Policy"))
    )
