"""The linter over the whole repository, with the settings in pyproject.toml's [tool.ruff]: pyflakes (undefined
names, unused imports) and pycodestyle's errors. A finding fails here with ruff's own line per problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_settings_are_the_documented_ones():
    import tomllib

    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["line-length"] == 120 and ruff["target-version"] == "py311"
    assert {"F", "E7", "E9"} <= set(ruff["lint"]["select"])
