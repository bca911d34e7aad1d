"""SARIF, JUnit and GitHub reports parse and carry the expected rule ids, levels and test cases."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from kubecvm.policies import reports
from kubecvm.policies.engine import evaluate, load_policy_config, policies
from kubecvm.policies.registry import RULES
from policy_helpers import mutate
from kubecvm.stacks.config import merge

# The OASIS SARIF 2.1.0 schema itself (sarif-2.1.0-rtm.5.json, the final 2.1.0 schema that schemastore serves),
# copied from the npm package @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/, MIT): no Python package ships it.
SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-rtm.5.json").read_text())


def valid_sarif(log: dict) -> None:
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)


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
    config = merge(
        load_policy_config("prod"),
        {
            "cluster": facts,
            "exemptions": [
                {
                    "policy": "kubecvm-size-master-same-type",
                    "resource": ".*",
                    "reason": "resize in progress",
                    "expires": NEXT_YEAR,
                }
            ],
        },
    )
    return evaluate(mutated, config)


def test_the_fixture_has_what_the_reports_need(evaluation):
    assert sorted((v.policy, v.enforcement) for v in evaluation.violations) == [
        ("kubecvm-security-open-ports", "mandatory"),
        ("kubecvm-security-open-ports", "mandatory"),
        ("kubecvm-tagging-cvm-tags", "advisory"),
    ]
    assert [(w.policy, w.urn) for w in evaluation.waivers] == [("kubecvm-size-master-same-type", None)]


def test_sarif_is_valid_and_carries_rule_ids_and_levels(evaluation):
    source = reports.Source("stacks/Pulumi.prod.yaml", {"kubecvm:cluster": 4, "sshAllowedCidrs": 9, "tags": 12})
    log = json.loads(reports.sarif(evaluation, policies(), source=source))
    valid_sarif(log)
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
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.prod.yaml"
    # Each at the line of the setting its rule's remediation names, when the file sets it; else the cluster's.
    lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert lines == {
        ("kubecvm-security-open-ports", 9),
        ("kubecvm-size-master-same-type", 4),
        ("kubecvm-tagging-cvm-tags", 12),
    }
    assert run["tool"]["driver"]["version"] == importlib.metadata.version("kubecvm")
    names = sorted(
        r["locations"][0]["logicalLocations"][0]["name"] for r in run["results"] if r["ruleId"].endswith("open-ports")
    )
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
    assert (
        ports.find("failure").get("message") == "prod-sg-worker-rules accepts TCP port 22 from 0.0.0.0/0 (rule 'ssh')"
    )
    assert ports.find("failure").get("type") == "mandatory"
    # Every rule appears; scoped rules once per resource in scope (nine CVMs for the public-IP rule).
    assert {c.get("name").split(" [")[0] for c in cases} == {*RULES, "kubecvm-exemption-expired"}
    assert sum(c.get("name").startswith("kubecvm-security-no-public-ip [") for c in cases) == 9
    waived = next(c for c in cases if c.get("name") == "kubecvm-size-master-same-type [stack]")
    assert waived.find("failure") is None and "resize in progress" in waived.find("system-out").text


def test_github_annotations(evaluation):
    lines = reports.github(evaluation).splitlines()
    assert sorted(line.split(" ", 1)[0] for line in lines) == ["::error", "::error", "::notice", "::warning"]
    assert (
        "::error title=kubecvm-security-open-ports (prod-sg-worker-rules)::prod-sg-worker-rules accepts TCP port 22 "
        "from 0.0.0.0/0 (rule 'ssh')" in lines
    )


def test_github_escapes_newlines_and_separators():
    from kubecvm.policies.engine import Evaluation, Violation

    ev = Evaluation((Violation("kubecvm-x-y", "advisory", "low", "50%\nnext", "urn:a::b,c:d"),), (), ())
    assert reports.github(ev) == "::warning title=kubecvm-x-y (b%2Cc%3Ad)::50%25%0Anext\n"


def test_empty_evaluation_gives_empty_but_valid_reports():
    from kubecvm.policies.engine import Evaluation

    ev = Evaluation((), (), ())
    valid_sarif(json.loads(reports.sarif(ev, policies())))
    assert ET.fromstring(reports.junit(ev, policies())).get("tests") == "0"
    assert reports.github(ev) == ""
