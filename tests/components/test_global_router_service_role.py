"""The GlobalRouter provider checks the TKE service role before it creates the cluster route table (against the
emulator's CAM)."""

from __future__ import annotations

import pytest
from global_router_helpers import PROPS, provider

from kubecvm.components import global_router as gr
from kubecvm.components import tencent_calls as calls
from kubecvm.emulator import SECRET_ID, SECRET_KEY, Emulator

pytestmark = pytest.mark.usefixtures("isolated")


def test_create_checks_the_tke_service_role_before_the_table(emulator):
    provider().create(dict(PROPS))
    assert emulator.cam.calls == [("GetRole", {"RoleName": "TKE_QCSRole"})]
    assert emulator.cam.callers == [SECRET_ID]


def test_an_account_without_the_tke_service_role_is_told_how_to_create_it(emulator):
    del emulator.cam.roles["TKE_QCSRole"]  # TKE never activated in this account
    with pytest.raises(gr.GlobalRouterError) as err:
        provider().create(dict(PROPS))
    message = str(err.value)
    assert message.startswith(
        "the TKE service role TKE_QCSRole does not exist in this account (CAM GetRole: InvalidParameter.RoleNotExist)"
    )
    for needed in (
        "https://console.cloud.tencent.com/tke2",
        "Service Authorization",
        "principal service ccs.qcloud.com",
        "QcloudAccessForTKERole and QcloudAccessForTKERoleInOpsManagement",
        "457/43416",
    ):
        assert needed in message
    assert emulator.tke.calls == [] and emulator.tke.tables == {}  # nothing created


@pytest.mark.parametrize("code", ["AuthFailure.UnauthorizedOperation", "UnauthorizedOperation"])
def test_a_caller_that_may_not_read_cam_is_not_blocked(emulator, code):
    del emulator.cam.roles["TKE_QCSRole"]  # unknowable to this caller: TKE itself would refuse
    emulator.cam.fail["GetRole"] = [code]
    provider().create(dict(PROPS))
    assert len(emulator.tke.routes["kubecvm-demo-pods"]) == 2


def test_another_cam_failure_stops_the_create(emulator, monkeypatch):
    monkeypatch.setattr(calls, "RETRY_FIRST_WAIT", 0.01)
    emulator.cam.fail["GetRole"] = ["RequestLimitExceeded", "InternalError"]
    with pytest.raises(gr.GlobalRouterError, match="CAM GetRole failed: InternalError"):
        provider().create(dict(PROPS))
    assert emulator.tke.calls == []


def test_an_account_started_without_the_role_refuses_the_create():
    emulator = Emulator(tke_service_role=False)
    with emulator.serve() as url, pytest.MonkeyPatch.context() as mp:
        for env in calls.ENDPOINT_ENVS.values():
            mp.setenv(env, url)
        mp.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        mp.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        with pytest.raises(gr.GlobalRouterError, match="the TKE service role TKE_QCSRole does not exist"):
            provider().create(dict(PROPS))
    assert emulator.summary()["refusals"][0]["code"] == "InvalidParameter.RoleNotExist"
