"""What every refusal-rule case of tests/emulator/test_refusal_rules*.py is, and the two checks each case runs:
the offline plan refuses it (a create through the simulated cloud's new_resource, a delete through the replay of
`kubecvm diff --replay`), and where the emulator answers the rule's action, the wire refuses the same request with
the same code."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from emulator_helpers import common, refused
from pulumi.runtime.mocks import MockResourceArgs

from kubecvm.emulator import Emulator
from kubecvm.emulator.server import SERVICES as EMULATED
from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.replay import replay
from kubecvm.planning.tencent import services


@dataclass(frozen=True)
class Case:
    rule: Callable
    action: str  # the Tencent API action the provider (or kubecvm's dynamic provider) calls
    type: str
    inputs: dict | Callable[[list[str]], dict]  # or built from the ids of `before`
    refused: str  # a regex of the refusal's message
    before: tuple[tuple[str, dict], ...] = ()  # created first, in order
    wire: tuple[dict, ...] = ()  # where the emulator answers the action: its requests, the last one refused
    code: str | None = None  # and the code the wire refuses it with
    arrange: Callable | None = None  # sets up the emulated account first (what the emulator has no API for yet)
    wire_action: str | None = None  # where the wire refuses it through another action than the provider's
    # The provider refuses it itself before it calls the API (its own check, e.g. checkSameName), so the wire,
    # which answers the API, has no such refusal.
    provider_side: bool = False


# A TMP instance's create, as the provider's inputs and as its request: in subnet-1 of vpc-1, ap-guangzhou-3.
TMP = {"instanceName": "t", "vpcId": "vpc-1", "subnetId": "subnet-1", "dataRetentionTime": 15, "zone": "ap-guangzhou-3"}
TMP_WIRE = {
    "InstanceName": "t",
    "VpcId": "vpc-1",
    "SubnetId": "subnet-1",
    "DataRetentionTime": 15,
    "Zone": "ap-guangzhou-3",
}


def settled_clb(emulator: Emulator) -> str:
    """An internal CLB (lb-00000001) whose creation has ended, and writes to it that need no awaiting: a case's
    requests then meet the rule, not FailedOperation.ResourceInOperating."""
    lb_id = emulator.clb.CreateLoadBalancer({"LoadBalancerType": "INTERNAL"})["LoadBalancerIds"][0]
    emulator.clb.busy.clear()
    emulator.clb.settle = True
    return lb_id


def answered_on_the_wire(case: Case) -> bool:
    """Whether the emulator answers the rule's action (its service emulated, and that action of it)."""
    if case.provider_side:
        return False
    service = services.service_of(case.type).SERVICE
    return any(cls.name == service and case.action in cls.parameters for cls in EMULATED)


def check_offline(case: Case) -> None:
    cloud = sim.SimulatedCloud()
    ids = [
        cloud.new_resource(MockResourceArgs(t, f"before-{i}", dict(inputs), custom=True))[0]
        for i, (t, inputs) in enumerate(case.before)
    ]
    inputs = case.inputs(ids) if callable(case.inputs) else case.inputs
    if case.rule in services.DELETE_RULES.get(case.type, ()):
        # A delete goes through the replay: the old plan holds the resource, the new one does not.
        cloud.new_resource(MockResourceArgs(case.type, "x", dict(inputs), custom=True))  # created: nothing refuses it
        old = {"resources": [{"urn": "urn:x", "type": case.type, "id": "x-1", "inputs": inputs}]}
        problems = replay(old, {"resources": []}, SimpleNamespace(replacements=[], added=[]))
        assert len(problems) == 1 and re.search(case.refused, problems[0]), problems
        return
    with pytest.raises(sim.CloudRefusal, match=case.refused):
        cloud.new_resource(MockResourceArgs(case.type, "x", dict(inputs), custom=True))


def check_wire(case: Case) -> None:
    if not answered_on_the_wire(case):
        assert not case.wire, f"{case.action} is not answered by the emulator: the case has no wire face"
        assert services.service_of(case.type).SERVICE in ("vpc", "cvm", "cbs", "clb", "ssm", "cam", "cos", "monitor")
        return
    assert case.wire and case.code, f"the emulator answers {case.action}: give the case its requests and code"
    module = services.service_of(case.type)
    emulator = Emulator()
    if case.arrange is not None:
        case.arrange(emulator)
    with emulator.serve() as url:
        client = common(url, module.SERVICE, module.VERSION)
        action = case.wire_action or case.action
        for params in case.wire[:-1]:
            client.call_json(action, params)
        code, _ = refused(client.call_json, action, case.wire[-1])
    assert code == case.code and case.code in case.refused  # the offline refusal names the same code


def rule_tests(cases: list[Case]) -> tuple[Callable, Callable]:
    """The two tests of a service's cases, parametrized by rule name; a test file binds them to test_ names."""
    ids = [c.rule.__name__ for c in cases]

    @pytest.mark.parametrize("case", cases, ids=ids)
    def offline(case):
        check_offline(case)

    @pytest.mark.parametrize("case", cases, ids=ids)
    def wire(case):
        check_wire(case)

    return offline, wire
