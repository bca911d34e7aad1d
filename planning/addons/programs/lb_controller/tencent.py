"""The Tencent side: CLB, CVM and VPC calls through Tencent's official SDK (tencentcloud-sdk-python-clb, -cvm, -vpc),
with
  - retries with exponential backoff on the codes that mean "later" (RequestLimitExceeded and its sub-codes,
    FailedOperation.ResourceInOperating: kubecvm/planning/tencent/clb.py RETRYABLE);
  - every asynchronous CLB write awaited: its RequestId is the TaskId DescribeTaskStatus reads (api/214/30683:
    Status 0 succeeded, 1 failed, 2 in progress), so the next write to that CLB is not refused as in operation;
  - writes to one CLB serialised (a lock per CLB id), so two workers never interleave tasks on it.
A failure that remains is a CloudError carrying Tencent's code, which the service controller puts in an Event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tencentcloud.clb.v20180317 import clb_client
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client
from tencentcloud.vpc.v20170312 import vpc_client

RATE_LIMITED = "RequestLimitExceeded"  # and its sub-codes (RequestLimitExceeded.UinLimitExceeded, ...)
IN_OPERATING = "FailedOperation.ResourceInOperating"
NETWORK = "ClientNetworkError"  # the SDK's own code for a connection that failed
TASK_SUCCEEDED, TASK_FAILED, TASK_RUNNING = 0, 1, 2
BATCH = 20  # targets per Register/DeregisterTargets call (the console's and TKE's batch; well under any limit)
DESCRIBE_LIMIT = 100  # DescribeLoadBalancers', DescribeInstances' and DescribeSecurityGroups' page
POLICY_KEYS = ("Protocol", "Port", "CidrBlock", "Action")  # the members of a SecurityGroupPolicy this controller sets


class CloudError(Exception):
    def __init__(self, action: str, code: str, message: str):
        super().__init__(f"{action}: {code}: {message}")
        self.action, self.code, self.message = action, code, message


def retryable(code: str) -> bool:
    return code == IN_OPERATING or code == NETWORK or code == RATE_LIMITED or code.startswith(RATE_LIMITED + ".")


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5  # seconds before the first retry, doubled each time up to `most`
    most: float = 16.0
    attempts: int = 8  # calls in all, the first included
    task_poll: float = 0.5  # seconds between DescribeTaskStatus calls
    task_polls: int = 600  # polls before a task counts as lost

    def delays(self) -> Iterable[float]:
        delay = self.first
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.most)


class Cloud:
    def __init__(self, credential: object, region: str, *, clb_endpoint: str | None = None,
                 cvm_endpoint: str | None = None, vpc_endpoint: str | None = None, protocol: str = "https",
                 backoff: Backoff = Backoff(),
                 sleep: Callable[[float], None] = time.sleep):
        def profile(endpoint: str | None) -> ClientProfile:
            http = HttpProfile(protocol=protocol, endpoint=endpoint, reqTimeout=30) if endpoint else HttpProfile()
            return ClientProfile(httpProfile=http)
        self.clb = clb_client.ClbClient(credential, region, profile(clb_endpoint))
        self.cvm = cvm_client.CvmClient(credential, region, profile(cvm_endpoint))
        self.vpc = vpc_client.VpcClient(credential, region, profile(vpc_endpoint))
        self.backoff, self.sleep = backoff, sleep
        self.retries: list[tuple[str, str]] = []  # (action, code) of every call retried: the tests and the bench
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # --- one call ---------------------------------------------------------------------------------------------
    def call(self, client: object, action: str, params: dict) -> dict:
        delays = iter(self.backoff.delays())
        while True:
            try:
                return client.call_json(action, params)["Response"]  # type: ignore[attr-defined]
            except TencentCloudSDKException as exc:
                code, message = exc.code or "", exc.message or ""
            delay = next(delays, None) if retryable(code) else None
            if delay is None:
                raise CloudError(action, code, message)
            self.retries.append((action, code))
            self.sleep(delay)

    def lock(self, lb_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(lb_id, threading.Lock())

    def await_task(self, action: str, task: str) -> None:
        for _ in range(self.backoff.task_polls):
            status = self.call(self.clb, "DescribeTaskStatus", {"TaskId": task})["Status"]
            if status == TASK_SUCCEEDED:
                return
            if status == TASK_FAILED:
                raise CloudError(action, "TaskFailed", f"task {task} failed")
            self.sleep(self.backoff.task_poll)
        raise CloudError(action, "TaskTimeout", f"task {task} did not end")

    def write(self, lb_id: str, action: str, params: dict) -> dict:
        """An asynchronous write to one CLB: under that CLB's lock, awaited to its end."""
        with self.lock(lb_id):
            answer = self.call(self.clb, action, {"LoadBalancerId": lb_id, **params})
            self.await_task(action, answer["RequestId"])
            return answer

    # --- load balancers ---------------------------------------------------------------------------------------
    def create(self, params: dict) -> str:
        answer = self.call(self.clb, "CreateLoadBalancer", params)
        lb_id = answer["LoadBalancerIds"][0]
        with self.lock(lb_id):
            self.await_task("CreateLoadBalancer", answer["RequestId"])
        return lb_id

    def delete(self, lb_id: str) -> None:
        with self.lock(lb_id):
            answer = self.call(self.clb, "DeleteLoadBalancer", {"LoadBalancerIds": [lb_id]})
            self.await_task("DeleteLoadBalancer", answer["RequestId"])

    def load_balancers(self, *, ids: list[str] | None = None, tags: dict[str, str] | None = None) -> list[dict]:
        """The CLBs with these ids, or carrying all these tags (the tag:<key> filter), every page."""
        params: dict = {"LoadBalancerIds": ids} if ids else {}
        if tags:
            params["Filters"] = [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted(tags.items())]
        out: list[dict] = []
        while True:
            page = self.call(self.clb, "DescribeLoadBalancers", {**params, "Offset": len(out), "Limit": DESCRIBE_LIMIT})
            out += page.get("LoadBalancerSet") or []
            if not page.get("LoadBalancerSet") or len(out) >= page.get("TotalCount", 0):
                return out

    def listeners(self, lb_id: str) -> list[dict]:
        return self.call(self.clb, "DescribeListeners", {"LoadBalancerId": lb_id}).get("Listeners") or []

    def targets(self, lb_id: str) -> dict[str, set[tuple[str, int]]]:
        """ListenerId -> {(InstanceId, Port)} of its targets."""
        rows = self.call(self.clb, "DescribeTargets", {"LoadBalancerId": lb_id}).get("Listeners") or []
        return {r["ListenerId"]: {(t["InstanceId"], int(t["Port"])) for t in r.get("Targets") or []} for r in rows}

    def change_targets(self, lb_id: str, listener_id: str, action: str, targets: list[tuple[str, int]]) -> None:
        for i in range(0, len(targets), BATCH):
            chunk = [{"InstanceId": ins, "Port": port, **({"Weight": 10} if action == "RegisterTargets" else {})}
                     for ins, port in targets[i:i + BATCH]]
            self.write(lb_id, action, {"ListenerId": listener_id, "Targets": chunk})

    # --- instances --------------------------------------------------------------------------------------------
    def instance_states(self, ids: list[str]) -> dict[str, str]:
        """InstanceId -> InstanceState of those that exist; an id DescribeInstances leaves out does not exist. An
        API failure raises CloudError: the caller then knows nothing, and deletes nothing."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), DESCRIBE_LIMIT):
            chunk = ids[i:i + DESCRIBE_LIMIT]
            answer = self.call(self.cvm, "DescribeInstances", {"InstanceIds": chunk, "Limit": DESCRIBE_LIMIT})
            out |= {row["InstanceId"]: row["InstanceState"] for row in answer.get("InstanceSet") or []}
        return out

    # --- security groups (VPC API 2017-03-12) -----------------------------------------------------------------
    def security_groups(self, tags: dict[str, str]) -> list[dict]:
        """The security groups carrying all these tags (DescribeSecurityGroups Filters `tag:<key>`), every page."""
        filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted(tags.items())]
        out: list[dict] = []
        while True:
            page = self.call(self.vpc, "DescribeSecurityGroups", {"Filters": filters, "Offset": str(len(out)),
                                                                   "Limit": str(DESCRIBE_LIMIT)})
            out += page.get("SecurityGroupSet") or []
            if not page.get("SecurityGroupSet") or len(out) >= page.get("TotalCount", 0):
                return out

    def create_group(self, name: str, description: str, tags: dict[str, str]) -> str:
        """A new, empty group (CreateSecurityGroup), tagged at birth so it is found, and may be changed, by its tags."""
        answer = self.call(self.vpc, "CreateSecurityGroup", {
            "GroupName": name, "GroupDescription": description,
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
        return answer["SecurityGroup"]["SecurityGroupId"]

    def ingress(self, group_id: str) -> list[dict]:
        """The group's inbound rules in order, as (Protocol, Port, CidrBlock, Action) members only."""
        policies = self.call(self.vpc, "DescribeSecurityGroupPolicies", {"SecurityGroupId": group_id})
        rows = (policies.get("SecurityGroupPolicySet") or {}).get("Ingress") or []
        return [{k: str(r[k]) for k in POLICY_KEYS if r.get(k) not in (None, "")} for r in rows]

    def set_ingress(self, group_id: str, policies: list[dict]) -> None:
        """Replace the group's inbound rules with these, in this order (ModifySecurityGroupPolicies resets the
        directions it is given; "Version 0" would clear them all, so no Version is sent: vpc_client.py)."""
        self.call(self.vpc, "ModifySecurityGroupPolicies", {"SecurityGroupId": group_id,
                                                            "SecurityGroupPolicySet": {"Ingress": policies}})

    def delete_group(self, group_id: str) -> None:
        self.call(self.vpc, "DeleteSecurityGroup", {"SecurityGroupId": group_id})

    def bind_groups(self, lb_id: str, groups: list[str]) -> None:
        """SetLoadBalancerSecurityGroups has set semantics: `groups` is every group the CLB keeps (clb_client.py)."""
        self.write(lb_id, "SetLoadBalancerSecurityGroups", {"SecurityGroups": groups})
