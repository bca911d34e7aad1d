"""COS (Cloud Object Storage): the etcd backup bucket. Pure.

The engine type token, the bucket's id, its ForceNew inputs, and what Tencent refuses.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type token (tencentcloud_iac_pulumi/cos/bucket.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/cos/
  resource_tc_cos_bucket.go (ForceNew inputs in the SDK's camelCase; the name's form, tccommon.ValidateCosBucketName).

COS speaks its own XML API, not API 3.0: the emulator does not answer it (nor could the Tencent provider plugin be
built here to drive it), so these rules are enforced offline only, by the simulated cloud
(offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "cos"

# Engine type token [sdk].
BUCKET = "tencentcloud:Cos/bucket:Bucket"

# A bucket's id is its name (cos/resource_tc_cos_bucket.go d.SetId(bucket)): `<name>-<appid>`.
ID_PREFIX: dict[str, str] = {BUCKET: "cos"}

# [provider] cos/resource_tc_cos_bucket.go: bucket, multi_az, cdc_id and chdfs_ofs are ForceNew; acl, encryption,
# lifecycle rules, versioning and tags are updated in place (resourceTencentCloudCosBucketUpdate).
FORCE_NEW: dict[str, frozenset[str]] = {
    BUCKET: frozenset({"bucket", "multiAz", "cdcId", "chdfsOfs"}),
}

# A create returns nothing beyond its inputs that kubecvm reads: the bucket is read by its name.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {}

# [provider] tccommon.ValidateCosBucketName: <name>-<appid>, at most 60 characters.
BUCKET_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}")
BUCKET_NAME_MAX = 60
BUCKET_ALREADY_EXISTS = "BucketAlreadyExists"  # PutBucket's answer for a name taken anywhere in COS


# --- What Tencent refuses ------------------------------------------------------------------------------------


def bucket_name(inputs: dict) -> str:
    return str(inputs.get("bucket") or "")


def cos_bucket_name(state: CloudState, inputs: dict) -> str | None:
    """cos/resource_tc_cos_bucket.go bucket: tccommon.ValidateCosBucketName (<name>-<appid>, at most 60
    characters, ^[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}$); and a bucket name is unique (BucketAlreadyExists)."""
    name = str(inputs.get("bucket") or "")
    if len(name) > BUCKET_NAME_MAX or not BUCKET_NAME.fullmatch(name):
        return f"bucket {name!r} is not <lower-case name>-<10-digit appid> of at most 60 characters"
    if state.holders(BUCKET, bucket_name, name):
        return f"{BUCKET_ALREADY_EXISTS}: {name}"
    return None


CREATE_RULES = {BUCKET: (cos_bucket_name,)}
DELETE_RULES: dict = {}
