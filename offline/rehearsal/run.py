"""One rehearsal scenario through the real Pulumi CLI: each step's engine events counted and set beside the prediction.

A step's prediction is `kubecvm diff` of the two offline plans of the same program (the SDK's mocks and the simulated
cloud): the resources it adds, updates, replaces and deletes. The engine's figures are counted from its own events
(each resource's step `op`), never from our models. Any difference fails the scenario.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kubecvm.offline.diff import diff_plans
from kubecvm.planning.tencent import cvm

CHANGE_OPS = ("create", "update", "replace", "delete")
PASSPHRASE = "kubecvm-rehearsal"  # the file backend's secrets provider; the state lives in a temporary directory


@dataclass
class Step:
    command: str
    exit: int = 0
    changes: dict = field(default_factory=dict)
    predicted: dict | None = None
    seconds: float = 0.0
    error: str | None = None
    orders: dict = field(default_factory=dict)  # {urn: replace order} as the engine ran them
    predicted_orders: dict | None = None

    @property
    def ok(self) -> bool:
        if self.exit != 0 or self.error:
            return False
        if self.predicted_orders is not None and self.orders != self.predicted_orders:
            return False
        if self.predicted is None:
            return True
        return {k: self.changes.get(k, 0) for k in CHANGE_OPS} == {k: self.predicted.get(k, 0) for k in CHANGE_OPS}

    def to_json(self) -> dict:
        doc = {
            "command": self.command,
            "exit": self.exit,
            "changes": self.changes,
            "predicted": self.predicted,
            "seconds": round(self.seconds, 1),
        }
        if self.orders or self.predicted_orders:
            doc |= {"replaceOrders": self.orders, "predictedReplaceOrders": self.predicted_orders}
        return doc | ({"error": self.error} if self.error else {})


def counted(events: list) -> dict:
    """{op: n} of the resources the engine stepped over, without the stack and provider resources, which the plans do
    not hold. A replacement counts once (its `replace` step; not create-replacement/delete-replaced)."""
    ops = Counter()
    for e in events:
        pre = e.resource_pre_event
        if pre is None or pre.metadata is None:
            continue
        t = pre.metadata.type
        if t == "pulumi:pulumi:Stack" or t.startswith("pulumi:providers:"):
            continue
        op = str(getattr(pre.metadata.op, "value", pre.metadata.op))
        if op in (*CHANGE_OPS, "same"):
            ops[op] += 1
    return {k: ops.get(k, 0) for k in (*CHANGE_OPS, "same")}


def resource_key(urn: str) -> str:
    """A URN without its stack and project (`urn:pulumi:STACK::PROJECT::TYPE::NAME` -> `TYPE::NAME`): the offline
    plan and the rehearsal's temporary project name the same resource under different projects."""
    return urn.split("::", 2)[-1]


def replace_orders(events: list) -> dict[str, str]:
    """{resource: the order the engine replaced it in}: delete-before-replace when its old copy's delete-replaced step came
    before the new copy's create-replacement, else create-before-delete."""
    first: dict[str, str] = {}
    for e in events:
        pre = e.resource_pre_event
        if pre is None or pre.metadata is None:
            continue
        op = str(getattr(pre.metadata.op, "value", pre.metadata.op))
        if op in ("delete-replaced", "create-replacement"):
            first.setdefault(resource_key(pre.metadata.urn), op)
    return {
        urn: "delete-before-replace" if op == "delete-replaced" else "create-before-delete"
        for urn, op in sorted(first.items())
    }


