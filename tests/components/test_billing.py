"""Prepaid and spot machines: the term and the bid reach the CVM exactly, go with their charge type only, and a
PREPAID instance is deleted for good (force_delete) so its planned address is free for its replacement."""

from __future__ import annotations

import pytest

from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.runner import run_program
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec, stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"
BILLING = {
    "instanceChargeType",
    "instanceChargeTypePrepaidPeriod",
    "instanceChargeTypePrepaidRenewFlag",
    "spotMaxPrice",
    "spotInstanceType",
    "forceDelete",
}


def billing(resource) -> dict:
    return {k: v for k, v in resource.inputs.items() if k in BILLING}


def pool(**extra) -> dict:
    return {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 1, **extra}


def test_a_prepaid_pool_sends_its_term_and_is_force_deleted():
    rec = run_program(
        stack_config(
            "prod",
            nodePools=[
                pool(chargeType="PREPAID", prepaid={"period": 12, "renewFlag": "NOTIFY_AND_MANUAL_RENEW"}),
                pool(name="burst", slot=2, instanceType="S5.LARGE8"),
            ],
        ),
        stack="p",
    )
    assert billing(rec.by_name("demo-general-z3-0")) == {
        "instanceChargeType": "PREPAID",
        "instanceChargeTypePrepaidPeriod": 12,
        "instanceChargeTypePrepaidRenewFlag": "NOTIFY_AND_MANUAL_RENEW",
        "forceDelete": True,
    }
    assert billing(rec.by_name("demo-burst-z3-0")) == {"instanceChargeType": "POSTPAID_BY_HOUR"}
    assert billing(rec.by_name("demo-master-0")) == {"instanceChargeType": "POSTPAID_BY_HOUR"}


def test_prepaid_masters_renew_automatically_by_default():
    rec = run_program(
        stack_config("prod", controlPlane={"chargeType": "PREPAID", "prepaid": {"period": 36}}), stack="p"
    )
    for i in range(3):
        assert billing(rec.by_name(f"demo-master-{i}")) == {
            "instanceChargeType": "PREPAID",
            "instanceChargeTypePrepaidPeriod": 36,
            "instanceChargeTypePrepaidRenewFlag": "NOTIFY_AND_AUTO_RENEW",
            "forceDelete": True,
        }


def test_a_spot_pool_bids_its_max_price_and_without_one_bids_tencents_price():
    rec = run_program(
        stack_config(
            "prod",
            nodePools=[
                pool(chargeType="SPOTPAID", spot={"maxPrice": "0.50"}),
                pool(name="cheap", slot=2, instanceType="S5.LARGE8", chargeType="SPOTPAID"),
            ],
        ),
        stack="p",
    )
    assert billing(rec.by_name("demo-general-z3-0")) == {
        "instanceChargeType": "SPOTPAID",
        "spotMaxPrice": "0.50",
        "spotInstanceType": "ONE-TIME",
    }
    assert billing(rec.by_name("demo-cheap-z3-0")) == {"instanceChargeType": "SPOTPAID"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"nodePools": [pool(chargeType="PREPAID")]}, "nodePools[0].prepaid: required with chargeType PREPAID"),
        ({"controlPlane": {"chargeType": "PREPAID"}}, "controlPlane.prepaid: required with chargeType PREPAID"),
        (
            {"nodePools": [pool(chargeType="PREPAID", prepaid={"period": 18})]},
            "nodePools[0].prepaid.period: 18 months is not a prepaid term Tencent sells: expected one of "
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60",
        ),
        (
            {"nodePools": [pool(chargeType="PREPAID", prepaid={"period": 1, "renewFlag": "AUTO"})]},
            "nodePools[0].prepaid.renewFlag: expected 'NOTIFY_AND_AUTO_RENEW', 'NOTIFY_AND_MANUAL_RENEW' or "
            "'DISABLE_NOTIFY_AND_MANUAL_RENEW'",
        ),
        (
            {"nodePools": [pool(prepaid={"period": 1})]},
            "nodePools[0].prepaid: only for chargeType PREPAID (chargeType is POSTPAID_BY_HOUR)",
        ),
        (
            {"nodePools": [pool(chargeType="SPOTPAID", prepaid={"period": 1})]},
            "nodePools[0].prepaid: only for chargeType PREPAID (chargeType is SPOTPAID)",
        ),
        (
            {"nodePools": [pool(chargeType="PREPAID", prepaid={"period": 1}, spot={"maxPrice": "1"})]},
            "nodePools[0].spot: only for chargeType SPOTPAID (chargeType is PREPAID)",
        ),
        ({"controlPlane": {"spot": {"maxPrice": "1"}}}, "controlPlane.spot: only for chargeType SPOTPAID"),
        (
            {"nodePools": [pool(chargeType="SPOTPAID", spot={"maxPrice": "0"})]},
            "nodePools[0].spot.maxPrice: '0' is not a price: a positive decimal such as \"0.50\", per hour",
        ),
        (
            {"nodePools": [pool(chargeType="SPOTPAID", spot={"maxPrice": "cheap"})]},
            "nodePools[0].spot.maxPrice: 'cheap'",
        ),
        (
            {"nodePools": [pool(chargeType="SPOTPAID", spot={"maxPrice": True})]},
            'nodePools[0].spot.maxPrice: expected a price such as "0.50", got True',
        ),
        (
            {"nodePools": [pool(chargeType="SPOTPAID", spot={"maxPrice": "1", "type": "PERSISTENT"})]},
            "nodePools[0].spot.type: expected 'ONE-TIME'",
        ),
        ({"nodePools": [pool(chargeType="SPOTPAID", spot={})]}, "nodePools[0].spot.maxPrice: required"),
    ],
)
def test_bad_billing_names_the_field(overrides, message):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", overrides)
    assert message in str(err.value)


def test_a_yaml_number_is_a_price():
    spec = make_spec("prod", {"nodePools": [pool(chargeType="SPOTPAID", spot={"maxPrice": 0.5})]})
    assert spec.node_pools[0].spot.max_price == "0.5"


def test_the_simulated_cloud_refuses_a_prepaid_instance_without_its_term():
    state = sim.CloudState()
    node = {"instanceChargeType": "PREPAID", "instanceType": "S5.LARGE8"}
    with pytest.raises(sim.CloudRefusal, match="a PREPAID instance needs instanceChargeTypePrepaidPeriod"):
        state.create("a", INSTANCE, "ins-a", node)
    with pytest.raises(sim.CloudRefusal, match="instanceChargeTypePrepaidPeriod 13 is not one of 1, 2, 3"):
        state.create("a", INSTANCE, "ins-a", {**node, "instanceChargeTypePrepaidPeriod": 13})
    state.create("a", INSTANCE, "ins-a", {**node, "instanceChargeTypePrepaidPeriod": 60})
