"""Benchmark the load-balancer controller: reconcile 100 `type: LoadBalancer` Services over 500 nodes against the
Tencent API emulator (docs/emulator.md) and the tests' fake Kubernetes API, with the official clients on the wire.

    .venv/bin/python bench/lb_controller.py [--services 100] [--nodes 500] [--task-polls 1]

Three passes: the first (every CLB, listener and target created), a steady one (nothing to change: reads only), and
one after 10 more nodes join (targets registered). It prints wall time, Tencent calls and Kubernetes requests per
pass and per Service, and the steady and join passes as ratios of the first. Not a timed test: nothing asserts a
timing. The emulator answers in-process over loopback HTTP, so the figures measure the controller and the wire
(TC3 signing, JSON), not Tencent's latency: on Tencent, each awaited task adds its own seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from tests.lb_controller.helpers import ins, node, rig, service  # noqa: E402


def calls(r) -> int:
    return len(r.emulator.clb.calls) + len(r.emulator.cvm.calls)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--task-polls", type=int, default=1, help="DescribeTaskStatus polls a CLB task stays in progress")
    args = ap.parse_args(argv)
    rows = []
    with rig(instances=args.nodes + 10) as r:
        r.emulator.clb.task_polls = args.task_polls
        for i in range(args.nodes):
            r.kube.put("nodes", node(i))
        for i in range(args.services):
            r.kube.put("services", service(f"svc-{i:03d}", ports=((80, "TCP", 30000 + i),)))

        def run(label: str) -> None:
            before_calls, before_kube = calls(r), len(r.kube.requests)
            start = time.perf_counter()
            results, _ = r.controller.reconcile_all()
            took = time.perf_counter() - start
            assert set(results.values()) == {"ok"}, results
            rows.append((label, took, calls(r) - before_calls, len(r.kube.requests) - before_kube))

        run("first (create)")
        run("steady (no change)")
        for i in range(args.nodes, args.nodes + 10):
            r.kube.put("nodes", node(i))
        run("10 nodes join")
        targets = sum(len(x["Targets"]) for lb in r.emulator.clb.lbs.values() for x in lb["Listeners"].values())
        assert targets == args.services * (args.nodes + 10), targets
        assert all(
            t["InstanceId"] != ins(args.nodes + 10)
            for lb in r.emulator.clb.lbs.values()
            for x in lb["Listeners"].values()
            for t in x["Targets"]
        )
    first = rows[0][1]
    print(f"{args.services} Services x {args.nodes} nodes (task in progress for {args.task_polls} poll(s)):")
    print(f"{'pass':22} {'seconds':>8} {'x first':>8} {'Tencent calls':>14} {'per Service':>12} {'k8s requests':>13}")
    for label, took, tc, kc in rows:
        print(f"{label:22} {took:8.2f} {took / first:8.2f} {tc:14d} {tc / args.services:12.1f} {kc:13d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
