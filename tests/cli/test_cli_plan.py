"""`kubecvm plan` through the real entry point: shape, determinism, exit codes, secrets, markdown, diagram."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pulumi
import pytest
import tencentcloud_iac_pulumi as tc
from cli_helpers import kubecvm, stack_file

from kubecvm.planning import names
from kubecvm.offline import cli, plan as offline
from kubecvm.stacks.config import read_stack_file, spec_from_stack_file
from kubecvm.stacks.project import find_project
from kubecvm.offline.runner import PROJECT_DIR, SECRET
from kubecvm.planning import build_plan

INSTANCE = "tencentcloud:Instance/instance:Instance"
ROUTE_ENTRY = "tencentcloud:Route/tableEntry:TableEntry"


def dev_plan():
    return build_plan(spec_from_stack_file(PROJECT_DIR / "Pulumi.dev.yaml", "dev"))


def test_json_plan_has_the_contract_shape_and_matches_the_pure_plan():
    run = kubecvm("plan", "dev", "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    plan = dev_plan()
    assert doc["stack"] == "dev"
    assert {"stack", "resources", "outputs", "policies", "summary"} <= doc.keys()
    urns = [r["urn"] for r in doc["resources"]]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)
    for r in doc["resources"]:
        assert {"urn", "type", "name", "parent", "inputs"} <= r.keys()
        assert r["parent"] is None or r["parent"].startswith("urn:pulumi:dev::kubecvm::")
    cvms = {r["name"]: r["inputs"] for r in doc["resources"] if r["type"] == INSTANCE}
    assert {m.name: m.private_ip for m in plan.machines} == {n: i["privateIp"] for n, i in cvms.items()}
    assert {m.name: m.zone for m in plan.machines} == {n: i["availabilityZone"] for n, i in cvms.items()}
    entries = {r["name"]: r["inputs"] for r in doc["resources"] if r["type"] == ROUTE_ENTRY}
    routes = {n: i for n, i in entries.items() if i["nextType"] != "NAT"}
    assert routes == {
        names.pod_route(m.name): {
            **routes[names.pod_route(m.name)],
            "destinationCidrBlock": m.pod_cidr,
            "nextHub": m.private_ip,
        }
        for m in plan.machines
    }
    s = doc["summary"]
    assert s["zones"] == [
        {
            "zone": z.zone,
            "subnet": z.cidr,
            "masters": sum(m.zone == z.zone for m in plan.masters),
            "workers": sum(w.zone == z.zone for w in plan.workers),
        }
        for z in plan.subnets
    ]
    assert s["routeEntries"] == {"used": plan.capacity.route_entries_used, "quota": plan.capacity.route_quota}
    # dev's egress is auto and its control-plane images come from outside the VPC: one NAT default route too
    assert [i["destinationCidrBlock"] for i in entries.values() if i["nextType"] == "NAT"] == ["0.0.0.0/0"]
    assert s["routeEntries"]["used"] == len(routes) + 1
    assert s["capacity"]["maxNodes"] == plan.capacity.max_nodes
    assert s["capacity"]["nextMasterTierAt"] == plan.capacity.next_master_tier_at
    assert s["resources"]["total"] == sum(r["custom"] for r in doc["resources"])
    assert doc["policies"] == {
        "evaluated": False,
        "config": None,
        "violations": [],
        "waivers": [],
        "mandatoryFailed": False,
    }


def test_python_m_stacks_prints_the_same_bytes_as_the_in_process_run():
    # A fresh process, as CI runs it; stdout must be exactly one JSON document and stderr silent.
    proc = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "dev", "--format", "json", "--no-policies"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == kubecvm("plan", "dev", "--format", "json", "--no-policies").stdout
    assert json.loads(proc.stdout)["stack"] == "dev"


def test_two_runs_give_byte_identical_json(tmp_path):
    path = stack_file(tmp_path, "twice", {"zones": ["ap-guangzhou-3", "ap-guangzhou-4"]})
    first = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies")
    second = kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["stack"] == "twice"  # the stack name comes from Pulumi.<name>.yaml


@pytest.mark.parametrize(
    ("cluster", "field"),
    [
        ({"zones": ["ap-guangzhou-3"], "vpcCidr": "10.0.0.1/16"}, "vpcCidr"),
        ({"zones": ["ap-guangzhou-3"], "podCidr": "8.8.0.0/16"}, "podCidr"),
        (
            {
                "zones": ["ap-guangzhou-3"],
                "nodePools": [{"name": "general", "instanceType": "huge", "countPerZone": 1}],
            },
            "nodePools[0].instanceType",
        ),
        ({"zones": ["ap-guangzhou-3"], "colour": "blue"}, "colour"),
    ],
)
def test_invalid_config_exits_2_naming_the_field_without_traceback(tmp_path, cluster, field):
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "bad", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert field in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1  # one paragraph


def test_unreadable_stack_files_exit_2(tmp_path):
    missing = kubecvm("plan", "--config-file", tmp_path / "Pulumi.none.yaml")
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert "no such stack file" in missing.stderr
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed\n")
    run = kubecvm("plan", "--config-file", broken)
    assert run.exit_code == 2 and "cannot read it as YAML" in run.stderr and "Traceback" not in run.stderr
    assert kubecvm("plan", "nosuchstack").exit_code == 2


def test_a_yaml_mistake_is_reported_at_its_line_and_column(tmp_path):
    path = tmp_path / "Pulumi.typo.yaml"
    path.write_text("config:\n  kubecvm:preset: dev\n  kubecvm:cluster:\n    zones: [ap-guangzhou-3\n    egress: nat\n")
    run = kubecvm("plan", "--config-file", path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == (
        f"kubecvm: {path}:5:11: cannot read it as YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 4)\n"
    )
    path.write_text("config:\n  kubecvm:preset: dev\n   kubecvm:cluster: {}\n")
    assert kubecvm("plan", "--config-file", path).stderr == (
        f"kubecvm: {path}:3:19: cannot read it as YAML: mapping values are not allowed in this context\n"
    )


def test_bad_config_in_a_subprocess_has_no_traceback(tmp_path):
    path = stack_file(tmp_path, "bad", {"zones": ["ap-guangzhou-3"], "vpcCidr": "10.0.0.1/16"})
    proc = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "--config-file", str(path), "--format", "json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "vpcCidr" in proc.stderr and "10.0.0.0/16" in proc.stderr and "Traceback" not in proc.stderr


def secret_program():
    """A small program with a secret input, a plain password input and a secret output."""
    tc.instance.Instance(
        "vault",
        instance_type="S5.LARGE8",
        availability_zone="ap-guangzhou-3",
        password=pulumi.Output.secret("hunter2-secret"),
    )
    tc.instance.Instance("plain", instance_type="S5.LARGE8", availability_zone="ap-guangzhou-3", password="plain-pass")
    pulumi.export("token", pulumi.Output.secret("s3cr3t-token"))
    pulumi.export("visible", "fine")


def test_secrets_are_masked_in_inputs_and_outputs():
    loaded = offline.load_stack("dev", cwd=PROJECT_DIR)
    doc = offline.build(loaded, policies=False, program=secret_program).document
    text = json.dumps(doc)
    for secret in ("hunter2-secret", "plain-pass", "s3cr3t-token"):
        assert secret not in text
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["vault"]["inputs"]["password"] == SECRET
    assert by_name["plain"]["inputs"]["password"] == SECRET
    assert doc["outputs"] == {"token": SECRET, "visible": "fine"}


def test_markdown_has_a_mermaid_topology_of_every_zone_subnet_master_pool_clb_and_route_table():
    run = kubecvm("plan", "prod", "--format", "markdown", "--no-policies")
    assert run.exit_code == 0
    md = run.stdout
    start = md.index("```mermaid\n")
    block = md[start : md.index("\n```", start + 1)]
    plan = build_plan(spec_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml", "prod"))
    assert block.splitlines()[1] == "flowchart TB"
    for subnet in plan.subnets:
        assert f'["zone {subnet.zone}"]' in block and f"subnet {subnet.name}<br/>{subnet.cidr}" in block
    for master in plan.masters:
        assert f"master {master.name}<br/>{master.private_ip}" in block
    for pool in plan.pools:
        for zone in pool.zones:
            n = sum(node.zone == zone for node in pool.nodes)
            assert f"pool {pool.name}: {n} workers" in block
    assert f"CLB {plan.api.name}<br/>INTERNAL {plan.api.vip}:6443" in block
    routes = plan.capacity.route_entries_used
    assert f"route table {plan.route_table}<br/>{routes}/{plan.capacity.route_quota} entries" in block
    assert block.count("-->|6443|") == len(plan.masters)


def test_diagram_writes_the_same_well_formed_svg_each_time(tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    assert kubecvm("plan", "prod", "--no-policies", "--format", "json", "--diagram", first).exit_code == 0
    assert kubecvm("plan", "prod", "--no-policies", "--format", "json", "--diagram", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    root = ET.fromstring(first.read_text())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    plan = build_plan(spec_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml", "prod"))
    for master in plan.masters:
        assert f"master {master.name}" in texts
    assert [t for t in texts if t.startswith("zone ")] == [f"zone {s.zone}" for s in plan.subnets]


def test_text_output_groups_resources_under_their_components_and_summarises():
    run = kubecvm("plan", "dev", "--no-policies")
    assert run.exit_code == 0
    plan = dev_plan()
    lines = run.stdout.splitlines()
    assert lines[0] == "stack dev"
    pool_line = next(i for i, l in enumerate(lines) if f"NodePool {plan.pools[0].component}" in l)
    for offset, node in enumerate(plan.pools[0].nodes, start=1):
        assert f"Instance/instance {node.name}" in lines[pool_line + offset]
    assert f"{plan.capacity.route_entries_used} used of {plan.capacity.route_quota} per table" in run.stdout
    assert "policies not evaluated (--no-policies)" in run.stdout


def test_out_writes_the_plan_to_a_file_and_nothing_to_stdout(tmp_path):
    out = tmp_path / "plan.json"
    run = kubecvm("plan", "dev", "--format", "json", "--no-policies", "--out", out)
    assert (run.exit_code, run.stdout) == (0, "")
    assert json.loads(out.read_text())["stack"] == "dev"


def test_progress_bar_goes_to_stderr_only(monkeypatch):
    plain = kubecvm("plan", "dev", "--format", "json", "--no-policies").stdout
    monkeypatch.setattr(cli, "PROGRESS_THRESHOLD", 0)
    monkeypatch.setattr(cli, "stderr_is_terminal", lambda: True)
    seen = []
    real = offline.build
    monkeypatch.setattr(offline, "build", lambda loaded, **kw: seen.append(kw.get("on_register")) or real(loaded, **kw))
    run = kubecvm("plan", "dev", "--format", "json", "--no-policies")
    assert run.exit_code == 0
    assert seen and seen[0] is not None  # the bar was wired to the registrations
    assert run.stdout == plain


def test_report_needs_policies():
    run = kubecvm("plan", "dev", "--no-policies", "--report", "sarif")
    assert run.exit_code == 2 and "--no-policies" in run.stderr


def test_stack_config_is_read_once_as_pulumi_would():
    # The recording's config is the file's `config:` mapping, so the program sees the stack as `pulumi up` would.
    loaded = offline.load_stack("prod", cwd=PROJECT_DIR)
    assert loaded.config == read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")
    assert (loaded.stack, loaded.path) == ("prod", PROJECT_DIR / "Pulumi.prod.yaml")
    project = find_project(PROJECT_DIR)
    assert offline.stack_path(project, "x", Path("/tmp/Pulumi.y.yaml")) == ("x", Path("/tmp/Pulumi.y.yaml"))


def test_the_real_program_secrets_reach_the_json_only_masked():
    doc = kubecvm("plan", "dev", "--format", "json", "--no-policies").json()
    secret_inputs = [(r["name"], k) for r in doc["resources"] for k, v in r["inputs"].items() if v == SECRET]
    # Whatever the program marks secret (bootstrap token, CA keys in the secrets store) arrives as the marker only.
    for r in doc["resources"]:
        if r["type"] == "tencentcloud:Ssm/secretVersion:SecretVersion":
            assert (r["name"], "secretString") in secret_inputs
    assert "PRIVATE KEY" not in json.dumps(doc)


# Custom resources, counted by component: network (VPC, route table, a subnet per zone; EIP, NAT and its route
# when egress is nat) + 6 security groups and rule sets + 10 PKI + 29 boot (2 token parts, the encryption key,
# 10 secrets and 10 values, 2 roles, policies, attachments) + control plane (placement group, per master a CVM, an etcd disk and
# its attachment, 3 for the CLB) + workers + one pod route per node + the API gate + 28 add-ons (provider
# included: 11 CBS CSI, 10 metrics-server with its serving-certificate Secret, 5 CSR approver, the CoreDNS patch and
# its gate, 5 pulumi-tls resources of metrics-server's certificate) + 3 etcd backups (COS bucket, CAM policy and its
# attachment).
# dev: 3 + 6 + 10 + 29 + 7 + 2 + 3 + 1 + 34 + 3; staging: 8 + 6 + 10 + 29 + 13 + 3 + 6 + 1 + 34 + 3;
# (+7 ingress resources and 18 ingress-nginx add-on resources in staging and prod); prod: staging with 3 more workers and their routes;
# +3 alarm policies in staging and prod (nodes, and the internal CLBs' health and drops); +8 for the load-balancer controller (its 7 objects and the CLB cleanup) in each.
@pytest.mark.parametrize(("stack", "resources"), [("dev", 109), ("staging", 149), ("prod", 155)])
def test_every_shipped_stack_plans_and_passes_its_own_policies(stack, resources):
    run = kubecvm("plan", stack, "--format", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["policies"]["config"] == stack and doc["policies"]["mandatoryFailed"] is False
    assert sum(r["custom"] for r in doc["resources"]) == resources


def test_json_plan_records_the_resource_options_the_engine_is_told():
    run = kubecvm("plan", "prod", "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["formatVersion"] == offline.FORMAT_VERSION == 2 and doc["project"] == "kubecvm"
    by_name = {r["name"]: r for r in doc["resources"]}
    assert all(
        set(r["options"])
        == {
            "deleteBeforeReplace",
            "protect",
            "ignoreChanges",
            "retainOnDelete",
            "dependsOn",
            "propertyDependencies",
            "aliases",
        }
        for r in doc["resources"]
    )
    master1 = by_name["prod-master-1"]["options"]
    assert master1["deleteBeforeReplace"] is True and master1["ignoreChanges"] == ["imageId"]
    assert by_name["prod-master-0"]["urn"] in master1["dependsOn"]  # the chain that orders master updates
    assert by_name["prod-subnet-z4"]["urn"] in master1["propertyDependencies"]["subnetId"]
    assert by_name["prod-vpc"]["options"] == {
        "deleteBeforeReplace": False,
        "protect": True,
        "ignoreChanges": [],
        "retainOnDelete": False,
        "dependsOn": [],
        "propertyDependencies": {},
        "aliases": [],
    }
    # A renamed resource names its former URN, so `kubecvm diff` (like the engine) keeps it.
    (secret,) = [r for r in doc["resources"] if r["name"] == names.ssm_secret("prod", "ca-crt")]
    assert secret["options"]["aliases"] == [
        secret["urn"].replace(secret["name"], names.ssm_secret_before_issue_11("prod", "ca-crt"))
    ]
    assert by_name["prod-master-0-etcd"]["options"]["protect"] is True


def test_every_plan_format_says_network_policy_is_not_enforced():
    # bridge + host-local applies no NetworkPolicy: the plan says so wherever a reviewer looks.
    doc = kubecvm("plan", "prod", "--format", "json", "--no-policies").json()
    assert doc["summary"]["networkPolicy"] == {
        "enforced": False,
        "cni": "bridge + host-local",
        "note": "NetworkPolicy objects are accepted but not enforced: every pod can reach every pod",
    }
    line = (
        "NetworkPolicy | NOT ENFORCED (bridge + host-local): NetworkPolicy objects are accepted but not enforced: "
        "every pod can reach every pod"
    )
    markdown = kubecvm("plan", "prod", "--format", "markdown", "--no-policies").stdout.replace("\\", "")  # escapes
    assert f"| {line} |" in markdown
    text = kubecvm("plan", "prod", "--no-policies").stdout
    [row] = [line for line in text.splitlines() if "NetworkPolicy" in line and "│" in line]
    assert row.split("│")[1].strip() == "NetworkPolicy" and "NOT ENFORCED (bridge + host-local)" in row
    assert "every pod can reach every pod" in " ".join(text.replace("│", " ").split())
