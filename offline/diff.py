"""`kubecvm diff`: what `pulumi up` would do going from one JSON plan to another, as the engine and provider would.

What forces a replacement, what disrupts a machine and the shape of the result: offline/diff_model.py; which
replacements go delete-first and which inputs a second copy may not repeat: planning/lifecycle.py; reading the plan
files: offline/plan_file.py.

The diff follows the engine: inputs in a resource's `ignoreChanges` are not compared; a replaced resource gets a
new id, so whatever holds that id (by `propertyDependencies`, or the old id in its inputs) is replaced too when it
holds it in a ForceNew input, and updated in place otherwise; each replacement's order is the resource's
`deleteBeforeReplace` option. It flags a replacement that cannot succeed (a create-before-delete whose new copy
needs the old one's unique address or name, a protected or termination-protected resource) and a disruptive
change that reaches more than one master without an order between them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

# The tables and the result are diff_model's; every name stays importable from here.
from kubecvm.offline.diff_model import (  # noqa: F401
    ALL,
    CBS,
    CBS_ATTACHMENT,
    CLB,
    CLB_ATTACHMENT,
    CLB_LISTENER,
    CLUSTER_ROUTE_TABLE,
    DISRUPTIVE,
    FORCE_NEW,
    DEFAULTS,
    FORCE_NEW_IF,
    INSTANCE,
    MAP_INPUTS,
    MASTER,
    ROLE_TAG,
    ROUTE_ENTRY,
    ROUTE_TABLE,
    SUBNET,
    VPC,
    Change,
    Deletion,
    DiffResult,
    Disruption,
    forces_replacement,
)
from kubecvm.planning.lifecycle import LIFECYCLE, Strategy

# Reading plan files (bounded, long strings as digests) is plan_file's; its names stay importable from here.
from kubecvm.offline.plan_file import (  # noqa: F401
    MAX_PLAN_BYTES,
    MAX_PLAN_DEPTH,
    MAX_PLAN_MEMORY,
    PlanFileError,
    PlanMismatch,
    load_plan,
)


def _identity(doc: Mapping) -> tuple[str | None, str | None]:
    """(stack, project): from the document, else from its URNs (urn:pulumi:<stack>::<project>::...)."""
    stack, project = doc.get("stack"), doc.get("project")
    for r in doc.get("resources") or ():
        parts = str(r.get("urn", "")).split("::")
        if len(parts) > 2 and parts[0].startswith("urn:pulumi:"):
            stack, project = stack or parts[0].removeprefix("urn:pulumi:"), project or parts[1]
            break
    return stack, project


def check_same_stack(old: Mapping, new: Mapping) -> None:
    (s1, p1), (s2, p2) = _identity(old), _identity(new)
    if p1 and p2 and p1 != p2:
        raise PlanMismatch(
            f"the plans are of different projects ({p1!r} and {p2!r}): a diff compares two plans of one stack"
        )
    if s1 and s2 and s1 != s2:
        raise PlanMismatch(
            f"the plans are of different stacks ({s1!r} and {s2!r}): a diff compares two plans of one "
            "stack (plan both with the same stack name, e.g. `kubecvm plan STACK --config-file ...`)"
        )


# --- paths ---------------------------------------------------------------------------------------------------


def _at_key(value: Any, path: str) -> Any:
    """The value at a path inside an input value: `a.b` a key of a mapping, `a[].b` that key of every element."""
    key, _, rest = path.partition(".")
    name = key.removesuffix("[]")
    child = value.get(name) if isinstance(value, Mapping) else None
    if key.endswith("[]"):
        items = child if isinstance(child, list) else []
        return [_at_key(i, rest) for i in items] if rest else len(items)
    return _at_key(child, rest) if rest else child


def _forcing_keys(type_: str, key: str, old: Any, new: Any, new_inputs: Mapping) -> list[str]:
    """The ForceNew paths under top-level `key` that differ between old and new."""
    rules = FORCE_NEW.get(type_, frozenset())
    if ALL in rules or key in rules:
        return [key]
    flag = FORCE_NEW_IF.get(type_, {}).get(key)
    if flag and new_inputs.get(flag) is True:
        return [key]
    forcing = []
    for rule in sorted(r for r in rules if r.split(".")[0].removesuffix("[]") == key):
        tail = rule.split(".", 1)[1] if "." in rule else ""
        if rule.startswith(f"{key}[]"):
            o, n = (old if isinstance(old, list) else []), (new if isinstance(new, list) else [])
            if not tail:
                if len(o) != len(n):
                    forcing.append(rule)
                continue
            forcing += [
                f"{key}[{i}].{tail}" for i, (a, b) in enumerate(zip(o, n)) if _at_key(a, tail) != _at_key(b, tail)
            ]
        elif _at_key(old, tail) != _at_key(new, tail):
            forcing.append(rule)
    return forcing


def _values(value: Any) -> Iterable[Any]:
    if isinstance(value, list):
        for v in value:
            yield from _values(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _values(v)
    else:
        yield value


def _options(r: Mapping) -> Mapping:
    return r.get("options") or {}


# --- the diff ------------------------------------------------------------------------------------------------


def _map_keys(type_: str, keys: list[str], a: Mapping, b: Mapping) -> list[str]:
    """`keys` with each MAP_INPUTS key replaced by its changed entries, `key.<entry>`."""
    out = []
    for k in keys:
        old, new = a.get(k), b.get(k)
        if k in MAP_INPUTS.get(type_, ()) and isinstance(old or {}, Mapping) and isinstance(new or {}, Mapping):
            old, new = old or {}, new or {}
            out += [f"{k}.{e}" for e in sorted(old.keys() | new.keys()) if old.get(e) != new.get(e)]
        else:
            out.append(k)
    return out


def diff_plans(old: Mapping, new: Mapping, replace: Iterable[str] = ()) -> DiffResult:
    """What the engine would do to go from `old` to `new` (raises PlanMismatch for plans of different stacks).

    `replace`: URNs (or resource names) to replace whatever changed, as `pulumi up --replace <urn>` does.
    """
    check_same_stack(old, new)
    after = {r["urn"]: r for r in new["resources"]}
    before = _renamed_by_aliases({r["urn"]: r for r in old["resources"]}, after)
    forced = _resolve(replace, before.keys() & after.keys())
    added = [after[u] for u in sorted(after.keys() - before.keys())]
    removed = [Deletion(u, before[u]["type"]) for u in sorted(before.keys() - after.keys())]
    changes: dict[str, Change] = {}
    for urn in sorted(before.keys() & after.keys()):
        a, b = before[urn].get("inputs") or {}, after[urn].get("inputs") or {}
        default = DEFAULTS.get(after[urn]["type"], {})  # an input left out is its schema Default in the state
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k, default.get(k)) != b.get(k, default.get(k)))
        if not keys and urn not in forced:
            continue
        type_, ignored = after[urn]["type"], set(_options(after[urn]).get("ignoreChanges") or ())
        change = Change(urn, type_, [k for k in keys if k not in ignored], ignored=[k for k in keys if k in ignored])
        for k in change.keys:
            change.replace_keys += _forcing_keys(type_, k, a.get(k), b.get(k), b)
            if k in DISRUPTIVE.get(type_, {}):
                change.disruptive[k] = DISRUPTIVE[type_][k].why
        change.keys = _map_keys(type_, change.keys, a, b)
        change.forced = urn in forced
        changes[urn] = change
    _cascade(before, after, changes)
    for c in changes.values():
        if c.cascade_key and not c.replace and c.cascade_key in DISRUPTIVE.get(c.type, {}):
            c.disruptive[c.cascade_key] = DISRUPTIVE[c.type][c.cascade_key].why
    result = DiffResult(added, removed, [changes[u] for u in sorted(changes)])
    for c in result.replacements:
        c.order = (
            "delete-before-replace" if _options(after[c.urn]).get("deleteBeforeReplace") else "create-before-delete"
        )
        c.fails = replacement_failure(before[c.urn], after[c.urn], c, changes)
    for d in result.removed:
        d.fails = deletion_failure(before[d.urn])
    result.warnings = master_warnings(before, after, result)
    return result


def _renamed_by_aliases(before: dict[str, Mapping], after: Mapping[str, Mapping]) -> dict[str, Mapping]:
    """The old resources keyed by their new URNs where the new plan renamed them with an alias: the engine keeps
    such a resource (and diffs its inputs) instead of deleting one and creating the other."""
    for urn, r in after.items():
        if urn in before:
            continue
        former = next((a for a in _options(r).get("aliases") or () if a in before), None)
        if former:
            before[urn] = {**before.pop(former), "urn": urn}
    return before


def _resolve(targets: Iterable[str], urns: Iterable[str]) -> set[str]:
    urns = sorted(urns)
    out = set()
    for t in targets:
        hits = [u for u in urns if u == t or u.rsplit("::", 1)[-1] == t]
        if len(hits) != 1:
            raise PlanFileError(
                f"--replace {t}: {'no resource' if not hits else 'more than one resource'} of both "
                "plans has that URN or name"
            )
        out.add(hits[0])
    return out


def _cascade(before: Mapping, after: Mapping, changes: dict[str, Change]) -> None:
    """Follow replaced resources' new ids into what holds them, to a fixed point.

    Linear in the plans' size: every reference (an input's propertyDependencies URN, or an input value that is an
    old id) is indexed once by the resource it names, and each replaced resource's references are followed once
    (a frontier at a time, as the engine's replacements spread), so 8,000 resources take no longer than a scan."""
    replaced = {u for u, c in changes.items() if c.replace}
    old_ids: dict[str, list[str]] = {}
    for u, r in before.items():
        if isinstance(r.get("id"), str) and r["id"]:
            old_ids.setdefault(r["id"], []).append(u)
    # held_by[src] = (holder, key, rank): rank 0 a propertyDependencies URN, 1+n the n-th id value of the input
    held_by: dict[str, list[tuple[str, str, int]]] = {}
    for urn in sorted(before.keys() & after.keys()):
        if urn in replaced:
            continue
        deps = _options(after[urn]).get("propertyDependencies") or {}
        ignored = set(_options(after[urn]).get("ignoreChanges") or ())
        inputs = before[urn].get("inputs") or {}
        for key in sorted(inputs.keys() | deps.keys()):
            if key in ignored:
                continue
            for u in deps.get(key, ()):
                held_by.setdefault(u, []).append((urn, key, 0))
            for n, v in enumerate(_values(inputs.get(key))):
                for u in old_ids.get(v, ()) if isinstance(v, str) else ():
                    held_by.setdefault(u, []).append((urn, key, 1 + n))
    frontier = set(replaced)
    while frontier:
        # Per holder and key, the source the former fixed-point scan named: the first propertyDependencies URN (in
        # URN order) in the frontier, else the resource of the first id value in the frontier.
        best: dict[str, dict[str, tuple[int, str]]] = {}
        for src in frontier:
            for holder, key, rank in held_by.get(src, ()):
                if holder in replaced:
                    continue
                pick = (0, src) if rank == 0 else (rank, src)
                keys = best.setdefault(holder, {})
                if key not in keys or pick < keys[key]:
                    keys[key] = pick
        newly: set[str] = set()
        for urn in sorted(best):
            res = after[urn]
            hits = [(not forces_replacement(res["type"], key), key, src) for key, (_, src) in best[urn].items()]
            _, key, src = min(hits)  # a ForceNew holder first: it decides
            change = changes.setdefault(urn, Change(urn, res["type"], []))
            if change.cascade_from is None or (forces_replacement(res["type"], key) and not change.replace):
                change.cascade_from, change.cascade_key = src, key
            if change.replace:
                replaced.add(urn)
                newly.add(urn)
        frontier = newly


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
