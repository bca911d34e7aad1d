"""One emulated Tencent Cloud service: its API version, its actions and their members, its state, and failures a
test injects. Each service is one module (tke.py, cam.py, sts.py) with one Service subclass, listed in server.py
SERVICES; the gateway (server.py) verifies a request, then hands it to the service its credential scope names, with
the identity that signed it.
"""

from __future__ import annotations

import abc
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kubecvm.planning.tencent import common
from kubecvm.planning.tencent.common import Refusal

if TYPE_CHECKING:
    from kubecvm.emulator.server import Emulator


class ApiError(Exception):
    """An answer with {"Error": {"Code", "Message"}}: the request is refused with Tencent's code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message

    @classmethod
    def of(cls, refusal: Refusal) -> ApiError:
        return cls(refusal.code, refusal.message)


class Service(abc.ABC):
    """The actions are methods named as Tencent names them (CreateClusterRouteTable), taking the request's members
    and returning the response's, without RequestId. Not thread-safe: the Emulator serialises calls."""

    name: ClassVar[str]  # the credential scope's service, e.g. "tke"
    version: ClassVar[str]  # X-TC-Version, e.g. "2018-05-25"
    # Action -> (required members, optional members), from the service's facts module in kubecvm.planning.tencent.
    parameters: ClassVar[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]]

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []  # (action, members) of every request that reached the service
        # Who signed each of those requests, index for index: the SecretId of a long-lived key, or the RoleArn of the
        # role whose temporary credential (STS AssumeRole, a CVM role) signed it.
        self.callers: list[str] = []
        self.fail: defaultdict[str, list[str]] = defaultdict(list)  # action -> error codes to answer next, in order
        self.reset()

    def reset(self) -> None:
        """An empty account: no resources, no calls, nothing to inject. A subclass clears its state, then calls this."""
        self.calls.clear()
        self.callers.clear()
        self.fail.clear()

    def attach(self, emulator: Emulator) -> None:
        """Called once every service of the emulator exists: a service that reads another's state (STS the account's
        roles) or the emulator's options keeps what it needs here."""

    @abc.abstractmethod
    def resources(self) -> dict[str, int]:
        """How many of each resource exist now, keyed "<service>/<Resource>" (the summary's "resources")."""

    def check(self, action: str, params: Mapping[str, Any]) -> None:
        """The members Tencent checks before the action runs: none unknown (UnknownParameter), every required one
        present and not empty (MissingParameter): the common codes, tencentcloud.com/document/product/213/33281."""
        required, optional = self.parameters[action]
        unknown = sorted(set(params) - set(required) - set(optional))
        if unknown:
            raise ApiError(common.UNKNOWN_PARAMETER, f"{action} has no member {', '.join(unknown)}")
        missing = [k for k in required if params.get(k) in (None, "")]
        if missing:
            raise ApiError(common.MISSING_PARAMETER, f"{action} needs {', '.join(missing)}")

    def call(self, action: str, params: dict, caller: str = "") -> dict:
        self.calls.append((action, params))
        self.callers.append(caller)
        if self.fail[action]:
            raise ApiError(self.fail[action].pop(0), "injected by the emulator's user (Service.fail)")
        return getattr(self, action)(params)
