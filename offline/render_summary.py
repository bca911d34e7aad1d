"""The plan's cluster summaries as rows of text, shared by the terminal table and the pull-request markdown
(offline/render.py): capacity, addresses, routes, egress, pod network, pools, monitoring, ingress, policies.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubecvm.offline import diagram


def summary_rows(s: Mapping) -> list[tuple[str, str]]:
    cap, cidrs, routes = s["capacity"], s["cidrs"], s["routeEntries"]
    tier = cap["masterTier"] or "beyond the table"
    nxt = (
        f"next tier at {cap['nextMasterTierAt']} workers" if cap["nextMasterTierAt"] else "no larger tier in the table"
    )
    api = s["apiEndpoint"]
    return [
        ("cluster", f"{s['cluster']} ({s['preset']} preset, {s['region']})"),
        ("masters", f"{s['masters']['count']} x {s['masters']['instanceType']} ({s['masters']['shape']})"),
        ("workers", ", ".join(map(_pool_cell, s["pools"])) + f" (total {s['workers']})"),
        (
            "CIDRs",
            f"VPC {cidrs['vpc']}, pods {cidrs['pod']} (/{cidrs['nodePodMask']} per node), services {cidrs['service']}",
        ),
        (
            "API endpoint",
            f"{api['exposure']} {api['endpoint'] or '(address assigned by Tencent)'}"
            + (f"; {INTERNAL_API}" if api["exposure"] == "internal" else ""),
        ),
        ("pod network", _pod_network(cap)),
        ("ingress", _ingress_row(s.get("ingress"))),
        ("monitoring", _monitoring_row(s.get("monitoring"))),
        ("route entries", f"{routes['used']} used of {routes['quota']} per table"),
        (
            "NetworkPolicy",
            ("enforced" if s["networkPolicy"]["enforced"] else "NOT ENFORCED")
            + f" ({s['networkPolicy']['cni']}): {s['networkPolicy']['note']}",
        ),
        *(
            [
                (
                    "boot",
                    f"images {s['boot']['controlPlaneImages']}, packages {s['boot']['packages']}; outside the VPC: "
                    f"{', '.join(s['boot']['outsideVpc']) or 'nothing (boots without NAT)'}",
                ),
                ("egress", _egress_row(s["boot"])),
            ]
            if "boot" in s
            else []
        ),
        (
            "max nodes",
            f"{cap['maxNodes']} (pod CIDR {cap['maxNodesByPodCidr']}, route quota "
            f"{'not a bound' if cap.get('maxNodesByRouteQuota') is None else cap['maxNodesByRouteQuota']}, "
            f"Kubernetes {cap['maxNodesByKubernetes']}; bounded by {', '.join(cap.get('boundedBy') or []) or '?'})",
        ),
        (
            "per pool and zone",
            f"{cap['maxNodesPerPoolZoneByPodCidr']} by pod blocks, {cap['maxNodesPerPoolZoneBySubnetIps']} by subnet addresses"
            + (
                f" (layout {cap['layout']['zoneBlocks']} zones x {cap['layout']['poolBlocks']} pools)"
                if cap.get("layout")
                else ""
            ),
        ),
        ("master tier", f"{tier}; {nxt}"),
        ("resources", str(s["resources"]["total"])),
    ]


def _egress_row(boot: dict) -> str:
    how = "NAT gateway" if boot.get("nat") else "no NAT"
    if boot.get("egress") == "auto":
        return how + (
            " (auto: the boot needs a host outside the VPC)"
            if boot.get("nat")
            else " (auto: the boot needs nothing outside the VPC; workloads get no internet)"
        )
    return f"{how} (egress: {boot.get('egress')})"


def _pod_network(cap: Mapping) -> str:
    if cap.get("podNetwork") == "globalRouter":
        return (
            f"globalRouter: {cap.get('clusterRoutes')} cluster routes in one TKE cluster route table (no documented "
            "route limit; the VPC route quota does not apply)"
        )
    return "vpcRoutes: one VPC route-table entry per node (bounded by the route quota)"


# `pulumi up` itself talks to the API server: the readiness gate (components/api_ready.py) and the add-ons'
# Kubernetes provider connect from the machine running it. An internal CLB VIP answers only inside the VPC.
INTERNAL_API = (
    "reachable only inside the VPC: run `pulumi up` from a machine there (or joined to it by VPN, "
    "Direct Connect or CCN), or set apiEndpoint.exposure public with allowedCidrs"
)


def _pool_cell(p: Mapping) -> str:
    """ "general: 2 x S5.LARGE8", or "general: none (countPerZone 0, S5.LARGE8)" for a pool scaled to zero."""
    if not p["nodes"]:
        return f"{p['name']}: none (countPerZone 0, {p['instanceType']})"
    return f"{p['name']}: {p['nodes']} x {p['instanceType']}"


def _monitoring_row(m: Mapping | None) -> str:
    """ "Cloud Monitor alarms: nodes (CPU >= 90%, ...); ... bound by kubecvm/cluster=prod; notices: none", or "none"."""
    if not m:
        return "no alarms (monitoring.alarms.enabled: false), no Prometheus"
    alarms = "; ".join(f"{a['watches']} ({', '.join(a['rules'])})" for a in m["alarms"])
    text = (
        f"Cloud Monitor alarms: {alarms}; bound by tag {m['boundByTag']}; notices: "
        f"{', '.join(m['noticeIds']) or 'none (monitoring.noticeIds)'}"
        if m["alarms"]
        else "no alarms (monitoring.alarms.enabled: false)"
    )
    if p := m.get("prometheus"):
        text += f". Prometheus agents scrape {', '.join(p['scrapes'])} and write to {p['writesTo']}"
    return text


def _ingress_row(ing: Mapping | None) -> str:
    """ "internal 10.0.64.12: 80->30080, 443->30081 on 6 workers (pool general)", or "none"."""
    if not ing:
        return "none (ingress.enabled: false)"
    ports = ", ".join(f"{p['port']}->{p['nodePort']}" for p in ing["ports"].values())
    where = ing["endpoint"] or "(address assigned by Tencent)"
    pools = ", ".join(ing["pools"])
    if not ing["targets"]:  # every pool behind it scaled to zero: the listeners exist, nothing answers yet
        return f"{ing['exposure']} {where}: {ports} on no workers yet (pool {pools} has none): nothing answers"
    return f"{ing['exposure']} {where}: {ports} on {ing['targets']} workers (pool {pools})"


def policy_status(p: Mapping) -> str:
    if not p.get("evaluated"):
        return f"policies not evaluated ({p.get('skipped') or '--no-policies'})"
    mandatory = sum(v["enforcement"] == "mandatory" for v in p["violations"])
    advisory = len(p["violations"]) - mandatory
    verdict = "FAIL" if p.get("mandatoryFailed") else "PASS"
    return (
        f"{verdict}: {mandatory} mandatory, {advisory} advisory violation(s), {len(p['waivers'])} waived "
        f"(policy config {p.get('config')})"
    )


def cluster_summaries(doc: Mapping) -> list[Mapping]:
    """Each cluster's summary: `clusters` when a program composes several, else `summary` (None: no cluster)."""
    return list(doc.get("clusters") or ([doc["summary"]] if doc.get("summary") else []))


def outside_clusters(doc: Mapping) -> str | None:
    """ "2 resources belong to no kubecvm cluster", or None: what the per-cluster summaries do not count."""
    summaries = cluster_summaries(doc)
    if not summaries:
        return None
    n = sum(
        r.get("custom", True)
        for r in diagram.cluster_members(doc["resources"], [s["cluster"] for s in summaries])[None]
    )
    return f"{n} resource{'s' if n != 1 else ''} belong{'s' if n == 1 else ''} to no kubecvm cluster" if n else None


NO_CLUSTER = "No kubecvm cluster: the program builds none, so there is no cluster summary or topology."
