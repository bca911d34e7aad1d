"""Run the real Pulumi program against the simulated cloud and record what the engine would receive.

Used by the offline plan, the benchmark and the tests: one runner, so they all see the same registrations.
"""

from __future__ import annotations

import contextvars
import gc
import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from stacks.simulated_cloud import SimulatedCloud

SECRET = "[secret]"
PROJECT_DIR = Path(__file__).resolve().parent.parent
# Pause the cyclic garbage collector while a program runs (see gc_paused). A switch, so bench/ can measure the cost.
PAUSE_GC = True


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
        gc.enable()


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

    def __init__(self, mocks: pulumi_mocks.Mocks, recording: Recording, on_register: Callable[[str], None] | None):
        super().__init__(mocks)
        self.recording = recording
        self.on_register = on_register

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
            if self.on_register:
                self.on_register(request.name)
        return response


def run_program(
    config: Mapping[str, Any], *, stack: str, program: Callable[[], None] | None = None,
    cloud: SimulatedCloud | None = None, project: str = "kubecvm", on_register: Callable[[str], None] | None = None,
) -> Recording:
    """Run a Pulumi program (default: this project's __main__.py) against the simulated cloud.

    `config` maps full keys (`kubecvm:cluster`) to values as a stack file holds them. Each call runs in a fresh
    context, so runs in one process do not share a root stack. `on_register` is called with each resource name
    as it is registered (for progress display).
    """
    recording = Recording(stack=stack)
    program = program or (lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__pulumi__"))

    def run() -> None:
        pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
        cloud_ = cloud or SimulatedCloud()
        pulumi.runtime.set_mocks(cloud_, project=project, stack=stack, preview=False,
                                 monitor=RecordingMonitor(cloud_, recording, on_register))
        _sync_await(run_pulumi_func(program))
        recording.resources.sort(key=lambda r: r.urn)  # registration order is the event loop's, not ours
        exported = pulumi.runtime.get_root_resource().outputs
        recording.outputs = _sync_await(_resolve_outputs(exported))

    with gc_paused():
        contextvars.copy_context().run(run)
    return recording


async def _resolve_outputs(exported: Mapping[str, Any]) -> dict:
    out = {}
    for key, value in sorted(exported.items()):
        output = pulumi.Output.from_input(value)
        out[key] = SECRET if await output.is_secret() else _masked(await output.future())
    return out
