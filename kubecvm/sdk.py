"""The Pulumi SDK's internals that kubecvm uses, in one place, each with who uses it and why.

The components use only the SDK's public API (ComponentResource, pulumi.dynamic, Output) and work on any pulumi in
the range pyproject.toml declares. The offline runner (`kubecvm plan`, kubecvm.testing's simulated cloud) also drives
the SDK's mock runtime through private names, which an SDK release may move: it is tested on the minor the `cli`
extra pins (TESTED). Every private name is reached through this module, so when one has moved, the error names
it, the installed SDK version and what needs it (SdkChanged), instead of an AttributeError deep inside a run.
tests/test_packaging.py checks each of INTERNALS against the installed SDK.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi

# The SDK minor the offline runner is tested on: the `cli` extra pins it (pyproject.toml; tests/test_packaging.py).
TESTED = "3.272"
# The first SDK whose component analyzer reads ClusterArgs (kubecvm.provider): 3.236 fails on its annotations.
COMPONENT_PACKAGE_SDK = (3, 237, 0)

# (module, name, who uses it): every private or unstable SDK name kubecvm reaches.
INTERNALS = (
    ("pulumi.runtime.sync_await", "_sync_await", "the offline runner (run_to_completion): run the program to the end"),
    (
        "pulumi.runtime.stack",
        "run_pulumi_func",
        "the offline runner (run_to_completion): run a program as the host does",
    ),
    ("pulumi.runtime.rpc", "_special_sig_key", "the simulated cloud and the recording (secret markers)"),
    ("pulumi.runtime.rpc", "_special_secret_sig", "the simulated cloud and the recording (secret markers)"),
    ("pulumi.runtime.mocks", "MockMonitor", "the offline runner's RecordingMonitor"),
    ("pulumi.runtime.settings", "_get_rpc_manager", "the offline runner (forget_previous_run)"),
    ("pulumi.runtime.settings", "SETTINGS", "the offline runner (forget_previous_run)"),
    ("pulumi.runtime.config", "CONFIG", "kubecvm.program (config_keys): the keys set_all_config gave"),
    ("pulumi.runtime.config", "get_config_env", "kubecvm.program (config_keys): the keys the Python host passes"),
    ("pulumi.provider.experimental.component", "ComponentProvider", "kubecvm.provider (the component package)"),
    ("pulumi.provider", "main", "kubecvm.provider (serving the component package)"),
)
# Optional: without them the runner does the same work, only slower (source_positions_off).
OPTIONAL = (
    ("pulumi.runtime.resource", "_get_stack_trace", "the offline runner (source_positions_off)"),
    ("pulumi.runtime.proto.source_pb2", "StackTrace", "the offline runner (source_positions_off)"),
    ("pulumi.runtime.rpc", "contains_unknowns", "the offline runner (unknowns_check_without_cycles)"),
    ("pulumi.runtime.rpc", "transfer_properties", "the offline runner (outputs_without_tasks)"),
    ("pulumi.output", "_OutputData", "the offline runner (outputs_without_tasks)"),
    ("pulumi.output", "Output._from_data", "the offline runner (outputs_without_tasks)"),
)


class SdkChanged(RuntimeError):
    """The installed Pulumi SDK lacks a name kubecvm uses: the message names it, the SDK version and the user."""


def version() -> str:
    try:
        return importlib.metadata.version("pulumi")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def internal(module: str, name: str) -> Any:
    """`module.name` from the installed SDK, or SdkChanged saying what moved, in which version, and who needs it."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        used_by = next((u for m, n, u in INTERNALS + OPTIONAL if (m, n) == (module, name)), "kubecvm")
        raise SdkChanged(
            f"pulumi {version()} has no {module}.{name}, which {used_by} uses: the SDK moved it. kubecvm's offline "
            f"runner is tested with pulumi {TESTED}.x, which kubecvm's [cli] extra installs; the components "
            "themselves do not need it"
        ) from None


def _release(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit()) or "0"
        parts.append(int(digits))
    return tuple(parts)


