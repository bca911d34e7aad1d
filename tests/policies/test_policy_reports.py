"""SARIF, JUnit and GitHub reports parse and carry the expected rule ids, levels and test cases."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from kubecvm.policies import reports
from kubecvm.policies.engine import evaluate, load_policy_config, policies
from kubecvm.policies.registry import RULES
from policy_helpers import mutate
from kubecvm.stacks.config import merge

# The parts of the OASIS SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that cover what we emit: required keys,
# enumerations and closed objects. The full schema is not shipped by any package we can install offline.
_MESSAGE = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "rules": {"type": "array", "items": {
                        "type": "object", "required": ["id"],
                        "properties": {
                            "id": {"type": "string"}, "shortDescription": _MESSAGE, "fullDescription": _MESSAGE,
                            "help": _MESSAGE, "properties": {"type": "object"},
                        },
                    }}},
                }}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _MESSAGE,
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "logicalLocations": {"type": "array", "items": {"type": "object", "properties": {
                                "name": {"type": "string"}, "fullyQualifiedName": {"type": "string"}, "kind": {"type": "string"},
                            }, "additionalProperties": False}},
                            "physicalLocation": {"type": "object", "properties": {
                                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}},
                                "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1}}},
                            }},
                        }}},
                        "suppressions": {"type": "array", "items": {
                            "type": "object", "required": ["kind"],
                            "properties": {
                                "kind": {"enum": ["inSource", "external"]},
                                "status": {"enum": ["accepted", "underReview", "rejected"]},
                                "justification": {"type": "string"},
                            },
                        }},
                        "properties": {"type": "object"},
                    },
                }},
            },
        }},
    },
}

WORLD_SSH = {"action": "ACCEPT", "cidrBlock": "0.0.0.0/0", "description": "ssh", "port": "22", "protocol": "TCP"}
NEXT_YEAR = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()


@pytest.fixture(scope="module")
def evaluation(prod_baseline):
    """Two mandatory findings, one advisory of low severity (a SARIF note), one waiver."""
    resources, facts = prod_baseline
    mutated = mutate(resources, "prod-sg-worker-rules", lambda p: p["ingresses"].insert(0, WORLD_SSH))
    mutated = mutate(tuple(mutated), "prod-sg-master-rules", lambda p: p["ingresses"].insert(0, WORLD_SSH))
    mutated = mutate(tuple(mutated), "prod-general-z4-0", lambda p: p["tags"].pop("kubecvm/role"))
    mutated = mutate(tuple(mutated), "prod-master-0", lambda p: p.update(instanceType="S5.2XLARGE32"))
    config = merge(load_policy_config("prod"), {"cluster": facts, "exemptions": [{
        "policy": "kubecvm-size-master-same-type", "resource": ".*", "reason": "resize in progress", "expires": NEXT_YEAR,
    }]})
    return evaluate(mutated, config)


def test_the_fixture_has_what_the_reports_need(evaluation):
    assert sorted((v.policy, v.enforcement) for v in evaluation.violations) == [
        ("kubecvm-security-open-ports", "mandatory"),
        ("kubecvm-security-open-ports", "mandatory"),
        ("kubecvm-tagging-cvm-tags", "advisory"),
    ]
    assert [(w.policy, w.urn) for w in evaluation.waivers] == [("kubecvm-size-master-same-type", None)]


def test_sarif_is_valid_and_carries_rule_ids_and_levels(evaluation):
    log = json.loads(reports.sarif(evaluation, policies(), artifact="Pulumi.prod.yaml"))
    jsonschema.validate(log, SARIF_SUBSET)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [p.id for p in policies()]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    results = [(r["ruleId"], r["level"], "suppressions" in r) for r in run["results"]]
    assert sorted(results) == [
        ("kubecvm-security-open-ports", "error", False),
        ("kubecvm-security-open-ports", "error", False),
        ("kubecvm-size-master-same-type", "note", True),
        ("kubecvm-tagging-cvm-tags", "note", False),
    ]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
    names = sorted(r["locations"][0]["logicalLocations"][0]["name"] for r in run["results"] if r["ruleId"].endswith("open-ports"))
    assert names == ["prod-sg-master-rules", "prod-sg-worker-rules"]


def test_junit_has_one_case_per_check_with_failures(evaluation):
    root = ET.fromstring(reports.junit(evaluation, policies()))
    cases = root.findall(".//testcase")
    assert len(cases) == len(evaluation.checks)
    failed = sorted(c.get("name") for c in cases if c.find("failure") is not None)
    assert failed == [
        "kubecvm-security-open-ports [prod-sg-master-rules]",
        "kubecvm-security-open-ports [prod-sg-worker-rules]",
        "kubecvm-tagging-cvm-tags [prod-general-z4-0]",
    ]
    ports = next(c for c in cases if c.get("name") == "kubecvm-security-open-ports [prod-sg-worker-rules]")
    assert ports.find("failure").get("message") == "prod-sg-worker-rules accepts TCP port 22 from 0.0.0.0/0 (rule 'ssh')"
    assert ports.find("failure").get("type") == "mandatory"
    # Every rule appears; scoped rules once per resource in scope (nine CVMs for the public-IP rule).
    assert {c.get("name").split(" [")[0] for c in cases} == {*RULES, "kubecvm-exemption-expired"}
    assert sum(c.get("name").startswith("kubecvm-security-no-public-ip [") for c in cases) == 9
    waived = next(c for c in cases if c.get("name") == "kubecvm-size-master-same-type [stack]")
    assert waived.find("failure") is None and "resize in progress" in waived.find("system-out").text


def test_github_annotations(evaluation):
    lines = reports.github(evaluation).splitlines()
    assert sorted(line.split(" ", 1)[0] for line in lines) == ["::error", "::error", "::notice", "::warning"]
    assert "::error title=kubecvm-security-open-ports (prod-sg-worker-rules)::prod-sg-worker-rules accepts TCP port 22 " \
           "from 0.0.0.0/0 (rule 'ssh')" in lines


def test_github_escapes_newlines_and_separators():
    from kubecvm.policies.engine import Evaluation, Violation

    ev = Evaluation((Violation("kubecvm-x-y", "advisory", "low", "50%\nnext", "urn:a::b,c:d"),), (), ())
    assert reports.github(ev) == "::warning title=kubecvm-x-y (b%2Cc%3Ad)::50%25%0Anext\n"


def test_empty_evaluation_gives_empty_but_valid_reports():
    from kubecvm.policies.engine import Evaluation

    ev = Evaluation((), (), ())
    jsonschema.validate(json.loads(reports.sarif(ev, policies())), SARIF_SUBSET)
    assert ET.fromstring(reports.junit(ev, policies())).get("tests") == "0"
    assert reports.github(ev) == ""
