"""CAM API 2019-01-16, the role lookup kubecvm makes (GetRole) and the roles STS assumes: facts and rules. Pure.

Sources, cited per fact below:
- [models] tencentcloud-sdk-python-cam tencentcloud/cam/v20190116/models.py: GetRoleRequest (RoleId, RoleName:
  "入参 RoleId 与 RoleName 二选一", one of the two), GetRoleResponse.RoleInfo (RoleId, RoleName, PolicyDocument,
  Description, AddTime, UpdateTime, ConsoleLogin, RoleType, SessionDuration, RoleArn, ...).
- [errorcodes] tencentcloud/cam/v20190116/errorcodes.py (tencentcloud-sdk-python-cam 3.1.181): a missing role is
  InvalidParameter.RoleNotExist ("角色不存在"); there is no ResourceNotFound.RoleNotExist. "没有权限" is
  AuthFailure.UnauthorizedOperation, "未授权操作" UnauthorizedOperation; InvalidParameter.ParamError "非法入参".
- [roles] Tencent's "Description of Role Permissions Related to Service Authorization" (intl.cloud.tencent.com/
  document/product/457/37808, tencentyun/intlcloud-documents yehe_doc/容器/容器服务/权限管理/
  服务授权相关角色权限说明_intl_en.md; Chinese: cloud.tencent.com/document/product/457/43416): "After TKE is
  activated, Tencent Cloud grants your account the permissions of the role TKE_QCSRole", with the preset policies
  QcloudAccessForTKERole and QcloudAccessForTKERoleInOpsManagement, granted in the TKE console (Cluster > Service
  Authorization > Go to Cloud Access Management > Grant Authorization).
- [terraform] Tencent's guide to TKE with Terraform, step "配置 CAM 角色": the same role created by hand is
  TKE_QCSRole with the trust policy {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service":
  "ccs.qcloud.com"}} and those two policies attached.
- [cam_role] the Tencent provider's tencentcloud_cam_role example: a role the account may assume has the principal
  {"qcs": ["qcs::cam::uin/<uin>:uin/<uin>"]}.
- [arn] the RoleArn forms STS's AssumeRole documents (tencentcloud-sdk-python-sts models.py AssumeRoleRequest):
  qcs::cam::uin/12345678:role/4611686018427397919, qcs::cam::uin/12345678:roleName/testRoleName, and for service
  roles .../role/tencentcloudServiceRole/<id> and .../role/tencentcloudServiceRoleName/<name>.

The emulator (kubecvm/emulator/cam.py, sts.py) answers with these; components/global_router.py reads the codes and
the role's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from . import common
from .common import Refusal

SERVICE = "cam"  # cam.tencentcloudapi.com
VERSION = "2019-01-16"

# Action -> (required members, optional members) [models]. GetRole needs one of its two optional members, checked
# by get_role_refusal.
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GetRole": ((), ("RoleId", "RoleName")),
}

ROLE_NOT_EXIST = "InvalidParameter.RoleNotExist"
PARAM_ERROR = "InvalidParameter.ParamError"
UNAUTHORIZED = "UnauthorizedOperation"
ERRORS: dict[str, str] = {
    ROLE_NOT_EXIST: "The role does not exist.",
    PARAM_ERROR: "Invalid input parameter.",
    UNAUTHORIZED: "Unauthorized operation.",
}
# What a caller that may not read CAM is answered: the common code and CAM's own [errorcodes].
NOT_ALLOWED = frozenset({common.UNAUTHORIZED_OPERATION, UNAUTHORIZED})

# The TKE service role [roles], [terraform].
TKE_SERVICE_ROLE = "TKE_QCSRole"
TKE_SERVICE_PRINCIPAL = "ccs.qcloud.com"
TKE_SERVICE_ROLE_POLICIES = ("QcloudAccessForTKERole", "QcloudAccessForTKERoleInOpsManagement")
TKE_SERVICE_ROLE_DOCS = "cloud.tencent.com/document/product/457/43416 (intl.cloud.tencent.com/document/product/457/37808)"


def trust_policy(service: str) -> str:
    """The PolicyDocument of a role a Tencent Cloud service assumes [terraform]."""
    return json.dumps({"version": "2.0", "statement": [
        {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service": service}}]})


def trust_account(uin: str) -> str:
    """The PolicyDocument of a role the account's own identities may assume [cam_role]."""
    return json.dumps({"version": "2.0", "statement": [
        {"action": ["name/sts:AssumeRole"], "effect": "allow", "principal": {"qcs": [f"qcs::cam::uin/{uin}:uin/{uin}"]}}]})


def role_arn(uin: str, name: str) -> str:
    """A role's RoleArn in the by-name form [arn]."""
    return f"qcs::cam::uin/{uin}:roleName/{name}"


_ARN = re.compile(r"^qcs::cam::uin/(?P<uin>\d+):(?P<kind>role|roleName)/"
                  r"(?:(?P<service>tencentcloudServiceRole|tencentcloudServiceRoleName)/)?(?P<value>[^/]+)$")


def find_role(arn: str, uin: str, roles: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The account's role (RoleInfo, from `roles`: RoleName -> RoleInfo) an ARN names [arn], or None: another
    account's, a malformed ARN, or no such role. `role/<id>` names it by RoleId, `roleName/<name>` by name."""
    m = _ARN.match(arn)
    if m is None or m["uin"] != uin:
        return None
    by_id = m["kind"] == "role" and m["service"] != "tencentcloudServiceRoleName"
    for info in roles.values():
        if (info["RoleId"] if by_id else info["RoleName"]) == m["value"]:
            return info
    return None


def get_role_refusal(params: Mapping[str, Any]) -> Refusal | None:
    """GetRole names its role by RoleId or by RoleName [models]; with neither it cannot answer (ParamError)."""
    if not params.get("RoleId") and not params.get("RoleName"):
        return Refusal(PARAM_ERROR, "GetRole needs RoleId or RoleName")
    return None


def role_not_exist(name: str) -> Refusal:
    return Refusal(ROLE_NOT_EXIST, f"role {name} does not exist")
