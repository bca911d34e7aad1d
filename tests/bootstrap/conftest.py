"""Fixtures of the bootstrap tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def recorded():
    """ClusterAddons with the demo settings under the recording mocks, once per module that asks."""
    from tests.bootstrap._addons import SETTINGS, run_addons

    return run_addons(SETTINGS)
