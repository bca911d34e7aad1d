"""The JSON Schema of every rule's settings: one declaration for the CrossGuard pack and the offline engine.

policies/__main__.py hands `rule_schema(spec)["properties"]` to pulumi_policy.PolicyConfigSchema, so `pulumi
preview --policy-pack-config FILE` type-checks each setting before any policy runs; engine.normalize_config
validates the same schema (with jsonschema) before any rule runs offline, so both refuse `allowPublicApi: "false"`,
`ports: 22` or `maxNodes: "lots"` alike, and a string can never stand in for a boolean that guards a mandatory rule.

What the Pulumi CLI does with it (pulumi/pulumi pkg/resource/analyzer/config.go): `convertSchema` wraps the
declared properties as {"type": "object", "properties": ..., "required": ...} and validates each policy's config
with gojsonschema. The analyzer protocol's PolicyConfigSchema carries only `properties` and `required`
(pulumi/analyzer.proto), so the object-level `additionalProperties: false` here cannot reach the CLI: under
CrossGuard an unknown (typo'd) setting is refused by the pack itself, which validates the full schema below and
reports `policy config: ...` as a violation at the policy's level; offline it is exit 2 before anything runs.
Nested objects (an exemption) do carry `additionalProperties: false` to the CLI.

Settings are typed from their default in code, refined by SETTINGS where a name means more than its type (a
port, a CIDR, an enum, a ratio). Numbers are never negative; NaN and infinities are refused in engine.py (JSON
Schema's `number` admits them).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .registry import LEVELS, RuleSpec

PORT = r"^(ALL|([1-9][0-9]{0,4})(-[1-9][0-9]{0,4})?)$"  # as a security-group rule writes ports: 22, 2379-2380, ALL
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
IPV4_CIDR = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"

# Tencent's placement-group types (tencentcloud_placement_group `type`: HOST, SW, RACK; provider
# tencentcloud/services/cvm/resource_tc_placement_group.go), CVM charge types (tencentcloud_instance
# `instance_charge_type`), CBS disk types (tencentcloud_cbs_storage `storage_type`): planning/spec/'s enums.
PLACEMENT_TYPES = ["HOST", "SW", "RACK"]
CHARGE_TYPES = ["POSTPAID_BY_HOUR", "PREPAID", "SPOTPAID", "CDHPAID", "CDCPAID"]
DISK_TYPES = ["CLOUD_BASIC", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_SSD", "CLOUD_HSSD", "CLOUD_TSSD"]

SETTINGS: dict[str, dict[str, Any]] = {
    "apiPort": {"minimum": 1, "maximum": 65535},  # an integer, or a port string
    "worldCidrs": {"items": {"type": "string", "pattern": IPV4_CIDR}},
    "ports": {"items": {"type": "string", "pattern": PORT}},
    "allowPublicApi": {"type": ["boolean", "null"]},  # null: the stack's own apiEndpoint.exposure
    "allowPublicIngress": {"type": ["boolean", "null"]},  # null: the stack's own ingress.exposure
    "nodePortRange": {"type": "string", "pattern": r"^[1-9][0-9]{0,4}-[1-9][0-9]{0,4}$"},
    "reservedNodePorts": {"items": {"type": "string", "pattern": PORT}},
    "routeQuota": {"type": ["integer", "null"], "minimum": 1},  # null: the stack's quotas.routeEntriesPerTable
    "defaultRouteQuota": {"minimum": 1},
    "warnRatio": {"exclusiveMinimum": 0, "maximum": 1},
    "minPrefixLength": {"minimum": 0, "maximum": 32},
    "minZones": {"minimum": 1},
    "maxNodes": {"minimum": 1},
    "maxPods": {"minimum": 1},
    "maxPodsPerNode": {"minimum": 1},
    "spreadTypes": {"items": {"type": "string", "enum": PLACEMENT_TYPES}},
    "forbiddenChargeTypes": {"items": {"type": "string", "enum": CHARGE_TYPES}},
    "ssdTypes": {"items": {"type": "string", "enum": DISK_TYPES}},
    "patterns": {"additionalProperties": {"type": "string", "minLength": 1}},  # compiled in engine.py
    "requiredTags": {"items": {"type": "string", "minLength": 1}},
}

EXEMPTION = {
    "type": "object",
    "properties": {
        "policy": {"type": "string"},
        "resource": {"type": ["string", "null"], "minLength": 1},  # null or absent: every finding of the rule
        "reason": {"type": "string", "minLength": 1, "pattern": r"\S"},
        "expires": {"type": "string", "pattern": DATE},
    },
    "required": ["reason", "expires"],
    "additionalProperties": False,
}
EXEMPTIONS = {"type": "array", "items": EXEMPTION}


def _inferred(default: Any) -> dict[str, Any]:
    """The JSON Schema type of a setting's default (bool before int: a bool is an int in Python, not in JSON)."""
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, int):
        return {"type": "integer", "minimum": 0}
    if isinstance(default, float):
        return {"type": "number", "minimum": 0}
    if isinstance(default, str):
        return {"type": "string"}
    if isinstance(default, list | tuple):
        items = {_inferred(v)["type"] for v in default}
        return {"type": "array", **({"items": {"type": items.pop()}} if len(items) == 1 else {})}
    if isinstance(default, Mapping):
        return {"type": "object"}
    return {}  # a None default must be declared in SETTINGS


def setting_schema(name: str, default: Any) -> dict[str, Any]:
    schema = _inferred(default)
    refine = copy.deepcopy(SETTINGS.get(name, {}))
    if name == "apiPort" and isinstance(default, str):
        refine = {"pattern": PORT}
    schema.update(refine)
    if "type" not in schema:
        raise AssertionError(f"setting {name!r} has no JSON type: declare it in policies/schema.py SETTINGS")
    return schema


def rule_schema(spec: RuleSpec) -> dict[str, Any]:
    """The full schema of one rule's settings object (enforcementLevel is the engine's own key, checked apart)."""
    properties = {k: setting_schema(k, v) for k, v in spec.defaults.items()}
    return {"type": "object", "properties": {**properties, "exemptions": EXEMPTIONS}, "additionalProperties": False}


def cli_schema(spec: RuleSpec) -> dict[str, Any]:
    """What the Pulumi CLI validates a policy's config against, from what the pack declares (convertSchema)."""
    return {"type": "object", "properties": rule_schema(spec)["properties"]}


# The `cluster` facts (engine.CLUSTER_KEYS); a key without an entry here is accepted as any JSON value.
CLUSTER_TYPES: dict[str, dict[str, Any]] = {
    "podCidr": {"type": "string", "pattern": IPV4_CIDR},
    "serviceCidr": {"type": "string", "pattern": IPV4_CIDR},
    "maxPodsPerNode": {"type": "integer", "minimum": 1},
    "nodePodMask": {"type": "integer", "minimum": 0, "maximum": 32},
    "routeEntriesPerTable": {"type": "integer", "minimum": 1},
    "apiExposure": {"type": "string", "enum": ["internal", "public"]},
    "ingressExposure": {"type": ["string", "null"], "enum": ["internal", "public", None]},  # null: no ingress
}


def cluster_schema(keys: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": {k: CLUSTER_TYPES.get(k, {}) for k in keys}, "additionalProperties": False}


LEVEL = {"type": "string", "enum": list(LEVELS)}
