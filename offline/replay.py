"""`kubecvm diff --replay`: OLD -> NEW applied to a simulated account holding OLD, in the engine's order, through
the same refusal rules as the offline plan (planning/tencent/*, applied by account.CloudState). Linear in the plans:
the account answers each rule from its indexes, the map of new ids is made once, and the order is one walk.
"""

from __future__ import annotations

from kubecvm.offline.simulated_cloud import CloudState, _plain_all
from kubecvm.planning.tencent.account import CloudRefusal, Live


def _topological(resources: dict[str, dict]) -> list[str]:
    """URNs so that each comes after what it depends on (dependsOn, propertyDependencies), walked iteratively: a
    chain of 8,000 resources does not reach Python's recursion limit."""
    order, seen = [], set()

    def deps(urn: str) -> list[str]:
        o = resources[urn].get("options") or {}
        out = set(o.get("dependsOn") or ())
        for v in (o.get("propertyDependencies") or {}).values():
            out |= set(v)
        return sorted(d for d in out if d in resources)

    for root in sorted(resources):
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(deps(root)))]
        while stack:
            urn, pending = stack[-1]
            nxt = next((d for d in pending if d not in seen), None)
            if nxt is None:
                stack.pop()
                order.append(urn)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(deps(nxt))))
    return order


def replay(old: dict, new: dict, result) -> list[str]:
    """Apply OLD -> NEW to a simulated account holding OLD, in the engine's order: creations and replacements
    after what they depend on (a create-before-delete replacement creates the new copy, then deletes the old;
    delete-before-replace the other way round), deletions last, dependents first. Returns what Tencent refused.
    """
    state, refused = _ReplayState(), []
    before = {r["urn"]: r for r in old["resources"] if r.get("custom", True)}
    after = {r["urn"]: r for r in new["resources"] if r.get("custom", True)}
    for urn in _topological(before):
        r = before[urn]
        state.load(urn, r["type"], r.get("id") or urn, r.get("inputs") or {})
    replaced = {c.urn: c for c in result.replacements}
    added = {r["urn"] for r in result.added}
    new_ids = _new_ids(before, replaced)

    def attempt(step) -> None:
        try:
            step()
        except CloudRefusal as exc:
            refused.append(str(exc))

    for urn in _topological(after):
        r = after[urn]
        new_id = f"{r.get('id') or urn}~new" if urn in replaced else (r.get("id") or urn)
        inputs = _renamed(r.get("inputs") or {}, before, replaced, new_ids)
        if urn in added:
            attempt(lambda: state.create(urn, r["type"], new_id, inputs))
        elif urn in replaced:
            if replaced[urn].order == "delete-before-replace":
                attempt(lambda: state.delete(urn))
                attempt(lambda: state.create(urn, r["type"], new_id, inputs))
            else:

                def create_then_delete(urn=urn, r=r, new_id=new_id, inputs=inputs):
                    state.create(urn + "~new", r["type"], new_id, inputs)
                    state.delete(urn)
                    state.rename(urn + "~new", urn)

                attempt(create_then_delete)
        elif urn in state.live:
            state.set_inputs(urn, _plain_all(inputs))
    for urn in reversed(_topological(before)):
        if urn not in after:
            attempt(lambda: state.delete(urn))
    return refused


def _new_ids(before: dict, replaced: dict) -> dict:
    return {before[u].get("id"): f"{before[u].get('id')}~new" for u in replaced if before.get(u, {}).get("id")}


class ReplayInputError(ValueError):
    """A resource's inputs in a plan file are not of the form the replay's rules read (a hand-edited plan)."""


class _ReplayState(CloudState):
    """The replay's account: OLD's resources are loaded as they stand (they exist; no create rule judges them
    again), and a rule that cannot read a resource's inputs names that resource instead of crashing the diff."""

    def load(self, key: str, type_: str, rid: str, inputs: dict) -> None:
        with self.lock:
            self._put(key, Live(type_, rid, _plain_all(inputs)))

    def create(self, key: str, type_: str, rid: str, inputs: dict) -> None:
        try:
            super().create(key, type_, rid, inputs)
        except CloudRefusal:
            raise
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            raise ReplayInputError(
                f"--replay: {key.removesuffix('~new')}: inputs that are not a kubecvm plan's "
                f"({type(exc).__name__}: {str(exc)[:200]}); a plan file is what `kubecvm plan "
                "--format json` writes"
            ) from None


def _renamed(inputs: dict, before: dict, replaced: dict, new_ids: dict | None = None) -> dict:
    """Inputs with the ids of replaced resources swapped for their new ids, as the engine would pass them
    (`new_ids`: that map, made once per replay rather than once per resource)."""
    if new_ids is None:
        new_ids = _new_ids(before, replaced)

    def swap(v):
        if isinstance(v, str):
            return new_ids.get(v, v)
        if isinstance(v, list):
            return [swap(x) for x in v]
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        return v

    return swap(inputs)
