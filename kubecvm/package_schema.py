"""The component package's schema: the SDK analyzer's (kubecvm/provider.py), completed with what it cannot say.

The analyzer (pulumi.provider.experimental) derives types, names and descriptions from ClusterArgs' annotations
and docstrings. It has no way to mark enums of plain strings, defaults or secret outputs, and copies docstrings
with their source indentation. `refine` adds those from the one place they are decided, the spec models
(planning/spec/): a field typed by a string Enum becomes a reference to an enum type, a default that no preset
changes becomes the property's `default`, and the outputs holding key material are `secret`. Pulumi package
schema: https://www.pulumi.com/docs/iac/using-pulumi/pulumi-packages/schema/ (property `default`, `secret`;
enum types are a complex type with `type: string` and `enum`).
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator

from pydantic import BaseModel

from kubecvm.components.spelling import camel_case_message
from kubecvm.planning import ClusterSpec
from kubecvm.stacks.arguments import nested_model
from kubecvm.stacks.presets import PRESETS

TYPES = "#/types/"
# Outputs whose values carry key material: the component returns them as secrets, and SDKs should say so.
SECRET_OUTPUTS = ("kubeconfig", "caCertPem")


def description(text: str) -> str:
    """A docstring as one paragraph per blank-line-separated block, without its source indentation, and with the
    argument names camelCase as every other language spells them."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return camel_case_message("\n\n".join(" ".join(p.split()) for p in paragraphs))


def _field_type(annotation: object) -> object:
    """The type inside Annotated[...] and Optional[...] (X | None)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _spec_field(model: type[BaseModel], prop: str) -> tuple[str, object] | None:
    for name, info in model.model_fields.items():
        if (info.alias or name) == prop or name == prop:
            return name, info
    return None


def _preset_set(model: type[BaseModel], values: object, out: set) -> None:
    """(model, field name) pairs some preset sets: their spec default is not the default."""
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        found = _spec_field(model, key)
        if found is None:
            continue
        name, info = found
        out.add((model, name))
        nested = nested_model(info.annotation)
        for item in value if isinstance(value, list) else [value]:
            if nested is not None:
                _preset_set(nested, item, out)


def _pairs(schema: dict) -> Iterator[tuple[dict, type[BaseModel]]]:
    """(properties of a schema object, the spec model it mirrors), from the Cluster's inputs down every $ref."""
    todo = [(schema["resources"]["kubecvm:index:Cluster"]["inputProperties"], ClusterSpec)]
    seen: set[str] = set()
    while todo:
        props, model = todo.pop()
        yield props, model
        for prop, spec in props.items():
            found = _spec_field(model, prop)
            ref = (spec.get("items") or spec).get("$ref", "")
            if found is None or not ref.startswith(TYPES) or ref in seen:
                continue
            nested = nested_model(found[1].annotation)
            if nested is not None:
                seen.add(ref)
                todo.append((schema["types"][ref[len(TYPES) :]]["properties"], nested))


def _enum_type(choices: type[enum.Enum]) -> dict:
    return {
        "type": "string",
        "description": f"One of: {', '.join(str(m.value) for m in choices)}.",
        "enum": [{"name": m.name, "value": m.value} for m in choices],
    }


def refine(schema: dict) -> dict:
    """The analyzer's schema with enums, defaults, secrets and clean descriptions (changed in place, returned)."""
    package = schema["name"]
    preset_fields: set = set()
    for values in PRESETS.values():
        _preset_set(ClusterSpec, values, preset_fields)
    for props, model in list(_pairs(schema)):
        for prop, spec in props.items():
            found = _spec_field(model, prop)
            if found is None:
                continue
            name, info = found
            kind = _field_type(info.annotation)
            if isinstance(kind, type) and issubclass(kind, enum.Enum) and spec.get("type") == "string":
                token = f"{package}:index:{kind.__name__}"
                schema["types"].setdefault(token, _enum_type(kind))
                del spec["type"]
                spec["$ref"] = f"{TYPES}{token}"
            default = info.default
            if (
                (model, name) not in preset_fields
                and isinstance(default, bool | int | str | enum.Enum)
                and "items" not in spec
                and "additionalProperties" not in spec
            ):
                spec["default"] = default.value if isinstance(default, enum.Enum) else default
    resource = schema["resources"][f"{package}:index:Cluster"]
    for prop in SECRET_OUTPUTS:
        resource["properties"][prop]["secret"] = True
    for owner in [resource, *schema["types"].values()]:
        if owner.get("description"):
            owner["description"] = description(owner["description"])
        for group in ("inputProperties", "properties"):
            for spec in owner.get(group, {}).values():
                if spec.get("description"):
                    spec["description"] = description(spec["description"])
    return schema
