"""The CAM API 2019-01-16 role lookup (GetRole) over the account's roles, which STS (sts.py) assumes too. What CAM
answers is decided by kubecvm/planning/tencent/cam.py; this module holds the roles and shapes GetRole's answer as the
SDK's models do (GetRoleResponse.RoleInfo).

The account starts with the TKE service role TKE_QCSRole, as an account where the container service has been
activated does (Emulator(tke_service_role=False), `--without-tke-service-role`: one where it has not). A test adds
the roles it assumes with add_role. Roles are the account's setup, not something the emulated API creates, so the
summary's resources do not count them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubecvm.emulator import ACCOUNT_UIN
from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import cam

if TYPE_CHECKING:
    from kubecvm.emulator.server import Emulator

ROLE_TIME = "2024-01-01 00:00:00"  # AddTime/UpdateTime of every role: the emulator keeps no clock for CAM
FIRST_ROLE_ID = 4611686018427397919  # the form of a RoleId in Tencent's examples (sts models.py RoleArn)


class CamService(Service):
    name = cam.SERVICE
    version = cam.VERSION
    parameters = cam.PARAMETERS

    def __init__(self) -> None:
        self.tke_service_role = True
        super().__init__()

    def attach(self, emulator: Emulator) -> None:
        self.tke_service_role = emulator.tke_service_role
        self.reset()

    def reset(self) -> None:
        self.roles: dict[str, dict[str, Any]] = {}  # RoleName -> RoleInfo, as GetRole answers it
        self._next_id = FIRST_ROLE_ID
        if self.tke_service_role:
            self.add_role(
                cam.TKE_SERVICE_ROLE,
                policy_document=cam.trust_policy(cam.TKE_SERVICE_PRINCIPAL),
                description="The TKE service role.",
            )
        super().reset()

    def resources(self) -> dict[str, int]:
        return {}

    def add_role(self, name: str, *, policy_document: str | None = None, description: str = "") -> dict[str, Any]:
        """A role of the account (RoleInfo), e.g. one a test assumes through STS; its RoleArn is the by-name form."""
        info = {
            "RoleId": str(self._next_id),
            "RoleName": name,
            "PolicyDocument": policy_document or cam.trust_account(ACCOUNT_UIN),
            "Description": description,
            "AddTime": ROLE_TIME,
            "UpdateTime": ROLE_TIME,
            "ConsoleLogin": 0,
            "RoleType": "user",
            "SessionDuration": 0,
            "RoleArn": cam.role_arn(ACCOUNT_UIN, name),
        }
        self._next_id += 1
        self.roles[name] = info
        return info

    def find(self, arn: str) -> dict[str, Any] | None:
        return cam.find_role(arn, ACCOUNT_UIN, self.roles)  # type: ignore[return-value]

    # --- the actions --------------------------------------------------------------------------------------------
    def GetRole(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        if refusal := cam.get_role_refusal(p):
            raise ApiError.of(refusal)
        if p.get("RoleName"):
            info = self.roles.get(str(p["RoleName"]))
        else:
            info = next((r for r in self.roles.values() if r["RoleId"] == str(p["RoleId"])), None)
        if info is None:
            raise ApiError.of(cam.role_not_exist(str(p.get("RoleName") or p.get("RoleId"))))
        return {"RoleInfo": dict(info)}
