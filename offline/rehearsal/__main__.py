"""`./dev rehearse`: the real Pulumi CLI against the Tencent Cloud API emulator, in a namespace with only loopback.

    python -m kubecvm.offline.rehearsal --build      build the engine's binaries (needs the Go module proxy)
    python -m kubecvm.offline.rehearsal [--json]     run every scenario; exit 0 when none that ran failed
    python -m kubecvm.offline.rehearsal --stack FILE rehearse one stack file
Exit codes: 0 every scenario that ran passed, 1 one failed, 2 a missing binary, a stack that does not plan, or a crash.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path


from kubecvm.offline.rehearsal import apiserver, engine, gobuild, lb_controller, run, scenarios, stage, workloads

REPO = Path(__file__).resolve().parents[2]
SECRET = ("AKIDkubecvmREHEARSAL000000000000000000", "kubecvm-rehearsal-secret-key-00000000")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./dev rehearse", description=__doc__.split("\n")[0])
    p.add_argument("--build", action="store_true", help="build the engine's binaries into the cache and exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--stack", type=Path, metavar="FILE", help="rehearse this stack file instead of the scenarios")
    return p.parse_args(argv)


def rehearse(sc: scenarios.Scenario, tmp: Path, emulator: stage.Emulator, after_up=None) -> dict:
    """`after_up`: a check run after each successful `up` (None, or what is wrong: the step fails with it)."""
    out = {"name": sc.name, "stack": sc.stack, "about": sc.about, "ok": True, "steps": [], "planSeconds": []}
    env = run.environment(engine.bin_dir(), emulator.url, SECRET) | dict(sc.env)
    before = emulator.summary()
    work = tmp / sc.name.replace(" ", "-")
    work.mkdir(parents=True)
    r = run.Rehearsal(
        name=work.name,
        stack=sc.stack,
        program=sc.program,
        work=work,
        pulumi_root=engine.cache_dir(),
        env=env,
        plugins=engine.plugin_home() / "plugins" if "kubernetes" in sc.needs else None,
    )
    previous = None
    try:
        for i, state in enumerate(sc.states):
            if state.label == "destroy":
                plan = None
            else:
                started = time.monotonic()
                plan = run.state_plan(sc.program, sc.stack, state.config, work / f"plan-{i}")
                out["planSeconds"].append(round(time.monotonic() - started, 1))
                r.configure(state.config)
            counts, replacements = run.predict(previous, plan)  # one diff for the state's commands
            for command in state.commands:
                expect = counts if command in ("preview", "up", "destroy") else dict.fromkeys(run.CHANGE_OPS, 0)
                orders = replacements if command == "up" else None
                step = r.step(command, expect, orders)
                if command == "up" and step.ok and after_up is not None:
                    step.error = after_up()
                if not step.ok:
                    out["ok"] = False
                    break
                if command in ("up", "destroy"):
                    previous = plan  # applied: from here the state predicts no changes
                    counts, replacements = dict.fromkeys(run.CHANGE_OPS, 0), {}
            if not out["ok"]:
                break
    except run.PlanFailed as exc:
        out["ok"], out["error"] = False, f"kubecvm plan: {exc}"
    finally:
        out["steps"] = [s.to_json() for s in r.steps]
        summary = emulator.summary()
        out["requests"] = summary["requests"] - before["requests"]
        out["refusals"] = summary["refusals"][len(before["refusals"]) :]
        out["callers"] = run.new_callers(before.get("callers", {}), summary.get("callers", {}))
        if sc.callers and out["ok"] and set(out["callers"].get("tke", {})) != set(sc.callers):
            out["ok"], out["error"] = (
                False,
                (
                    f"the TKE calls were signed by {sorted(out['callers'].get('tke', {}))}, "
                    f"not only by {list(sc.callers)}"
                ),
            )
        left = {k: v for k, v in summary["resources"].items() if v}
        if out["ok"] and any(s["command"] == "destroy" for s in out["steps"]) and left:
            out["ok"], out["error"] = False, f"the emulator still holds {left} after destroy"
        if not out["ok"]:
            r.clean_up()  # a failed scenario's resources must not meet the next scenario in the emulator
        r.remove()
    return out


def readback(sc: scenarios.Scenario, tmp: Path) -> dict:
    out = {"name": sc.name, "stack": sc.stack, "about": sc.about, "ok": True, "requests": 0, "refusals": []}
    work = tmp / "readback"
    work.mkdir()
    try:
        plans = {
            f.stem.removeprefix("Pulumi."): run.offline_plan(
                None, f, f.stem.removeprefix("Pulumi."), work / f"{f.stem}.json"
            )
            for f in sc.stack_files
        }
    except run.PlanFailed as exc:
        return out | {"ok": False, "steps": [], "error": f"kubecvm plan: {exc}"}
    step = run.readback_step(engine.bin_dir() / "readback.test", run.user_data(plans), work)
    return out | {"ok": step.ok, "steps": [step.to_json()]}


def on_cluster(sc: scenarios.Scenario, tmp: Path, emulator: stage.Emulator) -> dict:
    """A scenario against a real kube-apiserver and etcd started for it on 127.0.0.1, stopped after it; its program
    reads the admin kubeconfig's path from the environment (programs/addons.py). With `controller_manager`,
    kube-controller-manager too and a Node per pool, and the workloads' Pods checked after each `up`
    (workloads.py)."""
    work = tmp / "cluster"
    try:
        with apiserver.cluster(engine.bin_dir(), work, controllers=sc.controller_manager) as cluster:
            os.environ[KUBECONFIG] = str(cluster.kubeconfig)
            check = None
            if sc.controller_manager:  # a worker of each pool the scenario has, for the DaemonSets' Pods
                for pool in scenarios.pools(sc):
                    workloads.register_node(cluster.kubeconfig, f"rehearsal-{pool}-0", pool)
                check = functools.partial(workloads.check, cluster.kubeconfig)
            try:
                out = rehearse(sc, tmp, emulator, after_up=check) | {"apiServer": cluster.url}
                return out | ({"pods": workloads.created(cluster.kubeconfig)} if sc.controller_manager else {})
            finally:
                os.environ.pop(KUBECONFIG, None)
    except apiserver.StartFailed as exc:
        return {
            "name": sc.name,
            "stack": sc.stack,
            "about": sc.about,
            "ok": False,
            "requests": 0,
            "refusals": [],
            "steps": [],
            "error": f"the API server did not start: {exc}",
        }


KUBECONFIG = "KUBECVM_REHEARSAL_KUBECONFIG"  # programs/addons.py reads it


def controller(sc: scenarios.Scenario, tmp: Path) -> dict:
    """The LoadBalancer controller's scenario: its own API server and emulator, in this process."""
    return {"name": sc.name, "stack": sc.stack, "about": sc.about} | lb_controller.rehearse(
        engine.bin_dir(), tmp / "controller"
    )


