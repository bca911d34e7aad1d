"""kubecvm: stack config -> validated spec -> pure plan -> Cluster component -> stack outputs."""

import pulumi

from components import Cluster
from stacks.config import ConfigError, plan_from_config

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
