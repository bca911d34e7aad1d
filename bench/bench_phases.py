"""Where one `kubecvm plan --format json` process spends its time (bench.py --phases): the CLI's own main, run in a
fresh child process with each phase's function wrapped in a timer. Not a timed test: it prints seconds."""

from __future__ import annotations

import functools
import gc
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_stack import bench_config, plan_args

# (module, function, phase): each call of the function counts towards the phase. The user data is rendered inside
# the program's run, so its phase is part of "running the program".
PHASES = (
    ("kubecvm.offline.plan", "load_stack", "reading the stack"),
    ("kubecvm.offline.plan", "run_program", "running the program"),
    ("kubecvm.planning.bootstrap", "cvm_user_data", "of which user data, rendered and encoded"),
    ("kubecvm.offline.plan", "evaluate_clusters", "policies"),
    ("kubecvm.offline.render", "write_json", "writing the JSON"),
)


def timed(module: object, name: str, phase: str, seconds: dict[str, float]) -> None:
    """Replace `module.name` with the same function adding each call's wall time to `seconds[phase]`."""
    function: Callable = getattr(module, name)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def child_phases(config_file: Path) -> None:
    """Plan `config_file` as `kubecvm plan --format json` does and print the seconds per phase as one JSON line,
    then end as the command ends (os._exit, no interpreter teardown)."""
    start = time.perf_counter()
    seconds: dict[str, float] = {}
    gc.disable()  # as offline/command.py imports the CLI
    from kubecvm.offline import command

    for module, _, _ in PHASES:
        importlib.import_module(module)
    gc.freeze()
    gc.enable()
    seconds["imports (the CLI's and the program's)"] = time.perf_counter() - start
    for module, name, phase in PHASES:
        timed(sys.modules[module], name, phase, seconds)
    exit_now = os._exit

    def report(status: int) -> None:
        seconds["the whole process"] = time.perf_counter() - start
        print(json.dumps({k: round(v, 3) for k, v in seconds.items()}), flush=True)
        exit_now(status)

    os._exit = report  # the command ends through offline/cli_contract.py exit_now
    out = config_file.with_suffix(".plan.json")
    sys.argv = ["kubecvm", *plan_args(config_file, out)]
    command.main()


def measure_phases(workers: int, workdir: Path, pod_network: str = "vpcRoutes") -> dict:
    """Seconds per phase of one `kubecvm plan --format json` of the synthetic cluster, in a fresh process."""
    import subprocess

    stack = workdir / f"Pulumi.phases{workers}.yaml"
    stack.write_text(json.dumps({"config": bench_config(workers, pod_network)}))
    bench = Path(__file__).resolve().parent / "bench.py"
    proc = subprocess.run(
        [sys.executable, str(bench), "--child", "phases", str(stack)], capture_output=True, text=True, check=False
    )
    if proc.returncode not in (0, 1):  # 1: a mandatory policy failed, the plan is still whole
        raise SystemExit(f"phases of {workers} workers failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return {"workers": workers, "pod_network": pod_network, **json.loads(proc.stdout.strip().splitlines()[-1])}
