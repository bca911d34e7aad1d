from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from kubecvm.planning import ClusterSpec
from kubecvm.stacks.config import merge, spec_from_config

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

REGION = "ap-guangzhou"
PROD_ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]


def stack_config(preset: str = "prod", **cluster: Any) -> dict[str, Any]:
    """A stack file's `config:` mapping, as run_program and the offline plan take it."""
    return {
        "tencentcloud:region": REGION,
        "kubecvm:preset": preset,
        "kubecvm:cluster": merge({"name": "demo", "zones": PROD_ZONES}, cluster),
    }


def make_spec(preset: str = "prod", overrides: Mapping[str, Any] | None = None) -> ClusterSpec:
    config = stack_config(preset, **(overrides or {}))
    return spec_from_config(preset=preset, overrides=config["kubecvm:cluster"], region=REGION, stack="test")


@pytest.fixture
def prod_spec() -> ClusterSpec:
    return make_spec("prod")


@pytest.fixture
def loopback_tls(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start HTTPS servers on 127.0.0.1 (tests/loopback_tls.py serve): `loopback_tls(Handler, dns=...)` returns the
    running Server (base URL, CA PEM and file); every server started is stopped when the test ends."""
    from tests import loopback_tls as tls

    started = itertools.count()
    with contextlib.ExitStack() as stack:

        def start(handler: type[BaseHTTPRequestHandler], **options: Any) -> tls.Server:
            directory = tmp_path / f"tls-{next(started)}"
            directory.mkdir()
            return stack.enter_context(tls.serve(handler, directory, **options))

        yield start


# Every preset with the settings that add resource types (a public API CLB, the GlobalRouter route table):
# coverage tests over "every type any preset plans" run these.
PRESET_VARIANTS = tuple(
    (preset, extra)
    for preset in ("dev", "staging", "prod")
    for extra in ({}, {"apiEndpoint": {"exposure": "public"}}, {"podNetwork": {"mode": "globalRouter"}})
)


@functools.cache
def planned_types() -> frozenset[str]:
    """The custom resource types the program registers over PRESET_VARIANTS."""
    from kubecvm.offline.runner import run_program

    return frozenset(
        r.type
        for preset, extra in PRESET_VARIANTS
        for r in run_program(stack_config(preset, **extra), stack=preset).resources
        if r.custom
    )
