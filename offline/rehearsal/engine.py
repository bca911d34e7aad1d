"""The real engine's binaries for the rehearsal, built from Go modules into a cache outside the repository.

`./dev rehearse --build` builds what is missing with the ordinary `go` commands, prints what it built and how long
each took, and does nothing more when everything is there. Nothing is committed and nothing is downloaded at run
time: the rehearsal runs with PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION and the cache's bin/ on PATH.

What the Go module proxy serves decides what can be built. Each module the rehearsal would want is probed with
`go mod download -json MODULE@VERSION` at every build; the proxy's answer is kept in the cache's manifest, so that a
rehearsal started without network (in its own namespace) can say which scenario cannot run and why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# The CLI is built at least at the SDK version requirements.lock pins (pulumi==3.272.0): the proxy refuses
# pkg/v3 v3.272.0 and v3.273.0 ("403 Forbidden: This module version is not available"), so the nearest it serves.
PULUMI_VERSION = "v3.274.0"
PULUMI_PKG = "github.com/pulumi/pulumi/pkg/v3"
PULUMI_SDK = "github.com/pulumi/pulumi/sdk/v3"
# The Python SDK's scripts the engine runs for dynamic providers, shipped in the sdk/v3 module (python/dist).
SDK_SCRIPTS = ("python/dist/pulumi-resource-pulumi-python",)


@dataclass(frozen=True)
class Wanted:
    """A module the rehearsal needs that may not be buildable here: what it gives and which scenarios need it."""

    name: str
    module: str
    version: str
    needed_by: str


# At the versions requirements.lock pins for the Python SDKs (tencentcloud: the commit of tag v0.2.3).
WANTED = (
    Wanted(
        "pulumi-language-python",
        "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3",
        "latest",
        "programs run by the CLI itself (pulumi up in a project directory, policy packs, component packages); "
        "the rehearsal's own programs run through the Automation API's in-process language server instead",
    ),
    Wanted(
        "tencentcloud",
        "github.com/tencentcloudstack/pulumi-tencentcloud/provider",
        "a8c3ff6da9f3",
        "every resource of type tencentcloud:* (the dev and prod stacks, day 2, the policy pack on a real preview)",
    ),
    Wanted("random", "github.com/pulumi/pulumi-random/provider/v4", "v4.21.4", "random:* (the cluster's tokens)"),
    Wanted("tls", "github.com/pulumi/pulumi-tls/provider/v5", "v5.6.2", "tls:* (the cluster's PKI)"),
)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kubecvm" / "engine" / PULUMI_VERSION.lstrip("v")


def bin_dir() -> Path:
    return cache_dir() / "bin"


def manifest_path() -> Path:
    return cache_dir() / "manifest.json"


def plugin_home() -> Path:
    """The PULUMI_HOME the built provider plugins are installed into (scenarios link its plugins/ into theirs)."""
    return cache_dir() / "home"


def wrappers() -> Path:
    """tools/engine of the checkout this package runs from (the wrapper modules are not part of the wheel)."""
    return Path(__file__).resolve().parents[2] / "tools" / "engine"


class BuildError(Exception):
    """A build step failed: the command and the tail of its output."""


def _go(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["go", *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)


def _check(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what}: `{' '.join(done.args)}` exited {done.returncode}:\n{tail}")


def probe(w: Wanted) -> str | None:
    """None when the proxy serves the module at that version, else the go command's own error line."""
    with tempfile.TemporaryDirectory() as tmp:
        done = _go(["mod", "download", "-json", f"{w.module}@{w.version}"], Path(tmp), {"GOFLAGS": "-mod=mod"})
    try:
        error = json.loads(done.stdout or "{}").get("Error")
    except json.JSONDecodeError:
        error = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no answer"]
        error = error[0]
    return error or (None if done.returncode == 0 else (done.stderr.strip() or "go mod download failed"))


def build_pulumi(out: Path) -> None:
    src = wrappers() / "pulumi"
    if not (src / "go.mod").is_file():
        raise BuildError(
            f"{src}/go.mod not found: build from a kubecvm checkout (the wrapper modules are not in the wheel)"
        )
    flags = f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}"
    _check(
        _go(["build", "-trimpath", "-ldflags", flags, "-o", str(out / "pulumi"), f"{PULUMI_PKG}/cmd/pulumi"], src),
        "the Pulumi CLI",
    )


def build_readback(out: Path) -> None:
    """The read-back check (tools/engine/pulumi/readback_test.go), compiled so that it runs without network."""
    _check(_go(["test", "-c", "-o", str(out / "readback.test"), "."], wrappers() / "pulumi"), "the read-back check")


def copy_sdk_scripts(out: Path) -> None:
    done = _go(["list", "-m", "-f", "{{.Dir}}", PULUMI_SDK], wrappers() / "pulumi")
    _check(done, "locating the sdk/v3 module")
    sdk = Path(done.stdout.strip())
    for rel in SDK_SCRIPTS:
        target = out / Path(rel).name
        shutil.copyfile(sdk / rel, target)
        target.chmod(0o755)


STEPS = (
    ("pulumi", build_pulumi),
    ("pulumi-resource-pulumi-python", copy_sdk_scripts),
    ("readback.test", build_readback),
)


def missing() -> list[str]:
    return [name for name, _ in STEPS if not (bin_dir() / name).is_file()]


def build(say=print) -> dict:
    """Build what is missing, probe what cannot be built, write and return the manifest."""
    from kubecvm.offline.rehearsal import gobuild  # it builds with this module's helpers

    out = bin_dir()
    out.mkdir(parents=True, exist_ok=True)
    previous = manifest() or {}
    built = {}
    for name, step in STEPS:
        if (out / name).is_file():
            continue
        started = time.monotonic()
        step(out)
        built[name] = round(time.monotonic() - started, 1)
        say(f"built {name} in {built[name]:.1f} s -> {out / name}")
    binaries, refused = gobuild.build_all(previous.get("built", {}), say)
    built |= {n: b["seconds"] for n, b in binaries.items() if "seconds" in b}
    unavailable = dict(refused)
    for w in WANTED:
        if error := probe(w):
            unavailable[w.name] = {"module": f"{w.module}@{w.version}", "error": error, "neededBy": w.needed_by}
            say(f"cannot build {w.name}: `go mod download -json {w.module}@{w.version}`: {error}")
        else:
            say(f"{w.name}: {w.module}@{w.version} is served now; kubecvm does not build it yet")
            unavailable[w.name] = {
                "module": f"{w.module}@{w.version}",
                "error": "served, but no build step exists",
                "neededBy": w.needed_by,
            }
    if not built:
        say(f"everything that can be built is in {out}")
    doc = {
        "pulumi": PULUMI_VERSION.lstrip("v"),
        "bin": str(out),
        "unavailable": unavailable,
        "built": {n: {k: v for k, v in b.items() if k != "seconds"} for n, b in binaries.items()},
        "buildSeconds": built,
    }
    manifest_path().write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def manifest() -> dict | None:
    try:
        return json.loads(manifest_path().read_text())
    except (OSError, json.JSONDecodeError):
        return None
