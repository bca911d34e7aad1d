"""kubernetes.version: only patch releases that exist (planning/kubernetes_releases.py holds the table)."""

import re

import pytest

from kubecvm.planning import kubernetes_releases, spec
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec


def test_the_table_covers_exactly_the_supported_minors():
    minors = {f"1.{m}" for m in range(20, 40) if re.fullmatch(spec.KUBERNETES_VERSION, f"1.{m}.0")}
    assert set(kubernetes_releases.LAST_PATCH) == minors == {"1.28", "1.29", "1.30", "1.31", "1.32"}


def test_the_default_version_is_a_release_in_the_table():
    assert kubernetes_releases.DEFAULT_VERSION == spec.Kubernetes().version == "1.30.6"
    assert kubernetes_releases.DEFAULT_VERSION in kubernetes_releases.releases("1.30")


def test_the_releases_are_the_verified_lists():
    assert kubernetes_releases.releases("1.28")[-1] == "1.28.15"
    assert kubernetes_releases.releases("1.29") == tuple(f"1.29.{p}" for p in range(16))
    assert kubernetes_releases.releases("1.32") == tuple(f"1.32.{p}" for p in range(9))
    assert kubernetes_releases.releases("1.27") == ()


@pytest.mark.parametrize("version", ["1.28.0", "1.28.15", "1.29.15", "1.30.14", "1.31.14", "1.32.8"])
def test_released_versions_are_accepted(version):
    assert make_spec("prod", {"kubernetes": {"version": version}}).kubernetes.version == version


@pytest.mark.parametrize(
    "version, newest",
    [
        ("1.28.16", "1.28.15"),
        ("1.29.16", "1.29.15"),
        ("1.30.15", "1.30.14"),
        ("1.30.66", "1.30.14"),
        ("1.31.15", "1.31.14"),
        ("1.32.9", "1.32.8"),
    ],
)
def test_a_patch_that_was_never_released_is_refused_naming_the_field_and_the_newest(version, newest):
    minor, _, patch = version.rpartition(".")
    with pytest.raises(ConfigError) as err:
        make_spec("prod", {"kubernetes": {"version": version}})
    message = str(err.value)
    assert ": kubernetes.version: " in message
    assert f"Kubernetes {minor} has no patch release {patch}; its releases are {minor}.0 .. {newest}" in message
