"""What `kubecvm plan --format json` prints for each preset and for a large stack, pinned by its sha256.

Work that makes planning faster or leaner (caching, rendering once, fewer Outputs) must leave every byte of the plan
as it was: these hashes were taken before such work and must not move with it. A change that means to alter the
plan (a new input, a renamed resource) updates the hash here and says in its commit which plan bytes changed and
why; the reviewed, readable form of the same plans is in the snapshots (test_presets.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from kubecvm.offline import plan as offline
from kubecvm.offline import render
from kubecvm.offline.runner import PROJECT_DIR

# A large cluster on the TKE cluster route table (one route per node in one resource that waits for every CVM),
# over seven zones in three pools, shaped as bench/bench.py shapes its stacks (podCidr /10, the API's range).
LARGE_WORKERS = 600
LARGE = {
    "tencentcloud:region": "ap-guangzhou",
    "kubecvm:preset": "prod",
    "kubecvm:cluster": {
        "name": "large",
        "zones": [f"ap-guangzhou-{n}" for n in range(1, 8)],
        "vpcCidr": "172.16.0.0/12",
        "podCidr": "10.0.0.0/10",
        "serviceCidr": "192.168.0.0/16",
        "nodePodMask": 25,
        "maxPodsPerNode": 30,
        "podNetwork": {"mode": "globalRouter"},
        "controlPlane": {"count": 3, "instanceType": "S5.8XLARGE128"},
        "nodePools": [
            {"name": "general", "slot": 1, "instanceType": "S5.2XLARGE16", "countPerZone": 43},
            {"name": "compute", "slot": 2, "instanceType": "S5.4XLARGE32", "countPerZone": 42},
            {
                "name": "rest",
                "slot": 3,
                "instanceType": "S5.LARGE8",
                "countPerZone": 1,
                "zones": [f"ap-guangzhou-{n}" for n in range(1, 6)],
            },
        ],
        "ingress": {"enabled": False},
    },
}
assert (
    sum(
        p["countPerZone"] * len(p.get("zones", LARGE["kubecvm:cluster"]["zones"]))
        for p in LARGE["kubecvm:cluster"]["nodePools"]
    )
    == LARGE_WORKERS
)

PINNED = {
    "dev": "5a41f53dca1a6df8bc6359cd18c393b83e44afe3ceaee230100c5e0ed85fdc81",
    "staging": "f8497cf8cd16a1720af2b283f45b6f8e987dfee70f950ac8a5ce955b31343426",
    "prod": "116178b44f4e0ddf4997225c0307f23b29ca192054dfdc83ccbb8099d4c3943a",
    "large": "a5dc4ebef8520c579ca8f46263a37f0ec94fc8ad0aeb18590ef1a9a463caf4f0",
}


def plan_json(stack: str, config_file: Path | None = None) -> str:
    """The plan exactly as `kubecvm plan [-s STACK] [--config-file F] --format json` prints it."""
    loaded = offline.load_stack(stack, config_file, cwd=PROJECT_DIR)
    return render.to_json(offline.build(loaded).document)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_preset_plan_bytes_are_pinned(stack):
    assert digest(plan_json(stack)) == PINNED[stack]


def test_large_stack_plan_bytes_are_pinned(tmp_path):
    stack_file = tmp_path / "Pulumi.large.yaml"
    stack_file.write_text(yaml.safe_dump({"config": LARGE}))
    text = plan_json("large", stack_file)
    assert text.count('"type": "tencentcloud:Instance/instance:Instance"') == LARGE_WORKERS + 3
    assert digest(text) == PINNED["large"]
