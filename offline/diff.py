"""`kubecvm diff`: what `pulumi up` would do going from one JSON plan to another, as the engine and provider would.

What forces a replacement, what disrupts a machine and the shape of the result: offline/diff_model.py; which
replacements go delete-first and which inputs a second copy may not repeat: planning/lifecycle.py; reading the plan
files: offline/plan_file.py; the replacements it flags as failing and the masters' ordering: offline/diff_checks.py.

The diff follows the engine: inputs in a resource's `ignoreChanges` are not compared; a replaced resource gets a
new id, so whatever holds that id (by `propertyDependencies`, or the old id in its inputs) is replaced too when it
holds it in a ForceNew input, and updated in place otherwise; each replacement's order is the resource's
`deleteBeforeReplace` option. It flags a replacement that cannot succeed (a create-before-delete whose new copy
needs the old one's unique address or name, a protected or termination-protected resource) and a disruptive
change that reaches more than one master without an order between them.
"""

from __future__ import annotations

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

# What the diff flags (failing replacements, the masters' order) is diff_checks'; its names stay importable from here.
from kubecvm.offline.diff_checks import (  # noqa: F401
    _options,
    dependency_order,
    deletion_failure,
    master_warnings,
    masters_in_order,
    replacement_failure,
)

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
