"""How each kind of resource kubecvm makes can be replaced: the one place that says it. Pure (no pulumi).

Pulumi replaces create-before-delete unless `delete_before_replace` is set, so a resource whose new copy needs
something the old copy still holds (a pinned private IP, a route destination, a name Tencent keeps unique) fails
to replace, or worse, succeeds and is then undone by the old copy's delete. For each Tencent type the plans
contain, LIFECYCLE says which of three strategies kubecvm uses and why (provider source: tencentcloudstack/
terraform-provider-tencentcloud v1.82.42, tencentcloud/services/...):

  DELETE_BEFORE_REPLACE  the component sets `delete_before_replace=True`: the old copy goes first.
  UNIQUE_NAME            Tencent refuses the name while the old copy or its deletion hold lasts, whichever order
                         runs; a replacement succeeds only with a new name, which is the only way it is planned
                         (the name is the resource's only ForceNew input); `kubecvm diff` flags any other.
  CREATE_BEFORE_DELETE   nothing unique is pinned: Pulumi's default order keeps the old copy serving meanwhile.

`unique` lists the inputs (camelCase, as the plan JSON holds them) whose equal values make a create-before-delete
collide; `kubecvm diff` and the simulated cloud's replay read it. components/lifecycle.py applies the table.
The table is keyed by the type tokens of the service modules (planning/tencent/<service>.py). Adding a resource
type: add its entry here (a test fails loudly, naming the type, until you do).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .tencent import cam, cbs, clb, cos, cvm, monitor, ssm, vpc


class Strategy(str, Enum):
    DELETE_BEFORE_REPLACE = "delete-before-replace"
    UNIQUE_NAME = "unique-name"
    CREATE_BEFORE_DELETE = "create-before-delete"


@dataclass(frozen=True)
class Lifecycle:
    strategy: Strategy
    unique: tuple[str, ...]  # inputs a second live copy may not repeat
    why: str

    @property
    def delete_before_replace(self) -> bool:
        return self.strategy is Strategy.DELETE_BEFORE_REPLACE


DBR, UNIQUE, CBD = Strategy.DELETE_BEFORE_REPLACE, Strategy.UNIQUE_NAME, Strategy.CREATE_BEFORE_DELETE

LIFECYCLE: dict[str, Lifecycle] = {
    cvm.INSTANCE: Lifecycle(
        DBR,
        ("privateIp",),
        (
            'the planned privateIp "must be in the provided subnet and available" and the delete waits for the IP\'s '
            "release (cvm/resource_tc_instance.go: private_ip, waitIpRelease)"
        ),
    ),
    vpc.ROUTE_ENTRY: Lifecycle(
        DBR,
        ("routeTableId", "destinationCidrBlock"),
        (
            "a route table holds one route per destination, and a moved node keeps its pod CIDR "
            "(vpc/resource_tc_route_table_entry.go: CreateRoutes)"
        ),
    ),
    clb.INSTANCE: Lifecycle(
        DBR,
        ("clbName", "vip"),
        (
            'the provider refuses a second CLB of the same name ("Same CLB name ... exists", checkSameName) and an '
            "internal CLB pins its VIP (clb/resource_tc_clb_instance.go)"
        ),
    ),
    clb.LISTENER: Lifecycle(
        DBR,
        ("clbId", "port", "protocol"),
        ("a CLB listens once per port and protocol (clb/resource_tc_clb_listener.go: CreateListener Ports)"),
    ),
    clb.ATTACHMENT: Lifecycle(
        DBR,
        ("clbId", "listenerId"),
        (
            "its delete deregisters every target it lists (DeregisterTargets), so an old copy deleted after the new "
            "one leaves the listener without backends (clb/resource_tc_clb_attachment.go)"
        ),
    ),
    cbs.STORAGE_ATTACHMENT: Lifecycle(
        DBR,
        ("storageId",),
        (
            "a CBS disk attaches to one instance at a time: the new attachment needs the disk detached "
            "(cbs/resource_tc_cbs_storage_attachment.go: AttachDisk/DetachDisk)"
        ),
    ),
    vpc.RULE_SET: Lifecycle(
        DBR,
        ("securityGroupId",),
        (
            "it owns all rules of its group and its delete empties them (ModifySecurityGroupPolicies with empty sets), "
            "so an old copy deleted after the new one wipes the new rules (vpc/resource_tc_security_group_rule_set.go)"
        ),
    ),
    vpc.NAT: Lifecycle(
        DBR,
        ("assignedEipSets",),
        (
            "its EIPs are bound to the old gateway until it is deleted (vpc/resource_tc_nat_gateway.go: "
            "assigned_eip_set, AssociateNatGatewayAddress)"
        ),
    ),
    vpc.SUBNET: Lifecycle(
        DBR,
        ("vpcId", "cidrBlock"),
        (
            "subnet CIDRs may not overlap in a VPC (vpc/resource_tc_subnet.go: CreateSubnet); deleting it needs its "
            "instances gone first, so a subnet replacement is a maintenance operation either way"
        ),
    ),
    ssm.SECRET: Lifecycle(
        UNIQUE,
        ("secretName",),
        (
            'secret_name "cannot be repeated in the same region" and a deleted name stays PendingDelete for '
            "recovery_window_in_days (7 in prod) (ssm/resource_tc_ssm_secret.go), so neither order reuses it"
        ),
    ),
    ssm.SECRET_VERSION: Lifecycle(
        DBR,
        ("secretName", "versionId"),
        ("a version id is unique within its secret (PutSecretValue; ssm/resource_tc_ssm_secret_version.go)"),
    ),
    cam.ROLE: Lifecycle(
        DBR,
        ("name",),
        (
            "role names are unique in the account (CreateRole: RoleNameInUse; cam/resource_tc_cam_role.go); a deleted "
            "name is free at once"
        ),
    ),
    cam.POLICY: Lifecycle(
        DBR,
        ("name",),
        ("policy names are unique in the account (CreatePolicy: PolicyNameInUse; cam/resource_tc_cam_policy.go)"),
    ),
    cam.ROLE_POLICY_ATTACHMENT: Lifecycle(
        DBR,
        ("roleId", "policyId"),
        ("one attachment per role and policy, id roleId#policyId (cam/resource_tc_cam_role_policy_attachment.go)"),
    ),
    cos.BUCKET: Lifecycle(
        UNIQUE,
        ("bucket",),
        (
            "bucket names are unique across COS (PutBucket: BucketAlreadyExists) and `bucket` is ForceNew "
            "(cos/resource_tc_cos_bucket.go); it holds the etcd backups, so it is `protect`ed in prod and never "
            "emptied on delete (force_clean off) instead"
        ),
    ),
    vpc.VPC: Lifecycle(CBD, (), "VPC names and CIDRs may repeat (vpc/resource_tc_vpc.go)"),
    vpc.ROUTE_TABLE: Lifecycle(CBD, (), "route table names may repeat (vpc/resource_tc_route_table.go)"),
    cbs.STORAGE: Lifecycle(
        CBD, (), ("disk names may repeat (cbs/resource_tc_cbs_storage.go); etcd disks are `protect`ed in prod instead")
    ),
    vpc.SECURITY_GROUP: Lifecycle(CBD, (), "group names may repeat (vpc/resource_tc_security_group.go)"),
    cvm.PLACEMENT_GROUP: Lifecycle(CBD, (), "placement group names may repeat (cvm/resource_tc_placement_group.go)"),
    vpc.EIP: Lifecycle(CBD, (), "Tencent assigns a new address (cvm/resource_tc_eip.go)"),
    monitor.TMP_INSTANCE: Lifecycle(
        CBD,
        (),
        (
            "instance names may repeat (tmp/resource_tc_monitor_tmp_instance.go checks none); nothing of it is ForceNew, "
            "and it is `protect`ed in prod with the metrics it holds"
        ),
    ),
    monitor.ALARM_POLICY: Lifecycle(
        CBD,
        (),
        (
            "policy names may repeat (monitor/resource_tc_monitor_alarm_policy.go checks none) and the new copy binds the "
            "same tag, so the cluster stays watched while both exist"
        ),
    ),
}


def lifecycle(type_: str) -> Lifecycle | None:
    return LIFECYCLE.get(type_)


def delete_before_replace(type_: str) -> bool:
    entry = LIFECYCLE.get(type_)
    return bool(entry and entry.delete_before_replace)
