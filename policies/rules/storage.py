"""Storage rules: encryption at rest, and etcd on SSD disks of its own that outlive the instance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kubecvm.planning import limits

from ..registry import CBS, CVM, Context, Finding, rule


@rule(
    "kubecvm-storage-encrypted",
    severity="high",
    scope=(CBS, CVM),
    per_resource=True,
    description="Every CBS disk and every CVM data disk is encrypted.",
    remediation="Keep disk `encrypted: true` (the default) for etcdDisk and node pool dataDisk.",
)
def encrypted(ctx: Context) -> Iterator[Finding]:
    for d in ctx.of_type(CBS):
        if d.props.get("encrypt") is not True:
            yield d.urn, f"{d.name} is not encrypted"
    for c in ctx.cvms():
        for i, disk in enumerate(c.props.get("dataDisks") or []):
            if disk.get("encrypt") is not True:
                yield c.urn, f"{c.name}: data disk {i} ({disk.get('dataDiskType')}) is not encrypted"


@rule(
    "kubecvm-storage-etcd-disk-ssd",
    severity="medium",
    scope=(CBS,),
    role="storage",
    per_resource=True,
    defaults={"ssdTypes": sorted(limits.SSD_CLASS_DISKS)},
    description="etcd disks (CBS tagged kubecvm/role=storage) are SSD-class: etcd's fsync latency bounds the API.",
    remediation="Set controlPlane.etcdDisk.type to CLOUD_SSD, CLOUD_HSSD or CLOUD_BSSD.",
)
def etcd_disk_ssd(ctx: Context) -> Iterator[Finding]:
    for d in ctx.of_type(CBS):
        if d.role == "storage" and d.props.get("storageType") not in ctx.params["ssdTypes"]:
            yield (
                d.urn,
                f"{d.name} is {d.props.get('storageType')}, not an SSD class ({', '.join(ctx.params['ssdTypes'])})",
            )


@rule(
    "kubecvm-storage-etcd-disk-separate",
    severity="high",
    description="Each master has its own etcd CBS disk in its zone (a separate cbs Storage, which survives "
    "instance replacement), and no master keeps data on inline disks deleted with the instance.",
    remediation="Keep the ControlPlane component's per-master cbs.Storage; do not move etcd to inline data disks.",
)
def etcd_disk_separate(ctx: Context) -> Iterator[Finding]:
    masters = Counter(str(m.props.get("availabilityZone")) for m in ctx.masters)
    disks = Counter(str(d.props.get("availabilityZone")) for d in ctx.of_type(CBS) if d.role == "storage")
    for zone, n in sorted(masters.items()):
        if disks[zone] < n:
            yield (
                None,
                f"zone {zone} has {n} master(s) but {disks[zone]} etcd disk(s) (CBS tagged kubecvm/role=storage)",
            )
    for m in ctx.masters:
        for i, disk in enumerate(m.props.get("dataDisks") or []):
            if disk.get("deleteWithInstance", True):
                yield m.urn, f"{m.name}: data disk {i} is deleted with the instance; etcd data must outlive it"
