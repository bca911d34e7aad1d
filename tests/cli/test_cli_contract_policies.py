"""The exit-code contract for policy configs: every setting is checked against the pack's JSON Schema before any
rule runs, and exemption patterns are bounded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_refused, kubecvm, stack_file


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
