"""Run the real Pulumi program against the simulated cloud and record what the engine would receive.

Used by the offline plan, the benchmark and the tests: one runner, so they all see the same registrations.
"""

from __future__ import annotations

import contextvars
import gc
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from kubecvm import sdk
from kubecvm.components import recording as component_recording
from kubecvm.offline.simulated_cloud import SimulatedCloud

SECRET = "[secret]"
# The checkout, for its own tests only: the CLI reads stacks from the current directory (stacks/project.py).
PROJECT_DIR = Path(__file__).resolve().parent.parent
# Pause the cyclic garbage collector while a program runs (see gc_paused). A switch, so bench/ can measure the cost.
PAUSE_GC = True


# Skip the SDK's walk of the Python stack for each resource's source position (kubecvm.sdk): the mock monitor
# discards it. Nothing the recording or a report shows depends on it.
without_source_positions = sdk.source_positions_off


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run without the cyclic garbage collector, restoring its state afterwards.

    A plan allocates dozens of objects per resource (outputs, futures, tasks, registrations) that all stay alive
    until the run ends, so the collector's full passes re-scan an ever larger heap and free next to nothing: at
    2500 workers they were 60% of the run (25 s -> 10 s without them) for 2% more peak memory (bench/RESULTS.md).
    Reference counting still frees everything that is not a cycle.
    """
    if not PAUSE_GC or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        # Everything allocated meanwhile sits in the youngest generation; the first collection after enable()
        # would walk all of it (1.5 s at 1000 workers). Promote it to the oldest one unscanned instead: it is
        # still collected, by the next full collection, which a short-lived `kubecvm plan` never needs.
        gc.freeze()
        gc.unfreeze()
        gc.enable()


class SharedStrings:
    """One object for equal long strings: what the mock monitor deserialized from a registration and what the SDK
    deserialized from the answer (the simulated cloud answers with the inputs) are two copies of each CVM's user data,
    10 KiB a node kept to the end (bench/RESULTS.md). The first copy seen is kept; equal ones are given it instead."""

    SHORTEST = 1024  # names, ids and addresses are not worth a look-up

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if type(value) is str and len(value) >= self.SHORTEST:
            return self.kept.setdefault(value, value)  # atomic: the monitor's threads and the event loop share it
        return value

    def inputs(self, inputs: dict) -> dict:
        """The top-level string inputs shared, in place (a registration's own dict, before anyone else holds it)."""
        for key, value in inputs.items():
            if type(value) is str and len(value) >= self.SHORTEST:
                inputs[key] = self(value)
        return inputs


@contextmanager
def simulated_runtime(share: SharedStrings | None = None) -> Iterator[None]:
    """How the SDK runs against the simulated cloud: run_program, and bench/ for its floor, so both compare alike.
    `share`: the long strings of resource outputs go through it (run_program's, shared with its recording)."""
    with (
        gc_paused(),
        without_source_positions(),
        sdk.unknowns_check_without_cycles(),
        sdk.outputs_without_tasks(*([share] if share is not None else [])),
    ):
        yield


def _recorded(value: Any) -> Any:
    """Values as the recording keeps them (inputs from the mock monitor's own deserialization, and outputs):
    secrets as a marker, so nothing secret reaches a report; internal `__` keys dropped except `__provider`;
    protobuf's whole-number floats as ints again; keys sorted; tuples as lists; anything else not JSON as its str.
    Strings are shared, not copied.
    """
    if isinstance(value, Mapping):
        if sdk.is_secret(value):
            return SECRET
        return {k: _recorded(value[k]) for k in sorted(value) if not k.startswith("__") or k == "__provider"}
    if isinstance(value, list | tuple):
        return [_recorded(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class _Capture(pulumi_mocks.Mocks):
    """The cloud, seen through a window: keeps the inputs the mock monitor deserialized for the current request.

    Registrations run on the SDK's worker threads, so the window is per thread. One deserialization per resource
    instead of two (and no JSON round trip): faster, and the recording shares its strings with the monitor's.
    """

    def __init__(self, cloud: pulumi_mocks.Mocks, share: SharedStrings | None = None):
        self.cloud = cloud
        self.local = threading.local()
        self.share = share or SharedStrings()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        self.local.inputs = self.share.inputs(args.inputs)
        return self.cloud.new_resource(args)

    def call(self, args: pulumi_mocks.MockCallArgs):
        return self.cloud.call(args)

    def register_transform(self, transform) -> None:
        self.cloud.register_transform(transform)

    def register_invoke_transform(self, transform) -> None:
        self.cloud.register_invoke_transform(transform)


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
    # The resource options the program passed, as the engine receives them (RegisterResourceRequest).
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)  # former URNs of this resource (renames that keep it)


@dataclass
class Recording:
    stack: str
    resources: list[Registration] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    plans: list = field(default_factory=list)  # planning.ClusterPlan of every kubecvm cluster the program built

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def by_name(self, name: str) -> Registration:
        return next(r for r in self.resources if r.name == name)


def alias_urn(urn: str, alias) -> str:
    """The URN an alias (a URN, or a spec of what changed: name, type, parent) stands for, as the engine computes it."""
    if alias.urn:
        return alias.urn
    spec = alias.spec
    qualified, name = urn.split("::")[2], urn.rsplit("::", 1)[1]
    head = "::".join(urn.split("::")[:2])  # urn:pulumi:<stack>::<project>
    if spec.stack or spec.project:
        stack, project = head.removeprefix("urn:pulumi:").split("::")
        head = f"urn:pulumi:{spec.stack or stack}::{spec.project or project}"
    types = qualified.split("$")
    if spec.type:
        types[-1] = spec.type
    if spec.noParent:
        types = types[-1:]
    elif spec.parentUrn:
        types = spec.parentUrn.split("::")[2].split("$") + types[-1:]
    return f"{head}::{'$'.join(types)}::{spec.name or name}"


class RecordingMonitor(sdk.mock_monitor()):
    """The SDK's mock monitor, also keeping what the engine would see: parent, dependencies, protect, inputs."""

    def __init__(
        self,
        mocks: pulumi_mocks.Mocks,
        recording: Recording,
        on_register: Callable[[str], None] | None,
        share: SharedStrings | None = None,
    ):
        self.capture = _Capture(mocks, share)
        super().__init__(self.capture)
        self.recording = recording
        self.on_register = on_register

    def RegisterResource(self, request):
        self.capture.local.inputs = None
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            # Secrets arrive wrapped; the recording keeps only the marker so nothing secret reaches a report.
            inputs = _recorded(self.capture.local.inputs)
            self.recording.resources.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent or None,
                    custom=bool(request.custom),
                    inputs=inputs,
                    dependencies=sorted(set(request.dependencies)),
                    protect=bool(request.protect),
                    id=response.id or None,
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    ignore_changes=sorted(request.ignoreChanges),
                    retain_on_delete=bool(request.retainOnDelete),
                    property_dependencies={
                        k: sorted(set(v.urns)) for k, v in sorted(request.propertyDependencies.items()) if v.urns
                    },
                    aliases=sorted({alias_urn(response.urn, a) for a in request.aliases} - {response.urn}),
                )
            )
            if self.on_register:
                self.on_register(request.name)
        return response


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str,
    program: Callable[[], None] | None = None,
    cloud: SimulatedCloud | None = None,
    project: str = "kubecvm",
    on_register: Callable[[str], None] | None = None,
) -> Recording:
    """Run a Pulumi program (default: kubecvm.program.main, what __main__.py runs) against the simulated cloud.

    `config` maps full keys (`kubecvm:cluster`) to values as a stack file holds them. Each call runs in a fresh
    context, so runs in one process do not share a root stack. `on_register` is called with each resource name
    as it is registered (for progress display).
    """
    recording = Recording(stack=stack)
    if program is None:
        from kubecvm.program import main as program

    def run() -> None:
        sdk.forget_previous_run()  # a run the simulated cloud refused would fail every later run in this process
        component_recording.PLANS.set(recording.plans)
        pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
        cloud_ = cloud or SimulatedCloud()
        if isinstance(cloud_, SimulatedCloud):
            cloud_.plans = recording.plans  # the clusters built so far, for the Kubernetes objects' answers
        pulumi.runtime.set_mocks(
            cloud_,
            project=project,
            stack=stack,
            preview=False,
            monitor=RecordingMonitor(cloud_, recording, on_register, share),
        )
        sdk.run_to_completion(program)
        recording.resources.sort(key=lambda r: r.urn)  # registration order is the event loop's, not ours
        exported = pulumi.runtime.get_root_resource().outputs
        recording.outputs = sdk.settle(_resolve_outputs(exported))

    share = SharedStrings()
    with simulated_runtime(share):
        contextvars.copy_context().run(run)
    return recording


async def _resolve_outputs(exported: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in sorted(exported.items()):
        output = pulumi.Output.from_input(value)
        out[key] = SECRET if await output.is_secret() else _recorded(await output.future())
    return out
