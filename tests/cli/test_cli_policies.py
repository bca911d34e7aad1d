"""Policies in `kubecvm plan`: exit codes, what the engine receives, reports. A spy on the engine (cli_helpers)
checks the wiring; the last tests run the real rules end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from cli_helpers import kubecvm, stack_file

from kubecvm.planning import build_plan
from kubecvm.stacks.config import spec_from_stack_file
from kubecvm.offline.runner import PROJECT_DIR

INSTANCE = "tencentcloud:Instance/instance:Instance"


def test_a_mandatory_violation_exits_1_and_is_reported(fake_engine):
    run = kubecvm("plan", "dev", "--format", "json")
    assert run.exit_code == 1
    doc = run.json()
    plan = build_plan(spec_from_stack_file(PROJECT_DIR / "Pulumi.dev.yaml", "dev"))
    urns = {r["name"]: r["urn"] for r in doc["resources"]}
    assert doc["policies"]["violations"] == [
        {
            "policy": "test-master-flagged",
            "enforcement": "mandatory",
            "severity": "high",
            "message": f"{m.name} is flagged [by the test]",
            "urn": urns[m.name],
        }
        for m in sorted(plan.masters, key=lambda m: urns[m.name])
    ]
    assert doc["policies"]["mandatoryFailed"] is True and doc["policies"]["evaluated"] is True
    assert doc["policies"]["config"] == "dev"  # the stack's preset by default


def test_advisory_violations_exit_0(fake_engine):
    fake_engine.mandatory = False
    run = kubecvm("plan", "dev")
    assert run.exit_code == 0
    assert "PASS: 0 mandatory, 1 advisory violation(s)" in run.stdout
    assert "is flagged [by the test]" in run.stdout  # rich markup in messages is shown literally


def test_the_engine_sees_custom_resources_with_camelcase_props_and_the_cluster_facts(fake_engine):
    run = kubecvm("plan", "prod", "--format", "json", "--policy-config", "staging")
    assert run.exit_code == 1
    (call,) = fake_engine.calls
    doc = run.json()
    assert [r.urn for r in call["resources"]] == [r["urn"] for r in doc["resources"] if r["custom"]]
    assert not any(
        r.type.startswith("kubecvm:index:") for r in call["resources"]
    )  # components are not resources to the engine
    cvm = next(r for r in call["resources"] if r.type == INSTANCE)
    assert {"instanceType", "availabilityZone", "privateIp"} <= cvm.props.keys()
    spec = spec_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml", "prod")
    assert call["config"]["kubecvm-ha-workers-multi-zone"]["enforcementLevel"] == "mandatory"  # staging's level
    assert call["config"]["cluster"] == {
        "podCidr": spec.pod_cidr,
        "serviceCidr": spec.service_cidr,
        "maxPodsPerNode": spec.max_pods_per_node,
        "nodePodMask": spec.node_pod_mask,
        "routeEntriesPerTable": spec.quotas.route_entries_per_table,
        "apiExposure": spec.api_endpoint.exposure.value,
        "bootEgressHosts": ["registry.aliyuncs.com"],
        "ingressExposure": "internal",
    }


def test_an_unknown_policy_config_exits_2_before_running(fake_engine):
    run = kubecvm("plan", "dev", "--policy-config", "nightly")
    assert run.exit_code == 2 and "--policy-config: " in run.stderr and "nightly" in run.stderr
    assert "Traceback" not in run.stderr
    assert fake_engine.calls == []


def test_report_goes_to_out_and_the_plan_to_stdout(fake_engine, tmp_path):
    out = tmp_path / "policy.sarif"
    run = kubecvm("plan", "dev", "--report", "sarif", "--out", out, "--format", "json")
    assert run.exit_code == 1
    sarif = json.loads(out.read_text())
    assert [(r["ruleId"], r["level"]) for r in sarif["runs"][0]["results"]] == [("test-master-flagged", "error")]
    assert run.json()["stack"] == "dev"
    github = kubecvm("plan", "dev", "--report", "github")
    # At the stack file, on the line of kubecvm:cluster (the stand-in rule's remediation names no setting).
    assert github.stdout == (
        "::error file=Pulumi.dev.yaml,line=4,title=test-master-flagged (dev-master-0)::dev-master-0 "
        "is flagged [by the test]\n"
    )


def test_reports_point_at_the_stack_file_and_the_settings_line_relative_to_the_repository(tmp_path, monkeypatch):
    # As CI runs it: a repository with the stack in a subfolder, kubecvm run from that folder; the rule whose
    # remediation names sshAllowedCidrs is reported on that line of the file.
    (tmp_path / ".git").mkdir()
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "Pulumi.open.yaml").write_text(
        "config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:preset: dev\n  kubecvm:cluster:\n"
        "    zones: [ap-guangzhou-3]\n    sshAllowedCidrs:\n      - 0.0.0.0/0\n"
    )
    monkeypatch.chdir(infra)
    sarif = kubecvm("plan", "open", "--report", "sarif")
    assert sarif.exit_code == 1, sarif.stderr
    log = json.loads(sarif.stdout)
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "kubecvm" and run["tool"]["driver"]["version"]
    ssh = [r for r in run["results"] if r["ruleId"] == "kubecvm-security-open-ports"]
    assert [r["locations"][0]["physicalLocation"] for r in ssh] == 2 * [  # the masters' and the workers' groups
        {"artifactLocation": {"uri": "infra/Pulumi.open.yaml"}, "region": {"startLine": 6}}
    ]
    schema = json.loads((Path(__file__).parents[1] / "policies" / "data" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    junit = ET.fromstring(kubecvm("plan", "open", "--report", "junit").stdout)
    cases = junit.findall(".//testcase")
    assert {c.get("file") for c in cases} == {"infra/Pulumi.open.yaml"}
    assert {c.get("line") for c in cases if c.get("name").startswith("kubecvm-security-open-ports")} == {"6"}
    github = kubecvm("plan", "open", "--report", "github").stdout.splitlines()
    assert [line.split("title=")[0] for line in github if "open-ports" in line] == [
        "::error file=infra/Pulumi.open.yaml,line=6,"
    ] * 2


def test_no_policies_skips_the_engine(fake_engine):
    run = kubecvm("plan", "dev", "--no-policies")
    assert run.exit_code == 0 and fake_engine.calls == []


def test_python_m_stacks_plan_dev_json_passes_the_real_policies():
    proc = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "dev", "--format", "json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["policies"]["evaluated"] is True and doc["policies"]["mandatoryFailed"] is False
    assert all(v["enforcement"] != "mandatory" for v in doc["policies"]["violations"])


def test_real_policies_fail_a_prod_stack_with_masters_in_one_zone(tmp_path):
    path = stack_file(tmp_path, "onezone", {"zones": ["ap-guangzhou-3"]}, preset="prod")
    run = kubecvm("plan", "--config-file", path, "--format", "json")
    assert run.exit_code == 1, run.stderr
    assert any(v["enforcement"] == "mandatory" for v in run.json()["policies"]["violations"])


def test_a_prod_stack_with_a_world_open_public_api_exits_1(tmp_path):
    # Once: exposure public with allowedCidrs 0.0.0.0/0 passed prod because the rules trusted the stack.
    zones = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
    path = stack_file(
        tmp_path,
        "open",
        {"zones": zones, "apiEndpoint": {"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}},
        preset="prod",
    )
    run = kubecvm("plan", "--config-file", path, "--format", "json")
    assert run.exit_code == 1, run.stderr
    found = [v for v in run.json()["policies"]["violations"] if v["policy"] == "kubecvm-security-api-world-open"]
    assert {(v["enforcement"], v["urn"].rsplit("::", 1)[1]) for v in found} == {
        ("mandatory", "open-sg-master-rules"),
        ("mandatory", "open-sg-lb-rules"),
    }
    narrow = stack_file(
        tmp_path,
        "narrow",
        {"zones": zones, "apiEndpoint": {"exposure": "public", "allowedCidrs": ["203.0.113.0/24"]}},
        preset="prod",
    )
    assert kubecvm("plan", "--config-file", narrow, "--format", "json").exit_code == 0


def test_real_reports_are_well_formed(tmp_path):
    sarif, junit = tmp_path / "p.sarif", tmp_path / "p.xml"
    assert kubecvm("plan", "prod", "--report", "sarif", "--out", sarif).exit_code == 0
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert kubecvm("plan", "prod", "--report", "junit", "--out", junit).exit_code == 0
    assert ET.fromstring(junit.read_text()).tag in ("testsuites", "testsuite")
