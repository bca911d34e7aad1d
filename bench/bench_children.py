"""The benchmark's children: each measurement runs in a fresh process (bench.py --child KIND) that first makes
the same imports, so no measurement pays for imports."""

from __future__ import annotations

import contextvars
import importlib
import json
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bench_stack import REGION, bench_config, sdk_kwargs, sdk_module_and_class


def _common_imports(types: Iterable[str]) -> dict[str, type]:
    """Import everything any child uses, so no child pays for imports inside its timed part."""
    import pulumi  # noqa: F401
    import tencentcloud_iac_pulumi  # noqa: F401

    import kubecvm.components  # noqa: F401
    import kubecvm.offline.runner  # noqa: F401

    try:
        import kubecvm.policies.engine  # noqa: F401
    except ImportError:
        pass
    # The SDK loads its submodules lazily: touch every class the program uses, in every child alike.
    classes = {}
    for t in types:
        where = sdk_module_and_class(t)
        if where is None:
            continue
        module, cls = where
        classes[t] = getattr(importlib.import_module(module), cls)
        registers = getattr(classes[t], "pulumi_type", t)  # provider classes carry no type decorator
        if registers != t:
            raise RuntimeError(f"{module}.{cls} registers {registers}, not {t}")
    return classes


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _plan(workers: int, pod_network: str = "vpcRoutes"):
    from kubecvm.offline.runner import run_program
    from kubecvm.offline.simulated_cloud import SimulatedCloud

    config = bench_config(workers, pod_network)
    # The simulated account grants the quota the config claims, as an account raised for this size would.
    quota = config["kubecvm:cluster"].get("quotas", {}).get("routeEntriesPerTable", 50)
    return run_program(config, stack="bench", cloud=SimulatedCloud(route_table_quota=quota))


def registrations(recording) -> list[dict]:
    """A recording's registrations as the floors read them (the plan's regs file)."""
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "custom": r.custom,
            "parent": r.parent,
            "inputs": r.inputs,
            "dependencies": r.dependencies,
            "property_dependencies": r.property_dependencies,
        }
        for r in recording.resources
    ]


def child_types() -> dict:
    """The resource types the program registers (a small plan has every kind), for every child to pre-import."""
    _common_imports(())
    return {"types": sorted({r.type for r in _plan(10).resources if r.custom})}


def child_plan(
    workers: int, out: Path | None, types: list[str], *, pause_gc: bool = True, pod_network: str = "vpcRoutes"
) -> dict:
    _common_imports(types)
    import kubecvm.offline.runner

    kubecvm.offline.runner.PAUSE_GC = pause_gc
    t0 = time.perf_counter()
    recording = _plan(workers, pod_network)
    plan_s = time.perf_counter() - t0

    policy_s, violations = None, None
    try:
        from kubecvm.policies.engine import Resource, evaluate, load_policy_config
    except ImportError:
        pass
    else:
        policy_config = load_policy_config("prod")
        t0 = time.perf_counter()
        resources = [Resource(r.urn, r.type, r.name, r.inputs) for r in recording.resources if r.custom]
        evaluation = evaluate(resources, policy_config)
        policy_s = time.perf_counter() - t0
        violations = len(evaluation.violations)
    rss = _peak_rss_mib()
    if out is None:
        return {"plan_s": plan_s, "rss_mib": rss}

    regs = registrations(recording)
    out.write_text(json.dumps(regs))
    return {
        "workers": workers,
        "plan_s": plan_s,
        "policy_s": policy_s,
        "violations": violations,
        "rss_mib": rss,
        "resources": sum(r.custom for r in recording.resources),
        "components": sum(not r.custom for r in recording.resources),
    }


