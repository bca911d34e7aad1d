"""Reading a `kubecvm plan --format json` file for `kubecvm diff`: bounded in bytes, memory and depth, whatever it is.

A 5000-node plan is 70-80 MB of JSON, two thirds of it the machines' user data (one base64 string of about 15 KB
each). Parsed whole, one such plan takes about 150 MiB at its peak (the bytes, the decoded text and the objects at
once); a diff holds two. So the reader does not parse a plan whole:
- it finds the top-level `resources` array and each of its elements with one scan of the bytes (a regular
  expression steps over strings and everything but brackets, so the scan is linear and costs no objects), then
  parses the document without the array and each element on its own, from its own slice of the bytes: the whole
  text is never decoded at once;
- a string longer than LONG_STRING characters (user data, a ConfigMap's file) is kept as a digest of its value:
  the diff only compares such values, never reads them (offline/diff.py compares inputs for equality, ForceNew
  paths and ids, which are short), so equal strings stay equal and different ones different;
- before each piece is parsed, an estimate of what parsing it takes (stacks/reading.py json_memory_estimate), with
  the file's bytes and what the pieces parsed so far keep, must stay within MAX_PLAN_MEMORY, one budget for the
  plans of one diff: a file of millions of tiny objects is refused before its objects are made.
A document of another shape (no such array, an element that is not an object) is parsed whole, as before, under
the same budget: its errors say what is wrong, naming the resource.
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubecvm.planning.limits import MAX_NODES
from kubecvm.stacks.reading import TooLarge, json_memory_estimate, read_bounded


class PlanFileError(Exception):
    """A plan file that cannot be read or is not a kubecvm JSON plan."""


class PlanMismatch(PlanFileError):
    """Two plans that are not of the same stack and project: comparing them by URN would mean nothing."""


# Bounds on what `kubecvm diff` reads, from Kubernetes' node limit: a plan holds per node one CVM (its user data at
# most Tencent's 16 KB after base64, planning/bootstrap.py; measured: 14.2 KB a node on globalRouter, 15.2 KB with
# a VPC route per node) and its pod route; plus the cluster's own resources. A plan nests under 10 deep.
PLAN_BYTES_PER_NODE = 20 * 1024
MAX_PLAN_BYTES = MAX_NODES * PLAN_BYTES_PER_NODE + 8 * 1024 * 1024
# What the plans of one diff may take together while read and parsed (the bytes of the file being read, the objects
# kept), checked before each piece is parsed. With the CLI's own ~45 MiB, a diff stays under 300 MiB whatever the
# files hold. Two 5000-node plans fit: each keeps 45 (globalRouter) to 60 MiB (vpcRoutes) of objects, so with the
# 76 MB of the second one's bytes, a vpcRoutes diff needs 196 MiB of the 240.
MAX_PLAN_MEMORY = 240 * 1024 * 1024
MAX_PLAN_DEPTH = 100
# Strings longer than this are kept as their digest (DIGEST_PREFIX + sha256 + length): the diff only compares them.
LONG_STRING = 1024
DIGEST_PREFIX = "\x00sha256:"
FORMAT_VERSIONS = (None, 2)  # None: plans written before formatVersion existed

# One step of the scan: runs of anything but quotes and brackets, and whole strings (escapes included). Possessive
# (`++`, `*+`): the engine keeps no backtracking state per step, so a file of millions of strings costs no memory.
_SKIP = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+')
_RESOURCES_KEY = re.compile(rb'"resources"\s*:\s*\Z')
_BLANK = re.compile(rb"\s*")
_COMMA = re.compile(rb"\s*,\s*")
# What an open bracket costs once parsed, taken as an element's: an empty dict (64), its slot in the list (8) and its
# span (2 x 8). A 5000-node plan has about 80,000 brackets; a file with more than the budget has room for is refused
# by the scan, before anything is parsed.
BRACKET_BYTES = 64 + 8 + 16


class _Deep(Exception):
    """Brackets nest deeper than MAX_PLAN_DEPTH."""


class _Many(Exception):
    """More brackets than the budget has room for, whatever they hold."""


def _layout(data: bytes | bytearray, max_brackets: int) -> tuple[int, int, array, array] | None:
    """(start, end) of the top-level `resources` array and the starts and ends of its elements, all objects; None
    when the document is not of that shape (or not JSON). Raises _Deep past MAX_PLAN_DEPTH, _Many past
    `max_brackets` open brackets."""
    skip, n = _SKIP.match, len(data)
    depth = pos = prev = brackets = 0
    found: list[int] | None = None
    starts, ends = array("q"), array("q")
    while True:
        pos = skip(data, pos).end()
        if pos >= n:
            break
        c = data[pos]
        if c == 0x22:  # a string that never ends
            return None
        if c in (0x5B, 0x7B):  # [ {
            depth, brackets = depth + 1, brackets + 1
            if depth > MAX_PLAN_DEPTH + 1:
                raise _Deep
            if brackets > max_brackets:
                raise _Many
            if depth == 2 and c == 0x5B and _RESOURCES_KEY.search(data, prev, pos):
                # A later "resources" replaces an earlier one, as json.loads does.
                found, starts, ends = [pos, 0], array("q"), array("q")
            elif depth == 3 and found is not None and not found[1]:
                if c != 0x7B:
                    return None
                starts.append(pos)
        else:
            if depth == 0:
                return None
            if depth == 3 and found is not None and not found[1]:
                ends.append(pos + 1)
            elif depth == 2 and found is not None and not found[1]:
                found[1] = pos + 1
            depth -= 1
        pos = prev = pos + 1
    if depth or found is None or not found[1]:
        return None
    start, end = found
    # Between the elements: commas and blanks only (a number or string element is not a resource).
    edges = [start + 1, *(p for pair in zip(starts, ends) for p in pair), end - 1]
    for i in range(0, len(edges), 2):
        between = _COMMA if 0 < i < len(edges) - 2 else _BLANK
        if not between.fullmatch(data, edges[i], edges[i + 1]):
            return None
    return start, end, starts, ends


def _non_finite(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


class _Budget:
    """Parses pieces of one plan file, each only when its estimate fits what the diff may still take."""

    def __init__(self, path: Path, spent: list[int], held: int):
        self.path, self.spent, self.held, self.kept = path, spent, held, 0

    def check(self, need: int) -> None:
        before = sum(self.spent)
        if before + self.held + self.kept + need > MAX_PLAN_MEMORY:
            also = f" besides the {before >> 20} MiB of the other plan" if before else ""
            raise PlanFileError(
                f"{self.path}: parsing it would take about {(self.held + self.kept + need) >> 20} MiB{also}, over the "
                f"{MAX_PLAN_MEMORY >> 20} MiB the plans of one diff may take (a kubecvm plan of 5,000 nodes keeps "
                "at most 60 besides its bytes): not a kubecvm plan, or too big a one to diff offline"
            )

    def _compact(self, obj: dict) -> dict:
        for k, v in obj.items():
            if type(v) is str and len(v) > LONG_STRING:
                obj[k] = f"{DIGEST_PREFIX}{hashlib.sha256(v.encode('utf-8', 'surrogatepass')).hexdigest()}:{len(v)}"
        return obj

    def parse(self, piece: bytes | bytearray) -> Any:
        """The value of one piece of the file, once its estimate fits; what it keeps is then measured."""
        self.check(json_memory_estimate(piece))
        value = json.loads(piece.decode("utf-8"), parse_constant=_non_finite, object_hook=self._compact)
        self.kept += _size(value) + 8  # and its slot in the resources list
        return value

    def done(self) -> None:
        self.spent.append(self.kept)


def _size(value: Any) -> int:
    """At most the bytes a parsed JSON value holds: every object's own size (a dict's or list's table of slots, a
    string's characters), an object shared by two slots (a key the parser reused) counted twice."""
    size = sys.getsizeof
    total, stack = size(value), [value] if type(value) is dict or type(value) is list else []
    while stack:
        v = stack.pop()
        children = v.values() if type(v) is dict else v
        total += sum(map(size, children)) + (sum(map(size, v)) if type(v) is dict else 0)
        stack += [c for c in children if type(c) is dict or type(c) is list]
    return total


