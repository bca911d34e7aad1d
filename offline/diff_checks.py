"""What `kubecvm diff` flags in a diff: a replacement or deletion that Tencent or the engine would refuse (protected,
termination-protected, a create-before-delete whose copy needs the old one's unique address or name), and a change
that stops more than one master with nothing ordering them (the engine runs independent updates at once).

Apart from offline/diff.py (which changes, and why) so that each refusal and the ordering read in one place; every
name stays importable from offline/diff.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from kubecvm.offline.diff_model import DISRUPTIVE, INSTANCE, MASTER, ROLE_TAG, Change, DiffResult
from kubecvm.planning.lifecycle import LIFECYCLE, Strategy


def _options(r: Mapping) -> Mapping:
    return r.get("options") or {}


def _unique_values(r: Mapping, keys: tuple[str, ...]) -> tuple:
    inputs = r.get("inputs") or {}
    return tuple(json.dumps(inputs.get(k), sort_keys=True) for k in keys)


def replacement_failure(old: Mapping, new: Mapping, c: Change, changes: Mapping[str, Change]) -> str | None:
    """Why Tencent or the engine would refuse this replacement, or None. One rule per check, first hit wins."""
    return _protected(old) or _termination_protected(old) or _collides(old, new, c, changes)


def deletion_failure(old: Mapping) -> str | None:
    return _protected(old) or _termination_protected(old)


def _protected(old: Mapping) -> str | None:
    if _options(old).get("protect"):
        return (
            "protected (`protect`): the engine refuses to delete it; remove the protection in the program "
            "(or `pulumi state unprotect`) first"
        )
    return None


def _termination_protected(old: Mapping) -> str | None:
    if old.get("type") == INSTANCE and (old.get("inputs") or {}).get("disableApiTermination") is True:
        return (
            "termination protection (disableApiTermination): Tencent refuses to delete it; list it in "
            "liftTerminationProtection and `pulumi up` first (docs/operations/masters.md)"
        )
    return None


def _collides(old: Mapping, new: Mapping, c: Change, changes: Mapping[str, Change]) -> str | None:
    entry = LIFECYCLE.get(c.type)
    if entry is None or not entry.unique:
        return None
    # A unique input that holds a replaced resource's id gets a new value: then there is nothing to collide with.
    moved = c.cascade_key in entry.unique and c.cascade_from is not None
    if moved or _unique_values(old, entry.unique) != _unique_values(new, entry.unique):
        return None
    held = ", ".join(f"{k}={json.dumps((new.get('inputs') or {}).get(k))}" for k in entry.unique)
    if entry.strategy is Strategy.UNIQUE_NAME:
        return f"Tencent keeps {held} unique, also while a deleted copy is held: replace it only under a new name ({entry.why})"
    if c.order == "create-before-delete":
        return f"the new copy needs {held}, which the old one still holds (create-before-delete): {entry.why}"
    return None


def _is_master(r: Mapping | None) -> bool:
    tags = (r.get("inputs") or {}).get("tags") if r else None  # a hand-edited plan may hold anything here
    return bool(r) and r.get("type") == INSTANCE and isinstance(tags, Mapping) and tags.get(ROLE_TAG) == MASTER


def _depends_on(after: Mapping, urn: str) -> list[str]:
    return [u for u in _options(after[urn]).get("dependsOn") or () if u in after]


def dependency_order(after: Mapping) -> list[str]:
    """The URNs so that each comes after everything it depends on (dependsOn), by an iterative depth-first walk:
    no recursion, however long the chain; a cycle (which the engine never records) is broken where it closes."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the walk, 2: done
    for root in sorted(after):
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(_depends_on(after, root)))]
        while stack:
            urn, deps = stack[-1]
            nxt = next((d for d in deps if d not in state), None)
            if nxt is None:
                stack.pop()
                state[urn] = 2
                order.append(urn)
            else:
                state[nxt] = 1
                stack.append((nxt, iter(_depends_on(after, nxt))))
    return order


def _unordered_pair(after: Mapping, urns: Iterable[str]) -> tuple[str, str] | None:
    """Two of `urns` that nothing orders (neither depends on the other through dependsOn), or None when they form
    one chain. Linear: in dependency order, each resource carries the latest of `urns` among its ancestors, and
    `urns` form a chain exactly when each one's latest ancestor among them is the one just before it."""
    wanted = set(urns)
    order = dependency_order(after)
    position = {u: i for i, u in enumerate(order)}
    latest: dict[str, int] = {}  # urn -> position of its latest ancestor in `wanted` (-1: none)
    for u in order:
        latest[u] = max(
            (
                max(latest.get(d, -1), position[d] if d in wanted else -1)
                for d in _depends_on(after, u)
                if d in position
            ),
            default=-1,
        )
    chain = sorted((u for u in wanted if u in position), key=position.__getitem__)
    for a, b in zip(chain, chain[1:]):
        if latest[b] != position[a]:
            return a, b
    return None


def master_warnings(before: Mapping, after: Mapping, result: DiffResult) -> list[str]:
    """A change that stops masters must reach them one at a time: the engine runs independent updates at once."""
    warnings = []
    replaced = [c.urn for c in result.replacements if _is_master(after.get(c.urn)) or _is_master(before.get(c.urn))]
    replaced += [d.urn for d in result.removed if _is_master(before.get(d.urn))]
    if len(replaced) > 1:
        warnings.append(
            f"{len(replaced)} masters are replaced or deleted in one `pulumi up`: etcd loses "
            f"{len(replaced)} members at once; change one master per run ({', '.join(sorted(replaced))})"
        )
    stopping = sorted(
        c.urn
        for c in result.updates
        if _is_master(after.get(c.urn)) and any(DISRUPTIVE[INSTANCE][k].stops for k in c.disruptive)
    )
    if len(stopping) > 1:
        if unordered := _unordered_pair(after, stopping):
            a, b = unordered
            warnings.append(
                f"{len(stopping)} masters get an update that stops them ("
                + ", ".join(
                    sorted(
                        {
                            k
                            for c in result.updates
                            if c.urn in stopping
                            for k in c.disruptive
                            if DISRUPTIVE[INSTANCE][k].stops
                        }
                    )
                )
                + f") and nothing orders them: the engine runs them at once ({a} and {b}), taking the "
                "control plane down"
            )
    return warnings


def masters_in_order(after: Mapping, urns: list[str]) -> bool:
    """Whether the engine would update these resources one after another (each depends on the one before)."""
    return _unordered_pair(after, urns) is None