def skipped(sc: scenarios.Scenario, unavailable: dict, not_built: tuple[str, ...] = ()) -> dict:
    """A scenario that cannot run: what it needs that the proxy refuses, or that `--build` has not built yet."""
    refused = [n for n in sc.needs if n in unavailable]
    missing = [n for n in sc.needs if n in not_built and n not in unavailable]
    why = ([f"needs {', '.join(refused)}, which cannot be built here"] if refused else []) + (
        [f"needs {', '.join(missing)}, not built yet: run `./dev rehearse --build`"] if missing else []
    )
    return {
        "name": sc.name,
        "stack": sc.stack,
        "about": sc.about,
        "ok": None,
        "requests": 0,
        "refusals": [],
        "steps": [],
        "cannotRun": "; ".join(why),
    }


def built_binaries(manifest: dict) -> dict:
    """{binary: "its label (the module version it is built from)"} of what gobuild built, for the report."""
    out = {}
    for name, b in manifest.get("built", {}).items():
        label = b.get("pluginVersion")
        out[name] = f"{label} ({b['module']})" if label else b["module"]
    return out


def short(error: str) -> str:
    """The proxy's answer in a few words: `403 Forbidden: This module version is not available.`"""
    flat = " ".join(error.split())
    m = re.search(r"(\d{3} [A-Za-z ]+?) server response: (.*)$", flat)
    return f"{m.group(1)}: {m.group(2)}" if m else flat[-200:]


