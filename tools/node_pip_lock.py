"""Write planning/node-pip.lock: what every node's pip installs into /opt/kubecvm/tccli, each file by its sha256;
and planning/lb-controller-pip.lock: what the load-balancer controller's pod installs (the official Kubernetes client
and Tencent's CLB, CVM and VPC SDKs at planning/addons/lb_controller.py's pins), on python:3.12-slim (Debian 12, glibc 2.36).

    .venv/bin/python tools/node_pip_lock.py                  # needs PyPI; the tests never run it
    .venv/bin/python tools/node_pip_lock.py --lb-controller

The boot script (planning/templates/kubecvm-boot) installs the lock with `pip install --require-hashes --no-deps`
from the package mirror's /pypi/simple: pip refuses any file whose sha256 is not listed, so the mirror (plain http in
the VPC) can serve nothing else. The pins come from the code: tccli == planning/bootstrap.py TCCLI_VERSION,
cos-python-sdk-v5 == planning/backups.py COS_SDK_VERSION, tencentcloud-sdk-python == the release tccli was cut from
(tccli's version is the SDK's plus a fourth number). tccli itself requires cos-python-sdk-v5 (every node imports
it: tccli/plugin.py loads every plugin, tccli/plugins/cos imports qcloud_cos), so one lock serves every role.
setuptools is there to build crcmod, which PyPI has only as an sdist: the boot script installs it first and builds
with --no-build-isolation, so no unhashed build dependency is fetched (pip's isolated build env installs them
without hashes: pip/_internal/build_env.py).

The closure is resolved by pip itself, then checked for the nodes' interpreters: Ubuntu 22.04's python3.10 (the
default imageNameRegex "^Ubuntu Server 22.04 LTS 64bit$") and 24.04's python3.12, both x86_64 (glibc 2.35/2.39).
The file pip picks there is hashed: the best-ranked compatible wheel, else the sdist. Refresh after changing a pin:
run this, read the diff, run the tests (tests/bootstrap/test_node_pip_lock.py holds the lock to the pins).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from kubecvm.planning import backups, bootstrap
from kubecvm.planning.addons import lb_controller

INDEX = "https://pypi.org/simple"
LOCK = Path(__file__).resolve().parents[1] / "planning" / "node-pip.lock"
PYTHONS = {(3, 10): 35, (3, 12): 39}  # Ubuntu 22.04 / 24.04: python minor -> glibc minor
HEADER = "node (CPython 3.10 / 3.12, x86_64) of every package tccli and the COS SDK need, by sha256."
ARCH = "x86_64"


def roots() -> list[str]:
    if LOCK == lb_controller.PIP_LOCK:
        return lb_controller.pip_roots()
    sdk = ".".join(bootstrap.TCCLI_VERSION.split(".")[:3])
    return [
        f"tccli=={bootstrap.TCCLI_VERSION}",
        f"tencentcloud-sdk-python=={sdk}",
        f"cos-python-sdk-v5=={backups.COS_SDK_VERSION}",
        "setuptools",
    ]


def for_lb_controller() -> None:
    """Point the module at the controller's lock: its roots, python:3.12-slim's interpreter."""
    global LOCK, PYTHONS, HEADER
    LOCK, PYTHONS = lb_controller.PIP_LOCK, {(3, 12): 36}
    HEADER = "pod (python:3.12-slim: CPython 3.12, glibc 2.36, x86_64) of the load-balancer controller, by sha256."


def resolve() -> dict[str, dict]:
    """name -> {version, requires_dist, requires_python}, as pip resolves the roots (isolated from local config)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # The controller's pod: resolved for its interpreter and platform (wheels only, as pip must there), so
        # markers and requires_python are the pod's, not this machine's.
        target = (
            []
            if LOCK != lb_controller.PIP_LOCK
            else [
                "--python-version",
                "%d.%d" % next(iter(PYTHONS)),
                "--only-binary=:all:",
                "--target",
                str(Path(tmp) / "t"),
                *(
                    x
                    for p in ("manylinux_2_36", "manylinux_2_28", "manylinux_2_17", "manylinux2014")
                    for x in ("--platform", f"{p}_{ARCH}")
                ),
            ]
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--isolated",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--index-url",
                INDEX,
                "--report",
                str(report),
                *target,
                *roots(),
            ],
            check=True,
        )
        found = json.loads(report.read_text())["install"]
    return {
        canonicalize_name(i["metadata"]["name"]): {
            "version": i["metadata"]["version"],
            "requires_dist": i["metadata"].get("requires_dist") or [],
            "requires_python": i["metadata"].get("requires_python") or "",
        }
        for i in found
    }


