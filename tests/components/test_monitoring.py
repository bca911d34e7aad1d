"""Cloud Monitor alarms (monitoring.alarms): the spec's errors, the policies each preset plans, their inputs against
the provider's schema, their binding by tag (a pool's size never reaches them), the agent on every CVM, and what
`kubecvm diff` predicts for a stack that gains them."""

from __future__ import annotations

import inspect

import pytest
import tencentcloud_iac_pulumi as tc

from kubecvm.offline import diff
from kubecvm.offline.runner import run_program
from kubecvm.planning import build_plan
from kubecvm.planning.monitoring import monitoring_plan
from kubecvm.planning.tencent import cvm, monitor
from kubecvm.stacks.config import ConfigError
from tests.conftest import make_spec, stack_config

PREFIX = "invalid kubecvm:cluster for stack 'test' (preset prod): "


@pytest.mark.parametrize(
    "monitoring, message",
    [
        ({"alarms": {"cpuPercent": 101}}, "monitoring.alarms.cpuPercent: Input should be less than or equal to 100"),
        (
            {"alarms": {"period": 120}},
            "monitoring.alarms.period: 120 is not a period (seconds) every watched metric is "
            "sampled at: expected one of 60, 300",
        ),
        (
            {"alarms": {"noticeFrequency": 1000}},
            "monitoring.alarms.noticeFrequency: 1000 is not a notice frequency Cloud "
            "Monitor takes: expected one of 0, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400",
        ),
        ({"alarms": {"enabled": "yes"}}, "monitoring.alarms.enabled: expected true or false, got a string 'yes'"),
        ({"noticeIds": ["x"]}, "monitoring.noticeIds[0]: 'x' does not match ^notice-[a-z0-9]{8}$"),
        (
            {"noticeIds": ["notice-aaaaaaaa"] * 2},
            "monitoring.noticeIds: notice ids must be distinct; repeated: notice-aaaaaaaa",
        ),
    ],
)
def test_a_bad_setting_is_refused_naming_its_field(monitoring, message):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", {"monitoring": monitoring})
    assert str(err.value) == PREFIX + message


def test_staging_and_prod_are_watched_and_dev_is_not():
    assert monitoring_plan(build_plan(make_spec("dev", {"zones": ["ap-guangzhou-3"]}))) is None
    for preset in ("staging", "prod"):
        mp = monitoring_plan(build_plan(make_spec(preset)))
        assert [(p.resource, p.namespace, [r.metric for r in p.rules]) for p in mp.policies] == [
            ("demo-alarm-nodes", "cvm_device", ["CpuUsage", "MemUsage", "CvmDiskUsage"]),
            ("demo-alarm-clb-internal-health", "CLB_LISTENER_PRIVATE", ["UnhealthRsCount"]),
            ("demo-alarm-clb-internal-drops", "private_lb_client_to_lb_other", ["DropTotalConns"]),
        ]
        assert mp.tag == ("kubecvm/cluster", "demo")
    mp = monitoring_plan(build_plan(make_spec("prod", {"apiEndpoint": {"exposure": "public"}})))
    assert [p.namespace for p in mp.policies] == [
        "cvm_device",
        "CLB_LISTENER_PRIVATE",
        "private_lb_client_to_lb_other",
        "lb_hc_vport",
        "clb_lb",
    ]


def test_the_nodes_policy_has_the_three_thresholds_as_set():
    mp = monitoring_plan(
        build_plan(
            make_spec(
                "prod",
                {
                    "monitoring": {
                        "alarms": {
                            "cpuPercent": 80,
                            "memoryPercent": 70,
                            "diskPercent": 60,
                            "period": 300,
                            "continuePeriods": 2,
                            "noticeFrequency": 1800,
                        },
                        "noticeIds": ["notice-l9ziyxw6"],
                    }
                },
            )
        )
    )
    rule = {"period": 300, "continue_period": 2, "notice_frequency": 1800, "is_power_notice": 0}
    assert mp.conditions(mp.policies[0]) == {
        "is_union_rule": 0,
        "rules": [
            {"metric_name": "CpuUsage", "operator": "ge", "value": "80", **rule},
            {"metric_name": "MemUsage", "operator": "ge", "value": "70", **rule},
            {"metric_name": "CvmDiskUsage", "operator": "ge", "value": "60", **rule},
        ],
    }
    assert mp.notice_ids == ("notice-l9ziyxw6",)


@pytest.mark.parametrize("count", [0, 1, 5, 17])
def test_scaling_a_pool_changes_no_policy(count):
    base = monitoring_plan(build_plan(make_spec("prod")))
    scaled = monitoring_plan(
        build_plan(
            make_spec(
                "prod", {"nodePools": [{"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": count}]}
            )
        )
    )
    assert scaled == base


def _parameters(cls) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"__self__", "self"}


