"""Tagging rules: the kubecvm/* tags every rule (and every operator) uses to tell what a CVM is."""

from __future__ import annotations

from collections.abc import Iterator

from kubecvm.planning.plan import TAG_CLUSTER, TAG_ROLE

from ..registry import CVM, Context, Finding, rule


@rule(
    "kubecvm-tagging-cvm-tags",
    severity="low",
    scope=(CVM,),
    per_resource=True,
    defaults={"requiredTags": [TAG_CLUSTER, TAG_ROLE]},
    description="Every CVM carries the kubecvm/cluster and kubecvm/role tags (the policies find masters and "
    "workers by them).",
    remediation="Add the missing standard tags: kubecvm/cluster=<cluster name>, kubecvm/role=master|worker "
    "(kubecvm's components set them; hand-made CVMs must too).",
)
def cvm_tags(ctx: Context) -> Iterator[Finding]:
    for c in ctx.cvms():
        missing = [t for t in ctx.params["requiredTags"] if not c.tags.get(t)]
        if missing:
            yield c.urn, f"{c.name} lacks tag(s) {', '.join(missing)}"
