"""Public CLBs (apiEndpoint and ingress with exposure: public) are billed and capped for the internet; internal ones
send neither setting. Exact clb.Instance inputs under the recording mocks, the spec's refusals, the simulated cloud's."""

from __future__ import annotations

import pytest

from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.runner import run_program
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec, stack_config

CLB = "tencentcloud:Clb/instance:Instance"


@pytest.fixture(scope="module")
def public():
    return run_program(
        stack_config(
            "prod", apiEndpoint={"exposure": "public"}, ingress={"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}
        ),
        stack="p",
    )


def test_public_clbs_are_billed_by_traffic_and_capped_at_100_mbps_by_default(public):
    ids = {r.name: r.id for r in public.resources}
    assert public.by_name("demo-apiserver").inputs == {
        "clbName": "demo-apiserver",
        "networkType": "OPEN",
        "vpcId": ids["demo-vpc"],
        "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
        "internetBandwidthMaxOut": 100,
        "securityGroups": [ids["demo-sg-lb"]],
        "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "lb"},
    }
    assert public.by_name("demo-ingress").inputs == {
        "clbName": "demo-ingress",
        "networkType": "OPEN",
        "vpcId": ids["demo-vpc"],
        "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
        "internetBandwidthMaxOut": 100,
        "securityGroups": [ids["demo-sg-ingress"]],
        "loadBalancerPassToTarget": False,
        "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "ingress"},
    }


def test_the_settings_reach_the_clbs():
    rec = run_program(
        stack_config(
            "prod",
            apiEndpoint={"exposure": "public", "internetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR", "bandwidth": 20},
            ingress={"exposure": "public", "bandwidth": 2048},
        ),
        stack="p",
    )
    api, ingress = rec.by_name("demo-apiserver").inputs, rec.by_name("demo-ingress").inputs
    assert (api["internetChargeType"], api["internetBandwidthMaxOut"]) == ("BANDWIDTH_POSTPAID_BY_HOUR", 20)
    assert (ingress["internetChargeType"], ingress["internetBandwidthMaxOut"]) == ("TRAFFIC_POSTPAID_BY_HOUR", 2048)


def test_internal_clbs_send_neither():
    rec = run_program(stack_config("prod"), stack="p")
    for lb in rec.of_type(CLB):
        assert lb.inputs["networkType"] == "INTERNAL"
        assert not {"internetChargeType", "internetBandwidthMaxOut"} & set(lb.inputs), lb.name


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"ingress": {"bandwidth": 50}},
            "ingress.bandwidth: only a public CLB is billed and capped for the internet; ingress.exposure is internal",
        ),
        (
            {"apiEndpoint": {"internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"}},
            "apiEndpoint.internetChargeType: only a public CLB is billed and capped for the internet; apiEndpoint.exposure "
            "is internal",
        ),
        (
            {"ingress": {"exposure": "public", "bandwidth": 2049}},
            "ingress.bandwidth: 2049 Mbps is outside the 1..2048 Mbps a public CLB's outbound bandwidth takes",
        ),
        (
            {"apiEndpoint": {"exposure": "public", "bandwidth": 0}},
            "apiEndpoint.bandwidth: 0 Mbps is outside the 1..2048 Mbps",
        ),
        (
            {"ingress": {"exposure": "public", "internetChargeType": "BANDWIDTH_PREPAID"}},
            "ingress.internetChargeType: expected",
        ),
        (
            {"ingress": {"exposure": "public", "internetChargeType": "BANDWIDTH_PACKAGE"}},
            "ingress.internetChargeType: BANDWIDTH_PACKAGE bills the CLB through a shared bandwidth package",
        ),
    ],
)
def test_bad_settings_name_the_field(overrides, message):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", overrides)
    assert message in str(err.value)


@pytest.mark.parametrize(
    "inputs, problem",
    [
        (
            {"networkType": "INTERNAL", "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"},
            "INTERNAL network_type do not support internet charge type setting",
        ),
        (
            {"networkType": "OPEN", "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR", "internetBandwidthMaxOut": 4096},
            "internetBandwidthMaxOut 4096 is outside 1..2048 Mbps",
        ),
        ({"networkType": "OPEN", "internetBandwidthMaxOut": 100}, "internetBandwidthMaxOut without internetChargeType"),
    ],
)
def test_the_simulated_cloud_refuses_what_the_provider_refuses(inputs, problem):
    state = sim.CloudState()
    with pytest.raises(sim.CloudRefusal, match=problem):
        state.create("lb", CLB, "lb-1", {"clbName": "lb", **inputs})
    state.create(
        "ok",
        CLB,
        "lb-2",
        {
            "clbName": "ok",
            "networkType": "OPEN",
            "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
            "internetBandwidthMaxOut": 2048,
        },
    )
