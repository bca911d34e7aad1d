"""Where `kubecvm plan` finds its stack and program: the working directory (or -C), Pulumi.yaml's config defaults,
-s/--stack, --program, --version, -h, completion, the default cluster name, unknown kubecvm:* keys."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import pulumi
import pytest
from cli_helpers import kubecvm, stack_file

from kubecvm.offline.runner import PROJECT_DIR, run_program

ZONES3 = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
REUSE_PROGRAM = PROJECT_DIR / "tests" / "reuse_program"


def plan_json(*args) -> dict:
    run = kubecvm("plan", *args, "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    return run.json()


def test_the_real_command_reads_the_current_directory_not_the_checkout(tmp_path):
    # Only a stack file, as a user of the installed package has; a name the checkout's dev stack does not use.
    stack_file(tmp_path, "dev", {"name": "elsewhere", "zones": ["ap-guangzhou-4"]})
    proc = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "-s", "dev", "--format", "json", "--no-policies"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["stack"], doc["summary"]["cluster"], doc["summary"]["zones"][0]["zone"]) == (
        "dev",
        "elsewhere",
        "ap-guangzhou-4",
    )
    assert all(r["urn"].startswith("urn:pulumi:dev::kubecvm::") for r in doc["resources"])


def test_a_directory_without_the_stack_file_names_the_path_it_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = kubecvm("plan", "-s", "dev")
    assert run.exit_code == 2
    assert run.stderr == (
        f"kubecvm: {tmp_path.resolve() / 'Pulumi.dev.yaml'}: no such stack file (this project has "
        f"no stack files in {tmp_path.resolve()}); create it, or pick a stack with -s NAME\n"
    )


def test_an_unknown_stack_lists_the_stacks_that_exist(tmp_path, monkeypatch):
    for name in ("prod", "dev", "staging-2"):
        stack_file(tmp_path, name, {"zones": ["ap-guangzhou-3"]})
    (tmp_path / "Pulumi.notes.yaml.bak").write_text("")  # not a stack file
    monkeypatch.chdir(tmp_path)
    run = kubecvm("plan", "-s", "prd")
    assert run.exit_code == 2
    assert run.stderr == (
        f"kubecvm: {tmp_path.resolve() / 'Pulumi.prd.yaml'}: no such stack file (the stacks of this "
        "project are dev, prod, staging-2); create it, or pick a stack with -s NAME\n"
    )


def test_dash_c_runs_as_if_in_that_directory_with_relative_paths_there(tmp_path, monkeypatch):
    project = tmp_path / "infra"
    project.mkdir()
    stack_file(project, "blue", {"name": "blue", "zones": ["ap-guangzhou-3"]})
    (project / "conf").mkdir()
    stack_file(project / "conf", "other", {"name": "other", "zones": ["ap-guangzhou-6"]})
    monkeypatch.chdir(tmp_path)
    assert plan_json("-C", "infra", "-s", "blue")["summary"]["cluster"] == "blue"
    doc = plan_json("-C", "infra", "--config-file", "conf/Pulumi.other.yaml")
    assert (doc["stack"], doc["summary"]["cluster"]) == ("other", "other")
    assert kubecvm("plan", "-C", "nowhere").stderr == "kubecvm: -C/--cwd: nowhere: not a directory\n"


def test_stack_option_names_the_stack_of_a_config_file(tmp_path):
    path = stack_file(tmp_path, "whatever", {"zones": ["ap-guangzhou-3"]})
    doc = plan_json("--config-file", path, "-s", "qa")
    # The stack name is the URN's and the default cluster name's, not the file's.
    assert (doc["stack"], doc["summary"]["cluster"]) == ("qa", "qa")
    assert doc["resources"][0]["urn"].startswith("urn:pulumi:qa::kubecvm::")
    assert kubecvm("plan", "a", "-s", "b").stderr == "kubecvm: two stacks given: 'a' and -s 'b'; give one\n"


def test_project_config_defaults_apply_as_pulumi_up_applies_them(tmp_path):
    # `preset` unnamespaced belongs to the project (kubecvm:preset); `tencentcloud:region` set project-wide by value.
    (tmp_path / "Pulumi.yaml").write_text(
        "name: kubecvm\nruntime: python\nconfig:\n  preset:\n    type: string\n    default: staging\n"
        "  tencentcloud:region:\n    value: ap-shanghai\n"
    )
    (tmp_path / "Pulumi.qa.yaml").write_text(
        "config:\n  kubecvm:cluster:\n    zones: [ap-shanghai-2, ap-shanghai-4, ap-shanghai-5]\n"
    )
    s = plan_json("-C", tmp_path, "-s", "qa")["summary"]
    assert (s["preset"], s["region"], s["masters"]["count"]) == ("staging", "ap-shanghai", 3)
    # The stack's own value wins over the project's default.
    (tmp_path / "Pulumi.qa.yaml").write_text(
        "config:\n  kubecvm:preset: dev\n  kubecvm:cluster:\n    zones: [ap-shanghai-2]\n"
    )
    assert plan_json("-C", tmp_path, "-s", "qa")["summary"]["preset"] == "dev"


def test_stack_files_are_found_in_stack_config_dir_from_a_subdirectory(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: kubecvm\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "src").mkdir()
    stack_file(tmp_path / "stacks", "dev", {"name": "nested", "zones": ["ap-guangzhou-3"]})
    # The nearest parent with a Pulumi.yaml is the project, as for `pulumi`.
    assert plan_json("-C", tmp_path / "src", "-s", "dev")["summary"]["cluster"] == "nested"


def test_program_runs_another_projects_program_with_its_project_name(tmp_path):
    path = tmp_path / "Pulumi.reuse.yaml"
    path.write_text("config: {}\n")
    doc = plan_json("--program", REUSE_PROGRAM, "--config-file", path)
    # The other project's name (its Pulumi.yaml beside the program) is in every URN; its own outputs come back.
    assert {r["urn"].split("::")[1] for r in doc["resources"]} == {"kubecvm-reuse-example"}
    assert doc["outputs"]["workers"]["batch-batch-z2-0"] == "10.30.36.0"
    assert doc["summary"]["cluster"] == "batch" and doc["summary"]["workers"] == 4
    assert kubecvm("plan", "--program", tmp_path / "none.py").stderr.startswith("kubecvm: --program: ")


def test_version_help_and_completion():
    assert kubecvm("--version").stdout == f"kubecvm {importlib.metadata.version('kubecvm')}\n"
    assert "--config-file" in kubecvm("plan", "-h").stdout
    env = {**os.environ, "_KUBECVM_COMPLETE": "complete_bash", "COMP_WORDS": "kubecvm plan --confi", "COMP_CWORD": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.split() == ["--config-file"]


@pytest.mark.parametrize(("stack", "cluster"), [("my_stack", "my-stack"), ("Prod", "prod"), ("team.qa", "team-qa")])
def test_a_stack_name_that_is_no_cluster_name_is_mapped_and_says_so(tmp_path, stack, cluster):
    path = stack_file(tmp_path, stack, {"zones": ["ap-guangzhou-3"]})
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    assert run.json()["summary"]["cluster"] == cluster
    assert run.stderr == (
        f"kubecvm: note: stack {stack!r} is not a valid cluster name; the cluster is named "
        f"{cluster!r} (set kubecvm:cluster.name to choose another)\n"
    )


def test_a_stack_name_that_cannot_be_mapped_asks_for_a_cluster_name(tmp_path):
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "9lives", {"zones": ["ap-guangzhou-3"]}))
    assert run.exit_code == 2
    assert (
        "kubecvm:cluster.name: required for stack '9lives'" in run.stderr and "set kubecvm:cluster.name" in run.stderr
    )


def test_a_typo_in_a_kubecvm_key_stops_the_plan_and_the_program_alike(tmp_path):
    config = {
        "tencentcloud:region": "ap-guangzhou",
        "kubecvm:presets": "prod",
        "kubecvm:cluster": {"name": "demo", "zones": ZONES3},
    }
    path = tmp_path / "Pulumi.typo.yaml"
    path.write_text(json.dumps({"config": config}))
    run = kubecvm("plan", "--config-file", path)
    assert run.exit_code == 2
    assert run.stderr == (
        f"kubecvm: {path}: unknown key kubecvm:presets (did you mean kubecvm:preset?); "
        "expected kubecvm:preset, kubecvm:cluster or kubecvm:prometheusToken\n"
    )
    # What `pulumi up` runs (kubecvm.program) refuses it too, before registering anything.
    with pytest.raises(
        pulumi.RunError, match=r"^stack 'typo': unknown key kubecvm:presets \(did you mean kubecvm:preset\?\)"
    ):
        run_program(config, stack="typo")


def test_offline_the_simulated_account_has_the_configured_route_quota(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    path = stack_file(tmp_path, "quota", {"zones": ["ap-guangzhou-3"], "quotas": {"routeEntriesPerTable": 200}})
    run = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies")
    # No "this account's quota" warning about an account the offline plan made up.
    assert run.exit_code == 0 and run.stderr == "" and warnings == []
    assert run.json()["outputs"]["capacity"]["routeQuotaLive"] == 200


TWO_CLUSTERS = """
from kubecvm import Cluster, ClusterArgs, NodePoolArgs
pools = [NodePoolArgs(name="general", instance_type="S5.2XLARGE16", count_per_zone=1)]
zones = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
Cluster("blue", ClusterArgs(preset="staging", zones=zones, vpc_cidr="10.1.0.0/16", node_pools=pools))
Cluster("green", ClusterArgs(preset="staging", zones=zones, vpc_cidr="10.2.0.0/16", pod_cidr="10.128.0.0/12",
                             node_pools=pools))
