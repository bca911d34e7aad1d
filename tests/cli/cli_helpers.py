"""Helpers for the `kubecvm` CLI tests: run the real entry point, write stack files, a spy on the policy engine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubecvm.policies import engine
from kubecvm.offline.cli import app


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
class EngineSpy:
    """What the CLI passed to the policy engine, and whether the stand-in rule's findings are mandatory."""

    mandatory: bool = True
    calls: list[dict] = field(default_factory=list)


@pytest.fixture
def fake_engine(monkeypatch) -> EngineSpy:
    """The real engine's types, config loading and reports, with its rules replaced by one that flags every master,
    so the CLI's handling of results is checked apart from the rules themselves (tests/policies checks those)."""
    spy = EngineSpy()

    def evaluate(resources, config=None, *, today=None):
        resources = list(resources)
        spy.calls.append({"resources": resources, "config": config})
        masters = [
            r
            for r in resources
            if r.type == "tencentcloud:Instance/instance:Instance"
            and (r.props.get("tags") or {}).get("kubecvm/role") == "master"
        ]
        enforcement = "mandatory" if spy.mandatory else "advisory"
        return engine.Evaluation(
            violations=tuple(
                engine.Violation(
                    "test-master-flagged", enforcement, "high", f"{r.name} is flagged [by the test]", r.urn
                )
                for r in masters
            ),
            waivers=(),
            checks=tuple(engine.Check("test-master-flagged", r.urn, False) for r in masters),
        )

    monkeypatch.setattr(engine, "evaluate", evaluate)
    monkeypatch.setattr(
        engine,
        "policies",
        lambda: (engine.PolicyInfo("test-master-flagged", "test", "high", "Flags every master.", "None."),),
    )
    return spy


# Stack files as text for the exit-code contract tests (test_cli_contract*.py), and what a refusal looks like.
HEAD = "config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:preset: dev\n"
DEV = HEAD + "  kubecvm:cluster: {name: probe, zones: [ap-guangzhou-3]}\n"


def plan_text(tmp_path: Path, text: str | bytes, *args: str):
    path = tmp_path / "Pulumi.probe.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies", *args)


def assert_refused(run, *needles: str) -> None:
    """Exit 2, nothing on stdout, one paragraph on stderr naming what is wrong, no traceback."""
    assert run.exit_code == 2, (run.exit_code, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for needle in needles:
        assert needle in run.stderr, (needle, run.stderr)
