"""The Kubernetes patch releases that exist, per minor kubecvm supports: the one place that says so. Pure.

`kubernetes.version` must name one of them: apt would otherwise fail only at boot, on every node, with
`E: Version '1.30.66-*' for 'kubelet' was not found`. The pkgs.k8s.io packages of a release x.y.z are
`x.y.z-1.1` (as `apt-cache madison kubeadm` lists them, e.g. 1.31.0-1.1, 1.31.14-1.1; quoted from users' notes, no
upstream document states the revision): the boot script installs `kubelet=$K8S_VERSION-*`, which matches any revision
of exactly that release and never 1.30.60 for 1.30.6.

Every supported minor is end-of-life, so its list is final once its last patch is in. Patch numbers are
contiguous from 0 (each CHANGELOG's table of contents lists every one in turn). Sources, kubernetes/kubernetes
CHANGELOG/CHANGELOG-1.<minor>.md (each opens with a table of contents, newest release first) and kubernetes/website
data/releases/eol.yaml (`finalPatchRelease` per end-of-life branch):
- 1.28: final 1.28.15 (website data/releases/eol.yaml @0637786b3e0a896fabe197d29682f2bb688074a6, endOfLifeDate
  2024-10-22); CHANGELOG-1.28.md @2dd1588c490775be7cd90d0afc59c6dcef07032a lists 1.28.0 .. 1.28.9 in turn.
- 1.29: final 1.29.15. eol.yaml @0637786b still says 1.29.14, but a stored CHANGELOG-1.29.md opens with v1.29.15
  ("Changelog since v1.29.14", a dependency-only release after the 2025-02-28 end of life), so it exists.
- 1.30: final 1.30.14 (eol.yaml @0637786b, endOfLifeDate 2025-07-15).
- 1.31: final 1.31.14 (eol.yaml @0637786b, endOfLifeDate 2025-11-11).
- 1.32: 1.32.0 .. 1.32.8 only, from CHANGELOG-1.32.md @030880a5dc5449403c6d1f0aa146a7dc21d6c6dc (newest entry
  v1.32.8; end of life was 2026-02-28, so later 1.32 patches exist that no source read here shows). Add them to
  LAST_PATCH once a CHANGELOG-1.32.md that lists them has been read.
"""

from __future__ import annotations

# minor -> the last patch release verified in the sources above; every patch 0..last exists.
LAST_PATCH = {"1.28": 15, "1.29": 15, "1.30": 14, "1.31": 14, "1.32": 8}
DEFAULT_VERSION = (
    "1.30.6"  # what `kubernetes.version` defaults to (planning/spec/kubernetes.py); a test holds it to the table
)


def releases(minor: str) -> tuple[str, ...]:
    return tuple(f"{minor}.{p}" for p in range(LAST_PATCH[minor] + 1)) if minor in LAST_PATCH else ()


def version_problem(version: str) -> str | None:
    """Why `version` (already of the form 1.<minor>.<patch>) is no Kubernetes release, or None."""
    minor, _, patch = version.rpartition(".")
    if minor not in LAST_PATCH:
        return f"{version!r}: kubecvm supports Kubernetes {', '.join(LAST_PATCH)}"
    if int(patch) > LAST_PATCH[minor]:
        return (
            f"{version!r}: Kubernetes {minor} has no patch release {patch}; its releases are {minor}.0 .. "
            f"{minor}.{LAST_PATCH[minor]} (newest: {minor}.{LAST_PATCH[minor]})"
        )
    return None
