"""Tencent Cloud API 3.0: the gateway every service sits behind. Pure facts, with their sources.

Request structure and signature: POST with a JSON body, the common headers X-TC-Action, X-TC-Version,
X-TC-Timestamp and (for a regional service) X-TC-Region, and an Authorization header signed with
TC3-HMAC-SHA256 over a credential scope `<UTC date>/<service>/tc3_request` (Tencent's "签名方法 v3" page, e.g.
tencentcloud.com/zh/document/api/1021/34193, which the official SDKs implement:
tencentcloud-sdk-python-common tencentcloud/common/abstract_client.py _build_req_with_tc3_signature).
The endpoint of a service is `<service>.tencentcloudapi.com` (or `<service>.<region>.tencentcloudapi.com`).

Answers are HTTP 200 with {"Response": {..., "RequestId"}}, a failure carrying {"Error": {"Code", "Message"}}
(the API 3.0 "Responses" page, e.g. tencentcloud.com/document/product/597/35338).
"""

from __future__ import annotations

from dataclasses import dataclass

ALGORITHM = "TC3-HMAC-SHA256"
SCOPE_TERMINATOR = "tc3_request"
# The signature page: content-type and host must be signed (others may be, and then count too); each signed header
# enters the canonical request as `key:value\n`, key and value lower-cased and trimmed.
REQUIRED_SIGNED_HEADERS = ("content-type", "host")
# "AuthFailure.SignatureExpire: Timestamp和服务器时间相差不得超过五分钟" (the common error list below).
MAX_CLOCK_SKEW_SECONDS = 300
# X-TC-Content-SHA256: UNSIGNED-PAYLOAD makes the signature cover that literal instead of the body (signature page;
# abstract_client.py _get_tc3_signature).
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# "POST 请求使用签名方法 v3(TC3-HMAC-SHA256)时最大支持10MB" (API 3.0 request structure, e.g.
# cloud.tencent.com/document/product/1278/46710).
MAX_BODY_BYTES = 10 * 1024 * 1024
JSON_CONTENT_TYPE = "application/json"

# The API 3.0 common error codes, which every service may answer, with their documented meaning: Tencent's common
# error list, cloud.tencent.com/document/product/213/30435 ("公共错误码") and its English page
# tencentcloud.com/document/product/213/33281#common-error-codes. Only those this package answers or reads.
# AuthFailure.TokenFailure ("token 错误") is also among the signature page's failure codes: a request signed with a
# temporary credential (an STS or CVM-role key) carries its token in X-TC-Token.
ACTION_OFFLINE = "ActionOffline"
INVALID_AUTHORIZATION = "AuthFailure.InvalidAuthorization"
SECRET_ID_NOT_FOUND = "AuthFailure.SecretIdNotFound"
SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
TOKEN_FAILURE = "AuthFailure.TokenFailure"  # the X-TC-Token of a temporary credential is wrong or missing
UNAUTHORIZED_OPERATION = "AuthFailure.UnauthorizedOperation"  # the caller's CAM policies do not allow the action
INTERNAL_ERROR = "InternalError"
INVALID_ACTION = "InvalidAction"
INVALID_PARAMETER = "InvalidParameter"
INVALID_PARAMETER_VALUE = "InvalidParameterValue"
MISSING_PARAMETER = "MissingParameter"
NO_SUCH_VERSION = "NoSuchVersion"
REQUEST_LIMIT_EXCEEDED = "RequestLimitExceeded"  # also the prefix of its sub-codes, e.g. .UinLimitExceeded
REQUEST_SIZE_LIMIT_EXCEEDED = "RequestSizeLimitExceeded"
UNKNOWN_PARAMETER = "UnknownParameter"
UNSUPPORTED_OPERATION = "UnsupportedOperation"
UNSUPPORTED_PROTOCOL = "UnsupportedProtocol"

COMMON_ERRORS: dict[str, str] = {
    ACTION_OFFLINE: "This API has been deprecated.",
    INVALID_AUTHORIZATION: "`Authorization` in the request header is invalid.",
    SECRET_ID_NOT_FOUND: "Key does not exist.",
    SIGNATURE_EXPIRE: "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
    SIGNATURE_FAILURE: "Invalid signature. Signature calculation error.",
    TOKEN_FAILURE: "Invalid token.",
    UNAUTHORIZED_OPERATION: "No CAM authorization.",
    INTERNAL_ERROR: "Internal error.",
    INVALID_ACTION: "The API does not exist.",
    INVALID_PARAMETER: "Incorrect parameter.",
    INVALID_PARAMETER_VALUE: "Invalid parameter value.",
    MISSING_PARAMETER: "A parameter is missing.",
    NO_SUCH_VERSION: "The API version does not exist.",
    REQUEST_LIMIT_EXCEEDED: "The number of requests exceeds the frequency limit.",
    "RequestLimitExceeded.UinLimitExceeded": "The number of uin requests exceeds the frequency limit.",
    "RequestLimitExceeded.IPLimitExceeded": "The number of ip requests exceeds the frequency limit.",
    REQUEST_SIZE_LIMIT_EXCEEDED: "The request size exceeds the upper limit.",
    UNKNOWN_PARAMETER: "Unknown parameter.",
    UNSUPPORTED_OPERATION: "Unsupported operation.",
    UNSUPPORTED_PROTOCOL: "HTTP(S) request protocol error; only GET and POST requests are supported.",
}


def rate_limited(code: str) -> bool:
    """RequestLimitExceeded or one of its sub-codes: the call may succeed if retried later."""
    return code == REQUEST_LIMIT_EXCEEDED or code.startswith(REQUEST_LIMIT_EXCEEDED + ".")


@dataclass(frozen=True)
class Refusal:
    """What Tencent answers instead of doing a request: an error code (common or the service's) and a message."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
