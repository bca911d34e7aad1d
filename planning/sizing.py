"""Instance-type parsing and the master sizing table. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import ClusterPlan

# FAMILY.SIZE<memory GiB>: S5.LARGE8, SA2.2XLARGE32, S6.MEDIUM2. The form is not the catalogue:
# whether Tencent sells a type is the provider's instance-types data source's answer (components/lookups.py).
# Tencent's pages (offline/instance_types.py) also write a lower-case family suffix (S5se, M6ce, GN10Xp, GN7vw) and a
# multiplied MEDIUM (M6.31MEDIUM470 = 62 vCPU, C6.23MEDIUM216 = 46): both are of the form.
_TYPE_RE = re.compile(
    r"^(?P<family>[A-Z][A-Z0-9]*[a-z]*)\.(?P<mult>[1-9][0-9]*)?(?P<size>SMALL|MEDIUM|LARGE|XLARGE)"
    r"(?P<mem>[1-9][0-9]*)$"
)
_CPUS = {"SMALL": 1, "MEDIUM": 2, "LARGE": 4, "XLARGE": 4}
_MULTIPLIED = ("MEDIUM", "XLARGE")  # nLARGE and nSMALL are not Tencent names

INSTANCE_TYPE_FORM = "FAMILY.SIZE<memory GiB> (for example S5.LARGE8 or S5.2XLARGE32)"


@dataclass(frozen=True)
class Shape:
    cpu: int
    memory_gib: int

    def covers(self, other: "Shape") -> bool:
        return self.cpu >= other.cpu and self.memory_gib >= other.memory_gib

    def __str__(self) -> str:
        return f"{self.cpu}C{self.memory_gib}G"


def parse_instance_type(instance_type: str) -> Shape:
    """Return the vCPU/memory shape of a Tencent instance type; raise ValueError if not of the form."""
    m = _TYPE_RE.fullmatch(instance_type)  # not match: its "$" also matches before a trailing newline
    if not m or (m["mult"] and m["size"] not in _MULTIPLIED):
        raise ValueError(f"{instance_type!r} is not of the form {INSTANCE_TYPE_FORM}")
    cpu = _CPUS[m["size"]] * int(m["mult"] or 1)
    return Shape(cpu=cpu, memory_gib=int(m["mem"]))


@dataclass(frozen=True)
class MasterTier:
    max_workers: int
    shape: Shape
    instance_type: str  # the type `instanceType: auto` picks for this tier


# The project's table: workers up to max_workers need at least `shape`.
MASTER_TIERS: tuple[MasterTier, ...] = (
    MasterTier(5, Shape(4, 8), "S5.LARGE8"),
    MasterTier(20, Shape(4, 16), "S5.LARGE16"),
    MasterTier(100, Shape(8, 32), "S5.2XLARGE32"),
    MasterTier(200, Shape(16, 64), "S5.4XLARGE64"),
)
MASTER_MINIMUM = Shape(2, 4)


def master_tier(workers: int) -> MasterTier | None:
    """The smallest tier that serves `workers`; None above the table (more than 200 workers)."""
    for tier in MASTER_TIERS:
        if workers <= tier.max_workers:
            return tier
    return None


def beyond_table_message(workers: int) -> str:
    top = MASTER_TIERS[-1]
    return (
        f"{workers} workers is beyond the sizing table (up to {top.max_workers} workers: {top.shape}); "
        "choose masters of at least 32C128G (for example S5.8XLARGE128), a dedicated etcd cluster on SSD disks, "
        "and set controlPlane.instanceType explicitly"
    )


def instance_family(instance_type: str) -> str:
    """`S5.LARGE8` -> `S5`: the provider's `family`, the `instance-family` filter of its instance-types data source."""
    return instance_type.partition(".")[0]


def instance_type_uses(plan: "ClusterPlan") -> dict[tuple[str, str], str]:
    """(zone, instance type) -> the field that asks for it (the first in spec order), for every CVM the plan makes.
    What the instance-type checks look up: a handful of pairs however many nodes share them."""
    uses: dict[tuple[str, str], str] = {}
    for m in plan.masters:
        uses.setdefault((m.zone, m.instance_type), "controlPlane.instanceType")
    for i, pool in enumerate(plan.pools):  # plan.pools keeps spec.nodePools' order
        for n in pool.nodes:
            uses.setdefault((n.zone, n.instance_type), f"nodePools[{i}].instanceType")
    return uses


def instance_type_refusal(where: str, instance_type: str, zone: str, offered: list[str], source: str) -> str | None:
    """Why `instance_type` cannot be had in `zone` given the types `source` says its family offers there, or None.
    One message for the offline catalogue and the live data source alike."""
    if instance_type in offered:
        return None
    family = instance_family(instance_type)
    if not offered:
        return (
            f"{where}: {instance_type!r}: {source} offers no {family} instances in {zone}; "
            "choose an instance family Tencent sells there"
        )
    return f"{where}: {instance_type!r} is not among the {family} sizes {source} offers in {zone}: {', '.join(offered)}"
