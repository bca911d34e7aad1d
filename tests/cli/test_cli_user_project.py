"""A user's own Pulumi project, planned as `pulumi preview` would run it: plain `kubecvm plan` in the project runs the
project's program (Pulumi.yaml's `main`, or its __main__.py) from the program's directory, with the stack's config,
or with the project's config alone when the stack has no file. Through the real command, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubecvm.offline.runner import PROJECT_DIR

PROGRAM = """
import json
import pulumi
from kubecvm import Cluster, ClusterArgs

config = pulumi.Config()
cluster = Cluster("blue", ClusterArgs(preset="dev", region="ap-guangzhou", zones=["ap-guangzhou-3"]))
pulumi.export("greeting", config.get("greeting") or "unset")
pulumi.export("endpoint", cluster.api_endpoint)
"""


def kubecvm(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def project(
    tmp_path: Path, pulumi_yaml: str = "name: myapp\nruntime:\n  name: python\n", program: str = PROGRAM
) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    if program:
        (tmp_path / "__main__.py").write_text(program)
    return tmp_path


def test_plain_plan_runs_the_projects_own_program_with_an_empty_config_when_the_stack_has_no_file(tmp_path):
    proc = kubecvm("plan", "--format", "json", "--no-policies", cwd=project(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["project"], doc["stack"], doc["summary"]["cluster"]) == ("myapp", "dev", "blue")
    assert doc["outputs"] == {"greeting": "unset", "endpoint": "10.0.64.11:6443"}
    assert {r["urn"].split("::")[1] for r in doc["resources"]} == {"myapp"}
    assert proc.stderr == (
        f"kubecvm: note: {tmp_path.resolve() / 'Pulumi.dev.yaml'}: no such stack file; the program "
        "runs with an empty config, as `pulumi preview` does on a stack with no config set\n"
    )


def test_the_projects_main_runs_from_its_own_directory_with_the_stack_and_project_config(tmp_path):
    # `main` names a directory: Pulumi runs its __main__.py there, so relative paths and sibling modules are its.
    project(tmp_path, "name: myapp\nruntime: python\nmain: src\nconfig:\n  greeting: hello\n", program="")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "values.json").write_text('{"zone": "ap-guangzhou-4"}')
    (tmp_path / "src" / "helpers.py").write_text(
        "def zone():\n    import json\n    return json.load(open('values.json'))['zone']\n"
    )
    (tmp_path / "src" / "__main__.py").write_text(
        PROGRAM.replace('["ap-guangzhou-3"]', "[helpers.zone()]").replace("import json", "import helpers")
    )
    proc = kubecvm("plan", "--format", "json", "--no-policies", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["zones"][0]["zone"] == "ap-guangzhou-4" and doc["outputs"]["greeting"] == "hello"
    assert "no such stack file; the program runs with the project's config of Pulumi.yaml only" in proc.stderr
    # The stack's own value wins over the project's; any namespace reaches the program.
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  myapp:greeting: from the stack\n")
    proc = kubecvm("plan", "-s", "qa", "--format", "json", "--no-policies", cwd=tmp_path / "src")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout)["outputs"]["greeting"] == "from the stack"
    # `main` may name a file too.
    (tmp_path / "Pulumi.yaml").write_text("name: myapp\nruntime: python\nmain: src/__main__.py\n")
    assert kubecvm("plan", "-s", "qa", "--no-policies", cwd=tmp_path).returncode == 0


def test_program_option_runs_a_program_without_a_stack_file_too(tmp_path):
    project(tmp_path, "name: other\nruntime: python\n")
    proc = kubecvm("plan", "--program", ".", "--format", "json", "--no-policies", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project"] == "other"


@pytest.mark.parametrize(
    ("pulumi_yaml", "program", "message"),
    [
        (
            "name: web\nruntime: nodejs\n",
            "",
            "{file}: runtime: nodejs: `kubecvm plan` runs Python programs only (runtime: "
            "python); `--program PATH` runs a Python program with this project's stacks",
        ),
        (
            "name: web\nruntime: python\nmain: app/\n",
            "",
            "{file}: main: {dir}/app: no such program (Pulumi runs `main:`, a "
            ".py file or a directory with __main__.py, else __main__.py beside "
            "Pulumi.yaml); `--program PATH` runs another program",
        ),
    ],
)
def test_a_project_kubecvm_cannot_run_is_one_paragraph_naming_the_field(tmp_path, pulumi_yaml, program, message):
    proc = kubecvm("plan", cwd=project(tmp_path, pulumi_yaml, program))
    assert proc.returncode == 2
    dir_ = tmp_path.resolve()
    assert proc.stderr == "kubecvm: " + message.format(file=dir_ / "Pulumi.yaml", dir=dir_) + "\n"


def test_a_project_whose_program_runs_kubecvm_program_is_planned_as_kubecvms_own(tmp_path):
    # The checkout's layout: its __main__.py runs kubecvm.program, which reads the stack's kubecvm:cluster.
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:cluster:\n    name: own\n    zones: [ap-guangzhou-6]\n"
    )
    proc = kubecvm("plan", "--format", "json", "--no-policies", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["cluster"] == "own"
    # As today, kubecvm's program needs the stack file, and checks kubecvm:cluster before anything runs.
    assert kubecvm("plan", "-s", "nope", cwd=tmp_path).stderr.endswith(
        "Pulumi.nope.yaml: no such stack file (the stacks of this project are dev); create it, or pick a stack with "
        "-s NAME\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n")
    proc = kubecvm("plan", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2,
        "kubecvm: tencentcloud:region: required (for example ap-guangzhou), or set TENCENTCLOUD_REGION\n",
    )
