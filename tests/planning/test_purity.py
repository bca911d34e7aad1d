import ast
import subprocess
import sys
from pathlib import Path

PLANNING = Path(__file__).resolve().parents[2] / "planning"
FORBIDDEN = ("pulumi", "pulumi_policy", "tencentcloud_iac_pulumi", "pulumi_random", "pulumi_kubernetes", "pulumi_tls")


def _parse(source: str) -> ast.Module:
    # CPython 3.11.7 can raise "SystemError: AST constructor recursion depth mismatch" from ast.parse in a process
    # whose earlier tests left its C recursion counter unbalanced; a retry in a clean process is the same check.
    try:
        return ast.parse(source)
    except SystemError:
        dumped = subprocess.run([sys.executable, "-c", "import ast, sys; print(ast.dump(ast.parse(sys.stdin.read())))"],
                                input=source, capture_output=True, text=True, check=True).stdout
        return eval(dumped, {k: getattr(ast, k) for k in dir(ast)})  # noqa: S307  (ast.dump of our own sources)


def test_planning_sources_import_no_pulumi():
    offenders = []
    for path in PLANNING.rglob("*.py"):
        for node in ast.walk(_parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_planning_loads_no_pulumi_module():
    code = "import sys, planning, planning.plan; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (FORBIDDEN,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PLANNING.parent)
    assert out.stdout.strip() == "[]"
