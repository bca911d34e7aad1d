"""The example GitHub Actions workflow (docs/examples/github-actions-plan.yml): its plan step runs as written with the
installed `kubecvm` command, in a repository laid out as the example says, and leaves what the upload step sends."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from kubecvm.offline.runner import PROJECT_DIR

WORKFLOW = PROJECT_DIR / "docs" / "examples" / "github-actions-plan.yml"
SARIF_SCHEMA = Path(__file__).parents[1] / "policies" / "data" / "sarif-2.1.0-rtm.5.json"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_plans_every_pull_request_and_uploads_the_sarif_even_when_the_plan_fails():
    doc = workflow()
    assert list(doc[True]) == ["pull_request"]  # PyYAML reads the bare key `on` as true
    assert doc["permissions"]["security-events"] == "write"
    steps = doc["jobs"]["plan"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == "infra/kubecvm-${{ matrix.stack }}.sarif"


def test_the_plan_step_runs_as_written(tmp_path):
    doc = workflow()
    job = doc["jobs"]["plan"]
    script = next(s["run"] for s in job["steps"] if s.get("name") == "Plan").replace("${{ matrix.stack }}", "dev")
    repo = tmp_path / "repo"
    infra = repo / job["defaults"]["run"]["working-directory"]
    infra.mkdir(parents=True)
    (repo / ".git").mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, infra / name)
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=infra, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    log = json.loads((infra / "kubecvm-dev.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"] for loc in r["locations"]
    }
    assert uris <= {"infra/Pulumi.dev.yaml"}
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert all(line.split(" ", 1)[1].startswith("file=infra/Pulumi.dev.yaml,line=") for line in annotations)
    assert len(annotations) == len(log["runs"][0]["results"])
    assert summary.read_text().startswith("#")  # the markdown plan
