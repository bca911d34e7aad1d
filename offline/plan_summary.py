"""What the plan document says beside the resources: their masked inputs and options, the policy results in a
stable order, and each cluster's summary (zones, pools, CIDRs, capacity, boot hosts, monitoring).

Apart from offline/plan.py (the run) so that the document's layout reads in one place; every name stays importable
from offline/plan.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from kubecvm.planning import ClusterPlan, bootstrap, mirrors, monitoring
from kubecvm.offline.runner import SECRET, Registration

# Inputs the provider marks Sensitive; masked even if a program passes them as plain values.
SENSITIVE_INPUTS = frozenset({"password"})


def masked(inputs: Mapping) -> dict:
    return {k: SECRET if k in SENSITIVE_INPUTS and v not in (None, "") else v for k, v in inputs.items()}


def options(r: Registration) -> dict:
    """What the engine is told besides the inputs: the order of a replacement, protection, ignored inputs, and the
    dependencies (URNs) that order creates, updates and deletes; `propertyDependencies` maps an input to the
    resources its value comes from; `aliases` are the URNs it had before a rename (the engine keeps the resource)."""
    return {
        "deleteBeforeReplace": r.delete_before_replace,
        "protect": r.protect,
        "ignoreChanges": list(r.ignore_changes),
        "retainOnDelete": r.retain_on_delete,
        "dependsOn": list(r.dependencies),
        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        "aliases": list(r.aliases),
    }


def _violation(v) -> dict:
    return {
        "policy": v.policy,
        "enforcement": v.enforcement,
        "severity": v.severity,
        "message": v.message,
        "urn": v.urn,
    }


def _waiver(w) -> dict:
    return {"policy": w.policy, "urn": w.urn, "reason": w.reason, "expires": w.expires}


SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _order(item: dict) -> tuple:
    """Mandatory before advisory, the most severe first; then by rule and resource, so the order is stable."""
    return (
        item.get("enforcement") != "mandatory",
        SEVERITY_ORDER.get(item.get("severity"), 4),
        item["policy"],
        item["urn"] or "",
        item.get("message", ""),
    )


def _boot_hosts(plan: ClusterPlan) -> dict:
    """Where the nodes get what they boot with (planning/mirrors.py), and which of it lies outside the VPC."""
    m = mirrors.from_spec(plan.spec)
    return {
        "controlPlaneImages": m.control_plane,
        "packages": m.packages,
        "dockerHubMirror": m.docker_hub,
        "addonRegistry": m.addon_registry,
        "cloudApi": m.api_domain,
        "outsideVpc": list(m.egress_hosts),
        # egress as configured, and what it resolved to (auto: a NAT exactly when outsideVpc is not empty)
        "egress": plan.spec.egress.value,
        "nat": plan.nat is not None,
    }


def _monitoring(plan: ClusterPlan) -> dict | None:
    mp, pp = monitoring.monitoring_plan(plan), monitoring.prometheus_plan(plan)
    if mp is None and pp is None:
        return None
    return {**(mp.summary() if mp else {"alarms": []}), **({"prometheus": pp.summary()} if pp else {})}


def summary(plan: ClusterPlan, resources: list[dict]) -> dict:
    """One cluster's summary; `resources` are its own (diagram.cluster_members), which it counts."""
    cap = plan.capacity
    zones = []
    for subnet in plan.subnets:
        zones.append(
            {
                "zone": subnet.zone,
                "subnet": subnet.cidr,
                "masters": sum(m.zone == subnet.zone for m in plan.masters),
                "workers": sum(w.zone == subnet.zone for w in plan.workers),
            }
        )
    custom = [r for r in resources if r["custom"]]
    types = {sp.name: sp.instance_type for sp in plan.spec.node_pools}  # a pool of 0 nodes still has its type
    return {
        "cluster": plan.name,
        "region": plan.region,
        "preset": plan.preset,
        "zones": zones,
        "masters": {
            "count": len(plan.masters),
            "instanceType": plan.masters[0].instance_type,
            "shape": str(plan.masters[0].shape),
        },
        "pools": [
            {
                "name": p.name,
                "slot": p.slot,
                "zones": list(p.zones),
                "nodes": len(p.nodes),
                "instanceType": p.nodes[0].instance_type if p.nodes else types.get(p.name),
            }
            for p in plan.pools
        ],
        "workers": len(plan.workers),
        "cidrs": {
            "vpc": plan.vpc_cidr,
            "pod": plan.pod_cidr,
            "service": plan.service_cidr,
            "nodePodMask": plan.spec.node_pod_mask,
            "subnets": {s.zone: s.cidr for s in plan.subnets},
        },
        "apiEndpoint": {
            "exposure": plan.api.exposure,
            "endpoint": plan.api.endpoint or None,
            "allowedCidrs": list(plan.api.allowed_cidrs),
        },
        # The workload entry point (planning/ingress.py): listener port -> NodePort on the selected pools' workers.
        "ingress": None
        if plan.ingress is None
        else {
            "exposure": plan.ingress.exposure,
            "endpoint": plan.ingress.vip,
            "allowedCidrs": list(plan.ingress.allowed_cidrs),
            "ports": {li.key: {"port": li.port, "nodePort": li.node_port} for li in plan.ingress.listeners},
            "pools": list(plan.ingress.pools),
            "targets": len(plan.ingress.targets),
        },
        # What Cloud Monitor watches and who is told (planning/monitoring.py); None without alarms.
        "monitoring": _monitoring(plan),
        "capacity": cap.to_dict(),
        "networkPolicy": dict(bootstrap.NETWORK_POLICY),
        "routeEntries": {"used": cap.route_entries_used, "quota": cap.route_quota},
        "boot": _boot_hosts(plan),
        "resources": {"total": len(custom), "byType": dict(sorted(Counter(r["type"] for r in custom).items()))},
    }
