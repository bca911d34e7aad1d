"""The benchmark's report: the table's columns and rows, the reading against the targets, the machine's facts
and bench/RESULTS.md as Markdown."""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Sequence
from pathlib import Path

from bench_stack import MAX_WORKERS, growth

# The targets.
TARGET_RATIO_AT_1000 = 1.25
TARGET_RSS_5000_MIB = 1024
TARGET_GROWTH_5000_OVER_500 = 9
TARGET_POLICY_SHARE = 0.10


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
