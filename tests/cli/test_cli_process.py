"""How the `kubecvm` process runs: its imports without the cyclic collector, its objects frozen afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

# Counts the collector's passes that start while offline/cli.py is still being imported, then runs the command,
# which ends the process with os._exit (offline/cli_contract.py exit_now): the probe reports from there.
_PROBE = """
import gc, json, os, sys
during_import = []

def seen(phase, info):
    cli = sys.modules.get("kubecvm.offline.cli")
    if phase == "start" and not hasattr(cli, "main"):
        during_import.append(info["generation"])

def report(status, _exit=os._exit):
    state = {"passes": len(during_import), "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
    print(json.dumps(state), flush=True)
    _exit(status)

gc.callbacks.append(seen)
os._exit = report
from kubecvm.offline.command import main
during_import.clear()  # only main()'s own imports count
main()
"""


def test_the_cli_imports_without_collector_passes_and_freezes_what_they_made():
    proc = subprocess.run([sys.executable, "-c", _PROBE, "--version"], capture_output=True, text=True, check=True)
    seen = json.loads(proc.stdout.splitlines()[-1])
    assert seen["passes"] == 0
    assert seen["enabled"] is True  # the command itself runs with the collector as usual
    assert seen["frozen"] > 50_000  # what the imports made (66,000 objects), out of every later collection
