"""Labels and taints are checked again where they reach the kubelet's command line.

kubeadm writes them into one KUBELET_KUBEADM_ARGS string that systemd splits at whitespace, so a value with a space
would be extra kubelet flags; a plan built by hand (not through the spec) must not get one through either.
"""

from __future__ import annotations

import dataclasses

import pytest

from kubecvm.planning import bootstrap, build_plan
from kubecvm.stacks.config import spec_from_config

CA_HASH = "sha256:" + "0" * 64


def worker_with(**changes):
    plan = build_plan(
        spec_from_config(preset="dev", overrides={"zones": ["ap-guangzhou-3"]}, region="ap-guangzhou", stack="dev")
    )
    return plan, dataclasses.replace(plan.workers[0], **changes)


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"labels": {"team": "x --authorization-mode=AlwaysAllow"}}, "node label 'x --authorization-mode=AlwaysAllow'"),
        ({"labels": {"a=b": "c"}}, "node label 'a=b'"),
        (
            {"taints": ({"key": "k", "value": "v --anonymous-auth=true", "effect": "NoSchedule"},)},
            "taint 'v --anonymous-auth=true'",
        ),
    ],
)
def test_a_hand_built_plan_cannot_smuggle_kubelet_flags(changes, needle):
    plan, machine = worker_with(**changes)
    with pytest.raises(ValueError, match=f"{machine.name}: {needle}"):
        bootstrap.render_user_data(plan, machine, ca_hash=CA_HASH)


def test_valid_labels_render_as_one_node_labels_argument():
    plan, machine = worker_with(labels={"example.com/team": "platform"})
    text = bootstrap.expand_user_data(bootstrap.render_user_data(plan, machine, ca_hash=CA_HASH))
    assert "example.com/team=platform" in text
