import json
import subprocess
import sys
from pathlib import Path

PROGRAM = Path(__file__).resolve().parents[1] / "reuse_program" / "__main__.py"

SCRIPT = """
import importlib.util, json, runpy, sys
import kubecvm.components as components
from kubecvm.offline.runner import run_program
rec = run_program({}, stack="reuse", project="kubecvm-reuse-example", program=lambda: runpy.run_path(sys.argv[1]))
print(json.dumps({"from": components.__file__,
                  "generic": [n for n in ("planning", "components", "stacks", "policies", "offline")
                              if importlib.util.find_spec(n)], "outputs": rec.outputs,
                  "types": sorted({r.type for r in rec.resources}),
                  "routes": sorted((r.inputs["destinationCidrBlock"], r.inputs["nextHub"]) for r in rec.resources
                                   if r.inputs.get("nextType") == "NORMAL_CVM")}))
"""


def test_another_project_composes_the_installed_components(tmp_path):
    # Run from an unrelated directory: the imports must resolve through the installed package, not the cwd.
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PROGRAM)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert result["outputs"] == {
        "workers": {
            "batch-batch-z2-0": "10.30.36.0",
            "batch-batch-z2-1": "10.30.36.1",
            "batch-batch-z4-0": "10.30.100.0",
            "batch-batch-z4-1": "10.30.100.1",
        }
    }
    assert "kubecvm:index:ControlPlane" not in result["types"]
    assert {"kubecvm:index:Network", "kubecvm:index:NodePool", "kubecvm:index:PodRoutes"} <= set(result["types"])
    assert result["routes"] == [
        ["172.18.64.0/24", "10.30.36.0"],
        ["172.18.65.0/24", "10.30.36.1"],
        ["172.22.64.0/24", "10.30.100.0"],
        ["172.22.65.0/24", "10.30.100.1"],
    ]
    # Installed under the one namespace only: no generic top-level package a user's folder could shadow.
    assert result["generic"] == []
    assert Path(result["from"]).parent.name == "components"
