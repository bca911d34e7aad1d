"""Invariants and stable identity over random valid specs (hypothesis)."""

from __future__ import annotations

import ipaddress

from hypothesis import assume, given
from hypothesis import strategies as st

from kubecvm.planning import ClusterSpec, build_plan
from kubecvm.planning.names import zone_number

REGION = "ap-guangzhou"
ZONE_NUMBERS = st.lists(st.integers(1, 8), min_size=1, max_size=5, unique=True)


@st.composite
def specs(draw) -> dict:
    zones = [f"{REGION}-{n}" for n in draw(ZONE_NUMBERS)]
    slots = draw(st.lists(st.integers(1, 7), min_size=1, max_size=4, unique=True))
    pools = []
    for i, slot in enumerate(slots):
        pool_zones = draw(st.none() | st.lists(st.sampled_from(zones), min_size=1, unique=True))
        pools.append(
            {
                "name": f"pool{i}",
                "slot": slot,
                "instanceType": "S5.LARGE8",
                "countPerZone": draw(st.integers(0, 6)),
                **({"zones": pool_zones} if pool_zones else {}),
            }
        )
    return {
        "preset": "staging",
        "region": REGION,
        "name": "c",
        "zones": zones,
        # Ranges chosen so any combination is disjoint: the properties are about layout, not CIDR validation.
        "vpcCidr": draw(st.sampled_from(["10.0.0.0/16", "10.8.0.0/14", "10.64.0.0/20"])),
        "podCidr": draw(st.sampled_from(["172.16.0.0/12", "10.128.0.0/10"])),
        "serviceCidr": "192.168.0.0/20",
        "nodePodMask": draw(st.sampled_from([24, 25])),
        "maxPodsPerNode": 100,
        "controlPlane": {"count": draw(st.sampled_from([3, 5])), "instanceType": "S5.4XLARGE64"},
        "nodePools": pools,
        "quotas": {"routeEntriesPerTable": 5000},
        # Both pod networks: the layout and identities must not depend on which one carries the routes.
        "podNetwork": {"mode": draw(st.sampled_from(["vpcRoutes", "globalRouter"]))},
        # The ingress CLB in front of the first pool (at most 6 x 5 = 30 workers, within a listener's 100).
        "ingress": {"enabled": True, "pools": [pools[0]["name"]]},
    }


def spec_of(doc: dict) -> ClusterSpec:
    return ClusterSpec.model_validate(doc)


def identities(plan) -> dict[str, tuple]:
    """Each node's zone, IP, pod block and its route (name, destination, next hop) in whichever table holds it."""
    table = plan.cluster_route_table
    routes = {r.node: (r.name, r.destination, r.next_hop) for r in (table.routes if table else plan.vpc_pod_routes)}
    return {m.name: (m.zone, m.private_ip, m.pod_cidr, routes[m.name]) for m in plan.machines}


@given(specs())
def test_plan_invariants(doc):
    spec = spec_of(doc)
    plan = build_plan(spec)
    vpc, pod, svc = spec.vpc_net, spec.pod_net, spec.service_net
    subnets = {s.zone: ipaddress.IPv4Network(s.cidr) for s in plan.subnets}
    assert all(s.subnet_of(vpc) for s in subnets.values())
    nets = list(subnets.values())
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    ips = [m.private_ip for m in plan.machines] + [plan.api.vip]
    assert len(set(ips)) == len(ips)
    for m in plan.machines:
        ip = ipaddress.IPv4Address(m.private_ip)
        assert ip in subnets[m.zone]
        assert ip not in (subnets[m.zone].network_address, subnets[m.zone].broadcast_address)
        block = ipaddress.IPv4Network(m.pod_cidr)
        assert block.subnet_of(pod) and not block.overlaps(vpc) and not block.overlaps(svc)
        assert block.prefixlen == spec.node_pod_mask
    blocks = sorted(ipaddress.IPv4Network(m.pod_cidr) for m in plan.machines)
    assert not any(a.overlaps(b) for a, b in zip(blocks, blocks[1:]))
    assert sorted((r.node, r.destination, r.next_hop) for r in plan.routes) == sorted(
        (m.name, m.pod_cidr, m.private_ip) for m in plan.machines
    )
    if doc["podNetwork"]["mode"] == "globalRouter":
        assert plan.vpc_pod_routes == () and plan.cluster_route_table.routes == plan.routes
        assert plan.cluster_route_table.cidr == spec.pod_cidr and plan.capacity.max_nodes_by_route_quota is None
    else:
        assert plan.cluster_route_table is None and plan.vpc_pod_routes == plan.routes
    master_zones = [m.zone for m in plan.masters]
    assert len(set(master_zones)) == min(len(spec.zones), len(plan.masters))


