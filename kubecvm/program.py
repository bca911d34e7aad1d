"""The kubecvm Pulumi program: stack config -> validated spec -> pure plan -> Cluster component -> stack outputs.

`pulumi up` runs it through the project's two-line `__main__.py`; `kubecvm plan` runs the same function offline.
"""

import pulumi

from kubecvm.components import Cluster
from kubecvm.stacks.config import ConfigError, plan_from_config


def main() -> None:
    try:
        plan = plan_from_config(
            preset=pulumi.Config("kubecvm").get("preset"),
            overrides=pulumi.Config("kubecvm").get_object("cluster"),
            region=pulumi.Config("tencentcloud").get("region"),
            stack=pulumi.get_stack(),
        )
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None  # the message names the field; a traceback would only hide it

    cluster = Cluster(plan.name, plan)
    for key, value in cluster.outputs.items():
        pulumi.export(key, value)