def untested_note() -> str | None:
    """What to tell the user when the installed SDK is not the minor the offline runner is tested on."""
    installed = version()
    if installed == "unknown" or installed.startswith(f"{TESTED}."):
        return None
    return (
        f"pulumi {installed} is installed; the offline plan is tested with pulumi {TESTED}.x (kubecvm's [cli] "
        "extra pins it): the mock runtime of another minor may name or answer resources differently"
    )


# --- Secrets as the engine marks them (the mock monitor's wire form) ------------------------------------------


def secret_marker() -> tuple[str, str]:
    """(key, signature): a secret value travels as {key: signature, "value": ...}."""
    return internal("pulumi.runtime.rpc", "_special_sig_key"), internal("pulumi.runtime.rpc", "_special_secret_sig")


def is_secret(value: Any) -> bool:
    key, sig = secret_marker()
    return isinstance(value, Mapping) and value.get(key) == sig


def is_special(value: Any) -> bool:
    """A value the engine marks (a secret, an asset, a resource reference...)."""
    return isinstance(value, Mapping) and secret_marker()[0] in value


def as_secret(value: Any) -> dict:
    key, sig = secret_marker()
    return {key: sig, "value": value}


# --- Running a program under the mock runtime --------------------------------------------------------------------


def mock_monitor() -> type:
    """The SDK's mock resource monitor, which the offline runner subclasses to record registrations."""
    return internal("pulumi.runtime.mocks", "MockMonitor")


def run_to_completion(program: Callable[[], None]) -> None:
    """Run `program` as Pulumi's Python host does, until every registration and output has settled."""
    sync_await = internal("pulumi.runtime.sync_await", "_sync_await")
    sync_await(internal("pulumi.runtime.stack", "run_pulumi_func")(program))


def settle(awaitable) -> Any:
    """The result of an awaitable, on the SDK's own event loop."""
    return internal("pulumi.runtime.sync_await", "_sync_await")(awaitable)


def forget_previous_run() -> None:
    """The SDK keeps a run's pending RPCs and output tasks process-wide: after a run that failed, they would fail
    every later run in this process with the same error."""
    internal("pulumi.runtime.settings", "_get_rpc_manager")().clear()
    settings = internal("pulumi.runtime.settings", "SETTINGS")
    outputs = getattr(settings, "outputs", None)  # kept since pulumi 3.12x; nothing to forget before
    if outputs is not None:
        with settings.lock:
            outputs.clear()


@contextmanager
def source_positions_off() -> Iterator[None]:
    """Skip the SDK's walk of the Python stack that tells the engine where each resource was declared.

    The mock monitor discards it, and it costs in proportion to the stack's depth, which components deepen (a
    tenth of a 1000-worker plan, bench/RESULTS.md). An SDK without it (before about 3.19x) has nothing to skip."""
    try:
        resource = importlib.import_module("pulumi.runtime.resource")
        original = resource._get_stack_trace
        empty = importlib.import_module("pulumi.runtime.proto.source_pb2").StackTrace
    except (ImportError, AttributeError):
        yield
        return
    resource._get_stack_trace = empty
    try:
        yield
    finally:
        resource._get_stack_trace = original


def _unknowns_check(unknown: type) -> Callable[[Any], bool]:
    """pulumi.runtime.rpc.contains_unknowns without its garbage: the same walk (dict values and list items, each
    object once by id) and the same answer, iterative. The SDK's defines a recursive closure per call, a reference
    cycle only the cyclic collector frees: with the collector paused, 46 KiB a node stayed (bench/RESULTS.md)."""

    def contains_unknowns(val: Any) -> bool:
        if isinstance(val, unknown):
            return True
        if not isinstance(val, dict | list):
            return False
        seen: set[int] = set()
        stack = [val]
        while stack:
            value = stack.pop()
            if isinstance(value, unknown):
                return True
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, dict):
                stack.extend(value[k] for k in value)
            elif isinstance(value, list):
                stack.extend(value)
        return False

    return contains_unknowns


@contextmanager
def unknowns_check_without_cycles() -> Iterator[None]:
    """Check values for unknowns (every Output's, every serialized input's) without leaving a reference cycle per
    check; an SDK without that check where kubecvm expects it runs as it is."""
    try:
        rpc = importlib.import_module("pulumi.runtime.rpc")
        original = rpc.contains_unknowns
    except (ImportError, AttributeError):
        yield
        return
    rpc.contains_unknowns = _unknowns_check(pulumi.output.Unknown)
    try:
        yield
    finally:
        rpc.contains_unknowns = original


