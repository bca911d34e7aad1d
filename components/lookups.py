"""What a Cluster asks the provider's data sources at run time: the image, whether Tencent sells each planned
instance type and system disk in its zone, and the account's live route-table quota. Each check fails the run
naming the field before any CVM is created."""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, disks, sizing
from kubecvm.planning.tencent import vpc


def image_id(plan: ClusterPlan, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The spec's image, or the newest public image matching its name pattern."""
    if plan.spec.image_id:
        return plan.spec.image_id
    found = tc.images.get_instance_output(
        image_name_regex=plan.spec.image_name_regex,
        image_types=["PUBLIC_IMAGE"],
        opts=pulumi.InvokeOptions(parent=parent),
    )
    pattern, region = plan.spec.image_name_regex, plan.spec.region

    def newest(images) -> str:
        if not images:  # was an IndexError deep in `pulumi up`
            raise pulumi.RunError(
                f"kubecvm:cluster.imageNameRegex: {pattern!r} matches no public image in {region}; set a pattern that "
                "matches one (the CVM console lists the public images) or set imageId"
            )
        return images[0].image_id

    return found.images.apply(newest)


# The provider's instance-types data source is the authority on what Tencent sells where
# (tencentcloud/services/cvm/data_source_tc_instance_types.go, v1.82.42): its `filter` pairs go as given to
# DescribeZoneInstanceConfigInfos; the schema documents the names `zone`, `instance-family` and
# `instance-charge-type` (`availability_zone` conflicts with `filter`). exclude_sold_out stays false: a type sold
# out today must not fail the preview of a stack whose machines already run.
def instance_types_offered(plan: ClusterPlan, parent: pulumi.Resource) -> dict[tuple[str, str], pulumi.Output[str]]:
    """(zone, instance type) -> the type, once the data source lists every type the plan uses in its zone; the
    first it does not list (in spec order) fails the run naming the field, before any CVM is created. One look-up
    per distinct (zone, family) the plan uses, however many nodes share it; it also tells what the family offers
    there instead."""
    uses = sizing.instance_type_uses(plan)
    lookups = {
        (zone, family): tc.instance.get_types_output(
            filters=[{"name": "zone", "values": [zone]}, {"name": "instance-family", "values": [family]}],
            opts=pulumi.InvokeOptions(parent=parent),
        ).instance_types.apply(lambda found: list(dict.fromkeys(t.instance_type for t in found or [])))
        for zone, family in dict.fromkeys((z, sizing.instance_family(t)) for z, t in uses)
    }

    def confirm(answers: list) -> bool:
        offered = dict(zip(lookups, answers))
        for (zone, instance_type), where in uses.items():
            if problem := sizing.instance_type_refusal(
                f"kubecvm:cluster.{where}",
                instance_type,
                zone,
                offered[(zone, sizing.instance_family(instance_type))],
                "the provider's instance-types data source",
            ):
                raise pulumi.RunError(problem)
        return True

    # Every CVM waits for every check, so one wrong type in one pool leaves no machine of any pool behind.
    every = pulumi.Output.all(*lookups.values()).apply(confirm)
    return {pair: every.apply(lambda _, t=pair[1]: t) for pair in uses}


def system_disks_offered(
    plan: ClusterPlan, parent: pulumi.Resource
) -> dict[tuple[str, str, str, str], pulumi.Output[str]]:
    """(zone, instance type, disk charge type, system disk type) -> the disk type, once the provider's instance-types
    data source, asked with a cbs_filter for system disks (DescribeDiskConfigQuota per listed type,
    cvm/data_source_tc_instance_types.go), lists it for that type in its zone; one it does not list fails the run
    naming the field, before any CVM is created. One look-up per distinct (zone, instance type, disk charge type),
    filtered to that one type so the provider makes one DescribeDiskConfigQuota call for it."""
    uses = disks.system_disk_uses(plan)
    lookups = {
        (zone, instance_type, charge): tc.instance.get_types_output(
            filters=[{"name": "zone", "values": [zone]}, {"name": "instance-type", "values": [instance_type]}],
            # The typed args, not a dict: they carry the camelCase names the provider reads (diskUsage, ...).
            cbs_filter=tc.instance.GetTypesCbsFilterArgs(disk_usage="SYSTEM_DISK", disk_charge_type=charge),
            opts=pulumi.InvokeOptions(parent=parent),
        ).instance_types.apply(
            lambda found: list(
                dict.fromkeys(
                    c.disk_type for t in found or [] for c in t.cbs_configs or [] if c.disk_usage == "SYSTEM_DISK"
                )
            )
        )
        for zone, instance_type, charge in dict.fromkeys((z, t, c) for z, t, c, _ in uses)
    }

    def confirm(answers: list) -> bool:
        offered = dict(zip(lookups, answers))
        for (zone, instance_type, charge, disk_type), where in uses.items():
            if problem := disks.live_refusal(
                f"kubecvm:cluster.{where}", disk_type, instance_type, zone, offered[(zone, instance_type, charge)]
            ):
                raise pulumi.RunError(problem)
        return True

    every = pulumi.Output.all(*lookups.values()).apply(confirm)
    return {use: every.apply(lambda _, d=use[3]: d) for use in uses}


ROUTE_QUOTA_LIMIT = vpc.ROUTE_TABLE_QUOTA


def live_route_quota(plan: ClusterPlan, parent: pulumi.Resource) -> pulumi.Output[int | None]:
    """The account's real route-table quota; warns when the stack's quotas.routeEntriesPerTable claims otherwise,
    since every capacity figure and the route-quota policy rest on that setting."""
    found = tc.vpc.get_limits_output(limit_types=[ROUTE_QUOTA_LIMIT], opts=pulumi.InvokeOptions(parent=parent))

    def check(sets) -> int | None:
        live = next((s.limit_value for s in sets or [] if s.limit_type == ROUTE_QUOTA_LIMIT), None)
        configured = plan.capacity.route_quota
        if live is not None and live != configured:
            pulumi.log.warn(
                f"quotas.routeEntriesPerTable is {configured} but this account's {ROUTE_QUOTA_LIMIT} is {live}; "
                f"set it to {live} so the capacity report and the route-quota policy are right",
                parent,
            )
        return live

    return found.vpc_limit_sets.apply(check)