def predict(before: dict | None, after: dict | None) -> tuple[dict, dict[str, str]]:
    """What kubecvm diff predicts from one plan document to the next (None: no resources), from one diff: the counts
    {create, update, replace, delete}, and {resource: order} of every replacement (its deleteBeforeReplace).
    Provider resources are left out, as counted() leaves them out of the engine's steps."""
    before, after = _without_providers(before), _without_providers(after)
    if before is None or after is None:
        doc = after if before is None else before
        n = len(doc["resources"]) if doc is not None else 0
        return {
            "create": n if before is None else 0,
            "update": 0,
            "replace": 0,
            "delete": n if after is None else 0,
        }, {}
    d = diff_plans(before, after).to_json()
    s = d["summary"]
    orders = dict(sorted((resource_key(c["urn"]), c["order"]) for c in d["replaced"]))
    return {"create": s["added"], "update": s["updated"], "replace": s["replaced"], "delete": s["deleted"]}, orders


def _without_providers(doc: dict | None) -> dict | None:
    if doc is None:
        return None
    return {**doc, "resources": [r for r in doc["resources"] if not r.get("type", "").startswith("pulumi:providers:")]}


def offline_plan(program: Path | None, stack_file: Path, stack: str, out: Path) -> dict:
    """`kubecvm plan` of the program (None: kubecvm's own) and stack file, as a user runs it."""
    cmd = [
        sys.executable,
        "-m",
        "kubecvm.offline",
        "plan",
        "-s",
        stack,
        "--config-file",
        str(stack_file),
        "--format",
        "json",
        "--no-policies",
        "--out",
        str(out),
    ] + (["--program", str(program)] if program else [])
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=stack_file.parent)
    if done.returncode != 0:
        raise PlanFailed(done.stderr.strip() or f"kubecvm plan exited {done.returncode}")
    return json.loads(out.read_text())


def state_plan(program: Path | None, stack: str, config: dict, where: Path) -> dict:
    """`kubecvm plan` of one stack state: its config written as Pulumi.<stack>.yaml in `where` (made here)."""
    stack_file = where / f"Pulumi.{stack}.yaml"
    where.mkdir(parents=True)
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return offline_plan(program, stack_file, stack, where / "plan.json")


class PlanFailed(Exception):
    """`kubecvm plan` refused the stack: its own message."""


class Rehearsal:
    """One stack of one program in a temporary project with a local file backend and its own PULUMI_HOME."""

    def __init__(
        self,
        *,
        name: str,
        stack: str,
        program: Path,
        work: Path,
        pulumi_root: Path,
        env: dict,
        plugins: Path | None = None,
    ):
        from pulumi import automation as auto

        self.auto, self.program, self.work, self.stack_name = auto, program, work, stack
        self.steps: list[Step] = []
        (work / "state").mkdir(parents=True, exist_ok=True)
        (work / "home").mkdir(exist_ok=True)
        if plugins is not None:  # the plugins `--build` installed (gobuild.install_plugin), found there by version
            (work / "home" / "plugins").symlink_to(plugins, target_is_directory=True)
        settings = auto.ProjectSettings(
            name=f"kubecvm-rehearsal-{name}",
            runtime="python",
            backend=auto.ProjectBackend(url=f"file://{work / 'state'}"),
        )
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=str(work / "home"),
            project_settings=settings,
            pulumi_command=auto.PulumiCommand(root=str(pulumi_root), skip_version_check=True),
            env_vars={**env, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
            secrets_provider="passphrase",
        )
        self.stack = auto.create_stack(stack, project_name=settings.name, program=self._run, opts=opts)

    def _run(self) -> None:
        runpy.run_path(str(self.program), run_name="__main__")

    def configure(self, config: dict) -> None:
        """The stack file's config, keeping what the CLI wrote there (the passphrase's salt)."""
        path = self.work / f"Pulumi.{self.stack_name}.yaml"
        doc = yaml.safe_load(path.read_text()) if path.is_file() else {}
        path.write_text(yaml.safe_dump({**(doc or {}), "config": config}, sort_keys=False))

    def step(self, command: str, expect: dict | None, orders: dict | None = None) -> Step:
        events: list = []
        step = Step(command, predicted=expect, predicted_orders=orders)
        started = time.monotonic()
        run = {
            "preview": self.stack.preview,
            "up": self.stack.up,
            "refresh": self.stack.refresh,
            "destroy": self.stack.destroy,
        }[command]
        try:
            result = run(on_event=events.append, color="never")
            if command == "refresh":
                # A refresh's events are `refresh` steps; what it changed is in its summary (Stack excluded).
                step.changes = {k: v for k, v in result.summary.resource_changes.items() if k != "same"}
            else:
                step.changes = counted(events)
            step.orders = replace_orders(events)
        except self.auto.errors.CommandError as exc:
            step.exit = _exit_code(str(exc))
            step.error = _first_error(events) or _tail(str(exc))
            step.changes = counted(events)
        step.seconds = time.monotonic() - started
        self.steps.append(step)
        return step

    def clean_up(self) -> None:
        """Destroy whatever a failed scenario left, outside its steps and its verdict."""
        try:
            self.stack.destroy(color="never")
        except self.auto.errors.CommandError:
            pass

    def remove(self) -> None:
        try:
            self.stack.workspace.remove_stack(self.stack_name)
        except self.auto.errors.CommandError:
            pass


