"""What every part of the spec shares: the strict Model, the markers the reference generator reads, the CIDR and
integer types, and SpecError."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Strict
from pydantic.alias_generators import to_camel

from .. import checks


def _canonical_cidr(value: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.0.0.0/16") from None
    if str(net) != value:
        raise ValueError(f"{value!r} is not canonical: write {net} (host bits must be zero)")
    return net


def _private_cidr(net: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not checks.is_rfc1918(net):
        raise ValueError(f"{net} is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
    return net


Cidr = Annotated[str, AfterValidator(_canonical_cidr), AfterValidator(str)]


def _distinct_cidrs(v: list[str]) -> list[str]:
    first: dict[str, int] = {}
    for i, cidr in enumerate(v):
        if (j := first.setdefault(cidr, i)) != i:
            raise ValueError(
                f"{cidr} is listed twice (entries {j} and {i}): each entry becomes a security-group rule, "
                "and Tencent refuses a rule twice in a group (UnsupportedOperation.DuplicatePolicy)"
            )
    return v


# A list of sources, one security-group rule each (planning/security_rules.py counts them): no CIDR twice.
CidrList = Annotated[list[Cidr], AfterValidator(_distinct_cidrs)]
PrivateCidr = Annotated[str, AfterValidator(_canonical_cidr), AfterValidator(_private_cidr), AfterValidator(str)]
_K8S_NAME = r"^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$"


def _integer(value: object) -> object:
    """Integers are integers: `true` is not 1 (routeEntriesPerTable: true once meant a quota of one route), nor is
    "50". A whole float is one (other languages' numbers reach a component package as doubles)."""
    if isinstance(value, bool) or isinstance(value, str) or isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value!r:.40}")
    return int(value) if isinstance(value, float) else value


Int = Annotated[int, BeforeValidator(_integer)]


# Strict types everywhere (Model's strict=True): a boolean is true or false, not "no", "off", 0 or 1; an integer is
# not true or "8080" (Int takes whole floats on purpose, above); a string is not bytes; a list is a list. Pydantic's
# lax mode would coerce all of these ("Conversion Table", docs.pydantic.dev/latest/concepts/conversion_table/), so
# `ingress.ports.http: true` became port 1. The one lax exception is an enum, so a config string names its member:
# LAX on an Enum field and on nothing else (tests/planning/test_strict_spec.py checks every model).
LAX = Strict(False)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
        strict=True,
    )


# The descriptions in this package (each model's `about`, each field's `description`) are the only prose about a
# setting: the component's ClusterArgs (components/args.py) and the configuration reference
# (docs/reference/configuration.md) are generated from them by tools/gen_schema_docs.py. Two markers in a field's
# json_schema_extra tell the generator what the annotations cannot: SHOWN_DEFAULT, the default in words where it is
# not a plain value (None meaning "the VPC CIDR", a value the loader fills in); INPUT, a value ClusterArgs takes as a
# pulumi Input (each item, for a list or map), because the planner only copies it.
SHOWN_DEFAULT = "kubecvmDefault"
INPUT = "kubecvmInput"


def about(text: str) -> ConfigDict:
    """A model's description for users (its docstring is for this code's readers)."""
    return ConfigDict(json_schema_extra={"description": text})


def shown(default: str, **extra: object) -> dict:
    return {SHOWN_DEFAULT: default, **extra}


class SpecError(ValueError):
    """A spec problem tied to one field path (camelCase, as the user wrote it)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
