"""The rehearsal's stage: a network namespace with only loopback, the emulator, and the real CLI's environment.

Isolation: `unshare -n` (root) gives the run a namespace of its own whose only interface is `lo`, so no packet
leaves the machine whatever a resource or provider tries. A rehearsal already started inside such a namespace (no
interface but `lo`) stays where it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NETNS_MARK = "KUBECVM_REHEARSAL_NETNS"


def interfaces() -> set[str]:
    """This process's network namespace's interfaces (/proc/self/net/dev; /sys/class/net shows the namespace
    sysfs was mounted in, which `unshare -n` does not remount)."""
    try:
        lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    except OSError:
        return {"?"}
    return {line.split(":", 1)[0].strip() for line in lines if ":" in line}


def only_loopback() -> bool:
    return interfaces() <= {"lo"}


def isolate(argv: list[str]) -> None:
    """Re-run this command in a new network namespace with `lo` up, unless it already runs in one. Never returns
    when it re-runs; raises SystemExit(2) when no namespace can be made."""
    if only_loopback():
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
        return
    if os.environ.get(NETNS_MARK):
        raise SystemExit("kubecvm rehearse: the namespace still has interfaces other than lo; refusing to run")
    if os.geteuid() != 0:
        raise SystemExit("kubecvm rehearse: needs root for `unshare -n` (a network namespace with only loopback)")
    inner = f"ip link set lo up && exec {' '.join(_quote(a) for a in [sys.executable, '-m', 'kubecvm.offline.rehearsal', *argv])}"
    env = {**os.environ, NETNS_MARK: "1"}
    os.execvpe("unshare", ["unshare", "-n", "--", "sh", "-c", inner], env)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


class Emulator:
    """`python -m kubecvm.emulator` on 127.0.0.1 (a free port), with its summary endpoint."""

    def __init__(self, url: str, process: subprocess.Popen):
        self.url, self.process = url, process

    def summary(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/_emulator/summary", timeout=10) as resp:
            return json.loads(resp.read())


@contextmanager
def emulator(secret_id: str, secret_key: str, log: Path, roles: tuple[str, ...] = ()) -> Iterator[Emulator]:
    cmd = [
        sys.executable,
        "-m",
        "kubecvm.emulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--secret-id",
        secret_id,
        "--secret-key",
        secret_key,
        *(a for r in roles for a in ("--role", r)),
    ]
    with log.open("w") as err:
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            line = process.stdout.readline().strip()
            if not line.startswith("kubecvm-emulator listening on "):
                raise RuntimeError(f"the emulator did not start (see {log}): {line!r}")
            yield Emulator(line.rsplit(" ", 1)[-1], process)
        finally:
            stop(process)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds; reaped either way."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
