"""The kubecvm Pulumi program: stack config -> validated spec -> pure plan -> Cluster component -> stack outputs.

`pulumi up` runs it through the project's two-line `__main__.py`; `kubecvm plan` runs the same function offline.
"""

import pulumi

from kubecvm import sdk
from kubecvm.components import Cluster
from kubecvm.stacks.config import ConfigError, check_keys, default_name_note, plan_from_config


config_keys = sdk.config_keys  # every config key the engine gave this program


def main() -> None:
    stack = pulumi.get_stack()
    try:
        overrides = pulumi.Config("kubecvm").get_object("cluster")
    except pulumi.ConfigTypeError:  # a plain value where the overrides mapping belongs
        raise pulumi.RunError(
            "kubecvm:cluster: expected a mapping of overrides (camelCase keys), got a plain value"
        ) from None
    try:
        check_keys(config_keys(), f"stack {stack!r}")
        plan = plan_from_config(
            preset=pulumi.Config("kubecvm").get("preset"),
            overrides=overrides,
            region=pulumi.Config("tencentcloud").get("region"),
            stack=stack,
        )
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None  # the message names the field; a traceback would only hide it
    if note := default_name_note(stack, overrides):
        pulumi.log.info(note)

    cluster = Cluster(plan.name, plan)
    for key, value in cluster.outputs.items():
        pulumi.export(key, value)
