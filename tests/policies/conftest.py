"""Fixtures for the policy tests (helpers live in policy_helpers.py, a name no other test directory uses)."""

from __future__ import annotations

import pytest

from kubecvm.policies.engine import Resource
from policy_helpers import resources_and_cluster, stack_file_config


@pytest.fixture(scope="session")
def prod_baseline() -> tuple[tuple[Resource, ...], dict]:
    resources, facts = resources_and_cluster(stack_file_config("prod"), "prod")
    return tuple(resources), facts
