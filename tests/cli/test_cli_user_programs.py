"""User programs that broke the contract (`--program`, a project's own program, the Python API): sys.exit in a
program or a callback, a BaseException of its own, output on stdout under --format json, arguments that fail
deep in the run (security_group_ids None, a string or a whole Output; an Output where a plain value is needed),
arguments silently ignored (region=0, name=..., preset ""), project and stack names Pulumi refuses. Each is exit 2
naming what was wrong, with nothing registered for the Python API's refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest
from cli_helpers import kubecvm
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm import Cluster, ClusterArgs, ClusterArgsError, NodePoolArgs
from kubecvm.offline.runner import run_program

STACK = "config:\n  tencentcloud:region: ap-guangzhou\n"


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", *args], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )


def with_program(tmp_path: Path, body: str) -> Path:
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK)
    path = tmp_path / "prog.py"
    path.write_text(body)
    return path


PROGRAMS = [
    ("import sys\nsys.exit(0)\n", "the program called sys.exit(0) before it finished"),
    ("import sys\nsys.exit(1)\n", "the program called sys.exit(1) before it finished"),
    ("import sys\nsys.exit('bye')\n", "the program called sys.exit('bye')"),
    ("class Stop(BaseException):\n    pass\nraise Stop('own')\n", "the program failed: Stop: own"),
    (
        "import pulumi, sys\npulumi.Output.from_input(1).apply(lambda _: sys.exit(0))\n",
        "the program called sys.exit(0) during the run",
    ),
    (
        "import pulumi\nclass Stop(BaseException):\n    pass\ndef f(_):\n    raise Stop('deep')\n"
        "pulumi.Output.from_input(1).apply(f)\n",
        "Stop: deep",
    ),
]


@pytest.mark.parametrize("body,message", PROGRAMS, ids=[m[:30] for _, m in PROGRAMS])
def test_a_program_that_exits_or_raises_a_base_exception_is_exit_2(tmp_path: Path, body, message):
    run = cli(tmp_path, "plan", "--program", str(with_program(tmp_path, body)), "--format", "json")
    assert run.returncode == 2 and run.stdout == "", (run.returncode, run.stdout, run.stderr)
    assert message in run.stderr and "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr


@settings(max_examples=25, deadline=None)
@given(code=st.one_of(st.none(), st.integers(-300, 300), st.text(max_size=20)))
def test_any_exit_code_is_no_verdict(tmp_path_factory, code):
    path = with_program(tmp_path_factory.mktemp("exit"), f"import sys\nsys.exit({code!r})\n")
    run = kubecvm("plan", "--program", str(path), "--config-file", str(path.parent / "Pulumi.dev.yaml"))
    assert run.exit_code == 2 and "sys.exit(" in run.stderr, (run.exit_code, run.stderr)


def test_what_a_program_prints_goes_to_stderr(tmp_path: Path):
    body = (
        "import os, subprocess, sys\nprint('printed')\nos.write(1, b'raw fd\\n')\n"
        "subprocess.run([sys.executable, '-c', 'print(\"child\")'])\n"
        "import pulumi\npulumi.Output.from_input(1).apply(lambda _: print('in apply'))\n"
    )
    run = cli(tmp_path, "plan", "--program", str(with_program(tmp_path, body)), "--format", "json")
    assert run.returncode == 0, run.stderr
    json.loads(run.stdout)  # one JSON document, nothing else
    for text in ("printed", "raw fd", "child", "in apply"):
        assert text in run.stderr and text not in run.stdout


NAMES = [
    (["plan", "-s", "a::b"], "--stack: 'a::b' is not a Pulumi stack name"),
    (["plan", "-s", "my stack"], "--stack: 'my stack' is not a Pulumi stack name"),
    (["plan", "-s", "x" * 101], "is not a Pulumi stack name"),
]


@pytest.mark.parametrize("args,message", NAMES, ids=["colons", "space", "long"])
def test_stack_names_pulumi_refuses(tmp_path: Path, args, message):
    (tmp_path / "Pulumi.yaml").write_text("name: kubecvm\nruntime: python\n")
    run = cli(tmp_path, *args)
    assert run.returncode == 2 and message in run.stderr, run.stderr


def test_a_stack_file_named_as_no_stack_can_be(tmp_path: Path):
    (tmp_path / "Pulumi.my stack.yaml").write_text(STACK + "  kubecvm:cluster: {zones: [ap-guangzhou-3]}\n")
    run = cli(tmp_path, "plan", "--config-file", "Pulumi.my stack.yaml")
    assert run.returncode == 2 and "the stack is named after the file" in run.stderr and "-s" in run.stderr


@pytest.mark.parametrize("project", ["a::b", "my project", "x" * 101, "a/b"])
def test_project_names_pulumi_refuses(tmp_path: Path, project):
    (tmp_path / "Pulumi.yaml").write_text(json.dumps({"name": project, "runtime": "python"}))
    (tmp_path / "__main__.py").write_text("")
    run = cli(tmp_path, "plan")
    assert run.returncode == 2 and "name: " in run.stderr and "is not a Pulumi project name" in run.stderr, run.stderr


@pytest.mark.parametrize("stack", ["dev", "a.b_c-9", "x" * 100])
def test_names_pulumi_takes_still_plan(tmp_path: Path, stack):
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(STACK + "  kubecvm:cluster: {name: demo, zones: [ap-guangzhou-3]}\n")
    (tmp_path / "Pulumi.yaml").write_text("name: my.project_1\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("from kubecvm.program import main\nmain()\n")
    run = cli(tmp_path, "plan", "-s", stack, "--no-policies")
    assert run.returncode == 0, run.stderr


def test_an_empty_preset_is_not_dev(tmp_path: Path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK + "  kubecvm:preset: ''\n  kubecvm:cluster: {zones: [ap-guangzhou-3]}\n")
    run = cli(tmp_path, "plan", "--config-file", str(path))
    assert run.returncode == 2 and "kubecvm:preset: empty" in run.stderr, run.stderr


# ---- the Python API ---------------------------------------------------------------------------------------------
POOLS = [NodePoolArgs(name="web", instance_type="S5.LARGE8", count_per_zone=1)]
ARGS = [
    ({"security_group_ids": None}, "security_group_ids: expected a list of security group ids (sg-...), got None"),
    (
        {"security_group_ids": "sg-abcdefgh"},
        "security_group_ids: expected a list of security group ids (sg-...), got a string",
    ),
    (
        {"security_group_ids": "OUTPUT"},
        "security_group_ids: expected a list of security group ids (sg-...), got an Output",
    ),
    ({"security_group_ids": ["sg-abcdefgh", 7]}, "security_group_ids[1]: expected a security group id or an Output"),
    ({"security_group_ids": ["default"]}, "security_group_ids[0]: 'default' is not a security group id"),
    ({"zones": "OUTPUT"}, "zones: a pulumi Output, where kubecvm needs a plain value"),
    ({"vpc_cidr": "OUTPUT"}, "vpc_cidr: a pulumi Output"),
    (
        {"node_pools": [{"name": "web", "instance_type": "S5.LARGE8", "count_per_zone": "OUTPUT"}]},
        "node_pools[0].count_per_zone: a pulumi Output",
    ),
    ({"region": 0}, "region: expected a region name such as ap-guangzhou, got an integer 0"),
    ({"region": ""}, "region: empty"),
    ({"preset": ""}, "preset: empty"),
    ({"name": "other"}, "name: 'other': the cluster is named after the component (Cluster('edge', ...))"),
    ({"zones": "ap-guangzhou-3"}, "zones: expected a list, got a string"),
    ({"zones": {"ap-guangzhou-3"}}, "zones: expected a list, got a set"),
]


def _outputs(value):
    if value == "OUTPUT":
        return pulumi.Output.from_input(["sg-abcdefgh"])
    if isinstance(value, dict):
        return {k: _outputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_outputs(v) for v in value]
    return value


@pytest.mark.parametrize("args,message", ARGS, ids=[m.split(":")[0] for _, m in ARGS])
def test_cluster_args_are_refused_naming_the_argument_before_anything_registers(args, message):
    registered: list[str] = []

    def program():
        given = {"region": "ap-guangzhou", "zones": ["ap-guangzhou-3"], "node_pools": POOLS, **_outputs(args)}
        Cluster("edge", ClusterArgs(**given))

    with pytest.raises(ClusterArgsError) as info:
        run_program({}, stack="apps", program=program, on_register=registered.append)
    assert message in str(info.value), str(info.value)
    assert registered == []


def test_the_same_name_and_output_ids_are_taken():
    rec = run_program(
        {},
        stack="apps",
        program=lambda: Cluster(
            "edge",
            ClusterArgs(
                name="edge",
                region="ap-guangzhou",
                zones=("ap-guangzhou-3",),
                node_pools=POOLS,
                security_group_ids=("sg-abcdefgh", pulumi.Output.from_input("sg-12345678")),
            ),
        ),
    )
    assert rec.resources
