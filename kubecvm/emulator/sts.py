"""The STS API 2018-08-13 AssumeRole: temporary credentials for a role of the account (cam.py's roles), which the
gateway then accepts with their token. What STS refuses is decided by kubecvm/planning/tencent/sts.py; the answer
has the SDK's shape (AssumeRoleResponse: Credentials {Token, TmpSecretId, TmpSecretKey}, ExpiredTime, Expiration).

`issue` hands out the same kind of credential without a request, for what the emulator cannot serve itself: a test's
stand-in for the CVM metadata service (cam/security-credentials/<role>) answers with one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import sts

if TYPE_CHECKING:
    from kubecvm.emulator.cam import CamService
    from kubecvm.emulator.server import Emulator


@dataclass(frozen=True)
class TemporaryCredential:
    secret_id: str
    secret_key: str
    token: str
    role_arn: str  # the role's RoleArn (by-name form): the identity its requests are recorded under
    session_name: str
    expires: int  # Unix time

    def answer(self) -> dict:
        """AssumeRole's answer members (and the CVM metadata document's, less Code and Expiration)."""
        return {
            "Credentials": {"Token": self.token, "TmpSecretId": self.secret_id, "TmpSecretKey": self.secret_key},
            "ExpiredTime": self.expires,
            "Expiration": datetime.fromtimestamp(self.expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class StsService(Service):
    name = sts.SERVICE
    version = sts.VERSION
    parameters = sts.PARAMETERS

    cam: CamService
    clock: Callable[[], float]

    def attach(self, emulator: Emulator) -> None:
        self.cam = emulator.cam
        self.clock = emulator.clock

    def reset(self) -> None:
        self.credentials: dict[str, TemporaryCredential] = {}  # TmpSecretId -> what it stands for
        super().reset()

    def resources(self) -> dict[str, int]:
        return {}

    def issue(
        self, role_arn: str, session_name: str = "kubecvm-emulator", duration: int = sts.DEFAULT_DURATION
    ) -> TemporaryCredential:
        """A temporary credential for `role_arn` (not checked: a CVM role is the test's to name), valid `duration`
        seconds from the emulator's clock. Its SecretId starts with AKID, as Tencent's temporary ones do."""
        cred = TemporaryCredential(
            secret_id="AKID" + secrets.token_hex(16),
            secret_key=secrets.token_urlsafe(24),
            token=secrets.token_urlsafe(48),
            role_arn=role_arn,
            session_name=session_name,
            expires=int(self.clock()) + duration,
        )
        self.credentials[cred.secret_id] = cred
        return cred

    # --- the actions --------------------------------------------------------------------------------------------
    def AssumeRole(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        if refusal := sts.assume_role_refusal(p):
            raise ApiError.of(refusal)
        role = self.cam.find(str(p["RoleArn"]))
        if role is None:
            raise ApiError.of(sts.role_not_found(str(p["RoleArn"])))
        return self.issue(
            role["RoleArn"], str(p["RoleSessionName"]), p.get("DurationSeconds") or sts.DEFAULT_DURATION
        ).answer()
