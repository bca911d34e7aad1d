"""The one way a planned machine becomes a CVM, shared by ControlPlane and NodePool."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, MachinePlan, disks


@dataclass(frozen=True)
class MachineDeps:
    """What every CVM needs from the rest of the cluster."""

    vpc_id: pulumi.Input[str]
    subnet_ids: dict[str, pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    image_id: pulumi.Input[str]
    # (zone, instance type) -> the type once the provider's data source confirmed Tencent sells it there
    # (components/lookups.py instance_types_offered); a CVM waits for that answer. A pair not in it goes as planned.
    instance_types: Mapping[tuple[str, str], pulumi.Input[str]] = field(default_factory=dict)
    # (zone, instance type, disk charge type, system disk type) -> that disk type once the data source confirmed
    # Tencent sells it as the type's system disk there (components/lookups.py system_disks_offered).
    system_disk_types: Mapping[tuple[str, str, str, str], pulumi.Input[str]] = field(default_factory=dict)
    placement_group_id: pulumi.Input[str] | None = None
    # The boot path (components/boot.py): the role whose credentials read the node's secrets, the cloud-init for
    # a planned machine, and what must exist before a node boots (secret values, role policies).
    cam_role_name: pulumi.Input[str] | None = None
    user_data: Callable[[MachinePlan], pulumi.Input[str]] | None = None
    boot_ready: Sequence[pulumi.Resource] = ()
    # From the caller (kubecvm.ClusterArgs): security groups after kubecvm's own, key pairs given as Inputs.
    extra_security_group_ids: Sequence[pulumi.Input[str]] = ()
    ssh_key_ids: Sequence[pulumi.Input[str]] | None = None


# Never reinstall a running machine: the provider answers an image_id change with ResetInstance (Update in
# cvm/resource_tc_instance.go), and the default image is a lookup that moves when Tencent publishes a newer one.
# A machine keeps the image it was created with; machines created later get the current one; rolling an old
# machine onto it is `pulumi up --replace <its URN>`, one machine at a time (docs/operations/changes.md).
IGNORED_CHANGES = ["imageId"]


def cvm(
    m: MachinePlan,
    plan: ClusterPlan,
    deps: MachineDeps,
    parent: pulumi.Resource,
    after: pulumi.Resource | None = None,
) -> tc.instance.Instance:
    """`after`: a machine this one's create and updates wait for (masters are chained so that a resize, which
    force-stops the instance, never takes two of them down at once)."""
    disk = m.data_disk
    data_disks = (
        [
            {
                "data_disk_type": disk.type,
                "data_disk_size": disk.size,
                "encrypt": disk.encrypted,
                "delete_with_instance": disk.delete_with_instance,
                **({"delete_with_instance_prepaid": True} if disk.delete_with_instance_prepaid else {}),
            }
        ]
        if disk
        else None
    )
    return tc.instance.Instance(
        m.name,
        instance_name=m.name,
        hostname=m.name,
        availability_zone=m.zone,
        instance_type=deps.instance_types.get((m.zone, m.instance_type), m.instance_type),
        image_id=deps.image_id,
        vpc_id=deps.vpc_id,
        subnet_id=deps.subnet_ids[m.zone],
        private_ip=m.private_ip,
        orderly_security_groups=[deps.security_group_id, *deps.extra_security_group_ids],
        placement_group_id=deps.placement_group_id,
        key_ids=[*plan.spec.ssh_key_ids, *(deps.ssh_key_ids or ())] or None,
        allocate_public_ip=False,
        # The family's default or the spec's systemDisk.type (planning/disks.py), as the live check confirmed it.
        system_disk_type=deps.system_disk_types.get(
            (m.zone, m.instance_type, disks.disk_charge_type(m.charge_type), m.system_disk_type), m.system_disk_type
        ),
        system_disk_size=m.system_disk_size,
        data_disks=data_disks,
        instance_charge_type=m.charge_type,
        # PREPAID needs its term (RunInstances' InstanceChargePrepaid); SPOTPAID may carry a bid. None otherwise.
        instance_charge_type_prepaid_period=m.prepaid_period,
        instance_charge_type_prepaid_renew_flag=m.prepaid_renew_flag,
        spot_max_price=m.spot_max_price,
        spot_instance_type=m.spot_instance_type,
        # Delete of a PREPAID instance (resourceTencentCloudInstanceDelete, cvm/resource_tc_instance.go) calls
        # TerminateInstances once, which moves it to the recycle bin, and returns unless force_delete: the
        # instance would keep its private IP there, and its replacement is created at that same planned address.
        force_delete=True if m.force_delete else None,
        disable_api_termination=m.disable_api_termination,
        # The Cloud Monitor agent, which reports memory and disk use (planning/monitoring.py's alarms need them):
        # the provider's default, stated so a stack cannot lose it unnoticed (policy kubecvm-monitoring-agent).
        disable_monitor_service=False,
        tags=m.tags,
        cam_role_name=deps.cam_role_name,
        user_data=deps.user_data(m) if deps.user_data else None,  # base64 of text: planning.bootstrap.encode_user_data
        # cloud-init runs once per instance: a user-data change is an in-place update that only machines created
        # later use. Replacing nodes on it would drop etcd quorum or every pool at once (planning/bootstrap.py).
        user_data_replace_on_change=False,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[*deps.boot_ready, *([after] if after else [])],
            ignore_changes=IGNORED_CHANGES,
        ),
    )
