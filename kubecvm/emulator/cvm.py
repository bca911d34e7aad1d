"""The CVM API 2017-03-12 DescribeInstances, over the account's instances, as the load-balancer controller reads
them (its node lifecycle). What CVM refuses: kubecvm/planning/tencent/cvm.py; the answer's shape: the SDK's models
(tencentcloud/cvm/v20170312/models.py DescribeInstancesResponse.InstanceSet of Instance, TotalCount).

The instances are the account's setup (a test arranges them with add_instance, or sets `instances` directly): the
emulator does not run RunInstances, whose caller (the Tencent provider plugin) cannot be built here.
"""

from __future__ import annotations

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import common, cvm


class CvmService(Service):
    name = cvm.SERVICE
    version = cvm.VERSION
    parameters = cvm.PARAMETERS

    def reset(self) -> None:
        # InstanceId -> {"InstanceState", "PrivateIpAddresses", "Placement": {"Zone"}, "Tags"}: plain data.
        self.instances: dict[str, dict] = {}
        super().reset()

    def resources(self) -> dict[str, int]:
        return {}  # the instances are the account's setup (add_instance), as CAM's roles are, not counted

    def add_instance(
        self, instance_id: str, private_ip: str = "10.0.0.2", state: str = "RUNNING", zone: str = "ap-guangzhou-3"
    ) -> dict:
        assert state in cvm.INSTANCE_STATES, state
        row = {"InstanceState": state, "PrivateIpAddresses": [private_ip], "Placement": {"Zone": zone}, "Tags": []}
        self.instances[instance_id] = row
        return row

    def DescribeInstances(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        ids = list(p.get("InstanceIds") or [])
        if refusal := cvm.describe_instances_refusal(ids, p.get("Limit")):
            raise ApiError.of(refusal)
        if p.get("Filters"):
            raise ApiError(common.UNSUPPORTED_OPERATION, "the emulator does not evaluate DescribeInstances Filters")
        chosen = [i for i in ids if i in self.instances] if ids else sorted(self.instances)
        offset, limit = int(p.get("Offset") or 0), int(p.get("Limit") or 20)
        page = chosen[offset : offset + limit]
        return {"TotalCount": len(chosen), "InstanceSet": [{"InstanceId": i, **self.instances[i]} for i in page]}
