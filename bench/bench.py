"""Benchmark the offline plan against the provider SDK's own floor.

For each size it plans a synthetic cluster with the real program (`kubecvm.offline.runner.run_program` on `__main__.py`),
then registers the very same resources (type, name, inputs taken from that plan) straight through the
tencentcloud_iac_pulumi classes (the SDK floor) and through plain `pulumi.CustomResource` (the raw floor), each
in a fresh subprocess with the same imports, and prints/writes one table.

    .venv/bin/python bench/bench.py [--sizes 10,100,500,1000,5000] [--repeat 1] [--out bench/RESULTS.md]

Not a timed test: nothing here asserts a timing. The pure helpers are tested in tests/bench/.
"""

from __future__ import annotations

import argparse
import contextvars
import datetime
import importlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
# As `pulumi up` runs the program: the project directory is on the path (policies/ is not an installed package).
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))
DEFAULT_SIZES = (10, 100, 500, 1000, 5000)

REGION = "ap-guangzhou"
ZONES = tuple(f"{REGION}-{n}" for n in range(1, 8))  # zone numbers 1..7: seven of the planner's eight zone slots
MASTERS = 3
# Kubernetes counts masters as nodes: 5000 nodes at most, so the "5000" cluster has 5000 - MASTERS workers.
MAX_WORKERS = 5000 - MASTERS
# Beyond the sizing table (200 workers) `auto` refuses to size masters, so every size names a type explicitly.
MASTER_TYPE = "S5.8XLARGE128"
# 5000 nodes x 30 pods = 150000, the Kubernetes pod limit; a /25 per node holds them (126 addresses).
MAX_PODS, NODE_POD_MASK = 30, 25

# The targets.
TARGET_RATIO_AT_1000 = 1.25
TARGET_RSS_5000_MIB = 1024
TARGET_GROWTH_5000_OVER_500 = 9
TARGET_POLICY_SHARE = 0.10


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers (tested in tests/bench/test_bench_helpers.py)


def pools_for(workers: int, zones: Sequence[str] = ZONES) -> list[dict]:
    """Node pools (distinct slots) that place exactly `workers` nodes over `zones`.

    Two pools share the whole-zone part; the remainder goes to a third pool over the first zones, one node each.
    """
    per_zone, rest = divmod(workers, len(zones))
    general, compute = (per_zone + 1) // 2, per_zone // 2
    pools = []
    if general:
        pools.append({"name": "general", "slot": 1, "instanceType": "S5.2XLARGE16", "countPerZone": general})
    if compute:
        pools.append({"name": "compute", "slot": 2, "instanceType": "S5.4XLARGE32", "countPerZone": compute})
    if rest:
        pools.append(
            {"name": "rest", "slot": 3, "instanceType": "S5.LARGE8", "countPerZone": 1, "zones": list(zones[:rest])}
        )
    return pools


def bench_config(workers: int, pod_network: str = "vpcRoutes") -> dict[str, Any]:
    """A stack file's `config:` mapping for a synthetic prod cluster of `workers` workers and 3 masters.

    vpcCidr /12 gives /18 blocks per (zone, pool): 16384 addresses. podCidr /8 with /25 node blocks gives
    2^(25-8-6) = 2048 nodes per (zone, pool). The route quota is raised to hold one route per node plus NAT.
    `pod_network` globalRouter: one TKE cluster route table instead, whose CIDR the API takes only as /10../24, so
    podCidr is 10.0.0.0/10 (512 nodes per zone and pool) and the route quota stays at its default.
    """
    nodes = workers + MASTERS
    if pod_network == "globalRouter":
        config = bench_config(workers)
        cluster = config["kubecvm:cluster"]
        cluster.update(podCidr="10.0.0.0/10", podNetwork={"mode": "globalRouter"})
        del cluster["quotas"]
        return config
    return {
        "tencentcloud:region": REGION,
        "kubecvm:preset": "prod",
        "kubecvm:cluster": {
            "name": "bench",
            "zones": list(ZONES),
            "vpcCidr": "172.16.0.0/12",
            "podCidr": "10.0.0.0/8",
            "serviceCidr": "192.168.0.0/16",
            "nodePodMask": NODE_POD_MASK,
            "maxPodsPerNode": MAX_PODS,
            "controlPlane": {"count": MASTERS, "instanceType": MASTER_TYPE},
            "nodePools": pools_for(workers),
            "quotas": {"routeEntriesPerTable": max(50, nodes + 1)},
            # The ingress CLB takes at most 100 workers (a listener's target limit) and its cost does not grow
            # with the node count, so the bench leaves it out rather than pick a pool for it.
            "ingress": {"enabled": False},
        },
    }


