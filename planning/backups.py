"""etcd snapshots to a COS bucket the stack creates, and the masters' certificate renewal. Pure (no pulumi).

The bucket (tencentcloud_cos_bucket, terraform-provider-tencentcloud v1.82.42 tencentcloud/services/cos/
resource_tc_cos_bucket.go):
- `bucket` is Required and ForceNew, validated by tccommon.ValidateCosBucketName: `<name>-<appid>`, matching
  ^[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}$ and at most 60 characters. The AppID is the account's (the
  tencentcloud_user_info data source; on a CVM the metadata service's /meta-data/app-id).
- `acl` defaults to private (private | public-read | public-read-write); `encryption_algorithm` AES256 is
  server-side encryption with COS-managed keys, changed in place (PutBucketEncryption); `lifecycle_rules` take a
  `filter_prefix` (Required) and one `expiration {days}`, and `abort_incomplete_multipart_upload
  {days_after_initiation}`; `force_clean` deletes the objects before the bucket (off: a destroy keeps backups).
- ForceNew keys: bucket, multi_az, cdc_id, chdfs_ofs. kubecvm sets none of the last three, and the name is fixed
  by the cluster's name, so a bucket is never replaced by a change here.
From inside the VPC the default domain `<bucket>.cos.<region>.myqcloud.com` resolves to COS's internal addresses
(tencentyun/qcloud-documents product/计算与网络/云服务器/控制台教学模块关联文档/最佳实践/CVM内网访问COS.md: same-region
access "将会自动被指向到内网地址"), so uploads need no NAT and no public traffic.

What masters may do with it (CAM): put objects under etcd/ and nothing else: no read, no list, no delete. A
compromised master cannot read other snapshots or remove them; the lifecycle rule expires them. COS CAM resources
are `qcs::cos:<region>:uid/<appid>:<bucket>-<appid>/<key>` with `*` as a prefix wildcard (`.../<bucket>-<appid>/app/avatar/*`
in tencentyun/intlcloud-documents@19ed9ddee48a21cbe9ac02c8be7c0e7c7284efec
yehe_doc/存储/对象存储/最佳实践/访问控制与权限管理/临时密钥生成及使用指引_intl_en.md and COS's "Working with COS API Access
Policies"), so `.../kubecvm-<cluster>-etcd-<appid>/etcd/*` is every object under etcd/ and nothing else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import names
from .plan import ClusterPlan

BUCKET_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}$")  # tccommon.ValidateCosBucketName
BUCKET_NAME_MAX = 60
APPID = re.compile(r"^[0-9]{10}$")
PREFIX = "etcd/"  # object keys: etcd/<node>/<UTC time>.db
ENCRYPTION = "AES256"
ABORT_UPLOADS_AFTER_DAYS = 1
# The one COS call an upload makes: planning/cos_put.py sends each snapshot as a single PutObject (why not
# upload_file's multipart, which also needs the bucket-level cos:ListMultipartUploads: see there), and
# tests/bootstrap/test_backups.py checks that the real SDK sends exactly that request.
CAM_ACTIONS = ("cos:PutObject",)
COS_SDK_VERSION = "1.9.44"  # cos-python-sdk-v5 (Tencent's official COS SDK), on every node, from planning/node-pip.lock
# kubeadm's certificates last one year (kubeadm docs, "Certificate Management with kubeadm"); renew when fewer than
# this many days are left. The weekly check leaves several chances before that.
RENEW_WITHIN_DAYS = 60
RENEW_HOUR, RENEW_STAGGER_HOURS = 2, 2  # master i checks Sundays at 02:30 + 2 i hours: never two at once


@dataclass(frozen=True)
class BackupPlan:
    bucket_prefix: str  # the bucket is <bucket_prefix>-<appid>
    bucket_resource: str  # Pulumi names
    policy: str
    attachment: str
    component: str
    interval_hours: int
    retention_days: int
    protect: bool

    def bucket(self, appid: str) -> str:
        return bucket_name(self.bucket_prefix, appid)


def backup_plan(plan: ClusterPlan) -> BackupPlan | None:
    """The cluster's etcd backups, or None when `backups.etcd` is off."""
    b = plan.spec.backups
    if not b.etcd:
        return None
    c = plan.name
    return BackupPlan(
        bucket_prefix=names.backup_bucket(c),
        bucket_resource=names.backup_bucket(c),
        policy=names.backup_policy(c),
        attachment=names.backup_attachment(c),
        component=names.backups_component(c),
        interval_hours=b.interval_hours,
        retention_days=b.retention_days,
        protect=plan.protect,
    )


def bucket_name(prefix: str, appid: str) -> str:
    """`<prefix>-<appid>`, refused here as the provider would refuse it."""
    if not APPID.fullmatch(str(appid)):
        raise ValueError(f"appid {appid!r}: a Tencent Cloud AppID is 10 digits")
    name = f"{prefix}-{appid}"
    if len(name) > BUCKET_NAME_MAX or not BUCKET_NAME.fullmatch(name):
        raise ValueError(
            f"COS bucket {name!r}: expected <lower-case name>-<appid>, at most {BUCKET_NAME_MAX} characters"
        )
    return name


def lifecycle_rules(bp: BackupPlan) -> list[dict]:
    """Snapshots expire after retention_days; half-done uploads are cleaned after a day."""
    return [
        {
            "id": "kubecvm-etcd-retention",
            "filter_prefix": PREFIX,
            "expiration": {"days": bp.retention_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_UPLOADS_AFTER_DAYS},
        }
    ]


def policy_document(bp: BackupPlan, region: str, appid: str) -> str:
    """CAM: masters may only upload under etcd/ of this cluster's bucket."""
    resource = f"qcs::cos:{region}:uid/{appid}:{bp.bucket(appid)}/{PREFIX}*"
    return json.dumps(
        {"version": "2.0", "statement": [{"effect": "allow", "action": list(CAM_ACTIONS), "resource": [resource]}]},
        sort_keys=True,
        separators=(",", ":"),
    )


def cert_renew_hour(ordinal: int) -> int:
    return (RENEW_HOUR + RENEW_STAGGER_HOURS * ordinal) % 24
