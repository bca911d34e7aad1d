"""Instance-type parsing and the master sizing table. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

# FAMILY.SIZE<memory GiB>: S5.LARGE8, SA2.2XLARGE32, M5.MEDIUM4, S6.SMALL1 (DESIGN.md section 3).
_TYPE_RE = re.compile(r"^(?P<family>[A-Z][A-Z0-9]*)\.(?P<mult>[1-9][0-9]*)?(?P<size>SMALL|MEDIUM|LARGE|XLARGE)(?P<mem>[1-9][0-9]*)$")
_CPUS = {"SMALL": 1, "MEDIUM": 2, "LARGE": 4, "XLARGE": 4}

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
    if not m or (m["mult"] and m["size"] != "XLARGE"):
        raise ValueError(f"{instance_type!r} is not of the form {INSTANCE_TYPE_FORM}")
    cpu = _CPUS[m["size"]] * int(m["mult"] or 1)
    return Shape(cpu=cpu, memory_gib=int(m["mem"]))


@dataclass(frozen=True)
class MasterTier:
    max_workers: int
    shape: Shape
    instance_type: str  # the type `instanceType: auto` picks for this tier


# The project's table (DESIGN.md section 4): workers up to max_workers need at least `shape`.
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
