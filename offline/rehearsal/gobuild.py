"""The binaries of the add-ons scenario, each built from a wrapper Go module under tools/engine/<name>/.

The wrapper's go.mod is the one place a version is written: the module it requires, at the version the proxy
serves. `./dev rehearse --build` downloads the wrapper's modules (`go mod download -json`: a refusal is kept in the
manifest, and the binary is not built), builds what is missing or was built from another version, and records in
the manifest which module version each binary is. None of them is needed by the other scenarios: a rehearsal
without them reports the add-ons scenario as cannot run.

- etcd: go.etcd.io/etcd/server/v3's etcdmain (tools/engine/etcd/main.go says which release and why).
- kube-apiserver: k8s.io/kubernetes/cmd/kube-apiserver, version stamped as the Kubernetes release's own build does
  (hack/lib/version.sh in kubernetes/kubernetes: -X k8s.io/component-base/version.gitVersion and friends).
- kube-controller-manager: k8s.io/kubernetes/cmd/kube-controller-manager from the same wrapper and release.
- the pulumi-kubernetes provider (binary pulumi-resource-kubernetes): the proxy refuses the release the Python SDK
  pins (requirements.lock pulumi-kubernetes==4.34.2, provider/v4@v4.34.2: 403) and serves a commit of January 2026
  as a pseudo-version. It is installed with `pulumi plugin install resource kubernetes <SDK version> --file` into
  the cache's PULUMI_HOME: the SDK asks the engine for the plugin of its own version, so that is the label it
  carries; the code is the commit's.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kubecvm.offline.rehearsal import engine


@dataclass(frozen=True)
class GoBinary:
    name: str  # the binary's name, and the manifest's key
    module: str  # the module the wrapper requires: its version there is the binary's
    package: str  # what `go build` builds, from the wrapper's directory
    needed_by: str
    ldflags: Callable[[str], str] = lambda version: ""
    prepare: Callable[[Path, Path], None] | None = None  # (the module's directory, the build directory)
    directory: str = ""  # the wrapper's directory under tools/engine/, when it is not the binary's name

    @property
    def wrapper(self) -> Path:
        return engine.wrappers() / (self.directory or self.name)


PROVIDER = "github.com/pulumi/pulumi-kubernetes/provider/v4"
PROVIDER_RELEASE = "v4.34.2"  # the release requirements.lock's SDK matches (refused by the proxy: probed each build)
PROVIDER_MAIN = "cmd/pulumi-resource-kubernetes"


def kube_version_flags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    base = "k8s.io/component-base/version"
    return " ".join(
        f"-X {base}.{k}={v}"
        for k, v in (("gitVersion", version), ("gitMajor", major), ("gitMinor", minor), ("gitTreeState", "clean"))
    )


def plugin_label() -> str:
    """The plugin version the installed pulumi-kubernetes Python SDK asks the engine for."""
    return importlib.metadata.version("pulumi-kubernetes")


def provider_flags(_version: str) -> str:
    return f"-X {PROVIDER}/pkg/version.Version={plugin_label()}"


def provider_embeds(module_dir: Path, build_dir: Path) -> None:
    """What the provider's `go generate` (cmd/pulumi-resource-kubernetes/generate.go) writes before its build: the
    schema with the plugin's version, and the terraform mapping, both compacted, for main.go's go:embed."""
    src = module_dir / PROVIDER_MAIN
    schema = json.loads((src / "schema.json").read_text())
    schema["version"] = plugin_label()
    (build_dir / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    mapping = json.loads((src / "terraform-mapping.json").read_text())
    (build_dir / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))


BINARIES = (
    GoBinary("etcd", "go.etcd.io/etcd/server/v3", ".", "the add-ons scenario's API server storage"),
    GoBinary(
        "kube-apiserver",
        "k8s.io/kubernetes",
        "k8s.io/kubernetes/cmd/kube-apiserver",
        "the add-ons scenario (a real API server on loopback)",
        ldflags=kube_version_flags,
    ),
    GoBinary(
        "kube-controller-manager",
        "k8s.io/kubernetes",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
        "the add-ons scenario (the garbage collector, the workload controllers, the namespace controller)",
        ldflags=kube_version_flags,
        directory="kube-apiserver",
    ),
    GoBinary(
        "kubernetes", PROVIDER, ".", "kubernetes:* (the add-ons)", ldflags=provider_flags, prepare=provider_embeds
    ),
)
NEEDED_BY_ADDONS = tuple(b.name for b in BINARIES)


def required_version(go_mod: str, module: str) -> str:
    """The version `go_mod` (a go.mod's text) requires `module` at, on a `require` line or in a require block."""
    m = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", go_mod, re.M)
    if not m:
        raise engine.BuildError(f"no `require {module}` in the wrapper's go.mod")
    return m.group(1)


def version_of(b: GoBinary) -> str:
    return required_version((b.wrapper / "go.mod").read_text(), b.module)


def output(b: GoBinary, label: str | None = None) -> Path:
    """Where the binary is once built: bin/ for programs, the plugin directory for the provider (the engine looks a
    plugin up there by version; on PATH it would be taken whatever version was asked)."""
    if b.name == "kubernetes":
        return (
            engine.plugin_home()
            / "plugins"
            / f"resource-kubernetes-v{label or plugin_label()}"
            / "pulumi-resource-kubernetes"
        )
    return engine.bin_dir() / b.name


def record(b: GoBinary) -> dict:
    """The manifest's entry for a binary: which module version it is built from (and, for the provider, its label)."""
    doc = {"module": f"{b.module}@{version_of(b)}", "path": str(output(b))}
    return doc | ({"pluginVersion": plugin_label()} if b.name == "kubernetes" else {})


def not_built() -> list[str]:
    return [b.name for b in BINARIES if not output(b).is_file()]


def first_refusal(stdout: str) -> str | None:
    """The first module error in `go mod download -json`'s output (a stream of JSON objects, one per module)."""
    decoder, pos, text = json.JSONDecoder(), 0, stdout.strip()
    while pos < len(text):
        doc, end = decoder.raw_decode(text, pos)
        if doc.get("Error"):
            return f"{doc.get('Path')}@{doc.get('Version')}: {doc['Error']}"
        pos = end + len(text[end:]) - len(text[end:].lstrip())
    return None


def build_one(b: GoBinary, version: str) -> None:
    with tempfile.TemporaryDirectory(prefix=f"kubecvm-{b.name}-") as tmp:
        where, out = b.wrapper, output(b)
        if b.prepare is not None:  # a copy of the wrapper, with the files its go:embed wants beside it
            where = Path(tmp) / "src"
            shutil.copytree(b.wrapper, where)
            done = engine._go(["list", "-m", "-f", "{{.Dir}}", b.module], where)
            engine._check(done, f"locating {b.module}")
            b.prepare(Path(done.stdout.strip()), where)
        target = Path(tmp) / b.name if b.name == "kubernetes" else out
        flags = b.ldflags(version)
        engine._check(
            engine._go(
                ["build", "-trimpath", *(["-ldflags", flags] if flags else []), "-o", str(target), b.package], where
            ),
            f"{b.name} ({b.module}@{version})",
        )
        if b.name == "kubernetes":
            install_plugin(target, plugin_label())


def install_plugin(binary: Path, label: str) -> None:
    """`pulumi plugin install resource kubernetes LABEL --file BINARY` into the cache's PULUMI_HOME."""
    import subprocess
    import os

    cmd = [
        str(engine.bin_dir() / "pulumi"),
        "plugin",
        "install",
        "resource",
        "kubernetes",
        label,
        "--file",
        str(binary),
    ]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, "PULUMI_HOME": str(engine.plugin_home()), "PULUMI_SKIP_UPDATE_CHECK": "true"},
    )
    engine._check(done, "installing the kubernetes plugin")


