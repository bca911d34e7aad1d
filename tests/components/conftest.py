"""Fixtures of the component tests: the prod and dev presets under the recording mock runtime (once per module that
asks; a module may define its own), and the Tencent Cloud API emulator for the GlobalRouter provider's tests."""

from __future__ import annotations

import os

import pytest

from kubecvm.components import tencent_calls as calls
from kubecvm.emulator import SECRET_ID, SECRET_KEY, Emulator
from kubecvm.offline.runner import run_program
from tests.conftest import stack_config


@pytest.fixture(scope="module")
def prod():
    return run_program(stack_config("prod", sshKeyIds=["skey-abcd1234"]), stack="prod")


@pytest.fixture(scope="module")
def dev():
    return run_program(stack_config("dev", zones=["ap-guangzhou-3"]), stack="dev")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No Tencent setting of the machine running the tests: no TENCENTCLOUD_* variable, an empty tccli directory
    (every GlobalRouter test module uses it: `pytestmark = pytest.mark.usefixtures("isolated")`)."""
    for name in [n for n in os.environ if n.startswith("TENCENTCLOUD_")] + [calls.METADATA_ENV]:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "tccli").mkdir()
    monkeypatch.setenv("TENCENTCLOUD_SHARED_CREDENTIALS_DIR", str(tmp_path / "tccli"))


@pytest.fixture
def emulator(monkeypatch):
    """The emulator on 127.0.0.1 with every service the provider calls aimed at it, and its long-lived key set."""
    emulator = Emulator()
    with emulator.serve() as url:
        for env in calls.ENDPOINT_ENVS.values():
            monkeypatch.setenv(env, url)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        yield emulator


@pytest.fixture
def tke(emulator):
    """The emulator's TKE service (its tables, routes, calls and failures to inject)."""
    return emulator.tke