import tencentcloud_iac_pulumi as tc
tc.cos.Bucket("team-bucket", bucket="team-bucket-1250000000")  # the user's own, in neither cluster
"""


def test_a_program_with_two_clusters_is_summarised_and_judged_cluster_by_cluster(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(TWO_CLUSTERS)
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  tencentcloud:region: ap-guangzhou\n")
    run = kubecvm("plan", "-C", tmp_path, "-s", "prod", "--program", tmp_path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert [c["cluster"] for c in doc["clusters"]] == ["blue", "green"] and doc["summary"]["cluster"] == "blue"
    assert [c["cidrs"]["pod"] for c in doc["clusters"]] == ["172.16.0.0/12", "10.128.0.0/12"]
    # green's pod routes lie in green's podCidr: judged with blue's facts they would all be out of range. The
    # bucket is judged with blue's resources: alone it would lack masters, a CLB, workers...
    assert doc["policies"]["violations"] == []
    assert {r["urn"].split("::")[1] for r in doc["resources"]} == {"platform"}


def test_a_programs_own_mistakes_are_exit_2_with_one_line_not_a_kubecvm_bug(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  tencentcloud:region: ap-guangzhou\n")
    (tmp_path / "__main__.py").write_text(
        "from kubecvm import Cluster, ClusterArgs\nCluster('bad', ClusterArgs(zones=['ap-guangzhou-3'], vpc_cidr='10.0.0.1/16'))\n"
    )
    run = kubecvm("plan", "-C", tmp_path, "--program", tmp_path)
    assert (run.exit_code, run.stderr) == (
        2,
        "kubecvm: invalid ClusterArgs of Cluster 'bad' (preset dev): vpc_cidr: "
        "'10.0.0.1/16' is not canonical: write 10.0.0.0/16 (host bits must be zero)\n",
    )
    (tmp_path / "__main__.py").write_text("raise KeyError('boom')\n")
    run = kubecvm("plan", "-C", tmp_path, "--program", tmp_path)
    assert (run.exit_code, run.stderr) == (
        2,
        f"kubecvm: {tmp_path.resolve() / '__main__.py'}: the program failed: "
        "KeyError: 'boom' (kubecvm --debug plan ... shows its traceback)\n",
    )


def test_dash_c_makes_output_paths_relative_to_that_directory(tmp_path, monkeypatch):
    project = tmp_path / "infra"
    project.mkdir()
    stack_file(project, "dev", {"name": "out", "zones": ["ap-guangzhou-3"]})
    monkeypatch.chdir(tmp_path)
    run = kubecvm(
        "plan", "-C", "infra", "--no-policies", "--format", "json", "--out", "plan.json", "--diagram", "t.svg"
    )
    assert run.exit_code == 0, run.stderr
    assert json.loads((project / "plan.json").read_text())["summary"]["cluster"] == "out"
    assert (project / "t.svg").read_text().startswith("<svg") and not (tmp_path / "plan.json").exists()