@given(specs(), st.integers(0, 3), st.data())
def test_scaling_a_pool_moves_nothing_else(doc, delta, data):
    before = build_plan(spec_of(doc))
    i = data.draw(st.integers(0, len(doc["nodePools"]) - 1))
    doc["nodePools"][i] = {**doc["nodePools"][i], "countPerZone": doc["nodePools"][i]["countPerZone"] + delta}
    after = build_plan(spec_of(doc))
    old, new = identities(before), identities(after)
    assert {k: new[k] for k in old} == old  # every existing node keeps name, zone, IP, pod CIDR
    assert len(new) - len(old) == delta * len(after.pools[i].zones)


@given(specs(), st.data())
def test_shrinking_a_pool_moves_nothing_else(doc, data):
    i = data.draw(st.integers(0, len(doc["nodePools"]) - 1))
    before = identities(build_plan(spec_of(doc)))
    doc["nodePools"][i] = {**doc["nodePools"][i], "countPerZone": max(0, doc["nodePools"][i]["countPerZone"] - 1)}
    after = identities(build_plan(spec_of(doc)))
    assert {k: before[k] for k in after} == after


@given(specs(), st.randoms(use_true_random=False))
def test_reordering_zones_and_pools_changes_nothing(doc, rnd):
    before = build_plan(spec_of(doc))
    shuffled = {
        **doc,
        "zones": rnd.sample(doc["zones"], len(doc["zones"])),
        "nodePools": rnd.sample(doc["nodePools"], len(doc["nodePools"])),
    }
    after = build_plan(spec_of(shuffled))
    assert identities(after) == identities(before)
    assert sorted(after.routes, key=lambda r: r.name) == sorted(before.routes, key=lambda r: r.name)


@given(specs(), st.integers(1, 8))
def test_adding_a_zone_moves_no_worker(doc, n):
    new_zone = f"{REGION}-{n}"
    assume(new_zone not in doc["zones"])
    before = build_plan(spec_of(doc))
    after = build_plan(spec_of({**doc, "zones": [*doc["zones"], new_zone]}))
    # Pools that name their zones stay put; pools over "all zones" gain nodes in the new zone only.
    old, new = identities(before), identities(after)
    workers = {w.name for w in before.workers}
    assert {k: new[k] for k in workers} == {k: old[k] for k in workers}
    # Masters move only when the new zone sorts among the zones they use (a deliberate re-spread).
    if n > max(zone_number(z) for z in doc["zones"]) and len(doc["zones"]) >= doc["controlPlane"]["count"]:
        assert [identities(after)[m.name] for m in before.masters] == [old[m.name] for m in before.masters]


@given(specs(), st.integers(1, 8))
def test_adding_any_zone_moves_nothing_once_the_masters_zones_are_pinned(doc, n):
    new_zone = f"{REGION}-{n}"
    assume(new_zone not in doc["zones"])
    before = build_plan(spec_of(doc))
    pinned = {**doc, "controlPlane": {**doc["controlPlane"], "zones": sorted({m.zone for m in before.masters})}}
    assert identities(build_plan(spec_of(pinned))) == identities(before)  # pinning what is there changes nothing
    after = build_plan(spec_of({**pinned, "zones": [*doc["zones"], new_zone]}))
    old, new = identities(before), identities(after)
    assert {k: new[k] for k in old} == old  # masters included, whatever the new zone's number
    assert after.api.zone == before.api.zone and after.api.vip == before.api.vip


def test_an_unpinned_lower_zone_moves_master_0_and_the_api_address():
    # The churn the pin exists for: masters go round-robin from the lowest zone number.
    doc = {
        "preset": "prod",
        "region": REGION,
        "name": "c",
        "zones": [f"{REGION}-{n}" for n in (3, 4, 6)],
        "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 1}],
    }
    before = build_plan(spec_of(doc))
    moved = build_plan(spec_of({**doc, "zones": [f"{REGION}-2", *doc["zones"]]}))
    assert (before.masters[0].zone, moved.masters[0].zone) == (f"{REGION}-3", f"{REGION}-2")
    kept = build_plan(
        spec_of({**doc, "zones": [f"{REGION}-2", *doc["zones"]], "controlPlane": {"zones": doc["zones"]}})
    )
    assert [(m.zone, m.private_ip) for m in kept.masters] == [(m.zone, m.private_ip) for m in before.masters]
    assert kept.api.vip == before.api.vip


@given(specs(), st.integers(1, 7))
def test_adding_a_pool_moves_nothing_else(doc, slot):
    assume(slot not in {p["slot"] for p in doc["nodePools"]})
    before = identities(build_plan(spec_of(doc)))
    pool = {"name": "added", "slot": slot, "instanceType": "S5.LARGE8", "countPerZone": 2}
    after = identities(build_plan(spec_of({**doc, "nodePools": [pool, *doc["nodePools"]]})))
    assert {k: after[k] for k in before} == before
