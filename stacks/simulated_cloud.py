"""A simulated Tencent Cloud behind the Pulumi SDK's mock runtime, and a runner for the real program.

Deterministic: ids are derived from the resource's URN, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`) and by the test suite.
"""

from __future__ import annotations

import contextvars
import hashlib
import ipaddress
import json
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from planning.sizing import parse_instance_type

SECRET = "[secret]"
PROJECT_DIR = Path(__file__).resolve().parent.parent

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


def _masked(value: Any) -> Any:
    """Secrets become a marker; protobuf's whole-number floats become ints again; keys sorted."""
    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET
        return {k: _masked(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict
    dependencies: list[str]
    protect: bool
    id: str | None


@dataclass
class Recording:
    stack: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def by_name(self, name: str) -> Registration:
        return next(r for r in self.resources if r.name == name)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping what the engine would see: parent, dependencies, protect, inputs."""

    def __init__(self, mocks: pulumi_mocks.Mocks, recording: Recording):
        super().__init__(mocks)
        self.recording = recording

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            # Secrets arrive wrapped; the recording keeps only the marker so nothing secret reaches a report.
            inputs = _masked(rpc.deserialize_properties(request.object, keep_internal=False))
            self.recording.resources.append(Registration(
                urn=response.urn, type=request.type, name=request.name, parent=request.parent or None,
                custom=bool(request.custom), inputs=json.loads(json.dumps(inputs, default=str)),
                dependencies=sorted(set(request.dependencies)), protect=bool(request.protect),
                id=response.id or None,
            ))
        return response


def run_program(
    config: Mapping[str, Any], *, stack: str, program: Callable[[], None] | None = None,
    cloud: SimulatedCloud | None = None, project: str = "kubecvm",
) -> Recording:
    """Run a Pulumi program (default: this project's __main__.py) against the simulated cloud.

    `config` maps full keys (`kubecvm:cluster`) to values as a stack file holds them. Each call runs in a fresh
    context, so runs in one process do not share a root stack.
    """
    recording = Recording(stack=stack)
    program = program or (lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__pulumi__"))

    def run() -> None:
        pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
        cloud_ = cloud or SimulatedCloud()
        pulumi.runtime.set_mocks(cloud_, project=project, stack=stack, preview=False,
                                 monitor=RecordingMonitor(cloud_, recording))
        _sync_await(run_pulumi_func(program))
        recording.resources.sort(key=lambda r: r.urn)  # registration order is the event loop's, not ours
        exported = pulumi.runtime.get_root_resource().outputs
        recording.outputs = _sync_await(_resolve_outputs(exported))

    contextvars.copy_context().run(run)
    return recording


async def _resolve_outputs(exported: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in sorted(exported.items()):
        output = pulumi.Output.from_input(value)
        out[key] = SECRET if await output.is_secret() else _masked(await output.future())
    return out
