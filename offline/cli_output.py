"""Where and how the CLI writes (offline/cli.py): the output formats, colour and width on a terminal, the plan and
the policy reports to a file or stdout."""

from __future__ import annotations

import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from kubecvm.offline import render
from kubecvm.offline.cli_contract import fail

if TYPE_CHECKING:
    from kubecvm.offline import plan as offline
    from kubecvm.policies import reports


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


_color = Color.auto  # set by `kubecvm --color`


def use_color() -> bool:
    """Colour on stdout: --color always/never, else only on a terminal, and never with NO_COLOR set to anything
    non-empty (https://no-color.org) or TERM=dumb."""
    if _color is not Color.auto:
        return _color is Color.always
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


DEFAULT_WIDTH = 120  # the width of text written to a file or a pipe, so it does not depend on who ran it
MIN_WIDTH = 60


def output_width() -> int:
    """The terminal's width (COLUMNS wins there, as for any program), or DEFAULT_WIDTH when stdout is no terminal:
    a pipe's text must not depend on a COLUMNS that a test runner or CI happens to set."""
    if not sys.stdout.isatty():
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class Report(str, Enum):
    sarif = "sarif"
    junit = "junit"
    github = "github"


def write(path: Path | None, content: str) -> None:
    if path is None:
        sys.stdout.write(content)
        sys.stdout.flush()
        return
    try:
        path.write_text(content)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None


def write_plan(path: Path | None, doc: dict, fmt: Format) -> None:
    """The plan in `fmt`, to `path` or stdout; JSON streamed as it is made (render.write_json)."""
    if fmt is not Format.json:
        write(path, render_plan(doc, fmt, on_stdout=path is None))
        return
    if path is None:
        render.write_json(doc, sys.stdout)
        sys.stdout.flush()
        return
    try:
        with path.open("w") as out:
            render.write_json(doc, out)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None


def render_plan(doc: dict, fmt: Format, on_stdout: bool = False) -> str:
    if fmt is Format.json:
        return render.to_json(doc)
    if fmt is Format.markdown:
        return render.markdown(doc)
    if on_stdout:
        return render.text(doc, width=output_width(), color=use_color())
    return render.text(doc)


def report_uri(path: Path) -> str:
    """The file as code scanning and annotations resolve it: relative to the repository's root (the nearest folder
    above with .git, as actions/checkout leaves it), else to the working directory, else an absolute file URI."""
    path = path.resolve()
    roots = [d for d in path.parents if (d / ".git").exists()][:1] + [Path.cwd().resolve()]
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.as_uri()


def report_source(loaded: offline.LoadedStack) -> reports.Source | None:
    """Findings point at the stack file (the line of the setting concerned), or at the program without one."""
    from kubecvm.policies import reports
    from kubecvm.stacks.locations import setting_lines

    if loaded.path.is_file():
        return reports.Source(report_uri(loaded.path), setting_lines(loaded.path))
    return reports.Source(report_uri(loaded.program)) if loaded.program is not None else None


def render_report(result: offline.PlanResult, kind: Report, source: reports.Source | None = None) -> str:
    from kubecvm.policies import reports

    if kind is Report.sarif:
        return reports.sarif(result.evaluation, result.infos, source=source)
    if kind is Report.junit:
        return reports.junit(result.evaluation, result.infos, source=source)
    return reports.github(result.evaluation, result.infos, source=source)
