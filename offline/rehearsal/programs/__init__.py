"""Programs the rehearsal runs: each planned offline and run through the real CLI from the same file."""

from __future__ import annotations

import pulumi

from kubecvm.stacks.config import ConfigError, plan_from_config


def stack_plan():
    """The stack's ClusterPlan as kubecvm's own program makes it (kubecvm:preset, kubecvm:cluster,
    tencentcloud:region); a config error is the program's error, with the config's message."""
    try:
        return plan_from_config(
            preset=pulumi.Config("kubecvm").get("preset"),
            overrides=pulumi.Config("kubecvm").get_object("cluster"),
            region=pulumi.Config("tencentcloud").get("region"),
            stack=pulumi.get_stack(),
        )
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
