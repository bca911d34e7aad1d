"""The Cloud Monitor alarm-policy calls of the provider's tencentcloud_monitor_alarm_policy, in its order (Create,
then BindingPolicyTag with the create's OriginId, Read, an update of the conditions, Delete), answered by the
emulator with the members a planned policy sends: a monitored stack's policies can be rehearsed against it."""

from __future__ import annotations

import warnings

import emulator_helpers
import pytest
from emulator_helpers import common, refused

from kubecvm.emulator import Emulator
from kubecvm.planning import build_plan
from kubecvm.planning.monitoring import monitoring_plan
from kubecvm.planning.tencent import monitor
from kubecvm.stacks.config import spec_from_config


def planned_requests() -> list[dict]:
    """CreateAlarmPolicy's members for each policy the prod preset plans, as the provider builds them."""
    plan = build_plan(
        spec_from_config(
            preset="prod",
            region="ap-guangzhou",
            stack="prod",
            overrides={
                "name": "prod",
                "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
                "monitoring": {"noticeIds": ["notice-l9ziyxw6"]},
            },
        )
    )
    mp = monitoring_plan(plan)
    out = []
    for p in mp.policies:
        rules = [
            monitor.to_wire_rule(
                {
                    "metricName": r["metric_name"],
                    "period": r["period"],
                    "operator": r["operator"],
                    "value": r["value"],
                    "continuePeriod": r["continue_period"],
                    "noticeFrequency": r["notice_frequency"],
                    "isPowerNotice": r["is_power_notice"],
                }
            )
            for r in mp.conditions(p)["rules"]
        ]
        out.append(
            {
                "Module": monitor.MODULE,
                "PolicyName": p.resource,
                "MonitorType": monitor.MONITOR_TYPE,
                "Namespace": p.namespace,
                "Remark": p.remark,
                "Enable": 1,
                "ProjectId": monitor.PROJECT_ID,
                "Condition": {"IsUnionRule": 0, "Rules": rules},
                "NoticeIds": list(mp.notice_ids),
            }
        )
    return out


@pytest.fixture
def served():
    emulator = Emulator()
    with emulator.serve() as url:
        yield emulator, common(url, monitor.SERVICE, monitor.VERSION)


def test_the_planned_policies_are_created_bound_by_tag_read_updated_and_deleted(served):
    emulator, client = served
    ids = []
    for req in planned_requests():
        created = client.call_json("CreateAlarmPolicy", req)["Response"]
        client.call_json(
            "BindingPolicyTag",
            {
                "Module": "monitor",
                "PolicyId": created["PolicyId"],
                "GroupId": created["OriginId"],
                "ServiceType": req["Namespace"],
                "Tag": {"Key": "kubecvm/cluster", "Value": "prod"},
            },
        )
        policy = client.call_json("DescribeAlarmPolicy", {"Module": "monitor", "PolicyId": created["PolicyId"]})
        policy = policy["Response"]["Policy"]
        assert (
            policy["PolicyName"],
            policy["Namespace"],
            policy["Condition"],
            policy["NoticeIds"],
            policy["TagInstances"],
        ) == (
            req["PolicyName"],
            req["Namespace"],
            req["Condition"],
            ["notice-l9ziyxw6"],
            [{"Key": "kubecvm/cluster", "Value": "prod"}],
        )
        ids.append(created["PolicyId"])
    assert [r["Namespace"] for r in planned_requests()] == [
        "cvm_device",
        "CLB_LISTENER_PRIVATE",
        "private_lb_client_to_lb_other",
    ]
    assert emulator.summary()["resources"]["monitor/AlarmPolicy"] == 3
    assert emulator.summary()["resources"]["monitor/PolicyTagBinding"] == 3
    # A threshold change is ModifyAlarmPolicyCondition in place (the provider's Update), the id unchanged.
    raised = {"IsUnionRule": 0, "Rules": [{"MetricName": "CpuUsage", "Operator": "ge", "Value": "95", "Period": 60}]}
    client.call_json("ModifyAlarmPolicyCondition", {"Module": "monitor", "PolicyId": ids[0], "Condition": raised})
    assert emulator.monitor.policies[ids[0]]["Condition"] == raised
    client.call_json("DeleteAlarmPolicy", {"Module": "monitor", "PolicyIds": ids})
    assert emulator.summary()["resources"]["monitor/AlarmPolicy"] == 0
    assert refused(client.call_json, "DescribeAlarmPolicy", {"Module": "monitor", "PolicyId": ids[0]}) == (
        "ResourceNotFound",
        f"alarm policy {ids[0]} does not exist",
    )


