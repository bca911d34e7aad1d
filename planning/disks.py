"""System disk types: which a CVM of a family may boot from, the default kubecvm picks, and why others are refused.

Pure data and checks; the spec's `systemDisk.type` (controlPlane, nodePools[]) is checked here when the plan knows
each machine's type (planning/plan.py), the simulated cloud refuses the same (offline/simulated_cloud.py), and
under `pulumi preview`/`up` the provider's instance-types data source is asked what Tencent sells as the system disk of
each planned type in its zone (components/lookups.py system_disks_offered), which decides.

Sources:
- Tencent CBS "Use Limits" (tencentyun/intlcloud-documents yehe_doc/存储/云硬盘/操作指南/使用限制_intl_en.md @
  2b6796e985d0ecb52cc903ece8cbd578af68ab3a): "Enhanced SSD cannot be used as the system disk" and "Tremendous SSD
  cannot be used as the system disk" (Tremendous SSD "can only be purchased with the ... S5se CVM instance", as a
  data disk); whatever the family.
- Tencent "Cloud Disk Types" (the same repository, yehe_doc/存储/云硬盘/产品简介/云硬盘实例/云硬盘类型_intl_en.md @
  84209eef23dbbba4f8be25bb06e53a6e1e3c0b45): "CBS is classified into three types: Premium Cloud Storage, SSD, and
  Enhanced SSD"; the basic (HDD) cloud disk, older than the page, is not among them (Balanced SSD is newer than it).
- terraform-provider-tencentcloud v1.82.42 cvm/resource_tc_instance.go system_disk_type: CLOUD_BSSD ("Basic SSD",
  Tencent's 通用型SSD) is a system disk type RunInstances takes; no page stored here limits it to some families.
- What each family sells as its system disk is DescribeDiskConfigQuota's answer (DiskUsage SYSTEM_DISK, by instance
  family, zone, CPU and memory), which the provider's instance-types data source returns as `cbs_configs` when given
  a `cbs_filter` (cvm/data_source_tc_instance_types.go). The family pages transcribed in offline/instance_types.py
  (实例规格.md and the GPU pages) list no system disk types per family, so offline every family gets the types the
  pages above allow, and the live answer is the per-family word.
"""

from __future__ import annotations

# What a system disk may be, in kubecvm's order of preference: the default is the first the family takes.
# CLOUD_SSD first: it is what every kubecvm machine booted from before systemDisk.type existed, so a running
# machine's default never changes (a system_disk_type change is an in-place update that may force-stop it).
SYSTEM_DISK_TYPES = ("CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD")

# Never a system disk, whatever the family, and why (the sources above).
NOT_SYSTEM_DISKS = {
    "CLOUD_HSSD": 'Tencent: "Enhanced SSD cannot be used as the system disk" (CBS use limits)',
    "CLOUD_TSSD": 'Tencent: "Tremendous SSD cannot be used as the system disk" (CBS use limits); it is sold only '
    "as an S5se data disk",
    "CLOUD_BASIC": "the basic (HDD) cloud disk is no longer among the cloud disks Tencent sells (Premium, SSD, "
    "Enhanced SSD: CBS cloud disk types)",
}

# Families whose system disks differ from SYSTEM_DISK_TYPES, with their source. None is documented in the pages
# stored here (see the module docstring); an entry goes here with the page that says so.
FAMILY_SYSTEM_DISKS: dict[str, tuple[str, ...]] = {}


def system_disk_types(family: str) -> tuple[str, ...]:
    """The system disk types a family is sold with, in kubecvm's preference order."""
    return FAMILY_SYSTEM_DISKS.get(family, SYSTEM_DISK_TYPES)


def default_system_disk(family: str) -> str:
    return system_disk_types(family)[0]


def system_disk_problem(disk_type: str, family: str) -> str | None:
    """Why `disk_type` cannot be the system disk of a `family` CVM, or None."""
    offered = system_disk_types(family)
    if disk_type in offered:
        return None
    why = NOT_SYSTEM_DISKS.get(disk_type, f"Tencent does not sell it as a {family} system disk")
    return f"{disk_type} is not a system disk of a {family} instance: {why}; choose one of {', '.join(offered)}"


def live_refusal(where: str, disk_type: str, instance_type: str, zone: str, offered: list[str]) -> str | None:
    """`where`'s system disk against what DescribeDiskConfigQuota lists for `instance_type` in `zone` (the provider's
    instance-types data source, cbs_filter SYSTEM_DISK). An empty answer (a type the data source does not list, which
    the instance-type check reports) refuses nothing."""
    if not offered or disk_type in offered:
        return None
    return (
        f"{where}: {disk_type} is not a system disk Tencent sells with {instance_type} in {zone}; the provider's "
        f"instance-types data source (DescribeDiskConfigQuota) offers {', '.join(offered)}"
    )


def disk_charge_type(instance_charge_type: str) -> str:
    """How a machine's system disk is billed (DescribeDiskConfigQuota's DiskChargeType): with its instance, PREPAID or
    POSTPAID_BY_HOUR (a spot instance's disk is postpaid)."""
    return "PREPAID" if instance_charge_type == "PREPAID" else "POSTPAID_BY_HOUR"


def system_disk_uses(plan) -> dict[tuple[str, str, str, str], str]:
    """(zone, instance type, disk charge type, system disk type) -> the field that sets it (the first in spec order),
    for every CVM of a ClusterPlan: what the live system-disk check asks about, a handful however many nodes."""
    uses: dict[tuple[str, str, str, str], str] = {}
    for m in plan.masters:
        uses.setdefault(
            (m.zone, m.instance_type, disk_charge_type(m.charge_type), m.system_disk_type),
            "controlPlane.systemDisk.type",
        )
    for i, pool in enumerate(plan.pools):  # plan.pools keeps spec.nodePools' order
        for n in pool.nodes:
            uses.setdefault(
                (n.zone, n.instance_type, disk_charge_type(n.charge_type), n.system_disk_type),
                f"nodePools[{i}].systemDisk.type",
            )
    return uses
