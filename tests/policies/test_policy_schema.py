"""The pack declares each rule's settings schema, and the offline engine validates the same schema.

The Pulumi CLI validates a policy's config against {"type": "object", "properties": <what the pack declares>}
(pulumi/pulumi pkg/resource/analyzer/config.go, convertSchema); these tests run that exact wrapping with
jsonschema on what policies/__main__.py builds, so `pulumi preview --policy-pack-config` and `kubecvm plan
--policy-config` refuse the same wrong types.
"""

from __future__ import annotations

import datetime
import json

import jsonschema
import pytest
import pulumi_policy

from kubecvm.policies import engine, schema
from kubecvm.policies.registry import CVM, RULES, Resource
from policy_helpers import ROOT
from test_policy_pack import pack  # noqa: F401  (the fixture: the pack built with a recording PolicyPack)


def cli_valid(spec, config: dict) -> bool:
    return jsonschema.Draft7Validator({"type": "object", **{"properties": _declared(spec)}}).is_valid(config)


def _declared(spec):
    return schema.rule_schema(spec)["properties"]


def test_the_pack_declares_exactly_the_engines_schema(pack):  # noqa: F811 (the fixture)
    for policy in pack["policies"]:
        assert isinstance(policy.config_schema, pulumi_policy.PolicyConfigSchema)
        assert policy.config_schema.properties == _declared(RULES[policy.name])
        jsonschema.Draft7Validator.check_schema(schema.rule_schema(RULES[policy.name]))


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_the_shipped_configs_pass_both_the_cli_and_the_full_schema(stage):
    config = json.loads((ROOT / "policies" / "config" / f"{stage}.json").read_text())
    for rule_id, entry in config.items():
        if rule_id in RULES and isinstance(entry, dict):
            settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}  # the CLI strips it first
            assert cli_valid(RULES[rule_id], settings), (rule_id, settings)
            jsonschema.validate(settings, schema.rule_schema(RULES[rule_id]))
    engine.normalize_config(config)


@pytest.mark.parametrize(
    "rule_id, settings",
    [
        ("kubecvm-security-api-public", {"allowPublicApi": "false"}),
        ("kubecvm-security-open-ports", {"ports": 22}),
        ("kubecvm-size-node-count", {"maxNodes": "lots"}),
        ("kubecvm-ha-master-placement-group", {"spreadTypes": None}),
        ("kubecvm-size-node-count", {"maxNodes": -1}),
        ("kubecvm-size-node-count", {"exemptions": [{"reason": "r", "expires": "2030-01-01", "until": "x"}]}),
    ],
)
def test_wrong_types_fail_under_pulumi_preview_too(rule_id, settings):
    assert not cli_valid(RULES[rule_id], settings)
    with pytest.raises(engine.PolicyConfigError):
        engine.normalize_config({rule_id: settings})


def test_a_typo_passes_the_cli_wrapping_but_the_pack_itself_refuses_it(pack):  # noqa: F811 (the fixture)
    """Only `properties` reach the CLI, so it cannot refuse an unknown key; the pack's validate refuses it."""
    spec = RULES["kubecvm-size-node-count"]
    assert cli_valid(spec, {"maxNode": 10})
    assert not jsonschema.Draft7Validator(schema.rule_schema(spec)).is_valid({"maxNode": 10})
    policy = next(p for p in pack["policies"] if p.name == spec.id)
    reports = []
    args = pulumi_policy.StackValidationArgs([], {"maxNode": 10})
    policy.validate(args, lambda message, urn=None: reports.append(message))
    assert reports == [
        "policy config: kubecvm-size-node-count.maxNode: unknown setting (this rule takes: maxNodes, "
        "enforcementLevel, exemptions)"
    ]


def test_every_setting_has_a_json_type():
    for spec in RULES.values():
        for name, default in spec.defaults.items():
            assert "type" in schema.setting_schema(name, default), (spec.id, name)
            assert jsonschema.Draft7Validator(schema.setting_schema(name, default)).is_valid(default), (spec.id, name)


def test_normalize_config_is_idempotent_and_refuses_nan_programmatically():
    cfg = engine.normalize_config(
        {"kubecvm-size-node-count": {"exemptions": [{"resource": "x", "reason": "r", "expires": "2030-01-01"}]}}
    )
    assert engine.normalize_config(cfg) == cfg
    with pytest.raises(
        engine.PolicyConfigError, match=r"kubecvm-network-route-quota-headroom.warnRatio: nan is not a finite"
    ):
        engine.normalize_config({"kubecvm-network-route-quota-headroom": {"warnRatio": float("nan")}})


def test_a_catastrophic_exemption_pattern_is_stopped_with_its_rule_named():
    cvm = Resource(
        "urn:pulumi:dev::kubecvm::kubecvm:index:Cluster$tencentcloud:Instance/instance:Instance::dev-a-b-c-d-0",
        CVM,
        "dev-a-b-c-d-0",
        {"password": "x", "tags": {}},
    )
    evil = {"resource": r"([\w:$/-]|[\w:$/-]{2})+[a-z]", "reason": "r", "expires": "2030-01-01"}
    with pytest.raises(engine.PolicyConfigError, match="kubecvm-security-ssh-keys: .* took more than 0.5 s"):
        engine.evaluate(
            [cvm],
            {"kubecvm-security-ssh-keys": {"exemptions": [evil]}},
            today=datetime.date(2026, 1, 1),
            only="kubecvm-security-ssh-keys",
        )


def test_a_catastrophic_user_data_pattern_is_stopped_with_its_rule_named():
    cvm = Resource(
        "urn:pulumi:dev::kubecvm::tencentcloud:Instance/instance:Instance::dev-a-0",
        CVM,
        "dev-a-0",
        {"userDataRaw": "#cloud-config\n" + "a" * 40 + "!\n", "tags": {}},
    )
    config = {"kubecvm-security-user-data-secrets": {"patterns": {"a token": "(a|aa)+$"}}}
    with pytest.raises(
        engine.PolicyConfigError, match="kubecvm-security-user-data-secrets: '\\(a\\|aa\\)\\+\\$' took more"
    ):
        engine.evaluate([cvm], config, only="kubecvm-security-user-data-secrets")


def test_the_policy_reference_counts_the_rules_there_are():
    import re

    counted = re.search(r"CrossGuard pack \((\d+) rules", (ROOT / "docs" / "reference" / "policies.md").read_text())
    assert counted and int(counted[1]) == len(RULES)
