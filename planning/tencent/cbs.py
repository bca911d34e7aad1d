"""CBS (cbs.tencentcloudapi.com): cloud disks and their attachment to an instance. Pure.

The engine type tokens, each type's id prefix, its ForceNew inputs, and what Tencent refuses.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/cbs/storage.py,
  cbs/storage_attachment.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/cbs/ as cited
  per entry (ForceNew inputs in the SDK's camelCase).
- [limits] the sizes per disk type: planning/limits.py CBS_MIN_GIB_BY_TYPE and CBS_MAX_GIB, with their sources.

The emulator does not answer CBS's actions (the Tencent provider plugin cannot be built here to drive them): these
rules are enforced offline only, by the simulated cloud (offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import limits

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "cbs"

# Engine type tokens [sdk].
STORAGE = "tencentcloud:Cbs/storage:Storage"
STORAGE_ATTACHMENT = "tencentcloud:Cbs/storageAttachment:StorageAttachment"

ID_PREFIX: dict[str, str] = {STORAGE: "disk", STORAGE_ATTACHMENT: "disk-attach"}

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    # cbs/resource_tc_cbs_storage.go: storage_size grows in place (ResizeDisk), never shrinks.
    STORAGE: frozenset({"storageType", "availabilityZone", "dedicatedClusterId", "kmsKeyId", "encrypt", "encryptType"}),
    STORAGE_ATTACHMENT: frozenset({"storageId", "instanceId"}),  # cbs/resource_tc_cbs_storage_attachment.go
}

# A create returns nothing beyond its inputs that kubecvm reads: disks and attachments are read by id.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {}

# [limits] GiB a disk of each type may have: (least, most).
SIZES: dict[str, tuple[int, int]] = {t: (least, limits.CBS_MAX_GIB) for t, least in limits.CBS_MIN_GIB_BY_TYPE.items()}


# --- What Tencent refuses ------------------------------------------------------------------------------------


def size_problem(what: str, disk_type: str | None, size) -> str | None:
    """A disk's size outside its type's range [limits] (an unknown type: 10..32000 GiB)."""
    lo, hi = SIZES.get(disk_type or "", (10, 32000))
    if size is not None and not lo <= int(size) <= hi:
        return f"{what} {int(size)} GiB is outside {lo}..{hi} GiB for {disk_type}"
    return None


def cbs_size(state: CloudState, inputs: dict) -> str | None:
    """cbs/resource_tc_cbs_storage.go storage_size: CreateDisks refuses a size outside the type's range [limits]."""
    return size_problem("storageSize", inputs.get("storageType"), inputs.get("storageSize"))


def storage_id(inputs: dict):
    return inputs.get("storageId")


def disk_detached(state: CloudState, inputs: dict) -> str | None:
    """cbs/resource_tc_cbs_storage_attachment.go AttachDisk: a disk attaches to one instance at a time."""
    if state.holders(STORAGE_ATTACHMENT, storage_id, storage_id(inputs)):
        return f"disk {inputs.get('storageId')} is already attached"
    return None


CREATE_RULES = {
    STORAGE: (cbs_size,),
    STORAGE_ATTACHMENT: (disk_detached,),
}
DELETE_RULES: dict = {}
