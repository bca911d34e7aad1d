"""A Tencent Cloud account as the refusal rules see it: what is live, what Tencent still holds, and the rules. Pure.

Each service module (vpc.py, cvm.py, cbs.py, clb.py, ssm.py, cam.py, cos.py, tke.py) says what Tencent refuses on
create (CREATE_RULES: type -> rules) and on delete (DELETE_RULES), one function per rule with its source; a rule
sees the account as it stands (CloudState) and the request's inputs (or, on delete, the live resource) and returns
why Tencent would refuse it, or None. CloudState applies the rules of every service (services.py assembles them),
so the offline plan's creations and `kubecvm diff --replay` (offline/simulated_cloud.py) refuse what Tencent would,
with the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from .services import AFTER_DELETE, CREATE_RULES, DELETE_RULES


class CloudRefusal(Exception):
    """Tencent would refuse this request; the message says which rule and why."""

    refused_by = "Tencent Cloud"


@dataclass
class Live:
    """A live resource: its engine type token, its id and its inputs (plain values, secrets unwrapped)."""

    type: str
    id: str
    inputs: dict


# A rule's key of a resource's inputs (the route table and destination of a route entry, the subnet and address of an
# instance): what Tencent keeps unique. CloudState.holders answers "who holds this key" from an index per key.
Key = Callable[[dict], Hashable]


def _hashable(value: Hashable) -> Hashable:
    """`value` as an index key: a key of unhashable values (a hand-edited plan's list where a string belongs) by its
    repr, so equal values still meet and nothing crashes the index."""
    try:
        hash(value)
    except TypeError:
        return ("unhashable", repr(value))
    return value


# What the account is sold: an instance type -> its (vCPU, memory GiB), or None for a type Tencent does not sell.
Catalogue = Callable[[str], "tuple[int, int] | None"]


@dataclass
class CloudState:
    """The account as the rules see it: live resources by key, and names Tencent still holds after a delete.

    `catalogue` is what the account is sold (cvm.instance_type_sold reads it); None sells every type. The simulated
    cloud's account (offline/simulated_cloud.py CloudState) sells the catalogue of offline/instance_types.py."""

    live: dict[str, Live] = field(default_factory=dict)
    held_secret_names: set[str] = field(default_factory=set)
    catalogue: Catalogue | None = field(default=None, repr=False, compare=False)
    # The SDK registers resources from several threads at once: a rule's check and the insert it guards are one
    # step (as Tencent allocates an address once), and the indexes keep a 5000-node plan's checks linear.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _ids: dict = field(default_factory=dict, repr=False, compare=False)
    _types: dict = field(default_factory=dict, repr=False, compare=False)
    _holders: dict = field(default_factory=dict, repr=False, compare=False)  # id -> {key: Live}, in creation order
    # (type, rule key) -> {key value: {resource key: Live}}, in creation order: built when a rule first asks, then
    # kept as resources come, go, are renamed or change inputs.
    _indexes: dict = field(default_factory=dict, repr=False, compare=False)

    def by_id(self, rid) -> Live | None:
        return self._ids.get(rid)

    def of_type(self, type_: str) -> list[Live]:
        return list(self._types.get(type_, {}).values())

    def holders(self, type_: str, key: Key, value: Hashable) -> list[Live]:
        """The live resources of `type_` whose `key(inputs)` is `value`, in creation order: what a uniqueness rule
        asks ("is this address taken in this subnet?"), answered from an index rather than a scan of the type, so a
        5000-node plan's checks stay linear. The rule (and its key) stays the service module's."""
        with self.lock:
            index = self._indexes.get((type_, key))
            if index is None:
                index = self._indexes[(type_, key)] = {}
                for k, r in self._types.get(type_, {}).items():
                    index.setdefault(_hashable(key(r.inputs)), {})[k] = r
            return list(index.get(_hashable(value), {}).values())

    def _index(self, key: str, r: Live) -> None:
        for (type_, rule_key), index in self._indexes.items():
            if type_ == r.type:
                index.setdefault(_hashable(rule_key(r.inputs)), {})[key] = r

    def _unindex(self, key: str, r: Live) -> None:
        for (type_, rule_key), index in self._indexes.items():
            if type_ == r.type:
                at = _hashable(rule_key(r.inputs))
                index.get(at, {}).pop(key, None)
                if not index.get(at, True):
                    del index[at]

    def set_inputs(self, key: str, inputs: dict) -> None:
        """A live resource updated in place: its new inputs (plain values), re-indexed."""
        with self.lock:
            r = self.live[key]
            self._unindex(key, r)
            r.inputs = inputs
            self._index(key, r)

    def create(self, key: str, type_: str, rid: str, inputs: dict) -> None:
        """Create a resource, or raise CloudRefusal with the first create rule of its type that refuses it."""
        with self.lock:
            for rule in CREATE_RULES.get(type_, ()):
                if problem := rule(self, inputs):
                    raise CloudRefusal(f"{key}: {problem}")
            self._put(key, Live(type_, rid, inputs))

    def _put(self, key: str, r: Live) -> None:
        self.live[key] = r
        self._ids.setdefault(r.id, r)  # the first holder of an id, as the scan it replaces found
        self._holders.setdefault(r.id, {})[key] = r
        self._types.setdefault(r.type, {})[key] = r
        self._index(key, r)

    def delete(self, key: str) -> None:
        with self.lock:
            self._delete(key)

    def rename(self, old: str, new: str) -> None:
        with self.lock:
            r = self.live.pop(old)
            self._types[r.type].pop(old)
            self._unindex(old, r)
            self.live[new] = self._types[r.type][new] = r
            self._index(new, r)
            holders = self._holders.get(r.id, {})
            holders.pop(old, None)
            holders[new] = r

    def _delete(self, key: str) -> None:
        r = self.live.get(key)
        if r is None:
            return
        for rule in DELETE_RULES.get(r.type, ()):
            if problem := rule(self, r):
                raise CloudRefusal(f"{key}: {problem}")
        del self.live[key]
        self._types.get(r.type, {}).pop(key, None)
        self._unindex(key, r)
        holders = self._holders.get(r.id, {})
        holders.pop(key, None)
        if self._ids.get(r.id) is r:  # the next holder of the id, without a scan of the account (a replay of 8,000)
            del self._ids[r.id]
            other = next(iter(holders.values()), None)
            if other is not None:
                self._ids[r.id] = other
        for effect in AFTER_DELETE.get(r.type, ()):
            effect(self, r)
