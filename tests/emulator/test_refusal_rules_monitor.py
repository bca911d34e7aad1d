"""The refusal rules of Cloud Monitor and TMP (kubecvm/planning/tencent/monitor.py): one case each, refused by the
offline plan and, where the emulator answers the action, on the wire with the same code
(tests/emulator/refusal_case.py)."""

from __future__ import annotations

from refusal_case import TMP, TMP_WIRE, Case, rule_tests

from kubecvm.planning.tencent import monitor, vpc

POLICY = {"monitorType": "MT_QCE", "namespace": "cvm_device", "projectId": 0}
POLICY_WIRE = {"Module": "monitor", "MonitorType": "MT_QCE", "Namespace": "cvm_device", "ProjectId": 0}

CASES = [
    Case(
        monitor.alarm_policy_name,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY | {"policyName": "p" * 61},
        r"PolicyName 'p{61}' must be 1..60 characters \(InvalidParameterValue\)",
        wire=(POLICY_WIRE | {"PolicyName": "p" * 61},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_remark,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY | {"policyName": "p", "remark": "node CPU: high"},
        r"Remark 'node CPU: high' may hold only letters, digits, _ and - \(InvalidParameterValue\)",
        wire=(POLICY_WIRE | {"PolicyName": "p", "Remark": "node CPU: high"},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_rules,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY
        | {
            "policyName": "p",
            "conditions": {
                "isUnionRule": 0,
                "rules": [{"metricName": "CpuUsage", "operator": ">=", "value": "90", "period": 60}],
            },
        },
        r"conditions.rules\[0\].Operator '>=' is not one of eq, ge, gt, le, lt, ne \(InvalidParameterValue\)",
        wire=(
            POLICY_WIRE
            | {
                "PolicyName": "p",
                "Condition": {
                    "IsUnionRule": 0,
                    "Rules": [{"MetricName": "CpuUsage", "Operator": ">=", "Value": "90", "Period": 60}],
                },
            },
        ),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_project,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        {"monitorType": "MT_QCE", "namespace": "cvm_device", "policyName": "p"},
        r"ProjectId: a cvm_device policy needs a project other than -1 \(InvalidParameterValue\)$",
        wire=({"Module": "monitor", "MonitorType": "MT_QCE", "Namespace": "cvm_device", "PolicyName": "p"},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.tmp_required,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        TMP | {"subnetId": ""},
        r"CreatePrometheusMultiTenantInstancePostPayMode needs SubnetId \(MissingParameter\)$",
        wire=(TMP_WIRE | {"SubnetId": ""},),
        code=monitor.MISSING_PARAMETER,
    ),
    Case(
        monitor.tmp_retention,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        TMP | {"dataRetentionTime": 20},
        r"DataRetentionTime 20 is not one of 15, 30, 45, 90, 180, 365, 730 days \(InvalidParameterValue\)$",
        wire=(TMP_WIRE | {"DataRetentionTime": 20},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.tmp_subnet,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        lambda ids: TMP | {"subnetId": ids[0], "zone": "ap-guangzhou-4"},
        r"SubnetId \S+ is in ap-guangzhou-3, not Zone ap-guangzhou-4 \(InvalidParameterValue\)$",
        before=((vpc.SUBNET, {"vpcId": "vpc-1", "availabilityZone": "ap-guangzhou-3", "cidrBlock": "10.0.0.0/24"}),),
        wire=(TMP_WIRE | {"Zone": "ap-guangzhou-4"},),
        code=monitor.INVALID_PARAMETER_VALUE,
        arrange=lambda emulator: emulator.vpc.add_subnet("subnet-1", "vpc-1", "ap-guangzhou-3"),
    ),
]

(
    test_the_offline_plan_refuses_what_the_rule_refuses,
    test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code,
) = rule_tests(CASES)