def _read_json(path: Path, spent: list[int]) -> tuple[Any, bool]:
    """The JSON document of a plan file (long strings as digests), read with bounds on the bytes read (a device or a
    pipe included), on the memory parsing takes and on nesting. `spent` holds what the plans already loaded by this
    command keep: one budget covers them all. With it, whether the scan has bounded its nesting already."""
    data = read_bounded(path, MAX_PLAN_BYTES)
    budget = _Budget(path, spent, held=len(data))
    room = MAX_PLAN_MEMORY - sum(spent) - len(data)
    try:
        layout = _layout(data, max(room, 0) // BRACKET_BYTES)
    except _Deep:
        raise PlanFileError(
            f"{path}: not a JSON plan that kubecvm reads: nested more than {MAX_PLAN_DEPTH} deep"
        ) from None
    except _Many:
        budget.check(room + 1)  # refused: its brackets alone take more than there is room for
        raise
    if layout is not None:
        start, end, starts, ends = layout
        budget.held += len(starts) * 16
        try:
            doc = budget.parse(data[: start + 1] + data[end - 1 :])
            if isinstance(doc, dict) and doc.get("resources") == []:
                doc["resources"] = [budget.parse(data[s:e]) for s, e in zip(starts, ends)]
                budget.done()
                return doc, True
        except ValueError:  # not JSON after all: parsed whole below, for the message that says where
            pass
        del layout, starts, ends
        budget = _Budget(path, spent, held=len(data))
    # Parsed whole: the bytes are released once decoded, before the objects are made.
    budget.held = 0
    budget.check(json_memory_estimate(data))
    text = data.decode("utf-8")
    del data
    doc = json.loads(text, parse_constant=_non_finite, object_hook=budget._compact)
    del text
    budget.kept = _size(doc)
    budget.done()
    return doc, False


def _depth_exceeded(doc: Any) -> bool:
    """True when `doc` nests deeper than MAX_PLAN_DEPTH (walked iteratively, so the check itself cannot overflow)."""
    stack = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_PLAN_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_plan(path: Path, spent: list[int] | None = None) -> dict:
    """A `kubecvm plan --format json` document, checked enough that diffing it cannot fail: PlanFileError if not.
    `spent`: the memory estimates of the plans loaded before it, which share MAX_PLAN_MEMORY with it."""
    try:
        doc, shallow = _read_json(path, spent if spent is not None else [])
    except TooLarge as exc:
        raise PlanFileError(f"{path}: {exc}; a plan file may have at most {MAX_PLAN_BYTES} bytes") from None
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PlanFileError(f"{path}: is a directory, not a JSON plan") from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a JSON plan (nested too deep)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        raise PlanFileError(f"{path}: not a JSON plan ({str(exc)[:200]})") from None
    resources = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(resources, list):
        raise PlanFileError(
            f"{path}: expected the output of `kubecvm plan --format json` (a 'resources' list with URNs)"
        )
    if not shallow and _depth_exceeded(doc):
        raise PlanFileError(f"{path}: nested more than {MAX_PLAN_DEPTH} deep; not a kubecvm plan")
    seen: set[str] = set()
    hint = "; a plan file is the output of `kubecvm plan --format json`"
    for i, r in enumerate(resources):
        where = f"{path}: resources[{i}]"
        if not isinstance(r, dict):
            raise PlanFileError(f"{where}: expected an object with urn, type, id and inputs{hint}")
        for key, allowed, what in (
            ("urn", (str,), "a string"),
            ("type", (str,), "a string"),
            ("id", (str, type(None)), "a string or null"),
            ("inputs", (dict,), "an object"),
        ):
            if key not in r:
                raise PlanFileError(f"{where}.{key}: required ({what}){hint}")
            if not isinstance(r[key], allowed):
                raise PlanFileError(f"{where}.{key}: expected {what}, got {type(r[key]).__name__}{hint}")
        if problem := _options_problem(r):
            raise PlanFileError(f"{where}.{problem}{hint}")
        if r["urn"] in seen:
            raise PlanFileError(f"{where}.urn: {r['urn'][:200]!r} appears twice; a plan has one resource per URN{hint}")
        seen.add(r["urn"])
    if doc.get("formatVersion") not in FORMAT_VERSIONS:
        raise PlanFileError(
            f"{path}: formatVersion {doc.get('formatVersion')!r} is not one this kubecvm reads "
            f"({', '.join(str(v) for v in FORMAT_VERSIONS if v)}); plan both sides with the same kubecvm"
        )
    return doc


# What `kubecvm plan --format json` writes beside a resource's inputs (offline/plan_summary.py options), each of the
# type the diff and the replay read it as; checked on load, so a hand-edited plan is refused naming the key, not a
# crash.
_STRINGS = "a list of strings"
_OPTION_TYPES = {
    "dependsOn": _STRINGS,
    "ignoreChanges": _STRINGS,
    "aliases": _STRINGS,
    "replaceOnChanges": _STRINGS,
    "additionalSecretOutputs": _STRINGS,
    "protect": "true or false",
    "deleteBeforeReplace": "true or false",
    "retainOnDelete": "true or false",
    "propertyDependencies": "an object of lists of strings",
    "provider": "a string",
    "parent": "a string",
}


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _options_problem(r: Mapping) -> str | None:
    """`<key>: <problem>` for the first of a resource's parent, custom and options that is not of its type."""
    if r.get("parent") is not None and not isinstance(r["parent"], str):
        return "parent: expected a string or null"
    if "custom" in r and not isinstance(r["custom"], bool):
        return "custom: expected true or false"
    options = r.get("options")
    if options is None:
        return None
    if not isinstance(options, dict):
        return f"options: expected an object, got {type(options).__name__}"
    for key, value in options.items():
        what = _OPTION_TYPES.get(key)
        if what is None or value is None:
            continue
        ok = (
            _is_strings(value)
            if what == _STRINGS
            else isinstance(value, bool)
            if what == "true or false"
            else isinstance(value, str)
            if what == "a string"
            else isinstance(value, dict) and all(_is_strings(v) for v in value.values())
        )
        if not ok:
            return f"options.{key}: expected {what}, got {type(value).__name__}"
    return None
