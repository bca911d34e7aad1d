"""The benchmark parent's measurements, each in fresh processes: plan against the SDK floor (per size), the
whole `kubecvm plan` process against the SDK floor process (e2e), and the process timing they share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_stack import bench_config, critical_path, plan_args

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
# Every child is bench.py itself, run with --child.
BENCH_SCRIPT = BENCH_DIR / "bench.py"


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
    """The whole `kubecvm plan --format json` process against the SDK floor as a whole process, and against the
    structured floor (the plan's graph too), all timed from spawn to exit with the collector paused for the whole
    run; the best of `repeat` each, interleaved."""
    stack = workdir / f"Pulumi.e2e{workers}.yaml"
    stack.write_text(json.dumps({"config": bench_config(workers, pod_network)}))
    regs_file = workdir / f"plan-e2e-{workers}.json"
    _child("plan", types, str(workers), str(regs_file), pod_network)
    plans, floors, structured = [], [], []
    for _ in range(repeat):
        plans.append(_timed_process(sys.executable, "-m", "kubecvm.offline", *plan_args(stack, workdir / "e2e.json")))
        floors.append(_timed_process(sys.executable, str(BENCH_SCRIPT), "--child", "sdk-e2e", types, str(regs_file)))
        structured.append(
            _timed_process(sys.executable, str(BENCH_SCRIPT), "--child", "structured-e2e", types, str(regs_file))
        )
    return {
        "workers": workers,
        "pod_network": pod_network,
        "plan_e2e_s": min(plans),
        "floor_e2e_s": min(floors),
        "ratio_e2e": min(plans) / min(floors),
        # The same resources with the plan's graph (parents, components, Outputs, depends_on): what the SDK alone
        # costs for the plan's structure, which the floor above leaves out.
        "structured_e2e_s": min(structured),
        "ratio_structured": min(plans) / min(structured),
    }


# ---------------------------------------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(BENCH_SCRIPT), "--child", *args],
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
