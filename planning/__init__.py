"""Pure planning for kubecvm: spec -> plan. Imports neither pulumi nor the Tencent SDK (a test proves it)."""

from .plan import ClusterPlan, MachinePlan, build_plan
from .spec import ClusterSpec, Preset, SpecError

__all__ = ["ClusterPlan", "ClusterSpec", "MachinePlan", "Preset", "SpecError", "build_plan"]
