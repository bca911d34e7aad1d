"""The wheel as a user gets it: built from the sources, installed (not editable) into a fresh virtual environment
outside the checkout, and used from a directory holding only a stack file.

To stay near half a minute without the network, the fresh environment sees the dev environment's installed
dependencies through a directory of links (everything but kubecvm itself), the wheel is installed with
--no-index --no-deps, and `pip check` then proves the wheel's own dependency metadata is satisfied.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "kubecvm", "planning", "components", "stacks", "policies", "offline")
NOT_DEPENDENCIES = ("kubecvm", "__editable__", "_distutils_hack", "distutils-precedence", "pip", "__pycache__")
BLUE_GREEN = (ROOT / "tests" / "api" / "blue_green.py").read_text()
PROGRAM = (
    BLUE_GREEN
    + """
import json, kubecvm, importlib.util
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await
_sync_await(wait_for_rpcs())
print(json.dumps({"kubecvm": kubecvm.__file__,
                  "generic": [n for n in ("planning", "components", "stacks", "policies", "offline") if importlib.util.find_spec(n)]}))
"""
)
# Build the CrossGuard pack as Pulumi would run it, with PolicyPack (which starts a server) recording its policies.
POLICY_PACK = """
import json, runpy, sys, pulumi_policy
seen = {}
pulumi_policy.PolicyPack = lambda **kw: seen.update(kw)
runpy.run_path(sys.argv[1], run_name="__main__")
from kubecvm.policies.registry import RULES
print(json.dumps({"policies": len(seen["policies"]), "rules": len(RULES), "name": seen["name"]}))
"""


def run(*args, cwd: Path, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(
            ROOT / name,
            src / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if (ROOT / name).is_dir() else {}),
        )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = run(*pip, "wheel", "--no-deps", "-w", tmp / "dist", src, cwd=tmp, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("kubecvm-*.whl"))

    venv = tmp / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    assert made.returncode == 0, made.stderr
    deps = tmp / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(NOT_DEPENDENCIES) and not entry.name.endswith(".pth"):
            (deps / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp).stdout.strip())
    (site / "kubecvm-test-deps.pth").write_text(f"{deps}\n")
    install = run(*pip, "--python", python, "install", "--no-index", "--no-deps", wheel, cwd=tmp)
    assert install.returncode == 0, install.stderr
    return {
        "tmp": tmp,
        "wheel": wheel,
        "venv": venv,
        "python": python,
        "site": site,
        "check": run(sys.executable, "-m", "pip", "--python", python, "check", cwd=tmp),
    }


@pytest.fixture
def user_dir(tmp_path) -> Path:
    """A directory holding only a stack file, as a user of the package has (the checkout's dev stack)."""
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.dev.yaml")
    return tmp_path


def clean_env(installed) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | {"PATH": f"{installed['venv'] / 'bin'}:{env.get('PATH', '')}"}


def test_the_wheel_holds_one_namespace_and_satisfies_its_own_requirements(installed):
    with zipfile.ZipFile(installed["wheel"]) as whl:
        names = whl.namelist()
        top_level = whl.read("kubecvm-0.1.0.dist-info/top_level.txt").decode().split()
        entry_points = whl.read("kubecvm-0.1.0.dist-info/entry_points.txt").decode()
        metadata = whl.read("kubecvm-0.1.0.dist-info/METADATA").decode().splitlines()
    assert top_level == ["kubecvm"]
    assert {n.split("/")[0] for n in names} == {"kubecvm", "kubecvm-0.1.0.dist-info"}
    assert "kubecvm/policies/PulumiPolicy.yaml" in names and "kubecvm/planning/templates/kubecvm-boot" in names
    assert "kubecvm = kubecvm.offline.command:main" in entry_points
    # Typed (PEP 561), installable beside any pulumi 3 from 3.165 on; the command pins the minor it is tested on.
    assert "kubecvm/py.typed" in names and "Classifier: Typing :: Typed" in metadata
    assert "Requires-Dist: pulumi<4,>=3.165.0" in metadata
    assert 'Requires-Dist: pulumi<3.273,>=3.272.0; extra == "cli"' in metadata
    assert not [line for line in metadata if line.startswith(("License", "Project-URL"))]  # none to claim yet
    assert installed["check"].returncode == 0, installed["check"].stdout + installed["check"].stderr


def test_the_installed_command_plans_a_stack_from_a_directory_with_only_its_stack_file(installed, user_dir):
    env = clean_env(installed)
    kubecvm = installed["venv"] / "bin" / "kubecvm"
    version = run(kubecvm, "--version", cwd=user_dir, env=env)
    assert (version.returncode, version.stdout) == (0, "kubecvm 0.1.0\n")
    plan = run(kubecvm, "plan", "-s", "dev", "--format", "json", cwd=user_dir, env=env)
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert (
        doc["stack"] == "dev" and doc["policies"]["evaluated"] is True and doc["policies"]["mandatoryFailed"] is False
    )
    assert doc["summary"]["cluster"] == "dev" and len(doc["resources"]) > 50


USER_PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s
from kubecvm import Cluster, ClusterArgs

cluster = Cluster("web", ClusterArgs(preset="dev", region="ap-guangzhou", zones=["ap-guangzhou-3"]))
opts = pulumi.ResourceOptions(provider=cluster.provider)
ns = k8s.core.v1.Namespace("ns", opts=opts)
svc = k8s.core.v1.Service("svc", metadata={"namespace": ns.metadata.name}, spec={"ports": [{"port": 80}]}, opts=opts)
pulumi.export("svc", svc.metadata["name"])
"""


def test_the_installed_command_plans_a_users_own_project(installed, tmp_path):
    # The first hour of a new user: their own Pulumi project, no stack file yet, plain `kubecvm plan`.
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime:\n  name: python\n")
    (tmp_path / "__main__.py").write_text(USER_PROGRAM)
    plan = run(
        installed["venv"] / "bin" / "kubecvm", "plan", "--format", "json", cwd=tmp_path, env=clean_env(installed)
    )
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert (doc["project"], doc["summary"]["cluster"]) == ("shop", "web") and doc["outputs"]["svc"].startswith("svc-")


KEYWORD_PROGRAM = """
import pulumi
from kubecvm import AddressLayoutArgs, Cluster, IngressArgs, PodNetworkArgs

cluster = Cluster("api", preset="staging", region="ap-guangzhou", zones=["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
                  ingress=IngressArgs(enabled=True), pod_network=PodNetworkArgs(mode="vpcRoutes"),
                  layout=AddressLayoutArgs(zone_blocks=8, pool_blocks=8))
pulumi.export("ingress", cluster.ingress_endpoint)
pulumi.export("nodes", cluster.node_ips)
"""


def test_the_installed_library_takes_keyword_arguments_and_serves_the_refined_schema(installed, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(KEYWORD_PROGRAM)
    env = clean_env(installed)
    plan = run(
        installed["venv"] / "bin" / "kubecvm", "plan", "--format", "json", "--no-policies", cwd=tmp_path, env=env
    )
    assert plan.returncode == 0, plan.stderr
    out = json.loads(plan.stdout)["outputs"]
    assert out["ingress"] == "10.0.64.12" and sorted(out["nodes"]) == [
        "api-general-z3-0",
        "api-general-z4-0",
        "api-general-z6-0",
    ]
    schema = run(
        installed["python"],
        "-c",
        "from kubecvm.provider import component_provider; print(component_provider('0.1.0').schema)",
        cwd=tmp_path,
        env=env,
    )
    assert schema.returncode == 0, schema.stderr
    cluster = json.loads(schema.stdout)["resources"]["kubecvm:index:Cluster"]
    assert cluster["properties"]["kubeconfig"]["secret"] is True and cluster["inputProperties"]["preset"]["$ref"] == (
        "#/types/kubecvm:index:Preset"
    )


def test_a_program_composes_two_clusters_under_the_installed_testing_mocks(installed, user_dir):
    (user_dir / "program.py").write_text(PROGRAM)
    proc = run(installed["python"], "program.py", cwd=user_dir, env=clean_env(installed))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert Path(out["kubecvm"]).is_relative_to(installed["site"])  # the wheel, not the checkout
    assert out["generic"] == []


def test_the_policy_packs_requirements_install_kubecvm_from_the_checkout_without_an_index(installed):
    # As Pulumi installs a pack's requirements.txt: from the pack's folder, here the copied sources' policies/.
    # kubecvm comes from the checkout around it (built as the wheel above is), never from a package index.
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--disable-pip-version-check",
        "install",
        "--dry-run",
        "--no-deps",
        "-r",
        "requirements.txt",
    ]
    proc = run(*pip, cwd=installed["tmp"] / "src" / "policies", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Would install kubecvm-0.1.0" in proc.stdout


def test_the_policy_pack_builds_from_its_folder_outside_the_checkout(installed, tmp_path):
    pack = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    proc = run(installed["python"], "-c", POLICY_PACK, pack / "__main__.py", cwd=tmp_path, env=clean_env(installed))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["name"] == "kubecvm" and out["policies"] == out["rules"] > 30
