"""The service modules whose resources kubecvm's stacks make, and their per-type tables merged. Pure.

Each module in SERVICES holds, for its types: the engine type tokens, ID_PREFIX, FORCE_NEW, CREATE_RETURNS,
CREATE_RULES and DELETE_RULES (ssm.py also AFTER_DELETE; cvm.py and monitor.py DEFAULTS). A type belongs to one module; the merged tables below are
what the simulated cloud (ids, refusals through account.CloudState) and `kubecvm diff` (ForceNew inputs) read.
"""

from __future__ import annotations

from types import ModuleType

from . import cam, cbs, clb, cos, cvm, monitor, ssm, tke, vpc

SERVICES: tuple[ModuleType, ...] = (vpc, cvm, cbs, clb, ssm, cam, cos, tke, monitor)


def merged(table: str, services: tuple[ModuleType, ...] = SERVICES) -> dict:
    """One per-type table of every service module (a module without it adds nothing); a type in two modules is a
    mistake."""
    out: dict = {}
    for module in services:
        for type_, value in getattr(module, table, {}).items():
            if type_ in out:
                raise ValueError(f"{type_} is in the {table} of two service modules (the second: {module.__name__})")
            out[type_] = value
    return out


ID_PREFIX: dict[str, str] = merged("ID_PREFIX")
FORCE_NEW: dict[str, frozenset[str]] = merged("FORCE_NEW")
FORCE_NEW_IF: dict[str, dict[str, str]] = merged("FORCE_NEW_IF")
MAP_INPUTS: dict[str, frozenset[str]] = merged("MAP_INPUTS")
DISRUPTIVE: dict[str, dict[str, tuple[str, bool]]] = merged("DISRUPTIVE")
CREATE_RETURNS: dict[str, tuple[str, ...]] = merged("CREATE_RETURNS")
CREATE_RULES: dict[str, tuple] = merged("CREATE_RULES")
DELETE_RULES: dict[str, tuple] = merged("DELETE_RULES")
AFTER_DELETE: dict[str, tuple] = merged("AFTER_DELETE")
# Inputs whose absence is their schema Default (the provider stores the Default): no change when stated.
DEFAULTS: dict[str, dict[str, object]] = merged("DEFAULTS")
# Every resource type the modules name (those with a ForceNew entry: each has one, even an empty set).
TYPES: frozenset[str] = frozenset(FORCE_NEW)


def service_of(type_: str) -> ModuleType | None:
    """The service module a type token belongs to, or None."""
    return next((m for m in SERVICES if type_ in getattr(m, "FORCE_NEW", {})), None)
