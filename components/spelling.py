"""Field names in a message, in the spelling of whoever called: Python programs write ClusterArgs' snake_case
(`node_pools[0].count_per_zone`, `subnet_cidrs.ap-guangzhou-3`), other languages the schema's camelCase of the same
arguments (`nodePools[0].countPerZone`, `subnetCidrs.ap-guangzhou-3`). The spec (and so its messages) spells them
as a stack file does, where the existing network is one nested `existingNetwork`; ClusterArgs flatten it."""

from __future__ import annotations

import functools
import re
import typing

from kubecvm.planning import ClusterSpec
from kubecvm.stacks.arguments import nested_model

from . import args as args_module

# The spec's existingNetwork.subnets.<zone>.{cidr,id}: ClusterArgs' subnet_cidrs / subnet_ids by zone.
_EXISTING_SUBNET = re.compile(r"existingNetwork\.subnets\.([a-z0-9-]+)\.(cidr|id)\b")


@functools.cache
def _spec_aliases() -> dict[str, str]:
    """camelCase spelling -> snake_case argument name, for every spec field (and the flat network arguments)."""
    out = {
        "existingNetwork.vpcId": "vpc_id",
        "existingNetwork.routeTableId": "route_table_id",
        "existingNetwork.subnets": "subnet_cidrs",
        "kubecvm:preset": "preset",
        "tencentcloud:region": "region",
    }
    models, seen = [ClusterSpec], set()
    while models:
        model = models.pop()
        if model in seen:
            continue
        seen.add(model)
        for field_name, info in model.model_fields.items():
            if info.alias and info.alias != field_name:
                out[info.alias] = field_name
            if (nested := nested_model(info.annotation)) is not None:
                models.append(nested)
    return out


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def _argument_names() -> dict[str, str]:
    """snake_case argument name -> the schema's camelCase, for every key of every ClusterArgs TypedDict."""
    typed = [v for v in vars(args_module).values() if isinstance(v, type) and typing.is_typeddict(v)]
    return {k: camel(k) for t in typed for k in t.__annotations__ if "_" in k}


def _replace_words(message: str, table: dict[str, str]) -> str:
    pattern = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, table), key=len, reverse=True)) + r")(?!\w)")
    return pattern.sub(lambda m: table[m[1]], message)


def snake_case_message(message: str) -> str:
    """A spec message in ClusterArgs' spelling: `nodePools[0].countPerZone` -> `node_pools[0].count_per_zone`."""
    message = _EXISTING_SUBNET.sub(lambda m: f"subnet_{m[2]}s.{m[1]}", message)
    return _replace_words(message, _spec_aliases())


def camel_case_message(message: str) -> str:
    """A message in the schema's spelling: the flat network inputs (`subnetCidrs.<zone>`, `vpcId`), and any
    ClusterArgs name a check wrote in snake_case (`security_group_ids[0]` -> `securityGroupIds[0]`)."""
    message = _EXISTING_SUBNET.sub(lambda m: f"subnet{m[2].capitalize()}s.{m[1]}", message)
    message = message.replace("existingNetwork.vpcId", "vpcId").replace("existingNetwork.routeTableId", "routeTableId")
    return _replace_words(message, _argument_names())


def in_spelling(message: str, spelling: str) -> str:
    return camel_case_message(message) if spelling == "camel" else snake_case_message(message)