def snake(name: str) -> str:
    """Engine (camelCase) property name -> the SDK's Python keyword: `instanceType` -> `instance_type`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def sdk_kwargs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A registration's camelCase inputs as keyword arguments for the SDK class: `instanceType` -> `instance_type`.

    Only the top level is renamed. Nested values stay as recorded: the SDK translates a nested key with
    `py_name_to_pulumi_name.get(key) or key`, so an engine name passes unchanged, and a map (`tags`, labels)
    keeps its keys, which are data. The floor checks that it registered exactly the plan's inputs.
    """
    return {snake(k): v for k, v in inputs.items()}


# Python package of each provider the program uses; the rest of a type token names the module and class.
SDK_PACKAGES = {
    "tencentcloud": "tencentcloud_iac_pulumi",
    "tls": "pulumi_tls",
    "random": "pulumi_random",
    "kubernetes": "pulumi_kubernetes",
}


def sdk_module_and_class(type_token: str) -> tuple[str, str] | None:
    """Where the SDK class of a type token lives, or None when no SDK class exists (a dynamic resource):

    `tencentcloud:Route/tableEntry:TableEntry` -> (`tencentcloud_iac_pulumi.route`, `TableEntry`),
    `tls:index/privateKey:PrivateKey` -> (`pulumi_tls`, `PrivateKey`),
    `kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` -> (`pulumi_kubernetes.rbac.v1`, `ClusterRole`),
    `pulumi:providers:kubernetes` -> (`pulumi_kubernetes`, `Provider`).
    """
    package, module_path, cls = type_token.split(":")
    if package == "pulumi" and module_path == "providers" and cls in SDK_PACKAGES:
        return SDK_PACKAGES[cls], "Provider"
    if package not in SDK_PACKAGES:
        return None
    root = SDK_PACKAGES[package]
    if module_path.split("/")[0] == "index":
        return root, cls
    if package == "kubernetes":  # API group (first DNS label) and version are subpackages
        group, version = module_path.split("/")
        return f"{root}.{group.split('.')[0]}.{version}", cls
    module = module_path.split("/")[0]  # tencentcloud: Route/tableEntry -> module route
    return f"{root}.{module[0].lower()}{module[1:]}", cls


def critical_path(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """The longest dependency chain, as the URNs of its custom resources in creation order.

    `resources` are registrations ({"urn", "custom", "dependencies"}). A chain's length counts custom resources
    only: a component is created instantly, but the engine still waits on what it waits on. Dependencies on URNs
    outside the set (the stack, providers) are ignored. Ties go to the smallest URN, so the answer is stable.
    """
    by_urn = {r["urn"]: r for r in resources}
    best: dict[str, tuple[int, list[str]]] = {}

    for start in sorted(by_urn):
        # Iterative depth-first walk: chains are short, but a deep recursion would be a trap at 10k resources.
        stack = [(start, False)]
        while stack:
            urn, expanded = stack.pop()
            if urn in best:
                continue
            deps = sorted(d for d in by_urn[urn]["dependencies"] if d in by_urn)
            if not expanded:
                stack.append((urn, True))
                stack.extend((d, False) for d in deps if d not in best)
                continue
            length, chain = 0, []
            for d in deps:
                if best[d][0] > length:
                    length, chain = best[d]
            me = by_urn[urn]
            best[urn] = (length + 1, [*chain, urn]) if me["custom"] else (length, chain)
    if not best:
        return []
    return max(sorted(best.items()), key=lambda kv: kv[1][0])[1][1]


def growth(times: Mapping[int, float], big: int, small: int) -> float | None:
    return times[big] / times[small] if big in times and small in times and times[small] else None


# ---------------------------------------------------------------------------------------------------------------
# Children: each measurement runs in a fresh process that first makes the same imports.


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

    regs = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "custom": r.custom,
            "inputs": r.inputs,
            "dependencies": r.dependencies,
        }
        for r in recording.resources
    ]
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
            cls(r["name"], **sdk_kwargs(r["inputs"]))

    seconds, mocks = _run_floor(regs, sdk if kind == "sdk" else raw)
    rss = _peak_rss_mib()
    return {
        "seconds": seconds,
        "rss_mib": rss,
        "resources": _check_same_inputs(regs, mocks),
        "without_sdk_class": sum(r["type"] not in classes for r in regs) if kind == "sdk" else 0,
    }


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
            cls(r["name"], **sdk_kwargs(r["inputs"]))

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


