"""What the package promises about its dependencies: the SDK internals the runner relies on, the pinned SDK range,
the extras, and the README's rule count."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# Private or unstable Pulumi SDK names kubecvm uses, with who uses them. One moves in a new SDK: this test names it.
SDK_INTERNALS = [
    ("pulumi.runtime.sync_await", "_sync_await", "offline/runner.py, bench/bench.py: run the program to completion"),
    ("pulumi.runtime.stack", "run_pulumi_func", "offline/runner.py, bench/bench.py: run a program as the host does"),
    ("pulumi.runtime.stack", "wait_for_rpcs", "tests/api: wait for a mocked program's registrations"),
    ("pulumi.runtime.resource", "_get_stack_trace", "offline/runner.py without_source_positions"),
    ("pulumi.runtime.proto.source_pb2", "StackTrace", "offline/runner.py without_source_positions"),
    ("pulumi.runtime.rpc", "_special_sig_key", "offline/runner.py, offline/simulated_cloud.py: secret markers"),
    ("pulumi.runtime.rpc", "_special_secret_sig", "offline/runner.py, offline/simulated_cloud.py: secret markers"),
    ("pulumi.runtime.mocks", "MockMonitor", "offline/runner.py RecordingMonitor"),
    ("pulumi.runtime.config", "CONFIG", "kubecvm/program.py config_keys"),
    ("pulumi.runtime.config", "get_config_env", "kubecvm/program.py config_keys"),
    ("pulumi.provider.experimental", "component_provider_host", "kubecvm/provider.py"),
    ("pulumi.provider.experimental.component", "ComponentProvider", "kubecvm/provider.py, tests/api"),
]


@pytest.mark.parametrize(("module", "name", "used_by"), SDK_INTERNALS, ids=[f"{m}.{n}" for m, n, _ in SDK_INTERNALS])
def test_the_sdk_internals_kubecvm_uses_are_where_it_expects_them(module, name, used_by):
    version = importlib.metadata.version("pulumi")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.fail(f"pulumi {version} has no {module}.{name}, which {used_by} uses: keep pulumi in the range "
                    "pyproject.toml pins, or port that code before widening it")
    assert found is not None


def test_the_internals_keep_the_shapes_the_runner_calls():
    from pulumi.runtime import mocks, rpc, stack
    version = importlib.metadata.version("pulumi")
    assert list(inspect.signature(stack.run_pulumi_func).parameters)[:1] == ["func"], \
        f"pulumi {version}: run_pulumi_func(func) changed its signature (offline/runner.py calls it)"
    assert callable(getattr(mocks.MockMonitor, "RegisterResource", None)), \
        f"pulumi {version}: MockMonitor.RegisterResource moved (offline/runner.py RecordingMonitor overrides it)"
    assert isinstance(rpc._special_sig_key, str) and isinstance(rpc._special_secret_sig, str), \
        f"pulumi {version}: the secret signature constants changed type (offline/runner.py reads them)"


def test_the_installed_sdk_is_inside_the_pinned_range():
    pins = {Requirement(r).name: Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
    installed = importlib.metadata.version("pulumi")
    assert pins["pulumi"].specifier.contains(installed), f"pulumi {installed} is outside {pins['pulumi']}"
    # The range is one minor: the one the suite proves (requirements.lock installs it).
    lock = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    major, minor, _ = lock["pulumi"].split(".")
    assert pins["pulumi"].specifier == SpecifierSet(f">={lock['pulumi']},<{major}.{int(minor) + 1}")


def test_extras_split_the_command_and_the_policy_pack_from_the_core():
    core = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    extras = {k: {Requirement(r).name for r in v} for k, v in PYPROJECT["project"]["optional-dependencies"].items()}
    assert extras["cli"] == {"typer", "rich", "junit-xml"} and not core & extras["cli"]
    assert extras["policy"] == {"pulumi-policy"}
    assert "ruamel.yaml" not in core | set().union(*extras.values())  # one YAML library: PyYAML
    assert (ROOT / "policies" / "requirements.txt").read_text().splitlines()[-1] == "kubecvm[policy]"


def test_the_core_imports_without_the_cli_libraries_and_the_command_says_what_is_missing():
    blocked = "import sys\nfor m in ('typer', 'rich', 'junit_xml', 'click'): sys.modules[m] = None\n"
    core = blocked + "import kubecvm, kubecvm.program, kubecvm.testing, kubecvm.provider, kubecvm.policies.engine\n"
    assert subprocess.run([sys.executable, "-c", core], capture_output=True, text=True).returncode == 0
    cmd = blocked + "from kubecvm.offline.command import main\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", cmd, "--version"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "kubecvm: the command needs the [cli] extra (typer is not installed): pip install 'kubecvm[cli]'\n"


def test_the_readme_counts_the_rules_there_are():
    from kubecvm.policies import engine  # noqa: F401  (registers every rule)
    from kubecvm.policies.registry import RULES
    counted = re.search(r"CrossGuard pack \((\d+) rules", (ROOT / "README.md").read_text())
    assert counted and int(counted[1]) == len(RULES), f"README.md says {counted and counted[1]} rules; there are {len(RULES)}"
