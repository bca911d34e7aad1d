"""The ingress CLB in the offline plan: the summary row, the JSON summary, Mermaid edges and the SVG box."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cli_helpers import kubecvm

from kubecvm.offline.runner import PROJECT_DIR
from kubecvm.planning import build_plan
from kubecvm.stacks.config import spec_from_stack_file

PLAN = build_plan(spec_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml", "prod"))


def test_json_summary_and_text_row():
    doc = kubecvm("plan", "prod", "--format", "json", "--no-policies").json()
    assert doc["summary"]["ingress"] == {
        "exposure": "internal",
        "endpoint": PLAN.ingress.vip,
        "allowedCidrs": [PLAN.vpc_cidr],
        "ports": {"http": {"port": 80, "nodePort": 30080}, "https": {"port": 443, "nodePort": 30081}},
        "pools": ["general"],
        "targets": 6,
    }
    assert doc["outputs"]["ingressEndpoint"] == PLAN.ingress.vip
    text = kubecvm("plan", "prod", "--no-policies").stdout
    assert f"internal {PLAN.ingress.vip}: 80->30080, 443->30081 on 6 workers (pool general)" in text
    assert "none (ingress.enabled: false)" in kubecvm("plan", "dev", "--no-policies").stdout


def test_mermaid_draws_the_ingress_clb_and_an_edge_to_every_targeted_pool_zone():
    md = kubecvm("plan", "prod", "--format", "markdown", "--no-policies").stdout
    block = md[md.index("```mermaid\n") :]
    assert f"CLB {PLAN.ingress.name}<br/>INTERNAL {PLAN.ingress.vip}:80,443" in block
    edges = [line.strip() for line in block.splitlines() if line.strip().startswith(f"{PLAN.name}_ingress -->")]
    assert edges == [
        f"{PLAN.name}_ingress -->|80→30080, 443→30081| general_{z.replace('-', '_')}" for z in PLAN.pools[0].zones
    ]


def test_svg_has_a_box_for_the_ingress_clb_with_its_targets(tmp_path):
    out = tmp_path / "t.svg"
    assert kubecvm("plan", "prod", "--no-policies", "--format", "json", "--diagram", out).exit_code == 0
    texts = [t.text for t in ET.fromstring(out.read_text()).iter("{http://www.w3.org/2000/svg}text")]
    assert f"CLB {PLAN.ingress.name}" in texts and f"CLB {PLAN.api.name}" in texts
    assert "-> 6 workers (pool general): 80→30080, 443→30081" in texts
    assert "-> 3 masters: 6443" in texts
