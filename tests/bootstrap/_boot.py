"""Shared helpers for the boot-path tests: plans per preset, the user data of each distinct role, and what the user
data writes (its files, kubeadm documents, boot.env as bash reads it)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import yaml  # cloud-init and kubeadm-side tools read it with PyYAML too

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


def machine(stack: str, role: str):
    return roles(preset_plan(stack))[role]


def files(text: str) -> dict[str, dict]:
    doc = yaml.safe_load(bootstrap.expand_user_data(text))
    return {f["path"]: f for f in doc["write_files"]}


def content(text: str, path: str) -> str:
    return files(text)[path]["content"]


def kubeadm_docs(text: str, name: str) -> dict[str, dict]:
    return {d["kind"]: d for d in yaml.safe_load_all(content(text, f"/etc/kubecvm/{name}"))}


def env(text: str) -> dict[str, str]:
    """boot.env as bash itself reads it (a real shell parse, quoting included)."""
    out = subprocess.run(
        ["bash", "-c", "set -a; . /dev/stdin; env -0"],
        input=content(text, "/etc/kubecvm/boot.env"),
        capture_output=True,
        text=True,
        check=True,
        env={},
    ).stdout
    values = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: v for k, v in values.items() if k.isupper() and k not in ("PWD", "SHLVL", "_")}
