"""The plan's canonical JSON text, byte for byte what the standard library makes, in less time.

`json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)` is the canonical form. With `indent` set, the
standard library uses its pure-Python encoder (json/encoder.py `_make_iterencode`), one generator per nesting level,
so each piece of a plan passes up through five or six generators: about a quarter of a second for a 1000-worker
plan. This writer walks the document once, appends to one list and hands it to the sink in batches, with the C string
encoder json uses. It takes its decisions in json's order and leaves anything but str, int, bool, None, list, tuple
and dict (floats, and what json refuses) to json itself, so its text and its errors are json's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# The function json.dumps uses for strings when ensure_ascii is off (the C one where it is built).
_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
_json = json.JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False).iterencode


def _other(value: object) -> str:
    """A float, or a value json refuses (its TypeError), in json's own words."""
    return "".join(_json(value))


def _key(key: object) -> str:
    """A mapping key as json writes it: numbers, booleans and None become their JSON text, as a string."""
    if isinstance(key, str):
        return _string(key)
    if key is True or key is False or key is None or isinstance(key, int | float):
        return _string("".join(_json(key)))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def write(doc: object, sink: Callable[[str], Any], batch: int = 8192) -> None:
    """Hand the canonical text of `doc` (no final newline) to `sink`, about `batch` pieces at a time, so the text of
    a 5000-node plan (70 MB) is never held whole."""
    out: list[str] = []
    append = out.append

    def walk(value: object, indent: str) -> None:
        if isinstance(value, str):
            append(_string(value))
        elif value is None:
            append("null")
        elif value is True:
            append("true")
        elif value is False:
            append("false")
        elif isinstance(value, int):
            append(int.__repr__(value))
        elif isinstance(value, list | tuple):
            if not value:
                append("[]")
                return
            inner = indent + "  "
            opening = "[\n" + inner
            for item in value:
                if type(item) is str:  # most leaves: one piece, no call
                    append(opening + _string(item))
                else:
                    append(opening)
                    walk(item, inner)
                opening = ",\n" + inner
            append("\n" + indent + "]")
        elif isinstance(value, dict):
            if not value:
                append("{}")
                return
            inner = indent + "  "
            opening = "{\n" + inner
            for key, item in sorted(value.items(), key=_first):
                head = opening + (_string(key) if type(key) is str else _key(key)) + ": "
                if type(item) is str:  # most leaves: one piece, no call
                    append(head + _string(item))
                else:
                    append(head)
                    walk(item, inner)
                opening = ",\n" + inner
            append("\n" + indent + "}")
        else:
            append(_other(value))
        if len(out) >= batch:
            sink("".join(out))
            out.clear()

    walk(doc, "")
    if out:
        sink("".join(out))


def dumps(doc: object) -> str:
    """The canonical text of `doc`, as json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) gives it."""
    parts: list[str] = []
    write(doc, parts.append)
    return "".join(parts)
