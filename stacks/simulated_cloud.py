"""A simulated Tencent Cloud for the Pulumi SDK's mock runtime: resource outputs and data-source answers.

Deterministic: ids are derived from type and name, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`, through stacks.runner) and by the test suite.
"""

from __future__ import annotations

import hashlib
import ipaddress
from pulumi.runtime import mocks as pulumi_mocks

from planning.sizing import parse_instance_type

# Tencent's id prefixes by resource type.
ID_PREFIX = {
    "tencentcloud:Vpc/instance:Instance": "vpc",
    "tencentcloud:Subnet/instance:Instance": "subnet",
    "tencentcloud:Route/table:Table": "rtb",
    "tencentcloud:Route/tableEntry:TableEntry": "rtb-entry",
    "tencentcloud:Instance/instance:Instance": "ins",
    "tencentcloud:Cbs/storage:Storage": "disk",
    "tencentcloud:Cbs/storageAttachment:StorageAttachment": "disk-attach",
    "tencentcloud:Clb/instance:Instance": "lb",
    "tencentcloud:Clb/listener:Listener": "lbl",
    "tencentcloud:Clb/attachment:Attachment": "lb-attach",
    "tencentcloud:Security/group:Group": "sg",
    "tencentcloud:Security/groupRuleSet:GroupRuleSet": "sg-rules",
    "tencentcloud:Placement/group:Group": "ps",
    "tencentcloud:Eip/instance:Instance": "eip",
    "tencentcloud:Nat/gateway:Gateway": "nat",
}
ROUTE_TABLE_QUOTA_DEFAULT = 50


def _digest(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _public_ip(seed: str) -> str:
    """A stable address in TEST-NET-3 (RFC 5737), never a real host."""
    return str(ipaddress.IPv4Address("203.0.113.0") + int(_digest(seed, 4), 16) % 254 + 1)


class SimulatedCloud(pulumi_mocks.Mocks):
    """Answers resource creation and data-source calls as Tencent Cloud would, deterministically."""

    def __init__(self, route_table_quota: int = ROUTE_TABLE_QUOTA_DEFAULT):
        self.route_table_quota = route_table_quota

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            return None, {}
        key = f"{args.typ}::{args.name}"
        prefix = ID_PREFIX.get(args.typ, args.typ.rsplit(":", 1)[-1].lower())
        rid = f"{prefix}-{_digest(key)}"
        state = dict(args.inputs)
        if args.typ == "tencentcloud:Instance/instance:Instance":
            shape = parse_instance_type(state["instanceType"])
            state |= {"cpu": shape.cpu, "memory": shape.memory_gib, "instanceStatus": "RUNNING"}
        elif args.typ == "tencentcloud:Clb/instance:Instance":
            vip = state.get("vip") or _public_ip(key)
            state |= {"clbVips": [vip], "vip": vip}
        elif args.typ == "tencentcloud:Clb/listener:Listener":
            state |= {"listenerId": rid}
            rid = f"{state['clbId']}#{rid}"  # Tencent's listener resource id is clbId#listenerId
        elif args.typ == "tencentcloud:Eip/instance:Instance":
            state |= {"publicIp": _public_ip(key)}
        return rid, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        token = args.token
        if token == "tencentcloud:Images/getInstance:getInstance":
            image = {"imageId": "img-" + _digest(str(args.args.get("imageNameRegex"))), "imageName": "Ubuntu Server 22.04 LTS 64bit",
                     "osName": "Ubuntu Server 22.04 LTS 64bit", "imageType": "PUBLIC_IMAGE", "supportCloudInit": True}
            return {"id": "images", "images": [image]}
        if token == "tencentcloud:Vpc/getLimits:getLimits":
            return {"id": "limits", "vpcLimitSets": [{"limitType": "route-table-max-policies", "limitValue": self.route_table_quota}]}
        return {}
