"""The node lifecycle: upstream's cloud node lifecycle controller (kubernetes/cloud-provider
controllers/nodelifecycle/node_lifecycle_controller.go MonitorNodes) on CVM's DescribeInstances.

For each NotReady Node with a CVM (model.instance_id): when DescribeInstances succeeded and did not return the
instance, the instance does not exist and the Node is deleted (its pods are then rescheduled instead of waiting for
ever); when the instance is STOPPED, the Node gets the shutdown taint (node.cloudprovider.kubernetes.io/shutdown:
NoSchedule). A Ready Node loses that taint. When DescribeInstances fails nothing is deleted or tainted: not knowing
is not "gone".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import model
from .kube import Kube
from .tencent import Cloud, CloudError

STOPPED = "STOPPED"
DELETING_NODE = "DeletingNode"  # upstream's reason (node_lifecycle_controller.go deleteNodeEvent)


@dataclass
class Outcome:
    deleted: list[str] = field(default_factory=list)
    tainted: list[str] = field(default_factory=list)
    untainted: list[str] = field(default_factory=list)
    error: str | None = None


class NodeLifecycle:
    def __init__(self, kube: Kube, cloud: Cloud):
        self.kube, self.cloud = kube, cloud

    def sync(self, nodes: list[dict]) -> Outcome:
        out = Outcome()
        key = model.SHUTDOWN_TAINT["key"]
        for node in nodes:
            if model.ready(node) and model.has_taint(node, key):
                self._taints(node, [t for t in node["spec"].get("taints") or [] if t.get("key") != key])
                out.untainted.append(node["metadata"]["name"])
        not_ready = {model.instance_id(n): n for n in nodes if not model.ready(n) and model.instance_id(n)}
        if not not_ready:
            return out
        try:
            states = self.cloud.instance_states(sorted(not_ready))  # type: ignore[arg-type]
        except CloudError as exc:
            out.error = f"{exc.code}: {exc.message}"
            return out
        for instance, node in sorted(not_ready.items()):
            name = node["metadata"]["name"]
            if instance not in states:
                self.kube.event(node, "Node", "Normal", DELETING_NODE,
                                f"Deleting node {name} because its CVM {instance} does not exist")
                self.kube.delete_node(name)
                out.deleted.append(name)
            elif states[instance] == STOPPED and not model.has_taint(node, key):
                self._taints(node, [*(node["spec"].get("taints") or []), dict(model.SHUTDOWN_TAINT)])
                out.tainted.append(name)
        return out

    def _taints(self, node: dict, taints: list[dict]) -> None:
        self.kube.patch_node(node["metadata"]["name"], {"spec": {"taints": taints or None}})
