import ast
import subprocess
import sys
from pathlib import Path

PLANNING = Path(__file__).resolve().parents[2] / "planning"
FORBIDDEN = ("pulumi", "pulumi_policy", "tencentcloud_iac_pulumi", "pulumi_random", "pulumi_kubernetes", "pulumi_tls")


def test_planning_sources_import_no_pulumi():
    offenders = []
    for path in PLANNING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_planning_loads_no_pulumi_module():
    code = "import sys, planning, planning.plan; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (FORBIDDEN,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PLANNING.parent)
    assert out.stdout.strip() == "[]"
