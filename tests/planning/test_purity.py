import subprocess
import sys
from pathlib import Path

PLANNING = Path(__file__).resolve().parents[2] / "planning"
FORBIDDEN = ("pulumi", "pulumi_policy", "tencentcloud_iac_pulumi", "pulumi_random", "pulumi_kubernetes", "pulumi_tls")


# The scan runs in a fresh interpreter: CPython 3.11.7's ast.parse can raise "SystemError: AST constructor
# recursion depth mismatch" in a process whose earlier tests (the 5000-deep inputs) hit the recursion limit.
SCAN = """
import ast, pathlib, sys
forbidden = set(sys.argv[2:])
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            if name.split(".")[0] in forbidden:
                print(f"{path.name}: {name}")
"""


def test_planning_sources_import_no_pulumi():
    out = subprocess.run(
        [sys.executable, "-c", SCAN, str(PLANNING), *FORBIDDEN], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == []


def test_importing_planning_loads_no_pulumi_module():
    code = "import sys, planning, planning.plan; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (
        FORBIDDEN,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PLANNING.parent)
    assert out.stdout.strip() == "[]"