class EchoMocks:
    """Trivial mocks: a resource's outputs are its inputs; its id is its name. Keeps the inputs it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict]] = []

    def new_resource(self, args):
        self.seen.append((args.typ, args.name, args.inputs))
        return f"{args.name}-id", args.inputs

    def call(self, args):
        return {}


def _run_floor(regs: list[dict], make) -> tuple[float, EchoMocks]:
    import pulumi

    from kubecvm import sdk
    from kubecvm.offline.runner import simulated_runtime

    mocks = EchoMocks()

    def program() -> None:
        for r in regs:
            make(r)

    def run() -> None:
        pulumi.runtime.set_all_config({})
        pulumi.runtime.set_mocks(mocks, project="kubecvm", stack="bench", preview=False)
        sdk.run_to_completion(program)

    # Like with like: the SDK runs as the runner runs it (collector paused, no source positions), and the clock
    # spans what run_program's does, the runtime's context teardown included (a third of the time at 1000 workers).
    t0 = time.perf_counter()
    with simulated_runtime():
        contextvars.copy_context().run(run)
    return time.perf_counter() - t0, mocks


def _check_same_inputs(regs: list[dict], mocks: EchoMocks) -> int:
    """The floor must have registered exactly the plan's resources with the plan's inputs; returns the count."""
    from kubecvm.offline.runner import _recorded

    want = {(r["type"], r["name"]): r["inputs"] for r in regs}
    got = {(t, n): _recorded(i) for t, n, i in mocks.seen}
    if got != want:
        bad = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        raise RuntimeError(
            f"floor inputs differ from the plan's for {len(bad)} resources, first {bad[0]}: "
            f"plan {want.get(bad[0])} floor {got.get(bad[0])}"
        )
    return len(got)


def child_floor(kind: str, regs_file: Path, types: list[str]) -> dict:
    classes = _common_imports(types)
    import pulumi

    regs = [r for r in json.loads(regs_file.read_text()) if r["custom"]]

    def raw(r: dict) -> None:
        pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]))

    def sdk(r: dict) -> None:
        cls = classes.get(r["type"])
        if cls is None:  # no SDK class (a dynamic resource): registered as it reaches the engine
            raw(r)
        else:
            cls(r["name"], **sdk_kwargs(r["inputs"], r["type"]))

    seconds, mocks = _run_floor(regs, sdk if kind == "sdk" else raw)
    rss = _peak_rss_mib()
    return {
        "seconds": seconds,
        "rss_mib": rss,
        "resources": _check_same_inputs(regs, mocks),
        "without_sdk_class": sum(r["type"] not in classes for r in regs) if kind == "sdk" else 0,
    }


def registration_order(regs: list[dict]) -> list[dict]:
    """The plan's registrations (a recording is sorted by URN) in an order the SDK can register them in: each after
    its parent and its dependencies, otherwise as recorded."""
    by_urn = {r["urn"]: r for r in regs}
    placed: set[str] = set()
    order: list[dict] = []

    def place(r: dict) -> None:
        stack = [(r, False)]
        while stack:
            reg, ready = stack.pop()
            if reg["urn"] in placed:
                continue
            if ready:
                placed.add(reg["urn"])
                order.append(reg)
                continue
            stack.append((reg, True))
            for urn in reversed([reg.get("parent"), *reg["dependencies"]]):
                if urn in by_urn and urn not in placed:
                    stack.append((by_urn[urn], False))

    for r in regs:
        place(r)
    return order


def structured_program(regs: list[dict], classes: dict[str, type]) -> Callable[[], None]:
    """A program that registers the plan's resources with the plan's structure and nothing of kubecvm's own work:
    its components too, each resource under its parent, each input the plan took from other resources as an Output
    of those resources (its property dependencies), the rest of its dependencies as depends_on. The SDK's cost for
    the plan's graph (tests/bench checks the graph it registers is the plan's)."""
    import asyncio

    import pulumi

    def program() -> None:
        loop = asyncio.get_event_loop()
        made: dict[str, pulumi.Resource] = {}

        def resolved(value: object) -> asyncio.Future:
            future = loop.create_future()
            future.set_result(value)
            return future

        for r in registration_order(regs):
            deps = r.get("property_dependencies") or {}
            carried = set().union(*deps.values())
            opts = pulumi.ResourceOptions(
                parent=made.get(r.get("parent") or ""),
                depends_on=[made[u] for u in r["dependencies"] if u not in carried] or None,
            )
            if not r["custom"]:
                made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)
                continue
            inputs = {
                k: pulumi.Output({made[u] for u in deps[k]}, resolved(v), resolved(True)) if k in deps else v
                for k, v in r["inputs"].items()
            }
            cls = classes.get(r["type"])
            if cls is None:
                made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], inputs, opts)
            else:
                made[r["urn"]] = cls(r["name"], **sdk_kwargs(inputs, r["type"]), opts=opts)

    return program


def child_floor_structured(regs_file: Path, types: list[str]) -> dict:
    """The structured floor as a whole process, ended as child_floor_e2e ends (main, "structured-e2e")."""
    import gc

    gc.disable()
    classes = _common_imports(types)
    program = structured_program(json.loads(regs_file.read_text()), classes)
    seconds, mocks = _run_floor([{}], lambda _r: program())
    return {"seconds": seconds, "resources": len(mocks.seen)}


def child_floor_e2e(regs_file: Path, types: list[str]) -> dict:
    """The SDK floor as a whole process (timed by the parent from spawn to exit): its imports, reading the plan's
    registrations, registering them; the collector paused for the whole process, as `kubecvm plan` pauses it, and
    the process ended without the interpreter's teardown, as `kubecvm plan` ends (main, "sdk-e2e")."""
    import gc

    gc.disable()
    classes = _common_imports(types)
    regs = [r for r in json.loads(regs_file.read_text()) if r["custom"]]
    import pulumi

    def sdk(r: dict) -> None:
        cls = classes.get(r["type"])
        if cls is None:
            pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]))
        else:
            cls(r["name"], **sdk_kwargs(r["inputs"], r["type"]))

    seconds, mocks = _run_floor(regs, sdk)
    return {"seconds": seconds, "resources": len(mocks.seen)}


