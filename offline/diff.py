"""`kubecvm diff`: compare two JSON plans by URN and say which changes replace a resource on Tencent Cloud.

Which inputs force replacement is the provider's behaviour, not ours: the Pulumi SDK (tencentcloud-iac-pulumi
0.2.3) bridges the Tencent Terraform provider, and a change to an input marked `ForceNew: true` in that
provider's schema makes the engine delete and recreate the resource. FORCE_NEW below copies those flags, in the
SDK's camelCase, for the types kubecvm creates. Source (tencentcloudstack/terraform-provider-tencentcloud,
the resource schemas under tencentcloud/services/):
  cvm/resource_tc_instance.go                 tencentcloud_instance
  vpc/resource_tc_vpc.go                      tencentcloud_vpc
  vpc/resource_tc_subnet.go                   tencentcloud_subnet
  vpc/resource_tc_route_table.go              tencentcloud_route_table
  vpc/resource_tc_route_table_entry.go        tencentcloud_route_table_entry
  cbs/resource_tc_cbs_storage.go              tencentcloud_cbs_storage
  cbs/resource_tc_cbs_storage_attachment.go   tencentcloud_cbs_storage_attachment
  clb/resource_tc_clb_instance.go             tencentcloud_clb_instance
  clb/resource_tc_clb_listener.go             tencentcloud_clb_listener
  clb/resource_tc_clb_attachment.go           tencentcloud_clb_attachment (targets: in place, the difference)
Facts worth knowing from those files: a CVM's `instanceType` resizes in place (ModifyInstanceType) and its
`availabilityZone` is ForceNew; `privateIp`, `vpcId` and `subnetId` are NOT ForceNew in this provider: the
update migrates the instance (ModifyVpc, with a restart); `imageId` reinstalls the OS in place (ResetInstance);
`userData`/`userDataRaw` replace only when `userDataReplaceOnChange` is true. Those in-place but disruptive
updates are listed in DISRUPTIVE so a reviewer sees them, without counting as replacements.

A key `name[]` stands for the number of elements of the list `name`; `name[].key` for a key of any element.
Types not listed here are compared too, and their changes are reported as in-place updates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTANCE = "tencentcloud:Instance/instance:Instance"
VPC = "tencentcloud:Vpc/instance:Instance"
SUBNET = "tencentcloud:Subnet/instance:Instance"
ROUTE_TABLE = "tencentcloud:Route/table:Table"
ROUTE_ENTRY = "tencentcloud:Route/tableEntry:TableEntry"
CBS = "tencentcloud:Cbs/storage:Storage"
CBS_ATTACHMENT = "tencentcloud:Cbs/storageAttachment:StorageAttachment"
CLB = "tencentcloud:Clb/instance:Instance"
CLB_LISTENER = "tencentcloud:Clb/listener:Listener"
CLB_ATTACHMENT = "tencentcloud:Clb/attachment:Attachment"

FORCE_NEW: dict[str, frozenset[str]] = {
    INSTANCE: frozenset({
        "availabilityZone", "dedicatedClusterId", "spotMaxPrice", "cdhHostId", "allocatePublicIp",
        "ipv4AddressType", "ipv6AddressType", "ipv6AddressCount", "antiDdosPackageId", "hpcClusterId",
        "launchTemplateId", "launchTemplateVersion",
        "dataDisks[]", "dataDisks[].dataDiskType", "dataDisks[].dataDiskSnapshotId", "dataDisks[].deleteWithInstance",
        "dataDisks[].deleteWithInstancePrepaid", "dataDisks[].kmsKeyId", "dataDisks[].encrypt",
        "dataDisks[].throughputPerformance",
    }),
    VPC: frozenset({"cidrBlock"}),
    SUBNET: frozenset({"vpcId", "availabilityZone", "cidrBlock"}),
    ROUTE_TABLE: frozenset({"vpcId"}),
    ROUTE_ENTRY: frozenset({"routeTableId", "destinationCidrBlock", "nextType", "nextHub", "description"}),
    CBS: frozenset({"storageType", "availabilityZone", "dedicatedClusterId", "kmsKeyId", "encrypt", "encryptType"}),
    CBS_ATTACHMENT: frozenset({"storageId", "instanceId"}),
    CLB: frozenset({
        "networkType", "vpcId", "subnetId", "clusterId", "vipIsp", "vip", "exclusiveCluster",
    }),
    CLB_LISTENER: frozenset({"clbId", "port", "protocol", "sniSwitch", "endPort", "h2cSwitch"}),
    CLB_ATTACHMENT: frozenset({"clbId", "listenerId", "ruleId", "domain", "url"}),
}

# CustomizeDiff in resource_tc_instance.go: ForceNewIf(user_data / user_data_raw, user_data_replace_on_change).
FORCE_NEW_IF: dict[str, dict[str, str]] = {
    INSTANCE: {"userData": "userDataReplaceOnChange", "userDataRaw": "userDataReplaceOnChange"},
}

# In place, but the instance restarts, migrates or is reinstalled (the provider's Update function).
DISRUPTIVE: dict[str, dict[str, str]] = {
    INSTANCE: {
        "imageId": "reinstalls the OS (ResetInstance)",
        "keyIds": "may reinstall the OS",
        "password": "restarts the instance",
        "hostname": "restarts the instance",
        "privateIp": "migrates the instance's network (ModifyVpc) and restarts it",
        "vpcId": "migrates the instance's network (ModifyVpc) and restarts it",
        "subnetId": "migrates the instance's network (ModifyVpc) and restarts it",
        "instanceType": "resizes the instance (ModifyInstanceType), which stops it",
        "systemDiskType": "may force-stop the instance",
        "systemDiskSize": "may force-stop the instance",
        "userData": "updated in place, but a running node does not run it again (cloud-init runs once per instance)",
        "userDataRaw": "updated in place, but a running node does not run it again (cloud-init runs once per instance)",
    },
}


@dataclass
class Change:
    urn: str
    type: str
    keys: list[str]                      # top-level input keys whose values differ
    replace_keys: list[str] = field(default_factory=list)  # the ones that force replacement
    disruptive: dict[str, str] = field(default_factory=dict)
    cascade_from: str | None = None      # URN of a replaced resource whose new id this one takes in a ForceNew key

    @property
    def replace(self) -> bool:
        return bool(self.replace_keys) or self.cascade_from is not None


@dataclass
class DiffResult:
    added: list[dict]
    removed: list[dict]
    changed: list[Change]

    @property
    def replacements(self) -> list[Change]:
        return [c for c in self.changed if c.replace]

    def to_json(self) -> dict:
        return {
            "added": [{"urn": r["urn"], "type": r["type"]} for r in self.added],
            "removed": [{"urn": r["urn"], "type": r["type"]} for r in self.removed],
            "changed": [
                {"urn": c.urn, "type": c.type, "keys": c.keys, "replace": c.replace, "replaceKeys": c.replace_keys,
                 "cascadeFrom": c.cascade_from, "disruptive": c.disruptive}
                for c in self.changed
            ],
            "summary": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                        "replaced": len(self.replacements)},
        }


class PlanFileError(Exception):
    """A plan file that cannot be read or is not a kubecvm JSON plan."""


# Bounds on what `kubecvm diff` reads (a plan is a few KB of JSON per node and nests under 10 deep).
MAX_PLAN_BYTES = 256 * 1024 * 1024
MAX_PLAN_DEPTH = 100


def _non_finite(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


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


def load_plan(path: Path) -> dict:
    """A `kubecvm plan --format json` document, checked enough that diffing it cannot fail: PlanFileError if not."""
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise PlanFileError(f"{path}: {size} bytes; a plan file may have at most {MAX_PLAN_BYTES}")
        doc = json.loads(path.read_bytes(), parse_constant=_non_finite)
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
        raise PlanFileError(f"{path}: expected the output of `kubecvm plan --format json` (a 'resources' list with URNs)")
    if _depth_exceeded(doc):
        raise PlanFileError(f"{path}: nested more than {MAX_PLAN_DEPTH} deep; not a kubecvm plan")
    seen: set[str] = set()
    hint = "; a plan file is the output of `kubecvm plan --format json`"
    for i, r in enumerate(resources):
        where = f"{path}: resources[{i}]"
        if not isinstance(r, dict):
            raise PlanFileError(f"{where}: expected an object with urn, type, id and inputs{hint}")
        for key, allowed, what in (("urn", (str,), "a string"), ("type", (str,), "a string"),
                                   ("id", (str, type(None)), "a string or null"), ("inputs", (dict,), "an object")):
            if key not in r:
                raise PlanFileError(f"{where}.{key}: required ({what}){hint}")
            if not isinstance(r[key], allowed):
                raise PlanFileError(f"{where}.{key}: expected {what}, got {type(r[key]).__name__}{hint}")
        if r["urn"] in seen:
            raise PlanFileError(f"{where}.urn: {r['urn'][:200]!r} appears twice; a plan has one resource per URN{hint}")
        seen.add(r["urn"])
    return doc


def _forcing_keys(type_: str, key: str, old: Any, new: Any, new_inputs: Mapping) -> list[str]:
    """The ForceNew paths under top-level `key` that differ between old and new."""
    rules = FORCE_NEW.get(type_, frozenset())
    if key in rules:
        return [key]
    flag = FORCE_NEW_IF.get(type_, {}).get(key)
    if flag and new_inputs.get(flag) is True:
        return [key]
    if not any(r.startswith(f"{key}[]") for r in rules):
        return []
    old, new = old if isinstance(old, list) else [], new if isinstance(new, list) else []
    forcing = [f"{key}[]"] if f"{key}[]" in rules and len(old) != len(new) else []
    nested = sorted(r.split("].", 1)[1] for r in rules if r.startswith(f"{key}[]."))
    for i, (o, n) in enumerate(zip(old, new)):
        if isinstance(o, Mapping) and isinstance(n, Mapping):
            forcing += [f"{key}[{i}].{k}" for k in nested if o.get(k) != n.get(k)]
    return forcing


def _values(value: Any) -> Iterable[Any]:
    if isinstance(value, list):
        for v in value:
            yield from _values(v)
    else:
        yield value


def diff_plans(old: Mapping, new: Mapping) -> DiffResult:
    """Added, removed and changed resources by URN; changes marked REPLACE where the provider forces it.

    A resource that is replaced gets a new id in the cloud, so any resource holding that id in a ForceNew input
    (a subnet's vpcId, a route's routeTableId) is replaced with it: that cascade is followed to a fixed point.
    """
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    added = [after[u] for u in sorted(after.keys() - before.keys())]
    removed = [before[u] for u in sorted(before.keys() - after.keys())]
    changes: dict[str, Change] = {}
    for urn in sorted(before.keys() & after.keys()):
        a, b = before[urn].get("inputs") or {}, after[urn].get("inputs") or {}
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if not keys:
            continue
        type_ = after[urn]["type"]
        change = Change(urn, type_, keys)
        for k in keys:
            change.replace_keys += _forcing_keys(type_, k, a.get(k), b.get(k), b)
            if k in DISRUPTIVE.get(type_, {}):
                change.disruptive[k] = DISRUPTIVE[type_][k]
        changes[urn] = change

    replaced_ids = {before[c.urn].get("id"): c.urn for c in changes.values() if c.replace and before[c.urn].get("id")}
    while replaced_ids:
        newly = {}
        for urn in sorted(before.keys() & after.keys()):
            if urn in changes and changes[urn].replace:
                continue
            res = after[urn]
            inputs = res.get("inputs") or {}
            for key in sorted(FORCE_NEW.get(res["type"], ())):
                hit = next((replaced_ids[v] for v in _values(inputs.get(key)) if v in replaced_ids), None)
                if hit:
                    change = changes.setdefault(urn, Change(urn, res["type"], []))
                    change.cascade_from = hit
                    if before[urn].get("id"):
                        newly[before[urn]["id"]] = urn
                    break
        replaced_ids = newly
    return DiffResult(added, removed, [changes[u] for u in sorted(changes)])
