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
    "dev": "d0eb63e8fc5a0d8956d38a30d4d594d31ce75f43aba32aa9f9e6b28e19193898",
    "staging": "a711949882fd890a7d054685879866381292779a099eafb08dbce81163e839d8",
    "prod": "08043466c1341be700aa0368854937d964832433c6e98237f7067a7170d662ed",
    "large": "e0aee30791911655c22951a50f963ed9ad7e33c5ef35e0ebec8976ed7e7f034d",
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