def build_all(previous: dict, say) -> tuple[dict, dict]:
    """({name: manifest entry (+ seconds when built now)}, {name: refusal}) over BINARIES. A binary is rebuilt when
    the previous manifest records another module version for it (the wrapper's go.mod moved on)."""
    built, refused = {}, {}
    for b in BINARIES:
        version, entry = version_of(b), record(b)
        if output(b).is_file() and {k: previous.get(b.name, {}).get(k) for k in entry} == entry:
            built[b.name] = entry
            continue
        done = engine._go(["mod", "download", "-json"], b.wrapper)
        if error := first_refusal(done.stdout) or (done.stderr.strip() if done.returncode else None):
            refused[b.name] = {"module": f"{b.module}@{version}", "error": error, "neededBy": b.needed_by}
            say(f"cannot build {b.name}: `go mod download` in {b.wrapper}: {error}")
            continue
        started = time.monotonic()
        build_one(b, version)
        built[b.name] = entry | {"seconds": round(time.monotonic() - started, 1)}
        say(f"built {b.name} ({entry['module']}) in {built[b.name]['seconds']:.1f} s -> {output(b)}")
    if "kubernetes" in built:
        release = engine.Wanted("kubernetes release", PROVIDER, PROVIDER_RELEASE, "")
        built["kubernetes"]["release"] = {
            "module": f"{PROVIDER}@{PROVIDER_RELEASE}",
            "served": (error := engine.probe(release)) is None,
        } | ({"error": error} if error else {})
    return built, refused