def _timed_process(*cmd: str, ok: tuple[int, ...] = (0, 1)) -> float:
    return _run_process(*cmd, ok=ok)[0]


def _run_process(*cmd: str, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """(wall seconds from spawn to exit, the child's own peak RSS in MiB). `ok`: the exit codes of a finished run
    (plan: 1 is a mandatory policy violation; diff: 3 is a replacement)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(cmd), cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode()[-4000:]}")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def measure_e2e(workers: int, repeat: int, workdir: Path, types: str, pod_network: str = "vpcRoutes") -> dict:
    """The whole `kubecvm plan --format json` process against the SDK floor as a whole process, both timed from
    spawn to exit with the collector paused for the whole run; the best of `repeat` each, interleaved."""
    stack = workdir / f"Pulumi.e2e{workers}.yaml"
    stack.write_text(json.dumps({"config": bench_config(workers, pod_network)}))
    regs_file = workdir / f"plan-e2e-{workers}.json"
    _child("plan", types, str(workers), str(regs_file), pod_network)
    plans, floors = [], []
    for _ in range(repeat):
        plans.append(
            _timed_process(
                sys.executable,
                "-m",
                "kubecvm.offline",
                "plan",
                "--config-file",
                str(stack),
                "--format",
                "json",
                "--out",
                str(workdir / "e2e.json"),
            )
        )
        floors.append(
            _timed_process(sys.executable, str(Path(__file__).resolve()), "--child", "sdk-e2e", types, str(regs_file))
        )
    return {
        "workers": workers,
        "pod_network": pod_network,
        "plan_e2e_s": min(plans),
        "floor_e2e_s": min(floors),
        "ratio_e2e": min(plans) / min(floors),
    }


# ---------------------------------------------------------------------------------------------------------------
# Plan at scale: every figure of the scale goals, each a ratio of two measurements taken in this one run.

SCALE_GOALS = {"ratio_e2e": 1.25, "rss_mib": 1024, "growth": 9, "replay_share": 0.25, "diff_share": 0.05}
# A pod-CIDR change on the vpcRoutes cluster moves every node's pod block, so every route entry is replaced; /9
# still holds 2^(25-9-6) = 1024 nodes per (zone, pool) of /25 blocks.
CHANGED_POD_CIDR = "10.128.0.0/9"


def one_pool_smaller(config: dict, pool: str = "compute") -> dict:
    """The same stack with one node fewer per zone in `pool`: the plan before "one pool larger"."""
    config = json.loads(json.dumps(config))
    for p in config["kubecvm:cluster"]["nodePools"]:
        if p["name"] == pool:
            p["countPerZone"] -= 1
    return config


def with_pod_cidr(config: dict, pod_cidr: str) -> dict:
    config = json.loads(json.dumps(config))
    config["kubecvm:cluster"]["podCidr"] = pod_cidr
    return config


def measure_scale(workdir: Path, types: str, repeat: int) -> dict:
    """Each `kubecvm plan --format json` and `kubecvm diff` as the whole process a user runs, timed from spawn to
    exit, with that process's own peak RSS; the 1000-worker plan against the SDK floor process (measure_e2e). Each
    the best time (and the highest peak) of `repeat` processes. The machine's 1-minute load average is read before
    and after every measurement."""
    loads: list[float] = []

    def load() -> None:
        loads.append(os.getloadavg()[0])

    def plan(name: str, config: dict) -> dict:
        stack, out = workdir / f"Pulumi.{name}.yaml", workdir / f"{name}.json"
        stack.write_text(json.dumps({"config": config}))
        runs = []
        for _ in range(repeat):
            load()
            # One stack name for all: `kubecvm diff` compares two plans of one stack.
            runs.append(
                _run_process(
                    sys.executable,
                    "-m",
                    "kubecvm.offline",
                    "plan",
                    "bench",
                    "--config-file",
                    str(stack),
                    "--format",
                    "json",
                    "--out",
                    str(out),
                )
            )
            load()
        seconds, rss = min(s for s, _ in runs), max(r for _, r in runs)  # the best time, the highest peak
        print(f"  plan {name}: {seconds:.2f} s, {rss:.0f} MiB", file=sys.stderr, flush=True)
        return {"s": seconds, "rss_mib": rss, "file": out}

    def diff(old: dict, new: dict, *extra: str) -> float:
        times = []
        for _ in range(repeat):
            load()
            times.append(
                _timed_process(
                    sys.executable,
                    "-m",
                    "kubecvm.offline",
                    "diff",
                    str(old["file"]),
                    str(new["file"]),
                    "--format",
                    "json",
                    *extra,
                    ok=(0, 3),
                )
            )
            load()
        seconds = min(times)
        print(
            f"  diff {old['file'].stem} -> {new['file'].stem} {' '.join(extra)}: {seconds:.2f} s",
            file=sys.stderr,
            flush=True,
        )
        return seconds

    load()
    e2e = measure_e2e(1000, repeat, workdir, types)
    load()
    gr = {n: plan(f"gr{n}", bench_config(n, "globalRouter")) for n in (500, 1000, MAX_WORKERS)}
    vr = {n: plan(f"vr{n}", bench_config(n)) for n in (500, MAX_WORKERS)}
    moved = plan("vr-moved", with_pod_cidr(bench_config(MAX_WORKERS), CHANGED_POD_CIDR))
    replay_s = diff(vr[MAX_WORKERS], moved, "--replay")
    smaller = plan("gr-smaller", one_pool_smaller(bench_config(MAX_WORKERS, "globalRouter")))
    diff_s = diff(smaller, gr[MAX_WORKERS])
    nodes = {n: n + MASTERS for n in (500, 1000, MAX_WORKERS)}
    return {
        "load": (min(loads), max(loads)),
        "nodes": nodes[MAX_WORKERS],
        "repeat": repeat,
        "e2e": e2e,
        "gr": {n: {"s": m["s"], "rss_mib": m["rss_mib"]} for n, m in gr.items()},
        "vr": {n: {"s": m["s"], "rss_mib": m["rss_mib"]} for n, m in vr.items()},
        "growth_gr": gr[MAX_WORKERS]["s"] / gr[500]["s"],
        "growth_vr": vr[MAX_WORKERS]["s"] / vr[500]["s"],
        "replay_s": replay_s,
        "replay_share": replay_s / moved["s"],
        "moved_plan_s": moved["s"],
        "diff_s": diff_s,
        "diff_share": diff_s / gr[MAX_WORKERS]["s"],
    }


def scale_rows(m: dict) -> list[tuple[str, str, str]]:
    """(figure, this run, goal) for each figure of the scale goals."""
    g, n, big = SCALE_GOALS, m["nodes"], MAX_WORKERS
    gr, vr, e2e = m["gr"], m["vr"], m["e2e"]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    return [
        (
            "`kubecvm plan`, 1000 workers, whole process / SDK floor process (both without the cyclic GC, both "
            "without the interpreter's teardown)",
            f"{e2e['ratio_e2e']:.2f} ({e2e['plan_e2e_s']:.1f} s vs {e2e['floor_e2e_s']:.1f} s)",
            f"<= {g['ratio_e2e']}: {mark(e2e['ratio_e2e'] <= g['ratio_e2e'])}",
        ),
        (
            f"{n}-node globalRouter plan, peak RSS",
            f"{gr[big]['rss_mib']:.0f} MiB ({1000 + MASTERS} nodes: {gr[1000]['rss_mib']:.0f} MiB; ratio "
            f"{gr[big]['rss_mib'] / gr[1000]['rss_mib']:.2f})",
            f"< {g['rss_mib']} MiB: {mark(gr[big]['rss_mib'] < g['rss_mib'])}",
        ),
        (
            f"t({n} nodes) / t({500 + MASTERS} nodes), globalRouter",
            f"{m['growth_gr']:.2f} ({gr[big]['s']:.1f} s vs {gr[500]['s']:.1f} s)",
            f"<= {g['growth']}: {mark(m['growth_gr'] <= g['growth'])}",
        ),
        (
            f"{n}-node vpcRoutes plan (quota raised): t({n}) / t({500 + MASTERS}), peak RSS",
            f"{m['growth_vr']:.2f} ({vr[big]['s']:.1f} s vs {vr[500]['s']:.1f} s), {vr[big]['rss_mib']:.0f} MiB",
            f"<= {g['growth']}, < {g['rss_mib']} MiB: "
            f"{mark(m['growth_vr'] <= g['growth'] and vr[big]['rss_mib'] < g['rss_mib'])}",
        ),
        (
            f"`kubecvm diff --replay` of a pod-CIDR change on {n} nodes (vpcRoutes) / that plan",
            f"{m['replay_share']:.2f} ({m['replay_s']:.1f} s vs {m['moved_plan_s']:.1f} s)",
            f"<= {g['replay_share']}: {mark(m['replay_share'] <= g['replay_share'])}",
        ),
        (
            f"`kubecvm diff` of two globalRouter plans, one pool 7 nodes larger ({n} nodes) / that plan",
            f"{m['diff_share']:.3f} ({m['diff_s']:.1f} s vs {gr[big]['s']:.1f} s)",
            f"keep ({g['diff_share']} when the goals were set)",
        ),
    ]


SCALE_BEGIN, SCALE_END = "<!-- scale: written by bench.py --scale -->", "<!-- /scale -->"


def scale_markdown(m: dict) -> str:
    lo, hi = m["load"]
    lines = [
        SCALE_BEGIN,
        "## Plan at scale (`bench.py --scale`)",
        "",
        f"One run, each figure a ratio of two measurements taken in it (each the best of {m.get('repeat', 1)}); "
        f"1-minute load average {lo:.1f}-{hi:.1f} "
        f"on {os.cpu_count()} cores. Whole processes timed from spawn to exit (imports included), peak RSS of "
        "that process.",
        "",
        "| figure | this run | goal |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in scale_rows(m)]
    lines += ["", *machine_facts(), SCALE_END]
    return "\n".join(lines) + "\n"


def write_scale(path: Path, block: str) -> None:
    """Put the scale block in `path`: in place of the one there, else just above the notes marker."""
    old = path.read_text() if path.exists() else ""
    if SCALE_BEGIN in old and SCALE_END in old:
        head, rest = old.split(SCALE_BEGIN, 1)
        new = head + block.rstrip("\n") + rest.split(SCALE_END, 1)[1]
    elif NOTES_MARKER in old:
        head, notes = old.split(NOTES_MARKER, 1)
        new = head + block + "\n" + NOTES_MARKER + notes
    else:
        new = old + ("\n" if old else "") + block
    path.write_text(new)


# ---------------------------------------------------------------------------------------------------------------
# Driver


def _child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench child {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(
    workers: int, repeat: int, workdir: Path, types: str, gc_baseline: bool = True, pod_network: str = "vpcRoutes"
) -> dict:
    """Plan, SDK floor and raw floor for one size; each the best of `repeat` fresh processes, interleaved so a
    busy moment on the machine hurts all three alike."""
    regs_file = workdir / f"plan-{workers}.json"
    plans, sdks, raws, gcs = [], [], [], []
    for _ in range(repeat):
        plans.append(_child("plan", types, str(workers), str(regs_file), pod_network))
        sdks.append(_child("sdk", types, str(regs_file)))
        raws.append(_child("raw", types, str(regs_file)))
        if gc_baseline:
            gcs.append(_child("plan-gc", types, str(workers)))
    plan = min(plans, key=lambda p: p["plan_s"])
    sdk = min(sdks, key=lambda f: f["seconds"])
    raw = min(raws, key=lambda f: f["seconds"])
    regs = json.loads(regs_file.read_text())
    chain = critical_path(regs)
    return {
        **plan,
        "rss_mib": max(p["rss_mib"] for p in plans),
        "floor_s": sdk["seconds"],
        "raw_s": raw["seconds"],
        "plan_gc_s": min(g["plan_s"] for g in gcs) if gcs else None,
        "ratio": plan["plan_s"] / sdk["seconds"],
        "critical_path": len(chain),
        "chain_types": [next(r["type"] for r in regs if r["urn"] == u).rsplit(":", 1)[0] for u in chain],
        "without_sdk_class": sdk["without_sdk_class"],
    }


COLUMNS = (
    "workers",
    "resources",
    "plan s",
    "floor s",
    "plan/floor",
    "raw s",
    "plan s, GC on",
    "policy s",
    "policy % plan",
    "peak RSS MiB",
    "critical path",
)


def row(m: dict) -> list[str]:
    policy = "n/a" if m["policy_s"] is None else f"{m['policy_s']:.2f}"
    share = "n/a" if m["policy_s"] is None else f"{100 * m['policy_s'] / m['plan_s']:.1f}%"
    return [
        str(m["workers"]),
        str(m["resources"]),
        f"{m['plan_s']:.2f}",
        f"{m['floor_s']:.2f}",
        f"{m['ratio']:.2f}",
        f"{m['raw_s']:.2f}",
        "-" if m["plan_gc_s"] is None else f"{m['plan_gc_s']:.2f}",
        policy,
        share,
        f"{m['rss_mib']:.0f}",
        str(m["critical_path"]),
    ]


def markdown_table(results: Sequence[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(m)) + " |" for m in results]
    return "\n".join(lines)


def reading(results: Sequence[dict]) -> list[str]:
    """One line per target: PASS/FAIL/not measured, with the figure."""
    by = {m["workers"]: m for m in results}
    small, big = by.get(500), by.get(MAX_WORKERS)
    out = []
    m = by.get(1000)
    out.append(
        f"- plan/floor <= {TARGET_RATIO_AT_1000} at 1000 workers: "
        + (f"{'PASS' if m['ratio'] <= TARGET_RATIO_AT_1000 else 'FAIL'} ({m['ratio']:.2f})" if m else "not measured")
    )
    out.append(
        f"- peak RSS < {TARGET_RSS_5000_MIB} MiB at 5000 nodes: "
        + (
            f"{'PASS' if big['rss_mib'] < TARGET_RSS_5000_MIB else 'FAIL'} ({big['rss_mib']:.0f} MiB)"
            if big
            else "not measured"
        )
    )
    g = growth({w: m["plan_s"] for w, m in by.items()}, MAX_WORKERS, 500)
    if g is not None:
        out.append(
            f"- t(5000)/t(500) <= {TARGET_GROWTH_5000_OVER_500}: {'PASS' if g <= TARGET_GROWTH_5000_OVER_500 else 'FAIL'} "
            f"({g:.2f}; resources grew {big['resources'] / small['resources']:.2f}x)"
        )
    else:
        out.append(f"- t(5000)/t(500) <= {TARGET_GROWTH_5000_OVER_500}: not measured")
    shares = [m["policy_s"] / m["plan_s"] for m in results if m["policy_s"] is not None]
    out.append(
        f"- policy evaluation < {TARGET_POLICY_SHARE:.0%} of plan time: "
        + (
            f"{'PASS' if max(shares) < TARGET_POLICY_SHARE else 'FAIL'} (at most {max(shares):.1%})"
            if shares
            else "n/a (policies.engine is not importable yet)"
        )
    )
    paths = sorted({m["critical_path"] for m in results})
    out.append(
        f"- critical path independent of worker count: {'PASS' if len(paths) == 1 else 'FAIL'} "
        f"({', '.join(map(str, paths))}; chain: {' -> '.join(results[-1]['chain_types'])})"
        if results
        else ""
    )
    return out


def machine_facts() -> list[str]:
    import pulumi
    from importlib.metadata import version

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- nproc: {os.cpu_count()} ({cpu})",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- pulumi {pulumi.__version__ if hasattr(pulumi, '__version__') else version('pulumi')}, "
        f"tencentcloud-iac-pulumi {version('tencentcloud-iac-pulumi')}",
    ]


def results_markdown(results: Sequence[dict], repeat: int) -> str:
    return "\n".join(
        [
            "# kubecvm benchmark results",
            "",
            "Written by `bench/bench.py` (how to run it and what each column means: bench/README.md). "
            f"Each figure is the best of {repeat} fresh process{'es' if repeat > 1 else ''}.",
            "",
            markdown_table(results),
            "",
            "## Machine",
            "",
            *machine_facts(),
            "",
            "## Against the targets",
            "",
            *reading(results),
            "",
        ]
    )


NOTES_MARKER = "<!-- notes: kept when bench.py rewrites this file -->"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="worker counts; 5000 means the Kubernetes limit of 5000 nodes (4997 workers + 3 masters)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per measurement; the best is kept")
    parser.add_argument(
        "--no-gc-baseline",
        action="store_true",
        help="skip the extra plan run with the garbage collector left on (the 'plan s, GC on' column)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as Markdown (bench/RESULTS.md)")
    parser.add_argument(
        "--pod-network",
        default="vpcRoutes",
        choices=("vpcRoutes", "globalRouter"),
        help="the synthetic cluster's podNetwork.mode (globalRouter: one TKE cluster route table)",
    )
    parser.add_argument(
        "--e2e",
        action="store_true",
        help="instead of the table: the whole `kubecvm plan --format json` process against the SDK floor "
        "as a whole process, per size",
    )
    parser.add_argument(
        "--granularity",
        default=None,
        metavar="N[,N]",
        help="instead of the table: register N cluster routes as one dynamic resource each, or as one table",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead of the table: every figure of the plan-at-scale goals as ratios in one run "
        "(about 10 minutes on two cores); with --out, written into that file's scale block",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "types":
            result = child_types()
        elif kind == "plan":
            result = child_plan(
                int(rest[1]), Path(rest[2]), rest[0].split(","), pod_network=rest[3] if len(rest) > 3 else "vpcRoutes"
            )
        elif kind == "sdk-e2e":
            # Ends as `kubecvm plan` ends (offline/cli.py exit_now): output flushed, then no interpreter teardown,
            # so both processes are timed over the same work.
            print(json.dumps(child_floor_e2e(Path(rest[1]), rest[0].split(","))), flush=True)
            sys.stderr.flush()
            os._exit(0)
        elif kind == "granularity":
            result = child_granularity(int(rest[1]), rest[0].split(","))
        elif kind == "plan-gc":
            result = child_plan(int(rest[1]), None, rest[0].split(","), pause_gc=False)
        else:
            result = child_floor(kind, Path(rest[1]), rest[0].split(","))
        print(json.dumps(result))
        return 0

    sizes = [min(int(s), MAX_WORKERS) for s in args.sizes.split(",") if s.strip()]
    if args.scale:
        with tempfile.TemporaryDirectory(prefix="kubecvm-bench-") as tmp:
            types = ",".join(_child("types")["types"])
            block = scale_markdown(measure_scale(Path(tmp), types, args.repeat))
        print(block)
        if args.out:
            write_scale(args.out, block)
            print(f"wrote {args.out}")
        return 0
    if args.granularity or args.e2e:
        with tempfile.TemporaryDirectory(prefix="kubecvm-bench-") as tmp:
            types = ",".join(_child("types")["types"])
            if args.granularity:
                for n in args.granularity.split(","):
                    print(json.dumps(_child("granularity", types, n)), flush=True)
            if args.e2e:
                for workers in sizes:
                    print(json.dumps(measure_e2e(workers, args.repeat, Path(tmp), types, args.pod_network)), flush=True)
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="kubecvm-bench-") as tmp:
        types = ",".join(_child("types")["types"])
        print(" | ".join(COLUMNS), flush=True)
        for workers in sizes:
            m = measure(workers, args.repeat, Path(tmp), types, not args.no_gc_baseline, args.pod_network)
            results.append(m)
            print(" | ".join(row(m)), flush=True)
    print()
    print("\n".join(reading(results)))
    if args.out:
        # Hand-written notes below the marker (experiments, readings) survive a rerun.
        old = args.out.read_text() if args.out.exists() else ""
        notes = old[old.index(NOTES_MARKER) :] if NOTES_MARKER in old else ""
        args.out.write_text(results_markdown(results, args.repeat) + ("\n" + notes if notes else ""))
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
