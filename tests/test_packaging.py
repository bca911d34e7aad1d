"""What the package promises about its dependencies: the SDK internals the runner relies on (all behind
kubecvm/sdk.py), the library's SDK range and the command's pinned minor, the extras, the metadata, and the README's
rule count."""

from __future__ import annotations

import functools
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

from kubecvm import sdk

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# The private or unstable SDK names kubecvm reaches, all through kubecvm/sdk.py, and those the tests use directly.
SDK_INTERNALS = [
    *sdk.INTERNALS,
    *sdk.OPTIONAL,
    ("pulumi.runtime.stack", "wait_for_rpcs", "tests/api: wait for a mocked program's registrations"),
    ("pulumi.provider.experimental.component", "ComponentProvider", "tests/api"),
]


@pytest.mark.parametrize(("module", "name", "used_by"), SDK_INTERNALS, ids=[f"{m}.{n}" for m, n, _ in SDK_INTERNALS])
def test_the_sdk_internals_kubecvm_uses_are_where_it_expects_them(module, name, used_by):
    version = importlib.metadata.version("pulumi")
    try:
        found = functools.reduce(getattr, name.split("."), importlib.import_module(module))  # a method: Class.name
    except (ImportError, AttributeError):
        pytest.fail(
            f"pulumi {version} has no {module}.{name}, which {used_by} uses: keep pulumi in the range "
            "the [cli] extra pins, or port kubecvm/sdk.py before widening it"
        )
    assert found is not None


def test_only_kubecvm_sdk_reaches_into_the_sdks_private_names():
    private = re.compile(
        r"(?<!sdk\.)\b(_sync_await|run_pulumi_func|_special_sig_key|_special_secret_sig|MockMonitor|"
        r"_get_rpc_manager|_get_stack_trace|get_config_env|ComponentProvider|component_provider_host|"
        r"transfer_properties|_OutputData|_from_data)\b|runtime\.config\b"
    )
    users = sorted(
        str(f.relative_to(ROOT))
        for d in ("kubecvm", "components", "offline", "planning", "stacks", "policies", "bench")
        for f in (ROOT / d).rglob("*.py")
        if private.search(f.read_text()) and f.name != "sdk.py"
    )
    assert users == [], f"{users} reach SDK internals directly: go through kubecvm/sdk.py"


def test_a_moved_internal_is_named_with_the_sdk_version_not_an_attribute_error(monkeypatch):
    version = importlib.metadata.version("pulumi")
    with pytest.raises(sdk.SdkChanged) as caught:
        sdk.internal("pulumi.runtime.mocks", "NoSuchMonitor")
    assert str(caught.value).startswith(
        f"pulumi {version} has no pulumi.runtime.mocks.NoSuchMonitor, which kubecvm uses"
    )
    from pulumi.runtime import mocks

    monkeypatch.delattr(mocks, "MockMonitor")
    with pytest.raises(
        sdk.SdkChanged,
        match=rf"^pulumi {re.escape(version)} has no pulumi.runtime.mocks.MockMonitor, "
        r"which the offline runner's RecordingMonitor uses: the SDK moved it",
    ):
        sdk.mock_monitor()
    monkeypatch.setattr(sdk, "version", lambda: "3.236.0")
    with pytest.raises(
        sdk.SdkChanged,
        match=r"^pulumi 3.236.0 is installed; kubecvm's component package needs "
        r"pulumi >= 3.237.0",
    ):
        sdk.component_provider_class()
    assert "the offline plan is tested with pulumi 3.272.x" in sdk.untested_note()


def test_the_internals_keep_the_shapes_the_runner_calls():
    from pulumi.runtime import mocks, rpc, stack

    version = importlib.metadata.version("pulumi")
    assert list(inspect.signature(stack.run_pulumi_func).parameters)[:1] == ["func"], (
        f"pulumi {version}: run_pulumi_func(func) changed its signature (kubecvm/sdk.py calls it)"
    )
    assert callable(getattr(mocks.MockMonitor, "RegisterResource", None)), (
        f"pulumi {version}: MockMonitor.RegisterResource moved (offline/runner.py RecordingMonitor overrides it)"
    )
    assert isinstance(rpc._special_sig_key, str) and isinstance(rpc._special_secret_sig, str), (
        f"pulumi {version}: the secret signature constants changed type (kubecvm/sdk.py reads them)"
    )


def _lock() -> dict[str, str]:
    return dict(
        line.split("==")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )


