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
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
# As `pulumi up` runs the program: the project directory is on the path (policies/ is not an installed package).
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))
# The benchmark's modules are this file's siblings (a test loads this file by its path).
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
DEFAULT_SIZES = (10, 100, 500, 1000, 5000)

# Every name the tests and pyspy_profile.py read from this module, wherever it now lives.
from bench_children import (  # noqa: E402
    _common_imports,
    child_floor,
    child_floor_e2e,
    child_floor_structured,
    child_granularity,
    child_plan,
    child_types,
    registration_order,
    registrations,
    structured_program,
)
from bench_measure import _child, measure, measure_e2e  # noqa: E402
from bench_phases import child_phases, measure_phases, timed  # noqa: E402
from bench_report import COLUMNS, NOTES_MARKER, reading, results_markdown, row  # noqa: E402
from bench_scale import (  # noqa: E402
    CHANGED_POD_CIDR,
    SCALE_BEGIN,
    SCALE_END,
    measure_scale,
    one_pool_smaller,
    scale_markdown,
    scale_rows,
    with_pod_cidr,
    write_scale,
)
from bench_stack import (  # noqa: E402
    MASTERS,
    MAX_WORKERS,
    REGION,
    ZONES,
    bench_config,
    critical_path,
    growth,
    plan_args,
    pools_for,
    sdk_kwargs,
    sdk_module_and_class,
    snake,
)

__all__ = [
    "CHANGED_POD_CIDR",
    "MASTERS",
    "MAX_WORKERS",
    "NOTES_MARKER",
    "REGION",
    "SCALE_BEGIN",
    "SCALE_END",
    "ZONES",
    "_common_imports",
    "bench_config",
    "critical_path",
    "growth",
    "main",
    "one_pool_smaller",
    "plan_args",
    "pools_for",
    "registration_order",
    "registrations",
    "scale_rows",
    "sdk_kwargs",
    "timed",
    "sdk_module_and_class",
    "snake",
    "structured_program",
    "with_pod_cidr",
    "write_scale",
]


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
    parser.add_argument(
        "--phases",
        action="store_true",
        help="instead of the table: seconds per phase of one `kubecvm plan --format json` process, per size",
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
        elif kind in ("sdk-e2e", "structured-e2e"):
            # Ends as `kubecvm plan` ends (offline/cli_contract.py exit_now): output flushed, then no interpreter
            # teardown, so both processes are timed over the same work.
            floor = child_floor_e2e if kind == "sdk-e2e" else child_floor_structured
            print(json.dumps(floor(Path(rest[1]), rest[0].split(","))), flush=True)
            sys.stderr.flush()
            os._exit(0)
        elif kind == "phases":
            child_phases(Path(rest[0]))  # ends the process as `kubecvm plan` does
        elif kind == "granularity":
            result = child_granularity(int(rest[1]), rest[0].split(","))
        elif kind == "plan-gc":
            result = child_plan(int(rest[1]), None, rest[0].split(","), pause_gc=False)
        else:
            result = child_floor(kind, Path(rest[1]), rest[0].split(","))
        print(json.dumps(result))
        return 0

    sizes = [min(int(s), MAX_WORKERS) for s in args.sizes.split(",") if s.strip()]
    if args.phases:
        with tempfile.TemporaryDirectory(prefix="kubecvm-bench-") as tmp:
            for workers in sizes:
                print(json.dumps(measure_phases(workers, Path(tmp), args.pod_network)), flush=True)
        return 0
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
