"""What the simulated account lists to the data sources: its public images, the instance types it sells (offline/
instance_types.py's catalogue) with their shapes, and the system disks each family takes.

Apart from offline/simulated_cloud.py (resource outputs and refusals) because the catalogue's answers are their own
concern; every name stays importable from offline/simulated_cloud.py.
"""

from __future__ import annotations

from kubecvm.offline import instance_types
from kubecvm.planning import disks, sizing, validation
from kubecvm.planning.tencent import cvm


# Public image names the simulated account lists (Tencent's public images of these names exist in every region).
PUBLIC_IMAGES = ("Ubuntu Server 22.04 LTS 64bit", "Ubuntu Server 20.04 LTS 64bit", "TencentOS Server 3.1 (TK4)")


def public_images(pattern: str) -> list[str]:
    """The simulated public images an imageNameRegex selects, matched as the provider matches (a search)."""
    return [name for name in PUBLIC_IMAGES if validation.image_regex_matches(pattern, name)]


# tencentcloud.instance.get_types (cvm/data_source_tc_instance_types.go): DescribeZoneInstanceConfigInfos with the
# `filter` name/values pairs as given (`availability_zone` is the `zone` filter), then cpu/gpu/memory and
# exclude_sold_out applied to the answer. The answer here is offline/instance_types.py's catalogue, every type
# sold in every zone (the pages give no per-zone table), postpaid, status SELL. A family the pages name without sizes
# (instance_types.DOCUMENTED_WITHOUT_SIZES) is answered with the account's `sells`: the types a stack asks for.
INSTANCE_TYPES_TOKEN = cvm.INSTANCE_TYPES


def sold_shape(instance_type: str) -> tuple[int, int] | None:
    """(vCPU, memory GiB) of a type the simulated account sells: the catalogue's, or the name's for a type of a family
    documented without sizes; None for a type Tencent does not sell."""
    if (found := instance_types.shape(instance_type)) is not None:
        return found
    if instance_types.sizes_untranscribed(instance_type):
        try:
            named = sizing.parse_instance_type(instance_type)
        except ValueError:
            return None
        return named.cpu, named.memory_gib
    return None


def offered_types(args: dict, sells: tuple[str, ...] = ()) -> list[dict]:
    """The data source's `instance_types` for these arguments, from the catalogue (and `sells`)."""
    filters = {f.get("name"): list(f.get("values") or []) for f in args.get("filters") or []}
    if args.get("availabilityZone"):
        filters["zone"] = [args["availabilityZone"]]
    sold = {family: instance_types.types_of(family) for family in instance_types.CATALOGUE}
    for t in dict.fromkeys(sells):
        if instance_types.sizes_untranscribed(t) and sold_shape(t):
            sold.setdefault(instance_types.family_of(t), []).append(t)
    families = filters.get("instance-family") or list(sold)
    wanted = set(filters.get("instance-type") or ())
    cbs = args.get("cbsFilter")
    out = []
    for zone in filters.get("zone") or ["all"]:
        for t in (t for family in families for t in sold.get(family, ())):
            cpu, memory = sold_shape(t)
            if (
                (wanted and t not in wanted)
                or args.get("cpuCoreCount") not in (None, cpu)
                or args.get("memorySize") not in (None, memory)
            ):
                continue
            out.append(
                {
                    "availabilityZone": zone,
                    "instanceType": t,
                    "family": instance_types.family_of(t),
                    "cpuCoreCount": cpu,
                    "memorySize": memory,
                    "gpuCoreCount": 0,
                    "instanceChargeType": "POSTPAID_BY_HOUR",
                    "status": "SELL",
                    "cbsConfigs": cbs_configs(cbs, zone, instance_types.family_of(t)) if cbs else [],
                }
            )
    return out


def cbs_configs(cbs_filter: dict, zone: str, family: str) -> list[dict]:
    """The data source's `cbs_configs` for one listed type when given a cbs_filter (DescribeDiskConfigQuota,
    cvm/data_source_tc_instance_types.go): here the system disks planning/disks.py says the family is sold with,
    20..1024 GiB; data disks are not modelled (none is asked for)."""
    if cbs_filter.get("diskUsage") != "SYSTEM_DISK":
        return []
    asked = set(cbs_filter.get("diskTypes") or ())
    return [
        {
            "available": True,
            "deviceClass": "",
            "diskChargeType": cbs_filter.get("diskChargeType") or "POSTPAID_BY_HOUR",
            "diskType": t,
            "diskUsage": "SYSTEM_DISK",
            "extraPerformanceRanges": [],
            "instanceFamily": family,
            "maxDiskSize": 1024,
            "minDiskSize": 20,
            "stepSize": 1,
            "zone": zone,
        }
        for t in disks.system_disk_types(family)
        if not asked or t in asked
    ]