def test_a_binding_for_another_policys_group_and_a_wrong_module_are_refused(served):
    _, client = served
    created = client.call_json("CreateAlarmPolicy", planned_requests()[0])["Response"]
    assert refused(
        client.call_json,
        "BindingPolicyTag",
        {"Module": "monitor", "PolicyId": created["PolicyId"], "GroupId": "1", "Tag": {"Key": "k", "Value": "v"}},
    ) == ("InvalidParameterValue", f"GroupId 1 is not policy {created['PolicyId']}'s ({created['OriginId']})")
    assert refused(client.call_json, "CreateAlarmPolicy", {**planned_requests()[0], "Module": "cvm"}) == (
        "InvalidParameterValue",
        "Module must be 'monitor', not 'cvm'",
    )


def provider_read(policy) -> dict:
    """What the provider's resourceTencentMonitorAlarmPolicyRead sets from DescribeAlarmPolicy's Policy, of the
    inputs kubecvm gives (tencentcloud/services/monitor/resource_tc_monitor_alarm_policy.go)."""
    return {
        "policy_name": policy.PolicyName,
        "monitor_type": policy.MonitorType,
        "namespace": policy.Namespace,
        "remark": policy.Remark,
        "enable": policy.Enable,
        "project_id": policy.ProjectId,
        "conditions": {
            "is_union_rule": policy.Condition.IsUnionRule,
            "rules": [
                {
                    "metric_name": r.MetricName,
                    "period": r.Period,
                    "operator": r.Operator,
                    "value": r.Value,
                    "continue_period": r.ContinuePeriod,
                    "notice_frequency": r.NoticeFrequency,
                }
                for r in policy.Condition.Rules
            ],
        },
        "notice_ids": list(policy.NoticeIds),
        "policy_tags": [{"key": t.Key, "value": t.Value} for t in policy.TagInstances],
    }


def test_what_the_provider_reads_back_is_what_the_stack_set():
    """Each planned policy created and bound through Tencent's own Cloud Monitor client, every answer read into the
    SDK's models with an unknown member an error: the provider's read-back equals the inputs components/monitoring.py
    gives (is_power_notice is not read back: it is Computed), so the next preview shows no diff."""
    emulator = Emulator()
    plan = build_plan(
        spec_from_config(
            preset="prod",
            region="ap-guangzhou",
            stack="prod",
            overrides={
                "name": "prod",
                "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
                "monitoring": {"noticeIds": ["notice-l9ziyxw6"]},
            },
        )
    )
    mp = monitoring_plan(plan)
    with emulator.serve() as url, warnings.catch_warnings():
        warnings.simplefilter("error")  # AbstractModel._deserialize warns of members its model lacks
        client = emulator_helpers.monitor(url)
        for p, wire in zip(mp.policies, planned_requests(), strict=True):
            created = client.CreateAlarmPolicy(emulator_helpers.monitor_request("CreateAlarmPolicy", **wire))
            client.BindingPolicyTag(
                emulator_helpers.monitor_request(
                    "BindingPolicyTag",
                    Module="monitor",
                    PolicyId=created.PolicyId,
                    GroupId=created.OriginId,
                    ServiceType=p.namespace,
                    Tag={"Key": mp.tag[0], "Value": mp.tag[1]},
                )
            )
            policy = client.DescribeAlarmPolicy(
                emulator_helpers.monitor_request("DescribeAlarmPolicy", Module="monitor", PolicyId=created.PolicyId)
            ).Policy
            conditions = mp.conditions(p)
            assert provider_read(policy) == {
                "policy_name": p.resource,
                "monitor_type": monitor.MONITOR_TYPE,
                "namespace": p.namespace,
                "remark": p.remark,
                "enable": 1,
                "project_id": monitor.PROJECT_ID,
                "conditions": {
                    "is_union_rule": conditions["is_union_rule"],
                    "rules": [{k: v for k, v in r.items() if k != "is_power_notice"} for r in conditions["rules"]],
                },
                "notice_ids": ["notice-l9ziyxw6"],
                "policy_tags": [{"key": "kubecvm/cluster", "value": "prod"}],
            }
