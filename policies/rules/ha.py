"""High-availability rules: etcd quorum across zones, worker spread, the API load balancer, placement."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from kubecvm.planning.checks import skew_problem, zone_loss_problem

from ..registry import CLB, CLB_ATTACHMENT, CVM, LISTENER, PLACEMENT_GROUP, Context, Finding, rule


def _zone(r) -> str:
    return str(r.props.get("availabilityZone"))


@rule(
    "kubecvm-ha-master-count-odd",
    severity="critical",
    defaults={"allowSingleMaster": False},
    description="The master (etcd member) count is odd: 3, 5 or 7; a single master only where allowSingleMaster "
    "is set (dev).",
    remediation="Set controlPlane.count to 3 (or 5, 7). An even count adds a member without adding fault tolerance.",
)
def master_count_odd(ctx: Context) -> Iterator[Finding]:
    n = len(ctx.masters)
    if n == 0:
        yield None, "no CVM is tagged kubecvm/role=master: the cluster has no control plane"
    elif n % 2 == 0:
        yield (
            None,
            f"{n} masters: etcd needs an odd member count (quorum of {n} is {n // 2 + 1}, the same failures tolerated as {n - 1})",
        )
    elif n == 1 and not ctx.params["allowSingleMaster"]:
        yield None, "1 master has no etcd quorum to spare; this level needs 3, 5 or 7"


@rule(
    "kubecvm-ha-masters-distinct-zones",
    severity="high",
    defaults={"minZones": 3},
    description="Masters sit in at least min(minZones, masters) distinct zones.",
    remediation="List at least three zones for the cluster so that masters spread one per zone.",
)
def masters_distinct_zones(ctx: Context) -> Iterator[Finding]:
    zones = Counter(_zone(m) for m in ctx.masters)
    need = min(int(ctx.params["minZones"]), len(ctx.masters))
    if len(zones) < need:
        layout = ", ".join(f"{z}: {n}" for z, n in sorted(zones.items()))
        yield (
            None,
            f"{len(ctx.masters)} masters are in {len(zones)} zone(s) ({layout}); at least {need} distinct zones are needed",
        )


@rule(
    "kubecvm-ha-zone-loss-quorum",
    severity="critical",
    description="Losing any one zone leaves etcd with a quorum of masters.",
    remediation="Spread masters so that no zone holds as many as a quorum's complement (one per zone).",
)
def zone_loss_quorum(ctx: Context) -> Iterator[Finding]:
    if problem := zone_loss_problem(_zone(m) for m in ctx.masters):
        yield None, problem


@rule(
    "kubecvm-ha-workers-multi-zone",
    severity="high",
    defaults={"minZones": 2},
    description="Workers run in at least minZones zones, so a zone outage leaves capacity for workloads.",
    remediation="Spread node pools over two or more zones (nodePools[].zones, or the cluster zones).",
)
def workers_multi_zone(ctx: Context) -> Iterator[Finding]:
    zones = {_zone(w) for w in ctx.workers}
    if len(zones) < int(ctx.params["minZones"]):
        yield (
            None,
            f"workers are in {len(zones)} zone(s) ({', '.join(sorted(zones)) or 'none'}); at least {ctx.params['minZones']} are needed",
        )


@rule(
    "kubecvm-ha-master-zones-have-workers",
    severity="medium",
    description="Every zone that holds a master also holds workers, so zone-local traffic and capacity stay balanced.",
    remediation="Run a node pool in every control-plane zone.",
)
def master_zones_have_workers(ctx: Context) -> Iterator[Finding]:
    missing = sorted({_zone(m) for m in ctx.masters} - {_zone(w) for w in ctx.workers})
    if missing:
        yield None, f"master zone(s) without workers: {', '.join(missing)}"


@rule(
    "kubecvm-ha-pool-zone-skew",
    severity="medium",
    defaults={"maxSkew": 1},
    description="Within each node pool, per-zone worker counts differ by at most maxSkew.",
    remediation="Use countPerZone (the same count in each zone) rather than uneven hand-made pools.",
)
def pool_zone_skew(ctx: Context) -> Iterator[Finding]:
    pools: dict[str, Counter] = defaultdict(Counter)
    for w in ctx.workers:
        pools[w.pool or "(no pool tag)"][_zone(w)] += 1
    for pool, counts in sorted(pools.items()):
        if problem := skew_problem(dict(counts), int(ctx.params["maxSkew"])):
            yield None, f"pool {pool}: {problem}"


@rule(
    "kubecvm-ha-api-load-balancer",
    severity="high",
    defaults={"apiPort": 6443},
    description="An API load balancer (kubecvm/role=lb) listens on the API port with every master attached.",
    remediation="Keep the ControlPlane component's CLB, listener and attachment; attach every master on port 6443.",
)
def api_load_balancer(ctx: Context) -> Iterator[Finding]:
    port = int(ctx.params["apiPort"])
    if not [lb for lb in ctx.of_type(CLB) if lb.role == "lb"]:
        yield None, "no CLB tagged kubecvm/role=lb fronts the API server"
    if not [li for li in ctx.of_type(LISTENER) if int(li.props.get("port") or 0) == port]:
        yield None, f"no CLB listener on port {port}"
    attached = {
        t.get("instanceId")
        for a in ctx.of_type(CLB_ATTACHMENT)
        for t in a.props.get("targets") or []
        if int(t.get("port") or 0) == port and t.get("instanceId")
    }
    if len(attached) < len(ctx.masters):
        yield (
            None,
            f"{len(attached)} of {len(ctx.masters)} masters are attached to the API load balancer on port {port}",
        )


@rule(
    "kubecvm-ha-master-placement-group",
    severity="medium",
    defaults={"spreadTypes": ["HOST", "SW", "RACK"]},
    description="All masters share one spread placement group (HOST, SW or RACK), so no two share a failure domain.",
    remediation="Keep the ControlPlane component's placement group and set placementGroupId on every master.",
)
def master_placement_group(ctx: Context) -> Iterator[Finding]:
    if not ctx.masters:
        return
    groups = [g for g in ctx.of_type(PLACEMENT_GROUP) if g.props.get("type") in ctx.params["spreadTypes"]]
    if not groups:
        yield (
            None,
            f"no placement group of a spread type ({', '.join(ctx.params['spreadTypes'])}) exists for the masters",
        )
    for m in ctx.masters:
        if not m.props.get("placementGroupId"):
            yield m.urn, f"{m.name} is in no placement group"
    ids = {m.props.get("placementGroupId") for m in ctx.masters if m.props.get("placementGroupId")}
    if len(ids) > 1:
        yield None, f"masters are split over {len(ids)} placement groups; spreading works within one group"


@rule(
    "kubecvm-ha-no-spot-masters",
    severity="high",
    scope=(CVM,),
    role="master",
    per_resource=True,
    defaults={"forbiddenChargeTypes": ["SPOTPAID"]},
    description="Masters are not spot instances, which Tencent may reclaim at any time.",
    remediation="Masters use POSTPAID_BY_HOUR or PREPAID; keep spot capacity to worker pools.",
)
def no_spot_masters(ctx: Context) -> Iterator[Finding]:
    for m in ctx.masters:
        if m.props.get("instanceChargeType") in ctx.params["forbiddenChargeTypes"]:
            yield (
                m.urn,
                f"{m.name} is charged {m.props.get('instanceChargeType')}: a reclaimed master costs etcd a member",
            )
