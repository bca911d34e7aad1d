"""Refusals of the API the load-balancer controller calls, which only the wire faces (kubecvm/planning/tencent/clb.py
and cvm.py, second halves: no Pulumi resource of kubecvm's makes these calls, so the simulated cloud has nothing to
refuse). Each: the service, its requests in order (the last one refused), the code, and the account arranged
first."""

from __future__ import annotations

import pytest
from emulator_helpers import common, refused
from refusal_case import TMP_WIRE, settled_clb

from kubecvm.emulator import Emulator
from kubecvm.planning.tencent import clb, cvm, monitor, vpc
from kubecvm.planning.tencent import common as common_codes

INTERNAL = {"LoadBalancerType": "INTERNAL", "VpcId": "vpc-1", "SubnetId": "subnet-1"}
LB = "lb-00000001"


def with_instance(emulator: Emulator) -> None:
    settled_clb(emulator)
    emulator.cvm.add_instance("ins-0000000a")


def with_subnet(emulator: Emulator) -> None:
    emulator.vpc.add_subnet("subnet-1", "vpc-1", "ap-guangzhou-3")


WIRE_CASES = {
    "create_lb_refusal: network type": (
        clb,
        [("CreateLoadBalancer", {"LoadBalancerType": "PUBLIC"})],
        "InvalidParameterValue",
        None,
    ),
    "create_lb_refusal: internal without subnet": (
        clb,
        [("CreateLoadBalancer", {"LoadBalancerType": "INTERNAL", "VpcId": "vpc-1"})],
        "InvalidParameter",
        None,
    ),
    "create_lb_refusal: internet on internal": (
        clb,
        [("CreateLoadBalancer", INTERNAL | {"InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"}})],
        clb.INVALID_PARAMETER_COMBINATION,
        None,
    ),
    "create_lb_refusal: bandwidth": (
        clb,
        [
            (
                "CreateLoadBalancer",
                {
                    "LoadBalancerType": "OPEN",
                    "InternetAccessible": {
                        "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                        "InternetMaxBandwidthOut": 4096,
                    },
                },
            )
        ],
        clb.VALUE_RANGE,
        None,
    ),
    "health_check_refusal: HTTP on UDP": (
        clb,
        [
            (
                "CreateListener",
                {
                    "LoadBalancerId": LB,
                    "Ports": [53],
                    "Protocol": "UDP",
                    "HealthCheck": {"CheckType": "HTTP", "HttpCheckPath": "/healthz"},
                },
            )
        ],
        clb.PROTOCOL_CHECK_FAILED,
        settled_clb,
    ),
    "targets_refusal: not a CVM of the account": (
        clb,
        [
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000b", "Port": 30080}],
                },
            ),
        ],
        "InvalidParameter",
        with_instance,
    ),
    "register: a target twice": (
        clb,
        [
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000a", "Port": 30080}],
                },
            ),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000a", "Port": 30080}],
                },
            ),
        ],
        clb.VALUE_DUPLICATE,
        with_instance,
    ),
    "busy_refusal: a write before the last task ended": (
        clb,
        [
            ("CreateLoadBalancer", INTERNAL),
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
        ],
        clb.RESOURCE_IN_OPERATING,
        None,
    ),
    "no such CLB": (clb, [("DescribeListeners", {"LoadBalancerId": "lb-0000dead"})], clb.LB_ID_NOT_FOUND, None),
    "no such listener": (
        clb,
        [("DeleteListener", {"LoadBalancerId": LB, "ListenerId": "lbl-0000dead"})],
        clb.LISTENER_ID_NOT_FOUND,
        settled_clb,
    ),
    "tmp_describe_refusal: over 100 ids": (
        monitor,
        [("DescribePrometheusInstances", {"InstanceIds": [f"prom-{i:08x}" for i in range(101)]})],
        monitor.INVALID_PARAMETER_VALUE,
        None,
    ),
    "tmp_not_found: terminating an unknown instance": (
        monitor,
        [("TerminatePrometheusInstances", {"InstanceIds": ["prom-0000dead"]})],
        monitor.PROM_INSTANCE_NOT_FOUND,
        None,
    ),
    "tmp_destroy_refusal: destroyed before it is terminated": (
        monitor,
        [
            ("CreatePrometheusMultiTenantInstancePostPayMode", TMP_WIRE),
            ("DestroyPrometheusInstance", {"InstanceId": "prom-00000001"}),
        ],
        monitor.FAILED_OPERATION,
        with_subnet,
    ),
    "describe_instances_refusal: malformed id": (
        cvm,
        [("DescribeInstances", {"InstanceIds": ["ins-1122"]})],
        cvm.INSTANCE_ID_MALFORMED,
        None,
    ),
    "describe_instances_refusal: over 100 ids": (
        cvm,
        [("DescribeInstances", {"InstanceIds": [f"ins-{i:08x}" for i in range(101)]})],
        cvm.VALUE_LIMIT_EXCEEDED,
        None,
    ),
    "describe_groups_refusal: ids and filters": (
        vpc,
        [
            (
                "DescribeSecurityGroups",
                {"SecurityGroupIds": ["sg-1"], "Filters": [{"Name": "tag-key", "Values": ["kubecvm/cluster"]}]},
            )
        ],
        vpc.VALUE_COMBINATION,
        None,
    ),
    "describe_groups_refusal: limit over 100": (
        vpc,
        [("DescribeSecurityGroups", {"Limit": "101"})],
        common_codes.INVALID_PARAMETER_VALUE,
        None,
    ),
}


@pytest.mark.parametrize("name", list(WIRE_CASES))
def test_the_controllers_calls_are_refused_on_the_wire_with_tencents_codes(name):
    module, requests, code, arrange = WIRE_CASES[name]
    emulator = Emulator()
    if arrange is not None:
        arrange(emulator)
    with emulator.serve() as url:
        client = common(url, module.SERVICE, module.VERSION)
        for action, params in requests[:-1]:
            client.call_json(action, params)
        got, _ = refused(client.call_json, *requests[-1])
    assert got == code
    if name == "busy_refusal: a write before the last task ended":  # awaiting the task lifts it
        with emulator.serve() as url:
            client = common(url, "clb", clb.VERSION)
            task = emulator.clb.busy[LB]
            assert [
                client.call_json("DescribeTaskStatus", {"TaskId": task})["Response"]["Status"] for _ in range(2)
            ] == [clb.TASK_RUNNING, clb.TASK_SUCCEEDED]
            assert client.call_json(*requests[-1])["Response"]["ListenerIds"] == ["lbl-00000002"]
