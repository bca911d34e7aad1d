"""The exit-code contract under hostile input, through the real CLI: stack files and the crash handler.

`kubecvm plan` exits 0 / 1 / 2 and `kubecvm diff` 0 / 3 / 2, whatever it is fed: a user mistake is 2 with one
paragraph naming the field, an unexpected error is 2 with one line (`--debug` adds the traceback). Each class of
input that once ended in a traceback (or a hang) has a test here or in the other test_cli_contract_*.py modules
(plan files, policy configs, accepted but wrong values); the last ones here bound the work."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest
from cli_helpers import DEV, HEAD, assert_refused, kubecvm, plan_text, stack_file

from kubecvm.offline import cli, plan as offline
from kubecvm.offline.runner import PROJECT_DIR

# --- stack files: the shape of the top-level keys -----------------------------------------------------------


@pytest.mark.parametrize(
    "value, kind",
    [("hello", "a string"), ("[1, 2]", "a list"), ("5", "an integer"), ("true", "a boolean"), ("null", "null")],
)
def test_kubecvm_cluster_that_is_not_a_mapping_is_refused(tmp_path, value, kind):
    run = plan_text(tmp_path, HEAD + f"  kubecvm:cluster: {value}\n")
    assert_refused(run, "kubecvm:cluster: expected a mapping of overrides", f"got {kind}")


@pytest.mark.parametrize("value, kind", [("[dev]", "a list"), ("{a: 1}", "a mapping"), ("null", "null")])
def test_kubecvm_preset_that_is_not_a_string_is_refused(tmp_path, value, kind):
    text = f"config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:preset: {value}\n  kubecvm:cluster: {{zones: [ap-guangzhou-3]}}\n"
    assert_refused(plan_text(tmp_path, text), "kubecvm:preset: expected one of dev, staging, prod", f"got {kind}")


def test_region_that_is_not_a_string_is_refused(tmp_path):
    text = "config:\n  tencentcloud:region: [ap-guangzhou]\n  kubecvm:cluster: {zones: [ap-guangzhou-3]}\n"
    assert_refused(plan_text(tmp_path, text), "tencentcloud:region: expected a region name", "got a list")


@pytest.mark.parametrize(
    "where, text",
    [
        ("config", DEV + "  1: 2\n"),
        ("kubecvm:cluster", HEAD + "  kubecvm:cluster: {zones: [ap-guangzhou-3], 1: 2}\n"),
        ("kubecvm:cluster.tags", HEAD + "  kubecvm:cluster: {zones: [ap-guangzhou-3], tags: {[a, b]: c}}\n"),
    ],
)
def test_a_key_that_is_not_a_string_is_refused_where_it_is(tmp_path, where, text):
    assert_refused(plan_text(tmp_path, text), f"{where}: key", "is not a string")


def test_a_key_given_twice_is_refused(tmp_path):
    assert_refused(
        plan_text(tmp_path, DEV + "  kubecvm:preset: prod\n"), "config.kubecvm:preset: this key appears twice"
    )


def test_snake_case_keys_are_refused_with_the_camel_case_spelling(tmp_path):
    for key, camel in (("vpc_cidr: 10.1.0.0/16", "vpcCidr"), ("control_plane: {count: 1}", "controlPlane")):
        run = plan_text(tmp_path, HEAD + f"  kubecvm:cluster: {{zones: [ap-guangzhou-3], {key}}}\n")
        assert_refused(run, f"{key.split(':')[0]}: unknown key; stack config keys are camelCase: write {camel}")


# --- stack files: encodings, numbers and values JSON cannot hold --------------------------------------------


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    assert_refused(plan_text(tmp_path, DEV.encode() + b"  other:x: \xff\xfe\n"), "not UTF-8 text (byte")


def test_an_integer_of_5000_digits_is_refused_naming_its_field(tmp_path):
    run = plan_text(tmp_path, HEAD + "  kubecvm:cluster: {zones: [" + "9" * 5000 + "]}\n")
    assert_refused(run, "kubecvm:cluster.zones[0]: an integer of 5000 digits")


@pytest.mark.parametrize(
    "value, problem",
    [
        ("!!binary aGVsbG8=", "a binary value; expected a string, number, boolean or null"),
        ("2024-01-01", "a timestamp value"),
        (".nan", "is not a finite number"),
        ("&a [*a]", "a recursive YAML alias"),
    ],
)
def test_values_json_cannot_hold_are_refused_in_kubecvm_config(tmp_path, value, problem):
    run = plan_text(tmp_path, HEAD + f"  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n    tags: {{team: {value}}}\n")
    assert_refused(run, "kubecvm:cluster.tags.team", problem)


@pytest.mark.parametrize("value", ["!!binary aGVsbG8=", "&a [*a]", "{? [a, b] : c}", "9" * 5000, "[" * 60 + "]" * 60])
def test_other_namespaces_are_neither_read_nor_passed_to_the_program(tmp_path, value):
    run = plan_text(tmp_path, DEV + f"  other:setting: {value}\n")
    assert run.exit_code == 0, run.stderr
    loaded = offline.load_stack(config_file=tmp_path / "Pulumi.probe.yaml")
    assert set(loaded.config) == {"tencentcloud:region", "kubecvm:preset", "kubecvm:cluster"}


def test_vpc_cidr_27_and_28_are_refused_with_a_message(tmp_path):
    for prefix in (27, 28):
        run = kubecvm(
            "plan",
            "--config-file",
            stack_file(tmp_path, "small", {"zones": ["ap-guangzhou-3"], "vpcCidr": f"10.0.0.0/{prefix}"}),
            "--no-policies",
        )
        assert_refused(run, f"vpcCidr: 10.0.0.0/{prefix} is too small", "use /22 or larger")


# --- stack files: bounded work --------------------------------------------------------------------------------


def test_yaml_nested_5000_deep_is_refused(tmp_path):
    # How much work it takes is counted in tests/stacks/test_stack_file_bounds.py: libyaml never sees it.
    run = plan_text(
        tmp_path, HEAD + "  kubecvm:cluster: {zones: [ap-guangzhou-3], tags: " + "[" * 5000 + "]" * 5000 + "}\n"
    )
    assert_refused(run, "nested more than 64 deep")


def test_block_nesting_is_bounded_too(tmp_path):
    nested = "".join(f"{'  ' * (i + 3)}k{i}:\n" for i in range(80)) + "  " * 83 + "leaf: 1\n"
    run = plan_text(tmp_path, HEAD + "  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n    tags:\n" + nested)
    assert_refused(run, "nested more than 64 deep")


BOMB = "".join(f"  x{i}: &x{i} [{', '.join([f'*x{i - 1}' if i else 'lol'] * 10)}]\n" for i in range(9))


def test_an_alias_bomb_in_kubecvm_config_is_refused_within_bounded_memory(tmp_path):
    # 10^9 values once expanded; refused after MAX_NODES of them.
    text = HEAD + "  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n    bomb:\n" + BOMB.replace("  x", "      x")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = plan_text(tmp_path, text)
    assert_refused(run, "more than 100000 values after expanding YAML aliases")  # after 100001 (test_stack_file_bounds)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: well under 200 MiB


def test_an_alias_bomb_in_another_namespace_is_never_expanded(tmp_path):
    run = plan_text(tmp_path, DEV + "  other:bomb:\n" + BOMB.replace("  x", "    x"))
    assert run.exit_code == 0, run.stderr  # none of its values converted (test_stack_file_bounds)


def test_a_stack_file_over_1_mib_is_refused_unread(tmp_path):
    run = plan_text(tmp_path, DEV + "# " + "x" * (1024 * 1024) + "\n")
    assert_refused(run, "a stack or project file may have at most 1048576")


# --- the crash handler -----------------------------------------------------------------------------------------


def boom(*_args, **_kwargs):
    raise ZeroDivisionError("the planner divided by zero")


def test_an_unexpected_error_is_exit_2_with_one_line(monkeypatch):
    monkeypatch.setattr(offline, "build", boom)
    run = kubecvm("plan", "dev")
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr.splitlines() == [f"kubecvm: {cli.crash_line(ZeroDivisionError('the planner divided by zero'))}"]
    assert "internal error (ZeroDivisionError: the planner divided by zero)" in run.stderr
    assert "--debug" in run.stderr and "docs/reference/cli.md: Reporting a bug" in run.stderr


def test_debug_adds_the_traceback(monkeypatch):
    monkeypatch.setattr(offline, "build", boom)
    run = kubecvm("--debug", "plan", "dev")
    assert run.exit_code == 2
    assert "Traceback (most recent call last)" in run.stderr and "ZeroDivisionError" in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("kubecvm: internal error")
    assert "Traceback" not in kubecvm("plan", "dev", "--no-policies", "--format", "json").stderr  # --debug is per run


def test_an_unexpected_error_in_diff_is_exit_2_not_3(monkeypatch, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"resources": []}))
    monkeypatch.setattr(cli, "diff_plans", boom)
    run = kubecvm("diff", plan, plan)
    assert run.exit_code == 2 and run.stderr.startswith("kubecvm: internal error (ZeroDivisionError")


def test_a_crash_in_a_subprocess_is_exit_2_with_one_line(tmp_path):
    # A program that fails in a way kubecvm does not expect, run by the installed entry point's code path.
    script = (
        "import sys; from kubecvm.offline import cli, plan\n"
        "plan.build = lambda *a, **k: 1 / 0\n"
        "sys.argv = ['kubecvm', 'plan', 'dev']; cli.main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "internal error (ZeroDivisionError" in proc.stderr
    )


def test_the_program_under_pulumi_up_refuses_a_plain_kubecvm_cluster_value_by_name():
    """Pulumi hands a non-object config value to the program as a string; get_object would raise a traceback."""
    from kubecvm.offline.runner import run_program

    config = {"tencentcloud:region": "ap-guangzhou", "kubecvm:cluster": "hello"}
    with pytest.raises(Exception, match="kubecvm:cluster: expected a mapping of overrides"):
        run_program(config, stack="dev")
