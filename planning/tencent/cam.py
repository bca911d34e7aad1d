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

- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/cam/role.py, cam/policy.py,
  cam/role_policy_attachment.py, user/get_info.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/cam/ as cited
  per entry (ForceNew inputs in the SDK's camelCase, ids, CreateRole's and CreatePolicy's refusals).

The emulator (kubecvm/emulator/cam.py, sts.py) answers GetRole with these; components/global_router.py reads the
codes and the role's name. The roles, policies and attachments kubecvm's stacks make through the Tencent provider
(the last part below) are refused offline only, by the simulated cloud (offline/simulated_cloud.py) through
account.CloudState: the emulator does not answer CreateRole or CreatePolicy (the Tencent provider plugin cannot be
built here to drive them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import common
from .common import Refusal

if TYPE_CHECKING:
    from .account import CloudState

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
TKE_SERVICE_ROLE_DOCS = (
    "cloud.tencent.com/document/product/457/43416 (intl.cloud.tencent.com/document/product/457/37808)"
)


def trust_policy(service: str) -> str:
    """The PolicyDocument of a role a Tencent Cloud service assumes [terraform]."""
    return json.dumps(
        {
            "version": "2.0",
            "statement": [{"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service": service}}],
        }
    )


def trust_account(uin: str) -> str:
    """The PolicyDocument of a role the account's own identities may assume [cam_role]."""
    return json.dumps(
        {
            "version": "2.0",
            "statement": [
                {
                    "action": ["name/sts:AssumeRole"],
                    "effect": "allow",
                    "principal": {"qcs": [f"qcs::cam::uin/{uin}:uin/{uin}"]},
                }
            ],
        }
    )


def role_arn(uin: str, name: str) -> str:
    """A role's RoleArn in the by-name form [arn]."""
    return f"qcs::cam::uin/{uin}:roleName/{name}"


_ARN = re.compile(
    r"^qcs::cam::uin/(?P<uin>\d+):(?P<kind>role|roleName)/"
    r"(?:(?P<service>tencentcloudServiceRole|tencentcloudServiceRoleName)/)?(?P<value>[^/]+)$"
)


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


# --- The resources kubecvm's stacks make (the Tencent provider's) ---------------------------------------------

# Engine type tokens [sdk].
ROLE = "tencentcloud:Cam/role:Role"
POLICY = "tencentcloud:Cam/policy:Policy"
ROLE_POLICY_ATTACHMENT = "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment"
# Data source: the caller's account, its AppID (which COS bucket names end in) and UIN (user/data_source_tc_user_info.go).
USER_INFO = "tencentcloud:User/getInfo:getInfo"

# A role's id is its numeric RoleId, a policy's its numeric PolicyId, an attachment's `<roleId>#<policyId>`
# (cam/resource_tc_cam_role_policy_attachment.go); the prefixes name other forms' fallbacks.
ID_PREFIX: dict[str, str] = {ROLE: "role", POLICY: "policy", ROLE_POLICY_ATTACHMENT: "role-attach"}

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    ROLE: frozenset({"name"}),  # cam/resource_tc_cam_role.go
    POLICY: frozenset({"name"}),  # cam/resource_tc_cam_policy.go
    # cam/resource_tc_cam_role_policy_attachment.go: no Update at all; both inputs ForceNew.
    ROLE_POLICY_ATTACHMENT: frozenset({"roleId", "policyId"}),
}

# What a create returns beyond its inputs: a role's RoleArn (role_arn's by-name form) and a policy's type (1: a
# custom policy). kubecvm reads a role by its id and name (a CVM's cam_role_name), a policy by its id.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {ROLE: ("roleArn",), POLICY: ("type",)}
CUSTOM_POLICY = 1
# CreateRole's and CreatePolicy's answers for a name in use (tencentcloud-sdk-go cam/v20190116/errors.go: "相同名称的
# 角色已存在", "PolicyName字段指定的策略名已存在").
ROLE_NAME_IN_USE = "InvalidParameter.RoleNameInUse"
POLICY_NAME_IN_USE = "FailedOperation.PolicyNameInUse"


def name_of(inputs: dict):
    return inputs.get("name")


def role_name_free(state: CloudState, inputs: dict) -> str | None:
    """Role names are unique in the account: CreateRole answers ROLE_NAME_IN_USE (cam/resource_tc_cam_role.go)."""
    if state.holders(ROLE, name_of, name_of(inputs)):
        return f"{inputs.get('name')} exists (RoleNameInUse)"
    return None


def policy_name_free(state: CloudState, inputs: dict) -> str | None:
    """Policy names are unique in the account: CreatePolicy answers POLICY_NAME_IN_USE (cam/resource_tc_cam_policy.go,
    which stops retrying on it)."""
    if state.holders(POLICY, name_of, name_of(inputs)):
        return f"{inputs.get('name')} exists (PolicyNameInUse)"
    return None


CREATE_RULES = {
    ROLE: (role_name_free,),
    POLICY: (policy_name_free,),
}
DELETE_RULES: dict = {}