def test_the_library_takes_a_range_of_sdks_and_the_command_pins_the_tested_minor():
    pins = {Requirement(r).name: Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
    cli = {Requirement(r).name: Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["cli"]}
    installed = importlib.metadata.version("pulumi")
    # The library: from the lowest SDK its component tests pass on up to the next major, beside any other minor.
    assert pins["pulumi"].specifier == SpecifierSet(">=3.165.0,<4")
    assert pins["pulumi"].specifier.contains(installed)
    # The command: the minor the whole suite runs on (requirements.lock installs it), and kubecvm.sdk knows it.
    lock = _lock()["pulumi"]
    major, minor, _ = lock.split(".")
    assert cli["pulumi"].specifier == SpecifierSet(f">={lock},<{major}.{int(minor) + 1}")
    assert sdk.TESTED == f"{major}.{minor}" and cli["pulumi"].specifier.contains(installed)
    # The provider SDKs' floors stay installable with the library's lowest pulumi (tested with them too).
    assert {n: str(pins[n].specifier) for n in ("pulumi-kubernetes", "pulumi-random", "pulumi-tls")} == {
        "pulumi-kubernetes": "<5,>=4.18",
        "pulumi-random": "<5,>=4.16",
        "pulumi-tls": "<6,>=5.0",
    }


def test_the_metadata_is_ready_for_a_package_index():
    project = PYPROJECT["project"]
    assert "Typing :: Typed" in project["classifiers"] and all(" :: " in c for c in project["classifiers"])
    python = {
        c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if c.startswith("Programming Language :: Python :: 3.")
    }
    assert python == {"3.11", "3.12", "3.13"}  # requires-python >=3.11,<3.14
    assert (
        PYPROJECT["tool"]["setuptools"]["package-data"]["kubecvm"] == ["py.typed"]
        and (ROOT / "kubecvm" / "py.typed").is_file()
    )
    # No licence is claimed while the repository has no LICENSE file.
    assert "license" not in project and not list(ROOT.glob("LICEN[CS]E*"))


def test_extras_split_the_command_and_the_policy_pack_from_the_core():
    core = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    extras = {k: {Requirement(r).name for r in v} for k, v in PYPROJECT["project"]["optional-dependencies"].items()}
    # The command's libraries, and the SDK narrowed to the tested minor (the core takes a range of it).
    assert extras["cli"] == {"pulumi", "typer", "rich", "junit-xml"} and core & extras["cli"] == {"pulumi"}
    assert extras["policy"] == {"pulumi-policy"}
    assert "ruamel.yaml" not in core | set().union(*extras.values())  # one YAML library: PyYAML
    # Pulumi installs the pack's requirements from policies/: `..` is this checkout, no package index needed.
    assert (ROOT / "policies" / "requirements.txt").read_text().splitlines()[-1] == "..[policy]"


def test_the_core_imports_without_the_cli_libraries_and_the_command_says_what_is_missing():
    blocked = "import sys\nfor m in ('typer', 'rich', 'junit_xml', 'click'): sys.modules[m] = None\n"
    core = blocked + "import kubecvm, kubecvm.program, kubecvm.testing, kubecvm.provider, kubecvm.policies.engine\n"
    assert subprocess.run([sys.executable, "-c", core], capture_output=True, text=True).returncode == 0
    cmd = blocked + "from kubecvm.offline.command import main\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", cmd, "--version"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == (
        "kubecvm: the command needs the [cli] extra (typer is not installed): install kubecvm with "
        "it, e.g. pip install '/path/to/kubecvm[cli]' (a checkout or a wheel)\n"
    )


def test_the_policy_reference_counts_the_rules_there_are():
    from kubecvm.policies import engine  # noqa: F401  (registers every rule)
    from kubecvm.policies.registry import RULES

    counted = re.search(r"CrossGuard pack \((\d+) rules", (ROOT / "docs" / "reference" / "policies.md").read_text())
    assert counted and int(counted[1]) == len(RULES), (
        f"docs/reference/policies.md says {counted and counted[1]} rules; there are {len(RULES)}"
    )


def test_every_tencent_sdk_the_components_import_is_a_core_dependency():
    """A user's `pulumi up` and `pulumi destroy` run components/ with the core dependencies only: each Tencent SDK
    service they import (`tencentcloud.<service>`, package tencentcloud-sdk-python-<service>) must be one."""
    core = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    imported = {
        m
        for f in (ROOT / "components").glob("*.py")
        for m in re.findall(r"^\s*from tencentcloud\.(\w+)[. ]", f.read_text(), re.M)
    }
    assert {"clb", "vpc", "tke", "common"} <= imported
    assert {f"tencentcloud-sdk-python-{m}" for m in imported} - core == set()
