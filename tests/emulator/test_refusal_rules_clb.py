"""The refusal rules of CLB (kubecvm/planning/tencent/clb.py): one case each, refused by the offline plan and, where
the emulator answers the action, on the wire with the same code (tests/emulator/refusal_case.py)."""

from __future__ import annotations

from refusal_case import Case, rule_tests, settled_clb

from kubecvm.planning.tencent import clb

CASES = [
    Case(
        clb.clb_name_unique,
        "CreateLoadBalancer",
        clb.INSTANCE,
        {"clbName": "api", "networkType": "INTERNAL"},
        "Same CLB name api exists",
        before=((clb.INSTANCE, {"clbName": "api", "networkType": "INTERNAL"}),),
        provider_side=True,
    ),
    Case(
        clb.clb_internet,
        "CreateLoadBalancer",
        clb.INSTANCE,
        {"clbName": "in", "networkType": "INTERNAL", "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"},
        "INTERNAL network_type do not support internet charge type setting",
        provider_side=True,
    ),
    Case(
        clb.listener_port_free,
        "CreateListener",
        clb.LISTENER,
        {"clbId": "lb-1", "port": 6443, "protocol": "TCP"},
        r"the CLB already listens on TCP 6443 \(InvalidParameter.PortCheckFailed\)",
        before=((clb.LISTENER, {"clbId": "lb-1", "port": 6443, "protocol": "TCP"}),),
        wire=(
            {"LoadBalancerId": "lb-00000001", "Ports": [6443], "Protocol": "TCP"},
            {"LoadBalancerId": "lb-00000001", "Ports": [6443], "Protocol": "TCP"},
        ),
        code=clb.PORT_CHECK_FAILED,
        arrange=lambda emulator: settled_clb(emulator),
    ),
]

(
    test_the_offline_plan_refuses_what_the_rule_refuses,
    test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code,
) = rule_tests(CASES)
