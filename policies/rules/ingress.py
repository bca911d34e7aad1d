"""Ingress rules: the ingress CLB's exposure, what it forwards to, and the NodePorts it forwards on.

The ingress CLB is the one tagged kubecvm/role=ingress (planning/ingress.py ROLE). An attachment belongs to it
when it depends on it (its clbId input is the CLB's id, so the engine records the dependency); its targets name
CVMs by id, and the CVMs it depends on are those targets (components/ingress.py), which is how a rule tells a
worker of this stack from any other instance without knowing ids at preview time.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubecvm.planning.ingress import NODE_PORT_RANGE, ROLE

from kubecvm.planning.plan import TAG_CLUSTER

from ..registry import CLB, CLB_ATTACHMENT, Context, Finding, Resource, rule
from .security import port_ranges


def _ingress_clbs(ctx: Context) -> list[Resource]:
    return [lb for lb in ctx.of_type(CLB) if lb.role == ROLE]


def _ingress_attachments(ctx: Context) -> list[tuple[Resource, Resource]]:
    """(attachment, its ingress CLB) for every attachment that depends on an ingress CLB."""
    clbs = {lb.urn: lb for lb in _ingress_clbs(ctx)}
    out = []
    for a in ctx.of_type(CLB_ATTACHMENT):
        lb = next((clbs[d] for d in a.dependencies if d in clbs), None)
        if lb is not None:
            out.append((a, lb))
    return out


def public_ingress_allowed(ctx: Context) -> bool:
    """The config's allowPublicIngress when set (prod sets false), else whether the stack asks for a public one."""
    if ctx.params.get("allowPublicIngress") is not None:
        return bool(ctx.params["allowPublicIngress"])
    return ctx.cluster.get("ingressExposure") == "public"


@rule(
    "kubecvm-security-ingress-public",
    severity="high",
    scope=(CLB,),
    per_resource=True,
    defaults={"allowPublicIngress": None},
    description="The ingress load balancer (kubecvm/role=ingress) is INTERNAL unless a public ingress is allowed "
    "(allowPublicIngress; else the stack's ingress.exposure). The prod config sets it false: a public "
    "ingress in prod needs a policy config of its own that allows it, or an exemption.",
    remediation="Use ingress.exposure: internal and reach it from your network, or allow it for this stack "
    "(allowPublicIngress: true in its policy config, or an exemption with a reason and an expiry).",
)
def ingress_public(ctx: Context) -> Iterator[Finding]:
    if public_ingress_allowed(ctx):
        return
    for lb in _ingress_clbs(ctx):
        if str(lb.props.get("networkType", "")).upper() != "INTERNAL":
            yield (
                lb.urn,
                (
                    f"{lb.name} is a {lb.props.get('networkType') or 'public (default)'} ingress CLB but no "
                    "public ingress is allowed for this stack"
                ),
            )


@rule(
    "kubecvm-network-ingress-targets",
    severity="high",
    description="Every target of the ingress load balancer is a worker of the same cluster (a CVM of this stack "
    "tagged kubecvm/role=worker and the CLB's kubecvm/cluster), never a master or a foreign instance.",
    remediation="Attach only the selected pools' workers (the IngressLoadBalancer component does); list the pools "
    "in ingress.pools.",
)
def ingress_targets(ctx: Context) -> Iterator[Finding]:
    cvms = {c.urn: c for c in ctx.cvms()}
    for a, lb in _ingress_attachments(ctx):
        cluster = lb.tags.get(TAG_CLUSTER)
        attached = [cvms[d] for d in a.dependencies if d in cvms]
        for c in attached:
            if c.role is None:
                continue  # an untagged CVM is kubecvm-tagging-cvm-tags' finding; its role is unknown here
            if c.role != "worker":
                yield a.urn, f"{a.name} sends ingress traffic to {c.name}, a {c.role or 'untagged'} CVM, not a worker"
            elif c.tags.get(TAG_CLUSTER) != cluster:
                yield (
                    a.urn,
                    f"{a.name} sends ingress traffic to {c.name} of cluster {c.tags.get(TAG_CLUSTER)}, not {cluster}",
                )
        targets = list(a.props.get("targets") or [])
        if len(targets) > len(attached):
            yield (
                a.urn,
                (
                    f"{a.name} has {len(targets)} targets but only {len(attached)} are CVMs of this stack: the "
                    "others are instances no policy can check"
                ),
            )


def _range(text: str) -> tuple[int, int]:
    lo, _, hi = str(text).partition("-")
    return int(lo), int(hi or lo)


@rule(
    "kubecvm-network-ingress-nodeports",
    severity="medium",
    defaults={"nodePortRange": f"{NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}", "reservedNodePorts": []},
    description="The ingress load balancer forwards to NodePorts inside the cluster's NodePort range "
    "(nodePortRange, kube-apiserver's default 30000-32767), one per listener, none inside a range the "
    "team reserved for its own NodePort services (reservedNodePorts).",
    remediation="Keep kubecvm's planned NodePorts (30080, 30081) and reserve your own fixed NodePorts elsewhere.",
)
def ingress_nodeports(ctx: Context) -> Iterator[Finding]:
    lo, hi = _range(ctx.params["nodePortRange"])
    reserved = [(r, port_ranges(r)) for r in ctx.params["reservedNodePorts"]]
    used: dict[int, str] = {}
    for a, _ in _ingress_attachments(ctx):
        ports = sorted({int(t.get("port") or 0) for t in a.props.get("targets") or []})
        for port in ports:
            if not lo <= port <= hi:
                yield a.urn, f"{a.name} forwards to port {port}, outside the NodePort range {lo}-{hi}"
            for text, ranges in reserved:
                if any(a_ <= port <= b for a_, b in ranges):
                    yield a.urn, f"{a.name} forwards to NodePort {port}, inside the reserved range {text}"
            if port in used and used[port] != a.name:
                yield a.urn, f"{a.name} and {used[port]} both forward to NodePort {port}: one port per listener"
            used.setdefault(port, a.name)
