"""What a spec field takes, in Python (the component's argument types) and in words (the reference's columns): its
type, the values it allows, its default per preset, and whether ClusterArgs requires it.

Apart from tools/gen_schema_docs.py (which writes components/args.py and the configuration reference) so that
reading the spec and writing the files each fit in one file; the generator imports these names and keeps them
importable from itself.
"""

from __future__ import annotations

import enum
import json
import typing

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from kubecvm.package_schema import _field_type
from kubecvm.planning import spec
from kubecvm.stacks.presets import PRESETS


def _extra(info: FieldInfo) -> dict:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _about(model: type[BaseModel]) -> str:
    return model.model_config["json_schema_extra"]["description"]


def _args_name(model: type[BaseModel]) -> str:
    return "ClusterArgs" if model is spec.ClusterSpec else f"{model.__name__}Args"


def _alias(name: str, info: FieldInfo) -> str:
    return info.alias or name


def python_type(annotation: object, *, is_input: bool = False) -> str:
    kind = _field_type(annotation)
    origin, params = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        return f"list[{python_type(params[0], is_input=is_input)}]"
    if origin is dict:
        return f"dict[{python_type(params[0])}, {python_type(params[1], is_input=is_input)}]"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _args_name(kind)
    name = "str" if isinstance(kind, type) and issubclass(kind, enum.Enum) else kind.__name__
    return f"pulumi.Input[{name}]" if is_input else name


def type_words(annotation: object) -> str:
    kind = _field_type(annotation)
    origin, params = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        return f"list of {type_words(params[0])}"
    if origin is dict:
        return f"map of {type_words(params[1])}"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return "object"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "string"
    return {str: "string", int: "integer", bool: "boolean"}[kind]


def _shown_value(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        return ""
    if value is None:
        return "none"
    return json.dumps(value) if isinstance(value, bool | list | dict) else str(value)


def allowed(info: FieldInfo) -> str:
    kind = _field_type(info.annotation)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return ", ".join(str(m.value) for m in kind)
    lo = hi = None
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            lo = bound.ge
        elif isinstance(bound, annotated_types.Le):
            hi = bound.le
        elif isinstance(bound, annotated_types.MinLen) and typing.get_origin(kind) in (list, dict):
            return f"at least {bound.min_length}"
        elif isinstance(bound, annotated_types.MaxLen) and kind is str:
            return f"1..{bound.max_length} characters"
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    return f"at least {lo}" if lo is not None else ""


def _preset_value(values: dict, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


def default(path: tuple[str, ...] | None, info: FieldInfo) -> str:
    """The default in words: what each preset sets (for a path outside lists), else the spec's."""
    shown = _extra(info).get(spec.SHOWN_DEFAULT)
    spec_default = shown if shown is not None else ("required" if info.is_required() else _shown_value(info.default))
    by_preset = {p: _preset_value(v, path) for p, v in PRESETS.items()} if path is not None else {}
    if not any(v is not None for v in by_preset.values()):
        return spec_default
    if any(isinstance(v, list | dict) for v in by_preset.values()):
        return "the preset's"
    words = {p: spec_default if v is None else _shown_value(v) for p, v in by_preset.items()}
    if len(set(words.values())) == 1:
        return next(iter(words.values()))
    return ", ".join(f"{w} in {p}" for p, w in words.items())


def required_argument(path: tuple[str, ...] | None, info: FieldInfo) -> bool:
    """Required in ClusterArgs: the spec requires it and neither the loader nor every preset fills it in."""
    if not info.is_required() or spec.SHOWN_DEFAULT in _extra(info):
        return False
    return not (path is not None and all(_preset_value(v, path) is not None for v in PRESETS.values()))
