"""The `kubecvm` console script: the CLI (offline/cli.py) needs the [cli] extra; without it, say so in one line."""

from __future__ import annotations

import gc
import sys

CLI_MODULES = ("typer", "click", "rich", "junit_xml")  # what offline/cli.py imports from the [cli] extra


def main() -> None:
    # The CLI's imports (its libraries and the planning modules: some 66,000 objects) run without the cyclic
    # collector, whose passes over that growing heap took a fifth of the import time and freed nothing.
    # What they made then moves to the permanent generation, where later collections do not scan it.
    gc.disable()
    try:
        from kubecvm.offline.cli import main as cli_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in CLI_MODULES:
            raise
        sys.stderr.write(
            f"kubecvm: the command needs the [cli] extra ({exc.name} is not installed): install "
            "kubecvm with it, e.g. pip install '/path/to/kubecvm[cli]' (a checkout or a wheel)\n"
        )
        raise SystemExit(2) from None
    finally:
        gc.freeze()
        gc.enable()
    cli_main()
