"""Plan at scale (bench.py --scale): every figure of the scale goals, each a ratio of two measurements taken in
one run, and the RESULTS.md block that reports them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench_measure import _run_process, _timed_process, measure_e2e
from bench_report import NOTES_MARKER, machine_facts
from bench_stack import MASTERS, MAX_WORKERS, bench_config, plan_args

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
            runs.append(_run_process(sys.executable, "-m", "kubecvm.offline", *plan_args(stack, out, "bench")))
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
            "the same, against the structured floor (the same resources with the plan's components, parents, "
            "Outputs and depends_on)",
            f"{e2e['ratio_structured']:.2f} ({e2e['plan_e2e_s']:.1f} s vs {e2e['structured_e2e_s']:.1f} s)",
            "none (what kubecvm's own work costs over the SDK's for the same graph)",
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
