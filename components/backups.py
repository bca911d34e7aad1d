"""EtcdBackups: the COS bucket the masters upload etcd snapshots to, and the CAM policy that lets them (only) upload.

Thin: names, rules and documents come from planning/backups.py; the account's AppID (part of every COS bucket
name) from the tencentcloud_user_info data source.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, backups

from .lifecycle import with_lifecycle

TYPE = "kubecvm:index:EtcdBackups"


class EtcdBackups(pulumi.ComponentResource):
    """A private, AES256-encrypted bucket `<prefix>-<appid>` with a retention rule; masters may put under etcd/."""

    def __init__(
        self,
        name: str,
        plan: ClusterPlan,
        bp: backups.BackupPlan,
        *,
        master_role_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        child = pulumi.ResourceOptions(parent=self)
        appid = tc.user.get_info_output(opts=pulumi.InvokeOptions(parent=self)).app_id
        self.bucket = tc.cos.Bucket(
            bp.bucket_resource,
            bucket=appid.apply(bp.bucket),
            acl="private",
            encryption_algorithm=backups.ENCRYPTION,
            lifecycle_rules=backups.lifecycle_rules(bp),
            # Never empties itself on delete, and is protected with the stack's other data (prod).
            force_clean=False,
            tags=plan.tagged("backup"),
            opts=pulumi.ResourceOptions(parent=self, protect=bp.protect),
        )
        policy = tc.cam.Policy(
            bp.policy,
            name=bp.policy,
            document=appid.apply(lambda a: backups.policy_document(bp, plan.region, a)),
            description=f"kubecvm {plan.name}: masters upload etcd snapshots",
            opts=child,
        )
        tc.cam.RolePolicyAttachment(bp.attachment, role_id=master_role_id, policy_id=policy.id, opts=child)
        self.bucket_name = self.bucket.bucket
        self.register_outputs({"bucket": self.bucket_name})