def test_the_policy_inputs_are_the_provider_schemas():
    mp = monitoring_plan(build_plan(make_spec("prod")))
    rules = mp.conditions(mp.policies[0])["rules"]
    assert set(mp.conditions(mp.policies[0])) <= _parameters(tc.monitor.AlarmPolicyConditionsArgs)
    assert {k for r in rules for k in r} <= _parameters(tc.monitor.AlarmPolicyConditionsRuleArgs)
    assert {"key", "value"} == _parameters(tc.monitor.AlarmPolicyPolicyTagArgs)
    assert {
        "policy_name",
        "monitor_type",
        "namespace",
        "remark",
        "enable",
        "conditions",
        "notice_ids",
        "policy_tags",
    } <= _parameters(tc.monitor.AlarmPolicyArgs)
    assert all(r["operator"] in monitor.OPERATORS and r["period"] in monitor.PERIODS for r in rules)


@pytest.fixture(scope="module")
def prod():
    return run_program(stack_config("prod", monitoring={"noticeIds": ["notice-l9ziyxw6"]}), stack="prod")


def test_every_policy_is_registered_with_its_tag_and_every_cvm_keeps_the_agent(prod):
    policies = {r.name: r.inputs for r in prod.resources if r.type == monitor.ALARM_POLICY}
    assert sorted(policies) == ["demo-alarm-clb-internal-drops", "demo-alarm-clb-internal-health", "demo-alarm-nodes"]
    for name, inputs in policies.items():
        assert (
            inputs["policyName"],
            inputs["monitorType"],
            inputs["enable"],
            inputs["noticeIds"],
            inputs["policyTags"],
        ) == (name, "MT_QCE", 1, ["notice-l9ziyxw6"], [{"key": "kubecvm/cluster", "value": "demo"}])
    cvms = [r.inputs for r in prod.resources if r.type == cvm.INSTANCE]
    assert len(cvms) == 9 and all(i["disableMonitorService"] is False for i in cvms)


def _doc(inputs: dict) -> dict:
    return {
        "project": "kubecvm",
        "stack": "prod",
        "resources": [{"urn": "urn:x", "type": cvm.INSTANCE, "custom": True, "inputs": inputs}],
    }


def test_stating_the_agents_default_changes_nothing_and_turning_it_off_is_disruptive():
    quiet = diff.diff_plans(
        _doc({"instanceType": "S5.LARGE8"}), _doc({"instanceType": "S5.LARGE8", "disableMonitorService": False})
    )
    assert quiet.changed == []
    loud = diff.diff_plans(
        _doc({"instanceType": "S5.LARGE8"}), _doc({"instanceType": "S5.LARGE8", "disableMonitorService": True})
    )
    assert [(c.keys, c.disruptive) for c in loud.changed] == [
        (["disableMonitorService"], {"disableMonitorService": "may reinstall the OS"})
    ]


DIGESTS = {"prometheus": "sha256:" + "1" * 64, "nodeExporter": "sha256:" + "2" * 64}
PROMETHEUS = {"digests": DIGESTS, "imageRepository": "ccr.ccs.tencentyun.com/team"}
TOKEN = "s3cret-token-value"


def _prometheus_run(prometheus: dict, token: str | None = TOKEN):
    config = stack_config("prod", monitoring={"prometheus": {**PROMETHEUS, **prometheus}})
    return run_program({**config, **({"kubecvm:prometheusToken": token} if token else {})}, stack="prod")


def _agent_config(rec) -> str:
    return next(r for r in rec.resources if r.name.endswith("configmap-prometheus-agent")).inputs["data"][
        "prometheus.yml"
    ]


def test_mode_tmp_creates_an_instance_in_the_vpc_and_writes_to_its_address():
    rec = _prometheus_run({"mode": "tmp", "retentionDays": 30})
    (tmp,) = [r for r in rec.resources if r.type == monitor.TMP_INSTANCE]
    subnet = next(r for r in rec.resources if r.name == "demo-subnet-z3")
    assert tmp.name == "demo-tmp" and {k: v for k, v in tmp.inputs.items() if k != "vpcId"} == {
        "instanceName": "demo-tmp",
        "zone": "ap-guangzhou-3",
        "subnetId": subnet.id,
        "dataRetentionTime": 30,
        "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "monitoring"},
    }
    assert tmp.protect is True  # prod
    assert "url: http://10.0." in _agent_config(rec) and ":9090/api/v1/prom/write" in _agent_config(rec)
    secret = next(r for r in rec.resources if r.name.endswith("secret-prometheus-remote-write"))
    assert secret.inputs["stringData"] == "[secret]"
    assert all(TOKEN not in str(r.inputs) for r in rec.resources)


def test_an_existing_instance_is_read_not_created_and_remote_write_takes_the_url():
    rec = _prometheus_run({"mode": "tmp", "instanceId": "prom-abcd1234"})
    assert not [r for r in rec.resources if r.type == monitor.TMP_INSTANCE]
    assert ":9090/api/v1/prom/write" in _agent_config(rec)
    rec = _prometheus_run({"mode": "remoteWrite", "url": "https://prom.example.com/api/v1/write"})
    assert not [r for r in rec.resources if r.type == monitor.TMP_INSTANCE]
    assert "url: https://prom.example.com/api/v1/write" in _agent_config(rec)


def test_without_the_token_nothing_is_registered_and_the_key_is_named():
    with pytest.raises(Exception, match=r"kubecvm:prometheusToken: required with monitoring.prometheus.mode"):
        _prometheus_run({"mode": "tmp"}, token=None)
