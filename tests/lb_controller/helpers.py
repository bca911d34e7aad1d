"""Objects and wiring for the load-balancer controller's tests: Nodes, Services and EndpointSlices as the API
serves them, the emulator and the fake API server, and a controller between them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass


from kubecvm.emulator import Emulator
from kubecvm.offline.rehearsal.lb_controller import emulator_cloud
from kubecvm.planning.addons.programs.lb_controller.kube import Kube
from kubecvm.planning.addons.programs.lb_controller.loop import Controller
from kubecvm.planning.addons.programs.lb_controller.tencent import Backoff, Cloud
from tests.lb_controller.fake_kube import FakeKube

CLUSTER, VPC, SUBNET, REGION = "demo", "vpc-0000000a", "subnet-0000000a", "ap-guangzhou"
NO_WAIT = Backoff(first=0, most=0, task_poll=0)


def ins(i: int) -> str:
    return f"ins-{i:08x}"


def node(i: int, ready: bool = True, labels: dict | None = None, taints: list | None = None) -> dict:
    return {
        "metadata": {"name": f"demo-general-z3-{i}", "labels": labels or {}},
        "spec": {"providerID": f"qcloud:///ap-guangzhou-3/{ins(i)}", **({"taints": taints} if taints else {})},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def service(
    name: str = "web",
    ports=((80, "TCP", 30080),),
    policy: str = "Cluster",
    annotations: dict | None = None,
    namespace: str = "default",
    **spec,
) -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": policy,
            "ports": [{"port": p, "protocol": proto, "nodePort": np} for p, proto, np in ports],
            **spec,
        },
    }


def endpoint_slice(svc: str, nodes: dict[str, bool], namespace: str = "default") -> dict:
    return {
        "metadata": {"name": f"{svc}-abcde", "namespace": namespace, "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": ["172.20.0.1"], "nodeName": n, "conditions": {"ready": r}} for n, r in nodes.items()
        ],
    }


@dataclass
class Rig:
    emulator: Emulator
    kube: FakeKube
    controller: Controller
    cloud: Cloud
    sleeps: list[float]

    def lbs(self) -> list[dict]:
        return list(self.emulator.clb.lbs.values())

    def only_lb(self) -> dict:
        (lb,) = self.lbs()
        return lb

    def listeners(self, lb: dict | None = None) -> dict[tuple[str, int], list[tuple[str, int]]]:
        lb = lb or self.only_lb()
        return {
            (x["Protocol"], x["Port"]): sorted((t["InstanceId"], t["Port"]) for t in x["Targets"])
            for x in lb["Listeners"].values()
        }


@contextlib.contextmanager
def rig(instances: int = 3, **controller) -> Iterator[Rig]:
    emulator, fake, sleeps = Emulator(), FakeKube(), []
    for i in range(instances):
        emulator.cvm.add_instance(ins(i), f"10.0.1.{i + 10}")
    with emulator.serve() as url, fake.serve() as api:
        cloud = emulator_cloud(url, backoff=NO_WAIT, sleep=sleeps.append)
        yield Rig(emulator, fake, Controller(Kube(api), cloud, CLUSTER, VPC, SUBNET, **controller), cloud, sleeps)
