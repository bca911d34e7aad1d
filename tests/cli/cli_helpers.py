"""Helpers for the `kubecvm` CLI tests: run the real entry point, write stack files, a stand-in policy engine."""

from __future__ import annotations

import importlib
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stacks.cli import app
from stacks.runner import PROJECT_DIR

REAL_ENGINE = (PROJECT_DIR / "policies" / "engine.py").exists() and (PROJECT_DIR / "policies" / "reports.py").exists()
needs_engine = pytest.mark.skipif(
    not REAL_ENGINE, reason="policies/engine.py and policies/reports.py are not written yet (issue 4); the lead integrates"
)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def kubecvm(*args: str) -> Run:
    """Invoke `kubecvm ARGS` in-process through the typer app, with stdout and stderr kept apart."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def stack_file(tmp_path: Path, name: str, cluster: dict, preset: str = "dev", region: str = "ap-guangzhou") -> Path:
    """A Pulumi.<name>.yaml holding `cluster` as kubecvm:cluster (JSON is valid YAML)."""
    path = tmp_path / f"Pulumi.{name}.yaml"
    config = {"tencentcloud:region": region, "kubecvm:preset": preset, "kubecvm:cluster": cluster}
    path.write_text(json.dumps({"config": config}, indent=2))
    return path


@dataclass
class FakeEngine:
    """Follows the engine contract (policies/engine.py) with one rule, and records what the CLI passed it."""
    mandatory: bool = True
    calls: list[dict] = field(default_factory=list)

    def module(self) -> types.ModuleType:
        @dataclass(frozen=True)
        class Resource:
            urn: str
            type: str
            name: str
            props: Any

        @dataclass(frozen=True)
        class Violation:
            policy: str
            enforcement: str
            severity: str
            message: str
            urn: str | None

        @dataclass(frozen=True)
        class Check:
            policy: str
            urn: str | None
            passed: bool

        @dataclass(frozen=True)
        class Evaluation:
            violations: tuple
            waivers: tuple
            checks: tuple

            @property
            def mandatory_failed(self) -> bool:
                return any(v.enforcement == "mandatory" for v in self.violations)

        @dataclass(frozen=True)
        class PolicyInfo:
            id: str
            group: str
            severity: str
            description: str
            remediation: str

        fake = self

        def load_policy_config(name_or_path: str) -> dict:
            if name_or_path not in ("dev", "staging", "prod"):
                raise ValueError(f"no policy config named {name_or_path!r}")
            return {"level": name_or_path, "cluster": {"podCidr": "overridden by the spec"}}

        def evaluate(resources, config=None, *, today=None):
            resources = list(resources)
            fake.calls.append({"resources": resources, "config": config})
            masters = [r for r in resources if r.type == "tencentcloud:Instance/instance:Instance"
                       and (r.props.get("tags") or {}).get("kubecvm/role") == "master"]
            enforcement = "mandatory" if fake.mandatory else "advisory"
            violations = tuple(
                Violation("test-master-flagged", enforcement, "high", f"{r.name} is flagged [by the test]", r.urn) for r in masters
            )
            checks = tuple(Check("test-master-flagged", r.urn, False) for r in masters)
            return Evaluation(violations, (), checks)

        def policies():
            return (PolicyInfo("test-master-flagged", "test", "high", "flags every master", "none"),)

        module = types.ModuleType("policies.engine")
        module.Resource, module.Violation, module.Evaluation = Resource, Violation, Evaluation
        module.Check, module.PolicyInfo = Check, PolicyInfo
        module.load_policy_config, module.evaluate, module.policies = load_policy_config, evaluate, policies
        return module


def _reports_module() -> types.ModuleType:
    module = types.ModuleType("policies.reports")
    module.sarif = lambda evaluation, infos: json.dumps({"version": "2.1.0", "results": [v.policy for v in evaluation.violations]})
    module.junit = lambda evaluation, infos: "<testsuites/>\n"
    module.github = lambda evaluation: "".join(f"::error title={v.policy}::{v.message}\n" for v in evaluation.violations)
    return module


@pytest.fixture
def fake_engine(monkeypatch) -> FakeEngine:
    """Put the stand-in engine (and reports) where `from policies import engine, reports` finds them."""
    fake = FakeEngine()
    engine, reports = fake.module(), _reports_module()
    monkeypatch.syspath_prepend(str(PROJECT_DIR))
    package = importlib.import_module("policies")
    monkeypatch.setitem(sys.modules, "policies.engine", engine)
    monkeypatch.setitem(sys.modules, "policies.reports", reports)
    monkeypatch.setattr(package, "engine", engine, raising=False)
    monkeypatch.setattr(package, "reports", reports, raising=False)
    return fake
