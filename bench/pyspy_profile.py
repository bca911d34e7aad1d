"""Where a `kubecvm plan` of a synthetic stack spends its time, sampled across all threads.

The SDK's mock monitor and the simulated cloud run on the SDK's executor threads, which cProfile and pyinstrument do
not see; py-spy samples every thread (`--gil`: the one holding the interpreter lock, so each sample is Python work,
not a thread waiting). py-spy is not a project dependency: `.venv/bin/pip install py-spy`.

    .venv/bin/python bench/pyspy_profile.py --workers 4997 --pod-network globalRouter
    .venv/bin/python bench/pyspy_profile.py --raw saved.raw          # summarise a py-spy raw (collapsed) file again

Prints the share of samples per category (first rule that matches, innermost frame of kubecvm's own first) and the
functions of kubecvm (and the SDK's dependency bookkeeping) with the largest inclusive share. Not a timed test.
Note: zlib releases the interpreter lock while it compresses, so `--gil` undercounts gzip (user-data encoding).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

# (category, frame substrings): tried on each frame from the innermost outward, so the code that did the work names
# it (the simulated cloud answering a registration is "simulated cloud", not "SDK").
OURS = (
    (
        "simulated cloud",
        (
            "offline/simulated_cloud.py",
            "offline/simulated_kubernetes.py",
            "offline/instance_types.py",
            "planning/tencent/",
        ),
    ),
    (
        "user data (render, encode)",
        (
            "render_user_data (",
            "cvm_user_data (",
            "_rendered (",
            "encode_user_data (",
            "user_data_size (",
            "Boot.user_data.",
        ),
    ),
    ("policies", ("policies/",)),
    ("recording", ("_recorded (", "RecordingMonitor.RegisterResource (")),
    ("output (JSON)", ("offline/render.py",)),
)
# Then on the whole stack, in this order.
WHOLE = (
    ("imports", ("_find_and_load", "_call_with_frames_removed")),
    ("config -> plan", ("plan_from_config (", "load_stack (")),
    ("plan document", ("build (offline/plan.py",)),
)
SDK = ("pulumi/", "asyncio/", "concurrent/", "threading.py", "grpc/", "google/protobuf/")
# Inclusive shares reported for these frames: kubecvm's code and the SDK's dependency bookkeeping.
REPORTED = re.compile(r"(planning/|components/|offline/|policies/|kubecvm/|stacks/|resource_cycle_breaker|_depends_on)")


def parse_raw(text: str) -> list[tuple[list[str], int]]:
    """py-spy `-f raw` lines: `frame;frame;... count`, outermost frame first."""
    rows = []
    for line in text.splitlines():
        if line.strip():
            stack, count = line.rsplit(" ", 1)
            rows.append((stack.split(";"), int(count)))
    return rows


def category(frames: Sequence[str]) -> str:
    joined = ";".join(frames)
    if any(m in joined for m in WHOLE[0][1]):
        return WHOLE[0][0]
    for frame in reversed(frames):
        for name, marks in OURS:
            if any(m in frame for m in marks):
                return name
    for name, marks in WHOLE[1:]:
        if any(m in joined for m in marks):
            if name != "plan document" or "run_program (" not in joined:
                return name
    if any(m in joined for m in SDK):
        return "SDK registration and mock runtime"
    return "other"


def summarize(rows: Iterable[tuple[list[str], int]], top: int = 30) -> dict:
    rows = list(rows)
    total = sum(n for _, n in rows) or 1
    shares: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in rows:
        shares[category(frames)] += n
        for key in {re.sub(r":\d+\)$", ")", f) for f in frames}:  # a recursive function counts once per sample
            inclusive[key] += n
    return {
        "samples": total,
        "categories": {k: round(v / total, 4) for k, v in shares.most_common()},
        "inclusive": dict([(k, round(v / total, 4)) for k, v in inclusive.most_common() if REPORTED.search(k)][:top]),
    }


def record(workers: int, pod_network: str, rate: int, raw: Path) -> None:
    import bench

    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    with tempfile.TemporaryDirectory(prefix="kubecvm-profile-") as tmp:
        stack = Path(tmp) / f"Pulumi.profile{workers}.yaml"
        stack.write_text(json.dumps({"config": bench.bench_config(workers, pod_network)}))
        subprocess.run(
            [
                py_spy,
                "record",
                "--gil",
                "-r",
                str(rate),
                "-f",
                "raw",
                "-o",
                str(raw),
                "--",
                sys.executable,
                "-m",
                "kubecvm.offline",
                *bench.plan_args(stack, Path(tmp) / "plan.json"),
            ],
            check=True,
            cwd=bench.PROJECT_DIR,
            stdout=subprocess.DEVNULL,
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--pod-network", default="vpcRoutes", choices=("vpcRoutes", "globalRouter"))
    parser.add_argument("--rate", type=int, default=50, help="samples per second")
    parser.add_argument("--raw", type=Path, default=None, help="summarise this py-spy raw file instead of recording")
    parser.add_argument("--keep", type=Path, default=None, help="keep the raw samples in this file")
    args = parser.parse_args(argv)
    raw = args.raw
    if raw is None:
        raw = args.keep or Path(tempfile.mkstemp(prefix="kubecvm-profile-", suffix=".raw")[1])
        record(args.workers, args.pod_network, args.rate, raw)
    summary = summarize(parse_raw(raw.read_text()))
    print(f"samples: {summary['samples']}")
    for name, share in summary["categories"].items():
        print(f"  {100 * share:5.1f}%  {name}")
    print("inclusive (kubecvm and the SDK's dependency bookkeeping):")
    for name, share in summary["inclusive"].items():
        print(f"  {100 * share:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
