"""Whole stacks through the real program: presets pass their own level; broken stacks fail by the right rule,
an exemption turns the failure into a waiver, and an expired exemption fails again."""

from __future__ import annotations

import datetime

import pytest

from kubecvm.policies.engine import EXPIRED
from policy_helpers import evaluate_stack

TODAY = datetime.date.today()
NEXT_MONTH = (TODAY + datetime.timedelta(days=30)).isoformat()
YESTERDAY = (TODAY - datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_presets_pass_every_mandatory_rule_of_their_level(stack):
    evaluation = evaluate_stack(stack)
    assert [v for v in evaluation.violations if v.enforcement == "mandatory"] == []
    assert not evaluation.mandatory_failed


def test_dev_reports_only_its_single_zone_as_advice():
    # dev's egress is auto: the NAT its boot needs is there, so nothing says the nodes cannot boot.
    evaluation = evaluate_stack("dev")
    assert [(v.policy, v.enforcement) for v in evaluation.violations] == [("kubecvm-ha-workers-multi-zone", "advisory")]


def test_dev_without_nat_and_public_images_cannot_boot_and_that_is_mandatory():
    # Packages (mirrors.tencentyun.com) and the API (*.internal.tencentcloudapi.com) are in the VPC by default; the
    # mainland control-plane images are not, and the finding names exactly that host. A cluster that cannot boot
    # is refused at every level, dev included.
    (finding,) = [
        v for v in evaluate_stack("dev", egress="none").violations if v.policy == "kubecvm-network-boot-egress"
    ]
    assert "cannot reach registry.aliyuncs.com and" in finding.message and finding.enforcement == "mandatory"
    inside = evaluate_stack("dev", egress="none", kubernetes={"imageRepository": "ccr.ccs.tencentyun.com/team"})
    assert [v.policy for v in inside.violations] == ["kubecvm-ha-workers-multi-zone"]


def test_a_preset_judged_at_a_stricter_level_fails():
    # dev's single master in a single zone is fine for dev, not for prod; nor is a cluster without alarms.
    failing = {v.policy for v in evaluate_stack("dev", level="prod").violations if v.enforcement == "mandatory"}
    assert failing == {
        "kubecvm-ha-master-count-odd",
        "kubecvm-ha-workers-multi-zone",
        "kubecvm-size-etcd-disk",
        "kubecvm-monitoring-alarms",
    }


BIG = {
    "controlPlane": {"instanceType": "S5.LARGE8"},
    "nodePools": [{"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 50}],
    "quotas": {"routeEntriesPerTable": 500},
    "ingress": {"enabled": False},  # 150 workers are more than an ingress listener takes (100)
}

SCENARIOS = {
    "masters in one zone": (
        {"zones": ["ap-guangzhou-3"]},
        {
            "kubecvm-ha-masters-distinct-zones",
            "kubecvm-ha-zone-loss-quorum",
            "kubecvm-ha-workers-multi-zone",
        },
    ),
    "150 workers on 4C8G masters": (BIG, {"kubecvm-size-master-tier"}),
    "ssh open to the world": ({"sshAllowedCidrs": ["0.0.0.0/0"]}, {"kubecvm-security-open-ports"}),
    "more nodes than the route quota": (
        {"nodePools": [{"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 16}]},
        {"kubecvm-network-route-quota"},
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_broken_prod_stacks_fail_by_the_right_rule(scenario):
    cluster, expected = SCENARIOS[scenario]
    evaluation = evaluate_stack("prod", **cluster)
    assert evaluation.mandatory_failed
    assert {v.policy for v in evaluation.violations if v.enforcement == "mandatory"} == expected


def test_the_route_quota_message_counts_entries():
    [v] = evaluate_stack("prod", **SCENARIOS["more nodes than the route quota"][0]).violations
    # 48 workers + 3 masters + the NAT default route = 52 entries in the one cluster table.
    assert "52 route entries exceed the route-table quota of 50" in v.message


def _exempt(policies: set[str], expires: str, resource: str = ".*") -> dict:
    return {
        "exemptions": [
            {"policy": p, "resource": resource, "reason": "capacity test until the quota rises", "expires": expires}
            for p in sorted(policies)
        ]
    }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_exemption_turns_the_failure_into_a_waiver(scenario):
    cluster, expected = SCENARIOS[scenario]
    evaluation = evaluate_stack("prod", extra=_exempt(expected, NEXT_MONTH), **cluster)
    assert not evaluation.mandatory_failed
    assert evaluation.violations == ()
    assert {w.policy for w in evaluation.waivers} == expected
    assert all(
        w.reason == "capacity test until the quota rises" and w.expires == NEXT_MONTH for w in evaluation.waivers
    )


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_expired_exemption_fails(scenario):
    cluster, expected = SCENARIOS[scenario]
    evaluation = evaluate_stack("prod", extra=_exempt(expected, YESTERDAY), **cluster)
    assert evaluation.mandatory_failed
    assert evaluation.waivers == ()
    mandatory = {v.policy for v in evaluation.violations if v.enforcement == "mandatory"}
    assert mandatory == expected | {EXPIRED}
    assert [v.message for v in evaluation.violations if v.policy == EXPIRED][0].endswith(
        f"expired on {YESTERDAY} (capacity test until the quota rises); it no longer applies"
    )


def test_an_exemption_is_valid_through_its_expiry_day():
    cluster, expected = SCENARIOS["ssh open to the world"]
    evaluation = evaluate_stack("prod", extra=_exempt(expected, TODAY.isoformat()), **cluster)
    assert not evaluation.mandatory_failed and len(evaluation.waivers) == 2


def test_an_exemption_for_one_resource_leaves_the_others_failing():
    cluster, expected = SCENARIOS["ssh open to the world"]
    evaluation = evaluate_stack("prod", extra=_exempt(expected, NEXT_MONTH, resource="prod-sg-worker-rules"), **cluster)
    assert [w.urn.rsplit("::", 1)[1] for w in evaluation.waivers] == ["prod-sg-worker-rules"]
    assert [v.urn.rsplit("::", 1)[1] for v in evaluation.violations] == ["prod-sg-master-rules"]


def test_an_exemption_matches_a_urn_pattern():
    cluster, expected = SCENARIOS["ssh open to the world"]
    pattern = r"urn:pulumi:prod::kubecvm::.*GroupRuleSet::prod-sg-(master|worker)-rules"
    evaluation = evaluate_stack("prod", extra=_exempt(expected, NEXT_MONTH, resource=pattern), **cluster)
    assert evaluation.violations == () and len(evaluation.waivers) == 2
