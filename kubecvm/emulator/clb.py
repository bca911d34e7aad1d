"""The CLB API 2018-03-17 calls kubecvm's load-balancer controller makes: load balancers, layer-4 listeners, their
targets, security groups and the asynchronous tasks every write starts. What CLB refuses is decided by
kubecvm/planning/tencent/clb.py; this module holds the state and shapes the answers as the SDK's models do
(tencentcloud/clb/v20180317/models.py: LoadBalancer, Listener, ListenerBackend of Backend, TagInfo).

Asynchronous writes (clb.ASYNC_ACTIONS) answer at once with a RequestId that is their TaskId; the task then stays
in progress for `task_polls` DescribeTaskStatus calls (default 1) before it succeeds, and until it does every
other write to that CLB is refused with FailedOperation.ResourceInOperating, as Tencent refuses it. A client that
does not await its tasks therefore fails here as it would on Tencent. Targets must be instances of the account
(kubecvm/emulator/cvm.py).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import clb, common

if TYPE_CHECKING:
    from kubecvm.emulator.server import Emulator


class ClbService(Service):
    name = clb.SERVICE
    version = clb.VERSION
    parameters = clb.PARAMETERS

    def __init__(self) -> None:
        self.task_polls = 1
        self.settle = False  # True: every task has ended when its write answers (a test of one rule, not of tasks)
        self._cvm: Any = None
        super().__init__()

    def attach(self, emulator: Emulator) -> None:
        self._cvm = emulator.services.get("cvm")

    def reset(self) -> None:
        # Plain data a test may read or arrange. LoadBalancerId -> the LoadBalancer as DescribeLoadBalancers answers
        # it, plus "Listeners": ListenerId -> {Listener members..., "Targets": [{"InstanceId", "Port", "Weight"}]}.
        self.lbs: dict[str, dict] = {}
        self.tasks: dict[str, dict] = {}  # TaskId -> {"LoadBalancerId", "polls": left in progress, "Status"}
        self.busy: dict[str, str] = {}  # LoadBalancerId -> the TaskId of its unfinished write
        self._serial = 0
        super().reset()

    def resources(self) -> dict[str, int]:
        return {
            "clb/LoadBalancer": len(self.lbs),
            "clb/Listener": sum(len(lb["Listeners"]) for lb in self.lbs.values()),
        }

    # --- helpers ------------------------------------------------------------------------------------------------
    def _next(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}-{self._serial:08x}"

    def _lb(self, lb_id: object) -> dict:
        lb = self.lbs.get(str(lb_id))
        if lb is None:
            raise ApiError(clb.LB_ID_NOT_FOUND, f"no CLB {lb_id}")
        return lb

    def _listener(self, lb: dict, listener_id: object) -> dict:
        listener = lb["Listeners"].get(str(listener_id))
        if listener is None:
            raise ApiError(clb.LISTENER_ID_NOT_FOUND, f"{lb['LoadBalancerId']} has no listener {listener_id}")
        return listener

    def _write(self, lb_id: str) -> dict:
        """Start an asynchronous task on the CLB, once its previous one has ended; the answer's RequestId is it."""
        if refusal := clb.busy_refusal(lb_id, self.busy.get(lb_id)):
            raise ApiError.of(refusal)
        task = str(uuid.uuid4())
        if self.settle:
            self.tasks[task] = {"LoadBalancerId": lb_id, "polls": 0, "Status": clb.TASK_SUCCEEDED}
            return {"RequestId": task}
        self.tasks[task] = {"LoadBalancerId": lb_id, "polls": self.task_polls, "Status": clb.TASK_RUNNING}
        self.busy[lb_id] = task
        return {"RequestId": task}

    def _targets(self, p: dict) -> list[dict]:
        known = None if self._cvm is None else self._cvm.instances
        if refusal := clb.targets_refusal(p["Targets"], known):
            raise ApiError.of(refusal)
        return [
            {"InstanceId": t["InstanceId"], "Port": int(t["Port"]), "Weight": int(t.get("Weight", 10))}
            for t in p["Targets"]
        ]

    # --- load balancers -----------------------------------------------------------------------------------------
    def CreateLoadBalancer(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        if refusal := clb.create_lb_refusal(p):
            raise ApiError.of(refusal)
        lb_id = self._next("lb")
        n = self._serial
        public = p["LoadBalancerType"] == "OPEN"
        vip = f"198.18.{n // 250 % 256}.{n % 250 + 2}" if public else f"10.255.{n // 250 % 256}.{n % 250 + 2}"
        self.lbs[lb_id] = {
            "LoadBalancerId": lb_id,
            "LoadBalancerName": p.get("LoadBalancerName") or lb_id,
            "LoadBalancerType": p["LoadBalancerType"],
            "Forward": 1,
            "VpcId": p.get("VpcId", ""),
            "SubnetId": p.get("SubnetId", ""),
            "LoadBalancerVips": [vip],
            "Domain": "",
            "Status": 1,
            "Tags": [dict(t) for t in p.get("Tags") or []],
            "SecureGroups": [],
            "NetworkAttributes": dict(p.get("InternetAccessible") or {}),
            "Listeners": {},
            "LoadBalancerPassToTarget": bool(p.get("LoadBalancerPassToTarget")),
        }
        return {"LoadBalancerIds": [lb_id], **self._write(lb_id)}

    def DescribeLoadBalancers(self, p: dict) -> dict:  # noqa: N802
        chosen = [
            lb
            for lb in self.lbs.values()
            if (not p.get("LoadBalancerIds") or lb["LoadBalancerId"] in p["LoadBalancerIds"])
            and (not p.get("VpcId") or lb["VpcId"] == p["VpcId"])
        ]
        for f in p.get("Filters") or []:
            chosen = [lb for lb in chosen if self._matches(lb, f)]
        offset, limit = int(p.get("Offset") or 0), int(p.get("Limit") or 20)
        if not 0 <= limit <= clb.DESCRIBE_LIMIT:
            raise ApiError(clb.VALUE_RANGE, f"Limit {limit} is outside 0..{clb.DESCRIBE_LIMIT}")
        rows = [{k: v for k, v in lb.items() if k != "Listeners"} for lb in chosen[offset : offset + limit]]
        return {"TotalCount": len(chosen), "LoadBalancerSet": rows}

    @staticmethod
    def _matches(lb: dict, f: dict) -> bool:
        """The tag filters of DescribeLoadBalancers (api/214/30685 Filters): `tag-key` (the CLB has one of the keys)
        and `tag:<key>` (the CLB's value of that key is one of Values)."""
        name, values = str(f.get("Name")), list(f.get("Values") or [])
        tags = {t["TagKey"]: t["TagValue"] for t in lb["Tags"]}
        if name == "tag-key":
            return any(v in tags for v in values)
        if name.startswith("tag:"):
            return tags.get(name[4:]) in values
        raise ApiError(common.UNSUPPORTED_OPERATION, f"the emulator does not evaluate the filter {name!r}")

    def DeleteLoadBalancer(self, p: dict) -> dict:  # noqa: N802
        lbs = [self._lb(i) for i in p["LoadBalancerIds"]]
        for lb in lbs:
            if refusal := clb.busy_refusal(lb["LoadBalancerId"], self.busy.get(lb["LoadBalancerId"])):
                raise ApiError.of(refusal)
        answer: dict = {}
        for lb in lbs:
            answer = self._write(lb["LoadBalancerId"])
            del self.lbs[lb["LoadBalancerId"]]
        return answer

    def SetLoadBalancerSecurityGroups(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        answer = self._write(lb["LoadBalancerId"])
        lb["SecureGroups"] = list(p.get("SecurityGroups") or [])
        return answer

    def ModifyLoadBalancerAttributes(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        answer = self._write(lb["LoadBalancerId"])
        for attribute in ("LoadBalancerName", "LoadBalancerPassToTarget"):  # one left out is left as it is
            if p.get(attribute) is not None:
                lb[attribute] = p[attribute]
        return answer

    # --- listeners and targets ----------------------------------------------------------------------------------
    def CreateListener(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        taken = [(listener["Protocol"], listener["Port"]) for listener in lb["Listeners"].values()]
        if refusal := clb.create_listener_refusal(taken, p):
            raise ApiError.of(refusal)
        answer = self._write(lb["LoadBalancerId"])
        ids = []
        for i, port in enumerate(p["Ports"]):
            listener_id = self._next("lbl")
            names = p.get("ListenerNames") or []
            lb["Listeners"][listener_id] = {
                "ListenerId": listener_id,
                "Protocol": p["Protocol"],
                "Port": int(port),
                "ListenerName": names[i] if i < len(names) else "",
                "HealthCheck": dict(p.get("HealthCheck") or {}),
                "Scheduler": p.get("Scheduler", "WRR"),
                "Targets": [],
            }
            ids.append(listener_id)
        return {"ListenerIds": ids, **answer}

    def DescribeListeners(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        rows = [
            {k: v for k, v in listener.items() if k != "Targets"}
            for listener in lb["Listeners"].values()
            if (not p.get("ListenerIds") or listener["ListenerId"] in p["ListenerIds"])
            and (not p.get("Protocol") or listener["Protocol"] == p["Protocol"])
            and (not p.get("Port") or listener["Port"] == int(p["Port"]))
        ]
        return {"Listeners": rows, "TotalCount": len(rows)}

    def ModifyListener(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        listener = self._listener(lb, p["ListenerId"])
        if refusal := clb.health_check_refusal(listener["Protocol"], p.get("HealthCheck")):
            raise ApiError.of(refusal)
        answer = self._write(lb["LoadBalancerId"])
        if "HealthCheck" in p:
            listener["HealthCheck"] = dict(p["HealthCheck"])
        if "ListenerName" in p:
            listener["ListenerName"] = p["ListenerName"]
        return answer

    def DeleteListener(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        self._listener(lb, p["ListenerId"])
        answer = self._write(lb["LoadBalancerId"])
        del lb["Listeners"][str(p["ListenerId"])]
        return answer

    def RegisterTargets(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        listener = self._listener(lb, p["ListenerId"])
        new = self._targets(p)
        have = {(t["InstanceId"], t["Port"]) for t in listener["Targets"]}
        if dup := [t for t in new if (t["InstanceId"], t["Port"]) in have]:
            raise ApiError(clb.VALUE_DUPLICATE, f"{dup[0]['InstanceId']}:{dup[0]['Port']} is already a target")
        answer = self._write(lb["LoadBalancerId"])
        listener["Targets"].extend(new)
        return answer

    def DeregisterTargets(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        listener = self._listener(lb, p["ListenerId"])
        gone = {(t["InstanceId"], int(t["Port"])) for t in p["Targets"]}
        answer = self._write(lb["LoadBalancerId"])
        listener["Targets"] = [t for t in listener["Targets"] if (t["InstanceId"], t["Port"]) not in gone]
        return answer

    def DescribeTargets(self, p: dict) -> dict:  # noqa: N802
        lb = self._lb(p["LoadBalancerId"])
        rows = [
            {
                "ListenerId": listener["ListenerId"],
                "Protocol": listener["Protocol"],
                "Port": listener["Port"],
                "Targets": [{"Type": "CVM", **t} for t in listener["Targets"]],
            }
            for listener in lb["Listeners"].values()
            if not p.get("ListenerIds") or listener["ListenerId"] in p["ListenerIds"]
        ]
        return {"Listeners": rows}

    # --- tasks --------------------------------------------------------------------------------------------------
    def DescribeTaskStatus(self, p: dict) -> dict:  # noqa: N802
        task = self.tasks.get(str(p.get("TaskId") or ""))
        if task is None:
            raise ApiError(common.INVALID_PARAMETER, f"no task {p.get('TaskId') or p.get('DealName')!r}")
        if task["Status"] == clb.TASK_RUNNING:
            if task["polls"] > 0:
                task["polls"] -= 1
            else:
                task["Status"] = clb.TASK_SUCCEEDED
                if self.busy.get(task["LoadBalancerId"]) == p["TaskId"]:
                    del self.busy[task["LoadBalancerId"]]
        return {"Status": task["Status"], "LoadBalancerIds": [task["LoadBalancerId"]]}
