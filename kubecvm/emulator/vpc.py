"""The VPC API 2017-03-12 security-group calls, with an account's security groups, their tags and their rules. What VPC refuses
is decided by kubecvm/planning/tencent/vpc.py (the rule set's refusal rules, each with its source: the ones the
simulated cloud applies to a plan's GroupRuleSet); this module holds the state and shapes the answers as the SDK's
models do (tencentcloud/vpc/v20170312/models.py: CreateSecurityGroupResponse.SecurityGroup,
DescribeSecurityGroupPoliciesResponse.SecurityGroupPolicySet of Version, Ingress, Egress, and
DescribeSecurityGroupLimitsResponse.SecurityGroupLimitSet).

The provider's security_group_rule_set sends a group's whole rule set in ModifySecurityGroupPolicies
(vpc/resource_tc_security_group_rule_set.go); CreateSecurityGroupPolicies adds rules to those a group has, and the
group's rules after it are what the rules judge.
"""

from __future__ import annotations

from typing import Any

from kubecvm.emulator.service import ApiError, Service
from kubecvm.planning.tencent import common, vpc


class VpcService(Service):
    name = vpc.SERVICE
    version = vpc.VERSION
    parameters = vpc.PARAMETERS

    def reset(self) -> None:
        # SecurityGroupId -> {"name", "description", "version", "ingresses": [...], "egresses": [...]}, rules in the
        # provider's spelling (vpc.WIRE_KEYS). A test may read it or arrange a group with add_group.
        self.groups: dict[str, dict[str, Any]] = {}
        # SubnetId -> (VpcId, Zone, CidrBlock): the account's subnets, which a TMP instance's create checks (monitor.py). The
        # emulator does not answer CreateSubnet: a test arranges them with add_subnet.
        self.subnets: dict[str, tuple[str, str, str]] = {}
        self._next = 1
        super().reset()

    def resources(self) -> dict[str, int]:
        return {
            "vpc/SecurityGroup": len(self.groups),
            "vpc/SecurityGroupPolicy": sum(len(g[d]) for g in self.groups.values() for d in vpc.DIRECTIONS),
        }

    def add_group(
        self, group_id: str | None = None, name: str = "sg", description: str = "", tags: dict[str, str] | None = None
    ) -> str:
        group_id = group_id or f"sg-{self._next:08x}"
        self._next += 1
        self.groups[group_id] = {
            "name": name,
            "description": description,
            "version": 0,
            "tags": dict(tags or {}),
            **{d: [] for d in vpc.DIRECTIONS},
        }
        return group_id

    def add_subnet(self, subnet_id: str, vpc_id: str, zone: str, cidr: str = "10.0.0.0/24") -> str:
        self.subnets[subnet_id] = (vpc_id, zone, cidr)
        return subnet_id

    def _group(self, group_id: Any) -> dict[str, Any]:
        if str(group_id) not in self.groups:
            raise ApiError(vpc.RESOURCE_NOT_FOUND, f"security group {group_id} does not exist")
        return self.groups[str(group_id)]

    def _rules(self, group_id: str, policy_set: Any, replace: bool) -> dict[str, list[dict]]:
        """The group's rules after the request: each direction the set names replaces (Modify) or extends (Create)
        the group's; a direction it does not name stays as it is."""
        if not isinstance(policy_set, dict):
            raise ApiError(common.INVALID_PARAMETER, "SecurityGroupPolicySet is not an object")
        group = self._group(group_id)
        after = {"securityGroupId": group_id}
        for side in vpc.DIRECTIONS:
            given = policy_set.get(vpc.WIRE_DIRECTIONS[side])
            if given is not None and not (isinstance(given, list) and all(isinstance(p, dict) for p in given)):
                raise ApiError(
                    common.INVALID_PARAMETER,
                    f"SecurityGroupPolicySet.{vpc.WIRE_DIRECTIONS[side]} is not a list of policies",
                )
            new = [vpc.policy_from_wire(p) for p in given or []]
            after[side] = new if replace and given is not None else [*group[side], *new]
        for check in vpc.RULE_SET_REFUSALS:  # what the simulated cloud's GroupRuleSet rules apply, with the codes
            if refusal := check(after):
                raise ApiError.of(refusal)
        return after

    def _store(self, group_id: str, after: dict) -> dict:
        group = self.groups[group_id]
        group.update({d: after[d] for d in vpc.DIRECTIONS})
        group["version"] += 1
        return {}

    # --- the actions --------------------------------------------------------------------------------------------
    def _row(self, group_id: str) -> dict:
        """A SecurityGroup [models]: its id, name, description, project and TagSet of Tag {Key, Value}."""
        group = self.groups[group_id]
        return {
            "SecurityGroupId": group_id,
            "SecurityGroupName": group["name"],
            "SecurityGroupDesc": group["description"],
            "ProjectId": "0",
            "IsDefault": False,
            "TagSet": [{"Key": k, "Value": v} for k, v in group["tags"].items()],
        }

    @staticmethod
    def _matches(group_id: str, group: dict, f: dict) -> bool:
        name, values = str(f.get("Name")), [str(v) for v in f.get("Values") or []]
        if name == "security-group-id":
            return group_id in values
        if name == "security-group-name":
            return group["name"] in values
        if name == "tag-key":
            return any(v in group["tags"] for v in values)
        if name.startswith("tag:"):
            return group["tags"].get(name[4:]) in values
        raise ApiError(common.UNSUPPORTED_OPERATION, f"the emulator does not evaluate the filter {name!r}")

    def CreateSecurityGroup(self, p: dict) -> dict:  # noqa: N802 (Tencent's action names)
        tags = {str(t.get("Key")): str(t.get("Value")) for t in p.get("Tags") or []}
        group_id = self.add_group(name=str(p["GroupName"]), description=str(p["GroupDescription"]), tags=tags)
        return {"SecurityGroup": self._row(group_id)}

    def DescribeSecurityGroups(self, p: dict) -> dict:  # noqa: N802
        if refusal := vpc.describe_groups_refusal(p):
            raise ApiError.of(refusal)
        ids = [str(i) for i in p.get("SecurityGroupIds") or []]
        chosen = [
            i
            for i, g in self.groups.items()
            if (not ids or i in ids) and all(self._matches(i, g, f) for f in p.get("Filters") or [])
        ]
        offset, limit = int(p.get("Offset") or 0), int(p.get("Limit") or 20)
        return {"TotalCount": len(chosen), "SecurityGroupSet": [self._row(i) for i in chosen[offset : offset + limit]]}

    def DeleteSecurityGroup(self, p: dict) -> dict:  # noqa: N802
        self._group(p["SecurityGroupId"])
        del self.groups[str(p["SecurityGroupId"])]
        return {}

    def DescribeSecurityGroupLimits(self, _p: dict) -> dict:  # noqa: N802
        return {"SecurityGroupLimitSet": {"SecurityGroupPolicyLimit": vpc.POLICIES_PER_DIRECTION}}

    def DescribeSecurityGroupPolicies(self, p: dict) -> dict:  # noqa: N802
        if p.get("Filters"):
            raise ApiError(
                common.UNSUPPORTED_OPERATION, "the emulator does not evaluate DescribeSecurityGroupPolicies Filters"
            )
        group = self._group(p["SecurityGroupId"])
        return {
            "SecurityGroupPolicySet": {
                "Version": str(group["version"]),
                **{
                    vpc.WIRE_DIRECTIONS[d]: [
                        {**vpc.policy_to_wire(r), "PolicyIndex": i} for i, r in enumerate(group[d])
                    ]
                    for d in vpc.DIRECTIONS
                },
            }
        }

    def CreateSecurityGroupPolicies(self, p: dict) -> dict:  # noqa: N802
        group_id = str(p["SecurityGroupId"])
        return self._store(group_id, self._rules(group_id, p["SecurityGroupPolicySet"], replace=False))

    def ModifySecurityGroupPolicies(self, p: dict) -> dict:  # noqa: N802
        group_id = str(p["SecurityGroupId"])
        return self._store(group_id, self._rules(group_id, p["SecurityGroupPolicySet"], replace=True))
