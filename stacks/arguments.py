"""Python arguments -> stack config: kubecvm.ClusterArgs' snake_case values as the camelCase overrides a stack's
kubecvm:cluster holds, walking the spec's models. No pulumi import here."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from kubecvm.planning import ClusterSpec
from kubecvm.stacks.errors import ConfigError


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The spec model a field holds (itself, optional, or as list items), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in typing.get_args(annotation) if (m := nested_model(a))), None)


def _plain(value: Any) -> Any:
    """A Python argument as the JSON value a stack file would hold: a tuple is a list, a Mapping a dict (the spec's
    types are strict; a set stays a set, to be refused: its order, and so the plan's, is not the caller's)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def overrides_from_args(args: Mapping[str, Any], model: type[BaseModel] = ClusterSpec, where: str = "") -> dict:
    """snake_case arguments (kubecvm.ClusterArgs) -> the camelCase overrides a stack's kubecvm:cluster holds.
    Keys of user maps (labels, tags) stay as given; an argument the spec does not have is a ConfigError."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        field_info = model.model_fields.get(key)
        if field_info is None:
            expected = ", ".join(sorted(model.model_fields))
            raise ConfigError(f"{where}{key}: unknown argument; expected one of {expected}")
        nested = nested_model(field_info.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = overrides_from_args(value, nested, f"{where}{key}.")
        elif nested is not None and isinstance(value, list | tuple):
            value = [
                overrides_from_args(v, nested, f"{where}{key}[{i}].") if isinstance(v, Mapping) else v
                for i, v in enumerate(value)
            ]
        else:
            value = _plain(value)
        out[field_info.alias or key] = value
    return out