def _transfer_properties(output: type, output_data: type, share: Callable[[Any], Any]) -> Callable[..., dict]:
    """pulumi.runtime.rpc.transfer_properties with one future per resource property instead of four and a task.

    The SDK's gives each property of a registered resource (a CVM declares 66, inputs and outputs alike) four futures
    (value, known, secret, dependencies), a task that gathers them into the Output's one `_OutputData` future, a
    resolver function and a partial: about 2.9 KiB a property while the registration is pending, 190 KiB a CVM, most
    of a large plan's memory (bench/RESULTS.md). Here the resolver sets that one future itself, with the same
    `_OutputData` (dependencies with the resource added, the value, known, secret; the failure when the registration
    failed), and the Output is that future (as `Output._from_data` makes one), untracked: the SDK keeps every pending
    Output in a set (SETTINGS.outputs, with a done callback each, another 20 KiB a CVM) so that the run waits for it
    and raises its failure, and a resource's properties resolve or fail with its registration, which the SDK's RPC
    manager already waits for and raises (stack.wait_for_rpcs). `share(value)` may give an equal value that is
    already kept (one copy of each CVM's user data, not two)."""
    import asyncio

    class Resolve:
        __slots__ = ("resource", "data")

        def __init__(self, resource: Any, data: asyncio.Future):
            self.resource, self.data = resource, data

        def __call__(self, value: Any, is_known: bool, is_secret: bool, deps: set | None, failed: Exception | None):
            if failed is not None:
                self.data.set_exception(failed)
                self.data.exception()  # the registration's own failure reports it: no "never retrieved" per property
                return
            resources = set(deps) if deps else set()
            resources.add(self.resource)
            self.data.set_result(
                output_data(resources=resources, value=share(value), is_known=is_known, is_secret=is_secret)
            )

    def transfer_properties(res: Any, props: Mapping[str, Any], custom: bool) -> dict:
        resolvers = {}
        for name in props:
            if name == "urn" or (name == "id" and custom):
                continue  # the SDK resolves these itself
            data = asyncio.Future()
            resolvers[name] = Resolve(res, data)
            res.__dict__[name] = prop = object.__new__(output)
            prop._data = data
        return resolvers

    return transfer_properties


@contextmanager
def outputs_without_tasks(share: Callable[[Any], Any] = lambda value: value) -> Iterator[None]:
    """Resource properties as Outputs over one future each (_transfer_properties), their values passed through
    `share`; an SDK without the names this needs runs as it is."""
    try:
        rpc = importlib.import_module("pulumi.runtime.rpc")
        original = rpc.transfer_properties
        output_data = pulumi.output._OutputData
        if not callable(getattr(pulumi.Output, "_from_data", None)):
            raise AttributeError("Output._from_data")
    except (ImportError, AttributeError):
        yield
        return
    rpc.transfer_properties = _transfer_properties(pulumi.Output, output_data, share)
    try:
        yield
    finally:
        rpc.transfer_properties = original


def config_keys() -> set[str]:
    """Every config key the engine gave this program. Pulumi's Python host passes the stack's config as the
    PULUMI_CONFIG JSON bag (get_config_env); set_all_config (mocks, the offline plan) fills the CONFIG context
    variable instead (a plain dict in older SDKs)."""
    config = internal("pulumi.runtime.config", "CONFIG")
    values = config.get() if hasattr(config, "set") else config  # a ContextVar, or an SDK's older dict
    return set(values or {}) | set(internal("pulumi.runtime.config", "get_config_env")())


def _component_package_sdk() -> None:
    if _release(version()) < COMPONENT_PACKAGE_SDK and version() != "unknown":
        raise SdkChanged(
            f"pulumi {version()} is installed; kubecvm's component package needs pulumi >= "
            f"{'.'.join(map(str, COMPONENT_PACKAGE_SDK))}, whose component analyzer reads ClusterArgs "
            "(requirements.txt installs the tested one)"
        )


