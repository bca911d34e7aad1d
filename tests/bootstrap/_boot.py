"""Shared helpers for the boot-path tests: plans per preset and the user data of each distinct role."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kubecvm.planning import ClusterPlan, MachinePlan, bootstrap
from kubecvm.stacks.config import plan_from_config, read_stack_file

PROJECT_DIR = Path(__file__).resolve().parents[2]
PRESETS = ("dev", "staging", "prod")
# A stand-in for the discovery hash (public, but it changes with the CA): snapshots stay stable across CAs.
CA_HASH = "sha256:" + "ab" * 32


@cache
def preset_plan(stack: str) -> ClusterPlan:
    config = read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    return plan_from_config(
        preset=config.get("kubecvm:preset"),
        overrides=config.get("kubecvm:cluster"),
        region=config.get("tencentcloud:region"),
        stack=stack,
    )


def roles(plan: ClusterPlan) -> dict[str, MachinePlan]:
    """One machine per distinct boot: the first master (init), a joining master, the first worker of each pool."""
    out = {"master-init": plan.masters[0]}
    if len(plan.masters) > 1:
        out["master-join"] = plan.masters[1]
    for pool in plan.pools:
        if pool.nodes:
            out[f"worker-{pool.name}"] = pool.nodes[0]
    return out


def shipped(plan: ClusterPlan, m: MachinePlan) -> str:
    """The machine's `user_data` input, exactly as the CVM receives it."""
    return bootstrap.encode_user_data(bootstrap.render_user_data(plan, m, ca_hash=CA_HASH))


def user_data(plan: ClusterPlan, m: MachinePlan) -> str:
    """The #cloud-config the node reads: what ships, decoded as cloud-init decodes it (test_render.py holds
    decode_user_data to Debian's cloud-init), which is the rendered text."""
    return bootstrap.decode_user_data(shipped(plan, m))