def environment(python: tuple[int, int]) -> dict[str, str]:
    v = "%d.%d" % python
    return {
        "python_version": v,
        "python_full_version": v + ".0",
        "sys_platform": "linux",
        "os_name": "posix",
        "platform_system": "Linux",
        "platform_machine": ARCH,
        "platform_python_implementation": "CPython",
        "implementation_name": "cpython",
        "extra": "",
    }


def closure(packages: dict[str, dict], python: tuple[int, int]) -> set[str]:
    """The names the roots need on that interpreter (markers evaluated), every one resolved and allowed there."""
    env, todo, seen = environment(python), [Requirement(r).name for r in roots()], set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        info = packages[name]  # a KeyError: pip resolved for 3.11 without something this interpreter needs
        if info["requires_python"] and not SpecifierSet(info["requires_python"]).contains(env["python_version"]):
            raise SystemExit(f"{name} {info['version']} requires Python {info['requires_python']}")
        for dep in map(Requirement, info["requires_dist"]):
            if dep.marker is None or dep.marker.evaluate(env):
                todo.append(dep.name)
    return seen


def supported_tags(python: tuple[int, int], glibc: int) -> list[Tag]:
    """The interpreter's tags, most preferred first (pip ranks wheels by this order: packaging.tags.sys_tags)."""
    platforms = [f"manylinux_2_{g}_{ARCH}" for g in range(glibc, 4, -1)]
    platforms += [f"manylinux2014_{ARCH}", f"manylinux2010_{ARCH}", f"manylinux1_{ARCH}", f"linux_{ARCH}"]
    return [*cpython_tags(python, platforms=platforms), *compatible_tags(python, "cp%d%d" % python, platforms)]


def files(name: str, version: str) -> list[tuple[str, str]]:
    """(filename, sha256) of every file of that release pip may pick on a node's interpreter."""
    request = urllib.request.Request(f"{INDEX}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        listed = [f for f in json.load(answer)["files"] if not f.get("yanked")]
    wheels, sdists = [], []
    for f in listed:
        if f["filename"].endswith(".whl"):
            try:
                _, v, _, tags = parse_wheel_filename(f["filename"])
            except InvalidWheelFilename:  # an old release's name today's rules refuse (pydantic-0.18-py36+): not ours
                continue
            if str(v) == version:
                wheels.append((f, tags))
        elif f["filename"].endswith((".tar.gz", ".zip")) and f["filename"][:-7].rsplit("-", 1)[-1] == version:
            sdists.append(f)
    chosen = {}
    for python, glibc in PYTHONS.items():
        rank = {tag: i for i, tag in enumerate(supported_tags(python, glibc))}
        fitting = sorted(
            (min(rank[t] for t in tags if t in rank), f["filename"], f)
            for f, tags in wheels
            if any(t in rank for t in tags)
        )
        # pip takes the wheel whose best tag ranks first, else the sdist (pip/_internal/index/package_finder.py
        # CandidateEvaluator._sort_key): that one file per interpreter is what must be hashed.
        best = fitting[0][2] if fitting else (sdists[0] if sdists else None)
        if best is None:
            raise SystemExit(f"{name} {version}: no file for Python %d.%d" % python)
        chosen[best["filename"]] = best["hashes"]["sha256"]
    return sorted(chosen.items())


def main() -> None:
    packages = resolve()
    needed = [closure(packages, python) for python in PYTHONS]
    if any(n != set(packages) for n in needed):
        raise SystemExit(f"the closure differs by interpreter: {needed} against {sorted(packages)}")
    lines = [
        '# Generated by tools/node_pip_lock.py (README "What is pinned"): do not edit. The file pip picks on a',
        f"# {HEADER}",
        f"# roots: {' '.join(roots())}",
    ]
    env = {python: environment(python) for python in PYTHONS}
    for name in sorted(packages):
        # What each package requires on the nodes' interpreters: the closure, checked by the tests without PyPI.
        deps = sorted(
            {
                canonicalize_name(d.name)
                for d in map(Requirement, packages[name]["requires_dist"])
                if d.marker is None or any(d.marker.evaluate(e) for e in env.values())
            }
        )
        lines.append(f"# {name} requires: {' '.join(deps) or '-'}")
    for name in sorted(packages):
        hashes = " ".join(f"--hash=sha256:{h}" for _, h in files(name, packages[name]["version"]))
        lines.append(f"{name}=={packages[name]['version']} {hashes}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"{LOCK}: {len(packages)} packages")


if __name__ == "__main__":
    if sys.argv[1:] == ["--lb-controller"]:
        for_lb_controller()
    main()