def text(report: dict) -> str:
    lines = [
        f"Pulumi CLI {report['pulumi']}, plugins: "
        + ", ".join(f"{k} {v}" for k, v in report["plugins"].items())
        + "".join(f"\n{k}: {v}" for k, v in report.get("servers", {}).items())
    ]
    if report.get("unavailable"):
        lines.append("Cannot be built here (`./dev rehearse --build` asks the Go module proxy again):")
        lines += [f"  {n:<24}{u['module']}: {short(u['error'])}" for n, u in report["unavailable"].items()]
    for sc in report["scenarios"]:
        verdict = {True: "ok", False: "FAILED", None: "cannot run"}[sc["ok"]]
        if sc.get("cannotRun"):
            lines.append(f"\n{sc['name']} ({sc['stack']}): {verdict}: {sc['about']}\n  {sc['cannotRun']}")
            continue
        lines.append(
            f"\n{sc['name']} ({sc['stack']}): {verdict}; {sc['requests']} emulator requests"
            + (f", {len(sc['refusals'])} refusals" if sc["refusals"] else "")
        )
        for s in sc["steps"]:
            got = " ".join(f"{k}={v}" for k, v in s["changes"].items() if v)
            want = "" if s["predicted"] is None else " ".join(f"{k}={v}" for k, v in s["predicted"].items() if v)
            mark = (
                "ok "
                if run.Step(
                    s["command"],
                    s["exit"],
                    s["changes"],
                    s["predicted"],
                    error=s.get("error"),
                    orders=s.get("replaceOrders") or {},
                    predicted_orders=s.get("predictedReplaceOrders"),
                ).ok
                else "BAD"
            )
            counts = (
                ""
                if s["predicted"] is None and not s["changes"]
                else f"  engine: {got or 'no changes'}  predicted: {want or 'no changes'}"
            )
            lines.append(f"  {mark} {s['command']:<8} exit {s['exit']}{counts}  {s['seconds']:.1f} s")
            for urn, order in (s.get("replaceOrders") or {}).items():
                want = (s.get("predictedReplaceOrders") or {}).get(urn, "no replacement")
                lines.append(
                    f"      replaced {urn.rsplit('::', 1)[-1]}: {order}"
                    + ("" if want == order else f" (predicted {want})")
                )
            if s.get("error"):
                lines.append("      " + s["error"].replace("\n", "\n      "))
        if sc.get("planSeconds"):  # the same program and state: the offline plan beside the engine's preview
            previews = [s["seconds"] for s in sc["steps"] if s["command"] == "preview"]
            plan = sc["planSeconds"][0]
            ratio = f", preview / plan {previews[0] / plan:.2f}" if previews and plan else ""
            lines.append(
                f"  kubecvm plan {plan:.1f} s"
                + (f", pulumi preview {previews[0]:.1f} s" if previews else "")
                + f" (first state{ratio})"
            )
        if "pods" in sc:
            lines.append(
                f"  kube-controller-manager created {sc['pods']} Pods of the add-ons' workloads; admission refused none"
            )
        for service, who in (sc.get("callers") or {}).items():
            lines.append(f"  {service} calls signed by " + ", ".join(f"{k} ({n})" for k, n in who.items()))
        for ref in sc["refusals"]:
            lines.append(f"  refusal: {ref['service']} {ref['action']}: {ref['code']}: {ref['message']}")
        if sc.get("error"):
            lines.append(f"  {sc['error']}")
    counts = [sc["ok"] for sc in report["scenarios"]]
    lines.append(
        f"\nrehearsal: {counts.count(True)} passed, {counts.count(False)} failed, {counts.count(None)} skipped"
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.build:
        try:
            engine.build()
        except engine.BuildError as exc:
            print(f"kubecvm rehearse --build: {exc}", file=sys.stderr)
            return 2
        return 0
    if missing := engine.missing():
        print(
            f"kubecvm rehearse: {', '.join(missing)} not found in {engine.bin_dir()}: run `./dev rehearse --build`",
            file=sys.stderr,
        )
        return 2
    manifest = engine.manifest() or {}
    if args.stack is not None:
        if not args.stack.is_file():
            print(f"kubecvm rehearse: --stack {args.stack}: no such file", file=sys.stderr)
            return 2
        try:  # the whole stack as kubecvm's own program plans it: a stack that does not plan stops here
            doc = run.offline_plan(
                None,
                args.stack.resolve(),
                args.stack.stem.removeprefix("Pulumi."),
                Path(tempfile.mkdtemp(prefix="kubecvm-rehearsal-plan-")) / "plan.json",
            )
        except run.PlanFailed as exc:
            print(exc, file=sys.stderr)
            return 2
        chosen = [scenarios.stack_file(args.stack.resolve(), doc), scenarios.readback(args.stack.resolve())]
    else:
        chosen = [
            scenarios.global_router(REPO / "Pulumi.prod.yaml"),
            scenarios.global_router_assumed_role(REPO / "Pulumi.prod.yaml"),
            scenarios.addons(REPO / "Pulumi.prod.yaml"),
            scenarios.lb_controller(),
            scenarios.readback(*(REPO / f"Pulumi.{s}.yaml" for s in ("dev", "staging", "prod"))),
            *scenarios.blocked(),
        ]
    stage.isolate(argv)
    unavailable, not_built = manifest.get("unavailable", {}), tuple(gobuild.not_built())
    report = {
        "pulumi": manifest.get("pulumi", engine.PULUMI_VERSION.lstrip("v")),
        "plugins": {"pulumi-python": manifest.get("pulumi", "?") + " (dynamic providers)"},
        "servers": {},
        "unavailable": unavailable,
        "scenarios": [],
    }
    for name, what in built_binaries(manifest).items():  # the provider is a plugin; etcd and kube-apiserver serve
        report["plugins" if name == "kubernetes" else "servers"][name] = what
    with tempfile.TemporaryDirectory(prefix="kubecvm-rehearsal-") as tmp:
        with stage.emulator(*SECRET, Path(tmp) / "emulator.log", roles=(scenarios.DEPLOYER_ROLE,)) as emulator:
            for sc in chosen:
                if sc.stack_files:
                    report["scenarios"].append(readback(sc, Path(tmp)))
                    continue
                if (sc.program is None and not sc.lb_controller) or any(
                    n in unavailable or n in not_built for n in sc.needs
                ):
                    report["scenarios"].append(skipped(sc, unavailable, not_built))
                    continue
                if sc.lb_controller:
                    report["scenarios"].append(controller(sc, Path(tmp)))
                    continue
                report["scenarios"].append((on_cluster if sc.cluster else rehearse)(sc, Path(tmp), emulator))
    print(json.dumps(report, indent=2) if args.json else text(report), end="" if not args.json else "\n")
    return 1 if any(sc["ok"] is False for sc in report["scenarios"]) else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("kubecvm rehearse: interrupted", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001  (a crash is exit 2 with one line, never a verdict)
        if os.environ.get("KUBECVM_DEBUG", "") not in ("", "0"):
            traceback.print_exc()
        print(
            f"kubecvm rehearse: internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''})",
            file=sys.stderr,
        )
        sys.exit(2)
