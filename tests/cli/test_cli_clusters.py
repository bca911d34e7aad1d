"""A program composing several clusters: one summary and one drawing per cluster, each of that cluster's own
resources, and only the clusters the program builds (never one made up from the stack's kubecvm:cluster).
Through the real command, in a subprocess, in a user's project."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROGRAM = """
import tencentcloud_iac_pulumi as tc
from kubecvm import Cluster, ClusterArgs, NodePoolArgs

pools = [NodePoolArgs(name="general", instance_type="S5.2XLARGE16", count_per_zone=1)]
zones = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
Cluster("blue", ClusterArgs(preset="staging", region="ap-guangzhou", zones=zones, vpc_cidr="10.1.0.0/16", node_pools=pools))
Cluster("green", ClusterArgs(preset="staging", region="ap-guangzhou", zones=zones[:2], vpc_cidr="10.2.0.0/16",
                             pod_cidr="10.128.0.0/12", node_pools=pools))
tc.cos.Bucket("team-bucket", bucket="team-bucket-1250000000")  # the user's own, in neither cluster
"""
# A stack file whose kubecvm:cluster the program never reads: it must not become a cluster of the plan.
STACK = (
    "config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:cluster:\n    name: phantom\n    zones: [ap-guangzhou-3]\n"
)
SVG = "{http://www.w3.org/2000/svg}"


def kubecvm(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("two")
    (root / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    (root / "__main__.py").write_text(PROGRAM)
    (root / "Pulumi.dev.yaml").write_text(STACK)
    json_run = kubecvm("plan", "--format", "json", "--no-policies", "--diagram", "t.svg", cwd=root)
    md_run = kubecvm("plan", "--format", "markdown", "--no-policies", cwd=root)
    assert json_run.returncode == 0 and md_run.returncode == 0, json_run.stderr + md_run.stderr
    return {"doc": json.loads(json_run.stdout), "md": md_run.stdout, "svg": (root / "t.svg").read_text()}


def test_each_cluster_is_summarised_with_its_own_resources_and_no_phantom(two):
    doc = two["doc"]
    assert [c["cluster"] for c in doc["clusters"]] == ["blue", "green"] and doc["summary"]["cluster"] == "blue"
    assert "phantom" not in json.dumps(doc)
    blue, green = doc["clusters"]
    assert (blue["workers"], green["workers"], [z["zone"] for z in green["zones"]]) == (
        3,
        2,
        ["ap-guangzhou-3", "ap-guangzhou-4"],
    )
    custom = [r for r in doc["resources"] if r["custom"]]
    # Each counts its own: together with the bucket, the whole program, and no resource twice.
    assert blue["resources"]["total"] + green["resources"]["total"] + 1 == len(custom)
    cvms = {c["cluster"]: c["resources"]["byType"]["tencentcloud:Instance/instance:Instance"] for c in doc["clusters"]}
    assert cvms == {"blue": 6, "green": 5}
    buckets = [c["resources"]["byType"].get("tencentcloud:Cos/bucket:Bucket", 0) for c in doc["clusters"]]
    assert buckets == [1, 1]  # each cluster's etcd backups; team-bucket is in neither


def test_markdown_draws_each_cluster_in_its_own_diagram(two):
    md = two["md"]
    blocks = [part.split("\n```", 1)[0] for part in md.split("```mermaid\n")[1:]]
    assert len(blocks) == 2 and "### Cluster blue" in md and "### Cluster green" in md
    blue, green = blocks
    assert "green" not in blue and "blue" not in green
    # Each route table links only its own cluster's subnets; each pool is its own cluster's, not merged.
    assert [line.strip() for line in blue.splitlines() if " -.- " in line] == [
        f"blue_rtb -.- blue_subnet_z{z}" for z in (3, 4, 6)
    ]
    assert [line.strip() for line in green.splitlines() if " -.- " in line] == [
        f"green_rtb -.- green_subnet_z{z}" for z in (3, 4)
    ]
    assert green.count("pool general: 1 workers") == 2 and blue.count("pool general: 1 workers") == 3
    assert "Outside the clusters: 1 resource belongs to no kubecvm cluster." in md


def test_the_svg_has_one_panel_per_cluster(two):
    root = ET.fromstring(two["svg"])
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t.startswith("cluster ")] == [
        "cluster blue: VPC blue-vpc  10.1.0.0/16",
        "cluster green: VPC green-vpc  10.2.0.0/16",
    ]
    assert texts.count("zone ap-guangzhou-3") == 2 and texts.count("zone ap-guangzhou-6") == 1
    assert root.find(f"{SVG}title").text == "blue, green topology"


def test_one_cluster_of_a_program_is_the_summary_whatever_the_stack_says(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from kubecvm import Cluster, ClusterArgs\n"
        "Cluster('solo', ClusterArgs(preset='dev', region='ap-guangzhou', zones=['ap-guangzhou-4']))\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK)
    proc = kubecvm("plan", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["cluster"] == "solo" and "clusters" not in doc and "phantom" not in json.dumps(doc)
    # The policies judge the program's cluster (dev preset), not the stack's.
    assert doc["policies"]["evaluated"] and doc["policies"]["config"] == "dev"
