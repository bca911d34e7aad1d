"""bench/pyspy_profile.py's pure part: reading py-spy's raw samples and naming where each went (no timing here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "kubecvm_pyspy_profile", Path(__file__).resolve().parents[2] / "bench" / "pyspy_profile.py"
)
profile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(profile)

RUN = "main (offline/cli.py:281);build (offline/plan.py:404);run_program (offline/runner.py:225)"
RAW = "\n".join(
    [
        f"{RUN};Handle._run (asyncio/events.py:80);do_register (pulumi/runtime/resource.py:1397) 5",
        f"{RUN};RegisterResource (pulumi/runtime/mocks.py:328);SimulatedCloud.new_resource (offline/simulated_cloud.py:200);"
        "deserialize_property (pulumi/runtime/rpc.py:1138) 3",
        f"{RUN};Boot.user_data.<locals>.<lambda> (components/boot.py:83);render_user_data (planning/bootstrap.py:700);"
        "_yaml (planning/bootstrap.py:440) 2",
        "main (offline/cli.py:281);build (offline/plan.py:430);evaluate (policies/engine.py:90) 1",
        "<module> (offline/__main__.py:3);_find_and_load (<frozen importlib._bootstrap>:1176);"
        "<module> (components/addons.py:5) 1",
    ]
)


def test_each_sample_goes_to_the_innermost_code_that_did_the_work():
    summary = profile.summarize(profile.parse_raw(RAW))
    assert summary["samples"] == 12
    assert summary["categories"] == {
        "SDK registration and mock runtime": round(5 / 12, 4),
        "simulated cloud": round(3 / 12, 4),
        "user data (render, encode)": round(2 / 12, 4),
        "policies": round(1 / 12, 4),
        "imports": round(1 / 12, 4),
    }
    # Inclusive: a frame counts once per sample, whatever its line; only kubecvm's frames (and the SDK's
    # dependency bookkeeping) are listed.
    assert summary["inclusive"]["run_program (offline/runner.py)"] == round(10 / 12, 4)
    assert "Handle._run (asyncio/events.py)" not in summary["inclusive"]