def child_granularity(routes: int, types: list[str]) -> dict:
    """Registration cost of a cluster route table's routes: one dynamic resource per route, or one resource
    holding them all (what components/global_router.py does). Each dynamic resource pickles its provider."""
    import gc

    gc.disable()
    _common_imports(types)
    import pulumi
    import pulumi.dynamic
    from pulumi.dynamic.dynamic import serialize_provider

    from kubecvm.components.global_router import ClusterRouteTable, ClusterRouteTableProvider

    class ClusterRoute(pulumi.dynamic.Resource, module="kubecvm", name="ClusterRoute"):
        def __init__(self, name: str, props: dict):
            super().__init__(ClusterRouteTableProvider(), name, props)

    table = [(f"node-{i}", (f"10.{i // 256}.{i % 256}.0/24", f"172.16.{i // 256}.{i % 256}")) for i in range(routes)]

    def per_route(_r: dict) -> None:
        for node, (dest, gw) in table:
            ClusterRoute(f"{node}-pods", {"routeTableName": "t", "destinationCidrBlock": dest, "gatewayIp": gw})

    def one_table(_r: dict) -> None:
        ClusterRouteTable("t", table_name="t", cidr="10.0.0.0/8", vpc_id="vpc-1", region=REGION, routes=dict(table))

    per_s, per_mocks = _run_floor([{}], per_route)
    one_s, one_mocks = _run_floor([{}], one_table)
    pickled = len(serialize_provider(ClusterRouteTableProvider()))
    return {
        "routes": routes,
        "per_route_s": per_s,
        "one_table_s": one_s,
        "per_route_resources": len(per_mocks.seen),
        "one_table_resources": len(one_mocks.seen),
        "provider_bytes": pickled,
        "per_route_state_provider_bytes": pickled * routes,
        "one_table_state_provider_bytes": pickled,
    }
