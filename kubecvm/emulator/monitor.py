"""The Cloud Monitor API 2018-07-24 calls of the provider's tencentcloud_monitor_alarm_policy (CreateAlarmPolicy,
BindingPolicyTag, DescribeAlarmPolicy, ModifyAlarmPolicyInfo/Status/Condition, DeleteAlarmPolicy) and
tencentcloud_monitor_tmp_instance (CreatePrometheusMultiTenantInstancePostPayMode, DescribePrometheusInstances,
ModifyPrometheusInstanceAttributes, TerminatePrometheusInstances, DestroyPrometheusInstance), with an account's
policies, their tag bindings and its managed Prometheus (TMP) instances. What Cloud Monitor refuses is decided by
kubecvm/planning/tencent/monitor.py; this module holds the state and shapes the answers as the SDK's models do
(CreateAlarmPolicyResponse PolicyId and OriginId; DescribeAlarmPolicyResponse.Policy of AlarmPolicy, whose
TagInstances the provider reads back as policy_tag; CreatePrometheusMultiTenantInstancePostPayModeResponse
InstanceId; DescribePrometheusInstancesResponse InstanceSet of PrometheusInstancesItem and TotalCount).

A TMP instance is created running after one look: the first DescribePrometheusInstances that finds it answers
InstanceStatus 1 (creating), the next 2 (running); TerminatePrometheusInstances likewise answers 5, then 6 (stopped),
the states the provider waits for before it reads the instance and before DestroyPrometheusInstance.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import common, monitor

if TYPE_CHECKING:
    from kubecvm.emulator.server import Emulator

FIRST_ORIGIN_ID = 4000000  # the form of an OriginId (a policy group's number) in Tencent's examples


class MonitorService(Service):
    name = monitor.SERVICE
    version = monitor.VERSION
    parameters = monitor.PARAMETERS

    def reset(self) -> None:
        # PolicyId -> the policy as DescribeAlarmPolicy answers it; a test may read or arrange them directly.
        self.policies: dict[str, dict] = {}
        # InstanceId -> the TMP instance as DescribePrometheusInstances answers it (a PrometheusInstancesItem).
        self.tmp: dict[str, dict] = {}
        self._next = 0
        super().reset()

    def attach(self, emulator: Emulator) -> None:
        self._subnets = emulator.vpc.subnets  # a TMP instance's subnet is one of the account's

    def resources(self) -> dict[str, int]:
        return {
            "monitor/AlarmPolicy": len(self.policies),
            "monitor/PolicyTagBinding": sum(len(p["TagInstances"]) for p in self.policies.values()),
            "monitor/PrometheusInstance": len(self.tmp),
        }

    def _module(self, p: dict) -> None:
        if p.get("Module") != monitor.MODULE:
            raise ApiError(
                common.INVALID_PARAMETER_VALUE, f"Module must be {monitor.MODULE!r}, not {p.get('Module')!r}"
            )

    def _policy(self, p: dict) -> dict:
        self._module(p)
        policy = self.policies.get(str(p.get("PolicyId")))
        if policy is None:
            raise ApiError.of(monitor.policy_not_found(str(p.get("PolicyId"))))
        return policy

    # --- the actions --------------------------------------------------------------------------------------------
    def CreateAlarmPolicy(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        self._module(p)
        if refusal := monitor.create_policy_refusal(p):
            raise ApiError.of(refusal)
        self._next += 1
        policy_id, origin = f"policy-{self._next:08x}", str(FIRST_ORIGIN_ID + self._next)
        self.policies[policy_id] = {
            "PolicyId": policy_id,
            "OriginId": origin,
            "PolicyName": p["PolicyName"],
            "MonitorType": p["MonitorType"],
            "Namespace": p["Namespace"],
            "Remark": p.get("Remark", ""),
            "Enable": int(p.get("Enable", 1)),
            "ProjectId": int(p.get("ProjectId", -1)),
            "Condition": p.get("Condition") or {"IsUnionRule": 0, "Rules": []},
            "EventCondition": p.get("EventCondition") or {"Rules": []},
            "NoticeIds": list(p.get("NoticeIds") or []),
            "TriggerTasks": list(p.get("TriggerTasks") or []),
            "TagInstances": [],
        }
        return {"PolicyId": policy_id, "OriginId": origin}

    def BindingPolicyTag(self, p: dict) -> dict:  # noqa: N802
        policy = self._policy(p)
        tag = p.get("Tag") or {}
        if not tag.get("Key"):
            raise ApiError(common.MISSING_PARAMETER, "BindingPolicyTag needs Tag.Key")
        if p.get("GroupId") not in (None, "", policy["OriginId"]):
            raise ApiError(
                common.INVALID_PARAMETER_VALUE,
                f"GroupId {p.get('GroupId')} is not policy {policy['PolicyId']}'s ({policy['OriginId']})",
            )
        bound = {"Key": tag["Key"], "Value": tag.get("Value", "")}
        if bound not in policy["TagInstances"]:
            policy["TagInstances"].append(bound)
        return {}

    def DescribeAlarmPolicy(self, p: dict) -> dict:  # noqa: N802
        return {"Policy": dict(self._policy(p))}

    def ModifyAlarmPolicyInfo(self, p: dict) -> dict:  # noqa: N802
        policy = self._policy(p)
        key = p.get("Key")
        if key == "NAME":
            if refusal := monitor.policy_name_refusal(p.get("Value")):
                raise ApiError.of(refusal)
            policy["PolicyName"] = p["Value"]
        elif key == "REMARK":
            if refusal := monitor.remark_refusal(p.get("Value")):
                raise ApiError.of(refusal)
            policy["Remark"] = p["Value"]
        else:  # [models] ModifyAlarmPolicyInfoRequest.Key: "NAME=名称 REMARK=备注"
            raise ApiError(common.INVALID_PARAMETER_VALUE, f"Key {key!r} is not NAME or REMARK")
        return {}

    def ModifyAlarmPolicyStatus(self, p: dict) -> dict:  # noqa: N802
        self._policy(p)["Enable"] = int(p["Enable"])
        return {}

    def ModifyAlarmPolicyCondition(self, p: dict) -> dict:  # noqa: N802
        policy = self._policy(p)
        rules = (p.get("Condition") or {}).get("Rules") or []
        for i, rule in enumerate(rules):
            if refusal := monitor.rule_refusal(f"Condition.Rules[{i}]", rule):
                raise ApiError.of(refusal)
        for member in ("Condition", "EventCondition", "NoticeIds"):
            if p.get(member) is not None:
                policy[member] = p[member]
        return {}

    def DeleteAlarmPolicy(self, p: dict) -> dict:  # noqa: N802
        self._module(p)
        ids = [str(i) for i in p.get("PolicyIds") or []]
        if missing := [i for i in ids if i not in self.policies]:
            raise ApiError.of(monitor.policy_not_found(missing[0]))
        for i in ids:
            del self.policies[i]
        return {}

    # --- managed Prometheus (TMP) instances ----------------------------------------------------------------------
    def _instance(self, instance_id: object) -> dict:
        if (instance := self.tmp.get(str(instance_id))) is None:
            raise ApiError.of(monitor.tmp_not_found(str(instance_id)))
        return instance

    def CreatePrometheusMultiTenantInstancePostPayMode(self, p: dict) -> dict:  # noqa: N802
        subnet = self._subnets.get(str(p["SubnetId"]))
        if refusal := (
            monitor.tmp_retention_refusal(p["DataRetentionTime"])
            or monitor.tmp_subnet_refusal(str(p["SubnetId"]), p["VpcId"], p["Zone"], subnet and subnet[:2])
        ):
            raise ApiError.of(refusal)
        self._next += 1
        instance_id = f"prom-{self._next:08x}"
        ip = str(ipaddress.IPv4Network(subnet[2]).broadcast_address - 1 - len(self.tmp) % 64)
        self.tmp[instance_id] = {
            "InstanceId": instance_id,
            "InstanceName": p["InstanceName"],
            "InstanceChargeType": monitor.TMP_POSTPAID,
            "Zone": p["Zone"],
            "VpcId": p["VpcId"],
            "SubnetId": p["SubnetId"],
            "DataRetentionTime": int(p["DataRetentionTime"]),
            "InstanceStatus": monitor.TMP_CREATING,
            "CreatedAt": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
            "EnableGrafana": 0,
            "IPv4Address": ip,
            **monitor.tmp_addresses(ip),
            "TagSpecification": list(p.get("TagSpecification") or []),
            "InstanceAttributes": list(p.get("InstanceAttributes") or []),
        }
        return {"InstanceId": instance_id}

    def DescribePrometheusInstances(self, p: dict) -> dict:  # noqa: N802
        if refusal := monitor.tmp_describe_refusal(p):
            raise ApiError.of(refusal)
        if unsupported := sorted(k for k in ("TagFilters", "IPv4Address", "InstanceChargeType") if p.get(k)):
            raise ApiError(common.UNSUPPORTED_OPERATION, f"the emulator does not filter by {', '.join(unsupported)}")
        ids, statuses, zones = p.get("InstanceIds"), p.get("InstanceStatus"), p.get("Zones")
        found = [
            i
            for i in self.tmp.values()
            if (not ids or i["InstanceId"] in ids)
            and (not statuses or i["InstanceStatus"] in statuses)
            and (not zones or i["Zone"] in zones)
            and (not p.get("InstanceName") or i["InstanceName"] == p["InstanceName"])
        ]
        offset, limit = int(p.get("Offset") or 0), int(p.get("Limit") or 20)
        page = [dict(i) for i in found[offset : offset + limit]]
        for i in found[offset : offset + limit]:  # what was creating or terminating has ended by the next look
            i["InstanceStatus"] = {
                monitor.TMP_CREATING: monitor.TMP_RUNNING,
                monitor.TMP_TERMINATING: monitor.TMP_STOPPED,
            }.get(i["InstanceStatus"], i["InstanceStatus"])
        return {"InstanceSet": page, "TotalCount": len(found)}

    def ModifyPrometheusInstanceAttributes(self, p: dict) -> dict:  # noqa: N802
        instance = self._instance(p["InstanceId"])
        if p.get("DataRetentionTime") is not None:
            if refusal := monitor.tmp_retention_refusal(p["DataRetentionTime"]):
                raise ApiError.of(refusal)
            instance["DataRetentionTime"] = int(p["DataRetentionTime"])
        if p.get("InstanceName"):
            instance["InstanceName"] = p["InstanceName"]
        return {}

    def TerminatePrometheusInstances(self, p: dict) -> dict:  # noqa: N802
        instances = [self._instance(i) for i in p["InstanceIds"]]
        for instance in instances:
            if instance["InstanceStatus"] != monitor.TMP_STOPPED:
                instance["InstanceStatus"] = monitor.TMP_TERMINATING
        return {}

    def DestroyPrometheusInstance(self, p: dict) -> dict:  # noqa: N802
        instance = self._instance(p["InstanceId"])
        if refusal := monitor.tmp_destroy_refusal(instance["InstanceId"], instance["InstanceStatus"]):
            raise ApiError.of(refusal)
        del self.tmp[instance["InstanceId"]]
        return {}