def _exit_code(message: str) -> int:
    """The CLI's exit code from the Automation API's CommandError text (" code: N"), which keeps no attribute."""
    match = re.search(r"^ code: (-?\d+)$", message, re.M)
    return int(match.group(1)) if match and match.group(1) != "0" else 1


def _first_error(events: list) -> str | None:
    for e in events:
        d = e.diagnostic_event
        if d is not None and d.severity == "error" and d.message.strip():
            return _tail(d.message)
    return None


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def new_callers(before: dict, after: dict) -> dict:
    """{service: {identity: calls}} the emulator saw between two summaries."""
    out = {}
    for service, counts in after.items():
        grown = {who: n - before.get(service, {}).get(who, 0) for who, n in counts.items()}
        if grown := {who: n for who, n in grown.items() if n > 0}:
            out[service] = grown
    return out


INSTANCE = cvm.INSTANCE


def user_data(plans: dict[str, dict]) -> dict[str, str]:
    """{stack/machine: the base64 user data its CVM is created with} from offline plan documents by stack."""
    return {
        f"{stack}/{r['name']}": r["inputs"]["userData"]
        for stack, doc in plans.items()
        for r in doc["resources"]
        if r["type"] == INSTANCE and r["inputs"].get("userData")
    }


def readback_step(check: Path, machines: dict[str, str], work: Path) -> Step:
    """Run the compiled read-back check over every machine's user data; its verdict is its exit code."""
    data = work / "user-data.json"
    data.write_text(json.dumps(machines))
    step = Step(f"readback ({len(machines)} CVMs)")
    started = time.monotonic()
    done = subprocess.run(
        [str(check), "-test.run", "TestGzipUserDataCannotBeReadBack|TestPlannedUserDataCanBeReadBack", "-test.count=1"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECVM_USER_DATA": str(data)},
    )
    step.seconds, step.exit = time.monotonic() - started, done.returncode
    if done.returncode != 0:
        step.error = _tail("\n".join(l for l in done.stdout.splitlines() if "readback_test.go" in l) or done.stdout, 8)
    return step


def environment(bin_dir: Path, emulator_url: str, secret: tuple[str, str]) -> dict:
    """The CLI's environment: the cache's binaries and the project's Python first on PATH, nothing fetched, every
    Tencent call kubecvm makes itself aimed at the emulator with the emulator's credentials."""
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {
        "PATH": path,
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "TENCENTCLOUD_TKE_ENDPOINT": emulator_url,
        "TENCENTCLOUD_CAM_ENDPOINT": emulator_url,
        "TENCENTCLOUD_STS_ENDPOINT": emulator_url,
        "TENCENTCLOUD_SECRET_ID": secret[0],
        "TENCENTCLOUD_SECRET_KEY": secret[1],
    }
