"""The exit-code contract under hostile input, through the real CLI.

`kubecvm plan` exits 0 / 1 / 2 and `kubecvm diff` 0 / 3 / 2, whatever it is fed: a user mistake is 2 with one
paragraph naming the field, an unexpected error is 2 with one line (`--debug` adds the traceback). Each class of
input that once ended in a traceback (or a hang) has a test here; the last ones bound the work.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from cli_helpers import kubecvm, stack_file

from kubecvm.offline import cli, plan as offline
from kubecvm.offline.runner import PROJECT_DIR

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


def test_yaml_nested_5000_deep_is_refused_quickly(tmp_path):
    started = time.process_time()
    run = plan_text(
        tmp_path, HEAD + "  kubecvm:cluster: {zones: [ap-guangzhou-3], tags: " + "[" * 5000 + "]" * 5000 + "}\n"
    )
    assert_refused(run, "nested more than 64 deep")
    assert time.process_time() - started < 5  # libyaml alone is quadratic in flow nesting: it never sees this


def test_block_nesting_is_bounded_too(tmp_path):
    nested = "".join(f"{'  ' * (i + 3)}k{i}:\n" for i in range(80)) + "  " * 83 + "leaf: 1\n"
    run = plan_text(tmp_path, HEAD + "  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n    tags:\n" + nested)
    assert_refused(run, "nested more than 64 deep")


BOMB = "".join(f"  x{i}: &x{i} [{', '.join([f'*x{i - 1}' if i else 'lol'] * 10)}]\n" for i in range(9))


def test_an_alias_bomb_in_kubecvm_config_is_refused_within_bounded_memory(tmp_path):
    # 10^9 values once expanded; refused after MAX_NODES of them.
    text = HEAD + "  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n    bomb:\n" + BOMB.replace("  x", "      x")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    run = plan_text(tmp_path, text)
    assert_refused(run, "more than 100000 values after expanding YAML aliases")
    assert time.process_time() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: well under 200 MiB


def test_an_alias_bomb_in_another_namespace_is_never_expanded(tmp_path):
    started = time.process_time()
    run = plan_text(tmp_path, DEV + "  other:bomb:\n" + BOMB.replace("  x", "    x"))
    assert run.exit_code == 0, run.stderr
    assert time.process_time() - started < 20


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


# --- diff: plan files that are not plans -------------------------------------------------------------------


def good_resource(urn: str = "urn:pulumi:dev::kubecvm::t::a") -> dict:
    return {"urn": urn, "type": "t", "name": "a", "parent": None, "custom": True, "id": "id-a", "inputs": {}}


@pytest.mark.parametrize(
    "resources, needle",
    [
        ([{**good_resource(), "inputs": [1, 2]}], "resources[0].inputs: expected an object"),
        ([{**good_resource(), "inputs": "x"}], "resources[0].inputs: expected an object"),
        ([{**good_resource(), "urn": ["a"]}], "resources[0].urn: expected a string"),
        ([{**good_resource(), "urn": {"a": 1}}], "resources[0].urn: expected a string"),
        ([{k: v for k, v in good_resource().items() if k != "urn"}], "resources[0].urn: required"),
        ([{k: v for k, v in good_resource().items() if k != "type"}], "resources[0].type: required"),
        ([{k: v for k, v in good_resource().items() if k != "id"}], "resources[0].id: required"),
        ([{**good_resource(), "type": 7}], "resources[0].type: expected a string"),
        ([good_resource(), good_resource()], "resources[1].urn: 'urn:pulumi:dev::kubecvm::t::a' appears twice"),
        ([7], "resources[0]: expected an object"),
    ],
)
def test_malformed_plan_files_are_refused_naming_the_resource(tmp_path, resources, needle):
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps({"resources": resources}))
    good.write_text(json.dumps({"resources": [good_resource()]}))
    for args in ((bad, good), (good, bad)):
        assert_refused(kubecvm("diff", *args), needle)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[" * 100000 + "]" * 100000, "not a JSON plan"),
        (
            '{"resources": ['
            + '{"urn": "u", "type": "t", "id": null, "inputs": {"x": '
            + "[" * 500
            + "]" * 500
            + "}}]}",
            "nested more than 100 deep",
        ),
        ('{"resources": [], "x": NaN}', "NaN is not a JSON number"),
        ("\xff", "not a JSON plan"),
        ('{"resources": {}}', "a 'resources' list"),
    ],
)
def test_plan_files_that_are_not_json_plans_are_refused(tmp_path, text, needle):
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_bytes(text.encode("latin-1") if text == "\xff" else text.encode())
    good.write_text(json.dumps({"resources": []}))
    assert_refused(kubecvm("diff", bad, good), needle)


def test_a_directory_is_not_a_plan_file(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"resources": []}))
    assert_refused(kubecvm("diff", tmp_path, good), "is a directory")


# --- markdown: crafted plans cannot inject markup into a pull-request comment ----------------------------------

EVIL = "urn:pulumi:x::y::t::a](https://evil.example/x) ![px](https://evil.example/p.png) <img src=x> | `code` *b*\nrow"


def test_crafted_urns_and_keys_are_escaped_in_diff_markdown(tmp_path):
    old, new = good_resource(EVIL), {**good_resource(EVIL), "inputs": {"k](https://evil.example)": 1}}
    added = {**good_resource(EVIL + "2"), "type": "[t](https://evil.example)"}
    (tmp_path / "old.json").write_text(json.dumps({"resources": [old]}))
    (tmp_path / "new.json").write_text(json.dumps({"resources": [new, added]}))
    run = kubecvm("diff", tmp_path / "old.json", tmp_path / "new.json", "--format", "markdown")
    assert run.exit_code == 0, run.stderr
    md = run.stdout
    html = MarkdownIt("commonmark").enable("table").render(md)  # what a CommonMark renderer makes of it
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<code>" not in html
    assert "https://" not in md and "www." not in md  # nor can GitHub's extended autolinks find a link
    assert html.count("<tr>") == 3  # header, the added and the changed resource: the newline started no row
    assert "&lt;img src=x&gt;" in html  # shown as text
    rows = [line for line in md.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2  # one row each: the newline did not start another
    for row in rows:
        assert row.count(" | ") == 2 and row.endswith(" |")  # the pipe inside the URN is escaped
    assert "\\]\\(https:\\/\\/evil.example/x\\) \\!\\[px\\]" in md


# --- policy configs: every setting checked against the pack's JSON Schema before any rule runs ---------------------

PROD_ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]


def plan_with_policy(tmp_path: Path, policy: object, cluster: dict | None = None, preset: str = "dev"):
    config = tmp_path / "policy.json"
    config.write_text(policy if isinstance(policy, str) else json.dumps(policy))
    stack = stack_file(tmp_path, "pol", cluster or {"zones": ["ap-guangzhou-3"]}, preset=preset)
    return kubecvm("plan", "--config-file", stack, "--format", "json", "--policy-config", config)


@pytest.mark.parametrize("entry, kind", [(5, "int 5"), (None, "null"), (True, "bool True"), (["advisory"], "list")])
def test_a_rule_entry_that_is_neither_a_level_nor_an_object_is_refused(tmp_path, entry, kind):
    run = plan_with_policy(tmp_path, {"kubecvm-size-node-count": entry})
    assert_refused(run, "--policy-config", "kubecvm-size-node-count: expected an enforcement level", f"got {kind}")


@pytest.mark.parametrize(
    "exemption, needle",
    [
        (
            {"policy": ["kubecvm-size-node-count"], "reason": "r", "expires": "2030-01-01"},
            "exemptions[0].policy: ['kubecvm-size-node-count'] is not a kubecvm rule id",
        ),
        (
            {"policy": "kubecvm-size-node-count", "resource": 7, "reason": "r", "expires": "2030-01-01"},
            "exemptions[0].resource: expected a regular expression (a string), got 7",
        ),
        (
            {"policy": "kubecvm-size-node-count", "reason": ["r"], "expires": "2030-01-01"},
            "exemptions[0].reason: required, a string",
        ),
        (
            {"policy": "kubecvm-size-node-count", "reason": "r", "expires": 20300101},
            "exemptions[0].expires: 20300101 is not a date",
        ),
    ],
)
def test_exemptions_of_the_wrong_shape_are_refused(tmp_path, exemption, needle):
    assert_refused(plan_with_policy(tmp_path, {"exemptions": [exemption]}), needle)


@pytest.mark.parametrize(
    "rule, settings, needle",
    [
        ("kubecvm-security-open-ports", {"ports": 22}, "kubecvm-security-open-ports.ports: 22 is not of type 'array'"),
        (
            "kubecvm-security-open-ports",
            {"ports": ["22", "ssh"]},
            "kubecvm-security-open-ports.ports[1]: 'ssh' does not match",
        ),
        (
            "kubecvm-size-node-count",
            {"maxNodes": "lots"},
            "kubecvm-size-node-count.maxNodes: 'lots' is not of type 'integer'",
        ),
        (
            "kubecvm-size-node-count",
            {"maxNodes": True},
            "kubecvm-size-node-count.maxNodes: True is not of type 'integer'",
        ),
        (
            "kubecvm-size-node-count",
            {"maxNodes": -5},
            "kubecvm-size-node-count.maxNodes: -5 is less than the minimum of 1",
        ),
        (
            "kubecvm-ha-master-placement-group",
            {"spreadTypes": None},
            "kubecvm-ha-master-placement-group.spreadTypes: None is not of type 'array'",
        ),
        (
            "kubecvm-ha-master-placement-group",
            {"spreadTypes": ["CLUSTER"]},
            "spreadTypes[0]: 'CLUSTER' is not one of ['HOST', 'SW', 'RACK']",
        ),
        ("kubecvm-network-route-quota-headroom", {"warnRatio": 1.5}, "warnRatio: 1.5 is greater than the maximum of 1"),
        (
            "kubecvm-size-etcd-disk",
            {"etcdDiskMinGib": -1},
            "kubecvm-size-etcd-disk.etcdDiskMinGib: -1 is less than the minimum of 0",
        ),
        (
            "kubecvm-security-clb-internal",
            {"allowPublicApi": "false"},
            "kubecvm-security-clb-internal.allowPublicApi: 'false' is not of type 'boolean', 'null'",
        ),
        (
            "kubecvm-security-api-public",
            {"allowPublicApi": "false"},
            "kubecvm-security-api-public.allowPublicApi: 'false' is not of type 'boolean', 'null'",
        ),
        (
            "kubecvm-size-node-count",
            {"maxNode": 10},
            "kubecvm-size-node-count.maxNode: unknown setting (this rule takes: maxNodes",
        ),
    ],
)
def test_settings_of_the_wrong_type_or_range_are_refused(tmp_path, rule, settings, needle):
    assert_refused(plan_with_policy(tmp_path, {rule: settings}), "--policy-config", needle)


@pytest.mark.parametrize(
    "text",
    [
        '{"kubecvm-size-node-count": {"maxNodes": NaN}}',
        '{"kubecvm-network-route-quota-headroom": {"warnRatio": Infinity}}',
    ],
)
def test_nan_and_infinite_thresholds_are_refused(tmp_path, text):
    assert_refused(plan_with_policy(tmp_path, text), "--policy-config", "is not a JSON number")


def test_a_string_false_never_silences_the_mandatory_api_rules(tmp_path):
    """A public, world-open API endpoint: with allowPublicApi false (the boolean) both security rules fail the plan;
    the string "false" once read as true and passed it. Now it is refused before any rule runs."""
    cluster = {"zones": PROD_ZONES, "apiEndpoint": {"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}}
    strict = {
        "all": "mandatory",
        "kubecvm-security-api-public": {"allowPublicApi": False},
        "kubecvm-security-clb-internal": {"allowPublicApi": False},
    }
    run = plan_with_policy(tmp_path, strict, cluster, preset="staging")
    assert run.exit_code == 1, run.stderr
    failed = {v["policy"] for v in run.json()["policies"]["violations"] if v["enforcement"] == "mandatory"}
    assert {"kubecvm-security-api-public", "kubecvm-security-clb-internal"} <= failed
    as_string = {k: {"allowPublicApi": "false"} if k != "all" else v for k, v in strict.items()}
    assert_refused(
        plan_with_policy(tmp_path, as_string, cluster, preset="staging"), "allowPublicApi: 'false' is not of type"
    )


# ReDoS: nested alternatives that backtrack exponentially on a long run of matching characters.
EVIL_PATTERN = r"([\w:$/-]|[\w:$/-]{2})+[a-z]"


def test_a_catastrophic_exemption_pattern_is_stopped_by_its_time_limit(tmp_path):
    # Every master is below minCpu 64; the exemption's pattern backtracks exponentially on their URNs.
    exemption = {"resource": EVIL_PATTERN, "reason": "testing", "expires": "2999-01-01"}
    run = plan_with_policy(tmp_path, {"kubecvm-size-master-minimum": {"minCpu": 64, "exemptions": [exemption]}})
    # Refused by the limit, not matched: without it `re` would still be backtracking (and this test would not end).
    assert_refused(run, "--policy-config", "kubecvm-size-master-minimum:", "took more than 0.5 s to match")


def test_an_invalid_pattern_is_refused_naming_it(tmp_path):
    run = plan_with_policy(tmp_path, {"kubecvm-security-user-data-secrets": {"patterns": {"a token": "(["}}})
    assert_refused(run, "kubecvm-security-user-data-secrets.patterns.a token: '([' is not a regular expression")


# --- accepted but wrong: refused before any resource is registered, naming the field ---------------------------


def pool(**extra) -> dict:
    return {"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 1, **extra}


def noisy_labels(n: int) -> dict:
    """Valid labels whose values gzip cannot shrink (the user data ships gzipped, in a MIME part)."""
    import hashlib

    return {f"l{i}": hashlib.sha256(str(i).encode()).hexdigest()[:60] for i in range(n)}


@pytest.mark.parametrize(
    "cluster, needles",
    [
        ({"zones": ["ap-guangzhou-3\n"]}, ("zones[0]", "is not a zone of region ap-guangzhou")),
        ({"zones": ["ap-guangzhou-3", "ap-guangzhou-3\n"]}, ("zones[1]",)),
        ({"nodePools": [pool(instanceType="S5.LARGE8\n")]}, ("nodePools[0].instanceType", "is not of the form")),
        (
            {"vpcCidr": "192.168.0.0/16", "serviceCidr": "10.0.0.0/8"},
            ("serviceCidr: 10.0.0.0/8", "must be /12 or smaller"),
        ),
        ({"serviceCidr": "192.168.0.0/29"}, ("serviceCidr: 192.168.0.0/29", "no room for the cluster DNS address")),
        (
            {"nodePools": [pool(labels={"team": "x --authorization-mode=AlwaysAllow"})]},
            ("nodePools[0].labels", "no spaces"),
        ),
        ({"nodePools": [pool(labels={"bad key": "x"})]}, ("nodePools[0].labels", "'bad key': the name must be")),
        (
            {"nodePools": [pool(labels={"node-role.kubernetes.io/worker": ""})]},
            ("nodePools[0].labels", "the kubelet refuses"),
        ),
        ({"nodePools": [pool(taints=[{"key": "a b", "effect": "NoSchedule"}])]}, ("nodePools[0].taints[0]", "'a b'")),
        (
            {"nodePools": [pool(taints=[{"key": "dedicated", "value": "x,y", "effect": "NoSchedule"}])]},
            ("nodePools[0].taints[0]", "'x,y'"),
        ),
        (
            {"nodePools": [pool(taints=[{"key": "dedicated", "effect": "Sometimes"}])]},
            ("nodePools[0].taints[0].effect",),
        ),
        ({"tags": {"qcloud:owner": "me"}}, ("tags", "reserved by Tencent Cloud")),
        ({"tags": {"team": "a<b>"}}, ("tags", "may hold only letters")),
        ({"tags": {"k" * 128: "v"}}, ("tags", "a tag key is 1..127 characters")),
        ({"tags": {f"t{i}": "v" for i in range(48)}}, ("tags", "48 tags; Tencent Cloud allows 50 per resource")),
        ({"kubernetes": {"packageMirror": "http://mirrors.example.com"}}, ("kubernetes.packageMirror", "use https://")),
        ({"imageNameRegex": "("}, ("imageNameRegex", "is not a regular expression")),
        ({"imageNameRegex": "^Ubuntu(?=.*22)"}, ("imageNameRegex", "Go's regexp (RE2)")),
        ({"imageNameRegex": "^Windows"}, ("imageNameRegex", "matches none of the public images")),
        ({"kubernetes": {"version": "1.30.99"}}, ("kubernetes.version", "has no patch release 99")),
        ({"quotas": {"routeEntriesPerTable": True}}, ("quotas.routeEntriesPerTable", "expected an integer, got True")),
        ({"controlPlane": {"count": "1"}}, ("controlPlane.count", "expected an integer, got '1'")),
        ({"nodePools": [pool(labels=noisy_labels(400))]}, ("nodePools[0]", "over the CVM limit of 16384")),
    ],
)
def test_accepted_but_wrong_values_are_refused_naming_the_field(tmp_path, cluster, needles):
    run = kubecvm(
        "plan",
        "--config-file",
        stack_file(tmp_path, "wrong", {"zones": ["ap-guangzhou-3"], **cluster}),
        "--format",
        "json",
        "--no-policies",
    )
    assert_refused(run, *needles)


def test_an_unknown_region_is_refused_naming_the_setting(tmp_path):
    path = stack_file(tmp_path, "far", {"zones": ["xx-nowhere-3"]}, region="xx-nowhere")
    assert_refused(
        kubecvm("plan", "--config-file", path, "--no-policies"),
        "region: 'xx-nowhere' is not a Tencent Cloud region",
        "tencentcloud:region",
    )


def test_in_vpc_http_mirror_and_valid_labels_taints_tags_still_plan(tmp_path):
    cluster = {
        "zones": ["ap-guangzhou-3"],
        "kubernetes": {"packageMirror": "http://mirrors.tencentyun.com"},
        "tags": {"team": "platform", "cost-center": "CC 42/a@b"},
        "nodePools": [
            pool(
                labels={"example.com/team": "a.b_c-1", "node.kubernetes.io/role": "infra"},
                taints=[{"key": "example.com/dedicated", "value": "gpu", "effect": "NoExecute"}],
            )
        ],
    }
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "fine", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    join = [r["inputs"] for r in run.json()["resources"] if r["type"] == "tencentcloud:Instance/instance:Instance"]
    assert join and all(i["tags"]["cost-center"] == "CC 42/a@b" for i in join)


def test_plan_markdown_escapes_what_a_program_or_stack_name_could_inject():
    from kubecvm.offline import render

    doc = offline.build(offline.load_stack("dev"), policies=False).document
    evil = "x`](https://evil.example) ![p](https://evil.example/p.png)\n```\n# heading"
    doc = {
        **doc,
        "stack": evil,
        "resources": [
            {**r, "name": evil} if r["type"] == "tencentcloud:Vpc/instance:Instance" else r for r in doc["resources"]
        ],
    }
    doc["policies"] = {
        **doc["policies"],
        "evaluated": True,
        "config": evil,
        "mandatoryFailed": True,
        "waivers": [],
        "violations": [
            {"policy": evil, "enforcement": "mandatory", "severity": "high", "message": evil, "urn": "urn:x::" + evil}
        ],
    }
    md = render.markdown(doc)
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<a " not in html and "<img" not in html and "<h1>" not in html
    fence = md.split("```mermaid\n", 1)[1]
    assert "`" not in fence.split("\n```", 1)[0]  # nothing inside closes the diagram's fence early


def test_the_program_under_pulumi_up_refuses_a_plain_kubecvm_cluster_value_by_name():
    """Pulumi hands a non-object config value to the program as a string; get_object would raise a traceback."""
    from kubecvm.offline.runner import run_program

    config = {"tencentcloud:region": "ap-guangzhou", "kubecvm:cluster": "hello"}
    with pytest.raises(Exception, match="kubecvm:cluster: expected a mapping of overrides"):
        run_program(config, stack="dev")