def component_provider_class() -> type:
    """The SDK's ComponentProvider (its analyzer makes the schema from ClusterArgs; kubecvm.provider completes it),
    or SdkChanged on an SDK whose analyzer cannot read ClusterArgs."""
    _component_package_sdk()
    return internal("pulumi.provider.experimental.component", "ComponentProvider")


def provider_main() -> Callable[..., None]:
    """The SDK's provider server entry point (`main(provider, args)`), which component_provider_host calls."""
    _component_package_sdk()
    return internal("pulumi.provider", "main")


# --- Which output a failed apply read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputRead:
    """Where a program's read of a resource output failed: an Output.apply (or a lifted `.attr`/`[key]`) whose
    function raised. `output` is the resource attribute read (None for an output derived from it), `read` what was
    taken from its value ('.name', "['name']") or the function that raised, `function_file` where that function is."""

    resource_type: str | None
    resource_name: str | None
    output: str | None
    read: str
    value_was_none: bool
    function_file: str | None


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _frames(exc: BaseException) -> list:
    out, tb = [], exc.__traceback__
    while tb is not None:
        out.append(tb.tb_frame)
        tb = tb.tb_next
    return out


def failed_output_read(exc: BaseException) -> OutputRead | None:
    """The output read an exception came from, found in its traceback (or its cause's: the SDK re-raises an RPC's
    failure from where it waits for RPCs, with the original as the cause): the innermost frame of the SDK's
    Output.apply coroutine whose function raised. None when it did not come from an apply, or when this SDK's
    Output.apply keeps other names (nothing to report then but the error itself)."""
    seen: list[BaseException] = []
    while exc is not None and all(exc is not e for e in seen) and len(seen) < 8:
        seen.append(exc)
        if (found := _failed_read(exc)) is not None:
            return found
        exc = exc.__cause__ or exc.__context__
    return None


def _failed_read(exc: BaseException) -> OutputRead | None:
    output_file = getattr(pulumi.output, "__file__", None)
    frames = _frames(exc)
    for i in range(len(frames) - 1, -1, -1):
        frame = frames[i]
        if frame.f_code.co_name != "run" or not output_file or not _same_file(frame.f_code.co_filename, output_file):
            continue
        local = frame.f_locals
        out, func = local.get("self"), local.get("func")
        if not isinstance(out, pulumi.Output) or not callable(func):
            continue
        code = getattr(func, "__code__", None)
        if i + 1 < len(frames) and code is not None and frames[i + 1].f_code is not code:
            continue  # this apply awaited another that failed: keep looking inward
        resources = [r for r in (local.get("resources") or ()) if isinstance(r, pulumi.Resource)]
        owner, attribute = None, None
        for res in resources:
            attribute = next((k for k, v in vars(res).items() if v is out), None)
            if attribute is not None:
                owner = res
                break
        if owner is None and len(resources) == 1:
            owner = resources[0]
        return OutputRead(
            resource_type=_resource_attr(owner, "pulumi_resource_type", "_type"),
            resource_name=_resource_attr(owner, "pulumi_resource_name", "_name"),
            output=attribute,
            read=_what_read(func),
            value_was_none=local.get("value", object()) is None,
            function_file=code.co_filename if code is not None else None,
        )
    return None


def _resource_attr(res: pulumi.Resource | None, public: str, private: str) -> str | None:
    if res is None:
        return None
    value = getattr(res, public, None) or getattr(res, private, None)
    return value if isinstance(value, str) else None


def _what_read(func: Callable) -> str:
    """ ".name" or "['name']" for the SDK's lifted attribute and item reads; else the function's name and place."""
    if getattr(func, "__name__", "") == "lift" and getattr(func, "__module__", "") == "pulumi.output":
        nonlocals = inspect.getclosurevars(func).nonlocals
        if "item" in nonlocals:
            return f".{nonlocals['item']}"
        if "key" in nonlocals:
            return f"[{nonlocals['key']!r}]"
    code = getattr(func, "__code__", None)
    where = f" ({os.path.basename(code.co_filename)}:{code.co_firstlineno})" if code is not None else ""
    return f" in {getattr(func, '__qualname__', repr(func))}{where}"
