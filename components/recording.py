"""Which plans a run's kubecvm components were built from, so the offline plan can summarise any program's
clusters (kubecvm.offline.runner sets the list for one run; outside it nothing is kept)."""

from __future__ import annotations

from contextvars import ContextVar

from kubecvm.planning import ClusterPlan

PLANS: ContextVar[list[ClusterPlan] | None] = ContextVar("kubecvm_plans", default=None)


def built_from(plan: ClusterPlan) -> None:
    plans = PLANS.get()
    if plans is not None and all(p is not plan for p in plans):
        plans.append(plan)
