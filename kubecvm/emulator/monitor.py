"""The Cloud Monitor API 2018-07-24 alarm-policy calls the provider's tencentcloud_monitor_alarm_policy makes
(CreateAlarmPolicy, BindingPolicyTag, DescribeAlarmPolicy, ModifyAlarmPolicyInfo/Status/Condition,
DeleteAlarmPolicy), with an account's policies and their tag bindings. What Cloud Monitor refuses is decided by
kubecvm/planning/tencent/monitor.py; this module holds the state and shapes the answers as the SDK's models do
(CreateAlarmPolicyResponse PolicyId and OriginId; DescribeAlarmPolicyResponse.Policy of AlarmPolicy, whose
TagInstances the provider reads back as policy_tag).
"""

from __future__ import annotations

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import common, monitor

FIRST_ORIGIN_ID = 4000000  # the form of an OriginId (a policy group's number) in Tencent's examples


class MonitorService(Service):
    name = monitor.SERVICE
    version = monitor.VERSION
    parameters = monitor.PARAMETERS

    def reset(self) -> None:
        # PolicyId -> the policy as DescribeAlarmPolicy answers it; a test may read or arrange them directly.
        self.policies: dict[str, dict] = {}
        self._next = 0
        super().reset()

    def resources(self) -> dict[str, int]:
        return {"monitor/AlarmPolicy": len(self.policies),
                "monitor/PolicyTagBinding": sum(len(p["TagInstances"]) for p in self.policies.values())}

    def _module(self, p: dict) -> None:
        if p.get("Module") != monitor.MODULE:
            raise ApiError(common.INVALID_PARAMETER_VALUE, f"Module must be {monitor.MODULE!r}, not {p.get('Module')!r}")

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
            "PolicyId": policy_id, "OriginId": origin, "PolicyName": p["PolicyName"], "MonitorType": p["MonitorType"],
            "Namespace": p["Namespace"], "Remark": p.get("Remark", ""), "Enable": int(p.get("Enable", 1)),
            "ProjectId": int(p.get("ProjectId", -1)),
            "Condition": p.get("Condition") or {"IsUnionRule": 0, "Rules": []},
            "EventCondition": p.get("EventCondition") or {"Rules": []},
            "NoticeIds": list(p.get("NoticeIds") or []), "TriggerTasks": list(p.get("TriggerTasks") or []),
            "TagInstances": [],
        }
        return {"PolicyId": policy_id, "OriginId": origin}

    def BindingPolicyTag(self, p: dict) -> dict:  # noqa: N802
        policy = self._policy(p)
        tag = p.get("Tag") or {}
        if not tag.get("Key"):
            raise ApiError(common.MISSING_PARAMETER, "BindingPolicyTag needs Tag.Key")
        if p.get("GroupId") not in (None, "", policy["OriginId"]):
            raise ApiError(common.INVALID_PARAMETER_VALUE, f"GroupId {p.get('GroupId')} is not policy "
                           f"{policy['PolicyId']}'s ({policy['OriginId']})")
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
