"""`kubecvm plan` and `kubecvm diff`: what a stack change would create, and whether it passes the rules.

Exit codes are a contract for CI:
  plan: 0 no mandatory policy violation, 1 at least one, 2 invalid configuration or unreadable file
  diff: 0 nothing existing destroyed, 3 something replaced or deleted, 2 unreadable plan or plans of different stacks
User mistakes print one paragraph on stderr naming the field, never a traceback. Anything else that goes
wrong is a kubecvm bug: exit 2 with one line saying so and where to report it (`kubecvm --debug ...`, or
KUBECVM_DEBUG=1, adds the traceback). Never 0, 1 or 3 for a crash: CI reads those as verdicts.
"""

from __future__ import annotations

import importlib.metadata
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from kubecvm.offline import cli_contract, cli_output, render
from kubecvm.offline.cli_contract import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_POLICY,
    EXIT_REPLACE,
    contract,
    crash_line,
    debug_enabled,
    exit_now,
    fail,
)
from kubecvm.offline.cli_output import Color, Format, Report, render_report, report_source, use_color, write, write_plan
from kubecvm.offline.diff import PlanFileError, diff_plans, load_plan

if TYPE_CHECKING:
    from kubecvm.offline import plan as offline
# `kubecvm plan` imports the Pulumi SDK, the components and the policy engine when it runs (in plan below):
# `kubecvm diff` needs none of them, and reads two big plans within its memory budget (offline/plan_file.py).

# Below this many resources a run takes well under a second: a progress bar would only flicker.
PROGRESS_THRESHOLD = 200

# -h as well as --help; typer's own --install-completion / --show-completion for bash, zsh, fish, PowerShell.
app = typer.Typer(
    name="kubecvm",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Offline plan and diff for kubecvm stacks (no Pulumi CLI or Tencent credentials needed).",
)


def version() -> str:
    try:
        return importlib.metadata.version("kubecvm")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kubecvm {version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the kubecvm version and exit."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, also print the traceback (or set KUBECVM_DEBUG=1).")
    ] = False,
    color: Annotated[
        Color,
        typer.Option(
            "--color",
            help="Colour the text output: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never.",
        ),
    ] = Color.auto,
) -> None:
    """Offline plan and diff for kubecvm stacks (no Pulumi CLI or Tencent credentials needed)."""
    cli_contract._debug, cli_output._color = debug, color


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def run_with_progress(loaded: offline.LoadedStack, **kwargs) -> offline.PlanResult:
    """Plan, with a progress bar on stderr (never stdout) when a person is watching and the run turns out long: it
    starts after PROGRESS_THRESHOLD registrations, so it works for any program (--program, a project's own, whose
    size nobody knows before the run) and a small plan shows no flicker. The total is the stack cluster's estimate
    when kubecvm's own program runs, else unknown."""
    from kubecvm.offline import plan as offline

    if not stderr_is_terminal():
        return offline.build(loaded, **kwargs)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    estimate = offline.expected_resources(loaded.plan) if loaded.plan and loaded.program is None else None
    columns = (TextColumn("planning {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # No redirection of sys.stdout/stderr by rich: the bar starts inside the run, where the program's stdout is
    # sent to stderr (offline/program_run.py), and rich would put that back as "stdout" when the bar stops after it.
    progress = Progress(
        *columns, console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=False
    )
    task, done = None, 0

    def registered(_name: str) -> None:
        nonlocal task, done
        done += 1
        if task is None:
            if done < PROGRESS_THRESHOLD:
                return
            progress.start()
            task = progress.add_task(loaded.stack, total=estimate)
        # The estimate is only that: grow it rather than run past 100%.
        progress.update(task, completed=done, total=max(estimate, done) if estimate else None)

    try:
        return offline.build(loaded, on_register=registered, **kwargs)
    finally:
        progress.stop()


def complete_stack(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of stack names: the stacks with a file in the project of -C DIR or the working directory."""
    from kubecvm.stacks.config import ConfigError
    from kubecvm.stacks.project import find_project

    where = ctx.params.get("cwd") or Path.cwd()
    try:
        project = find_project(Path(where).resolve())
    except (ConfigError, OSError):
        return []
    return [name for name in project.stacks() if name.startswith(incomplete)]


@app.command()
@contract
def plan(
    stack_arg: Annotated[
        Optional[str], typer.Argument(metavar="[STACK]", help="Stack name, as -s.", autocompletion=complete_stack)
    ] = None,
    stack: Annotated[
        Optional[str],
        typer.Option(
            "-s",
            "--stack",
            metavar="NAME",
            autocompletion=complete_stack,
            help="Stack name (default dev): reads Pulumi.<NAME>.yaml of the project in the working directory.",
        ),
    ] = None,
    cwd: Annotated[
        Optional[Path],
        typer.Option(
            "-C",
            "--cwd",
            metavar="DIR",
            help="Run as if in DIR (as pulumi -C): its Pulumi.yaml, stack files and relative paths.",
        ),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option(
            "--config-file",
            metavar="PATH",
            help="A stack file of the same format, read instead (the stack is named after it unless -s is given).",
        ),
    ] = None,
    program: Annotated[
        Optional[Path],
        typer.Option(
            "--program",
            metavar="PATH",
            help="Run this program (a .py file or a directory with __main__.py) instead of the project's own (Pulumi.yaml's main).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Plan output format.")] = Format.text,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out", metavar="FILE", help="Write the report (with --report) or else the plan to FILE instead of stdout."
        ),
    ] = None,
    policy_config: Annotated[
        Optional[str],
        typer.Option(
            "--policy-config",
            metavar="dev|staging|prod|PATH",
            help="dev, staging, prod or a JSON file; default: the stack's preset.",
        ),
    ] = None,
    diagram_file: Annotated[
        Optional[Path],
        typer.Option("--diagram", metavar="FILE", help="Also write the topology as an SVG picture to FILE."),
    ] = None,
    no_policies: Annotated[
        bool, typer.Option("--no-policies", help="Plan without evaluating the policy rules.")
    ] = False,
    report: Annotated[
        Optional[Report],
        typer.Option("--report", help="Write policy results as SARIF, JUnit XML or GitHub annotations."),
    ] = None,
) -> None:
    """Run the project's program (Pulumi.yaml's main; kubecvm's own where there is no Pulumi.yaml) with the stack's
    config against a simulated Tencent Cloud and show what would be created."""
    if report is not None and no_policies:
        raise fail("--report needs the policy results; drop --no-policies")
    if stack_arg is not None and stack is not None and stack_arg != stack:
        raise fail(f"two stacks given: {stack_arg!r} and -s {stack!r}; give one")
    if cwd is not None and not cwd.is_dir():
        raise fail(f"-C/--cwd: {cwd}: not a directory")
    if cwd is not None:  # as `pulumi -C DIR`: every relative path is DIR's
        out, diagram_file = (cwd / p if p is not None and not p.is_absolute() else p for p in (out, diagram_file))
        if policy_config and (cwd / policy_config).is_file():
            policy_config = str(cwd / policy_config)
    import pulumi

    from kubecvm.offline import diagram, plan as offline
    from kubecvm.offline.runner import gc_paused
    from kubecvm.stacks.config import ConfigError

    # The whole plan, policies and output run with the collector paused, not just the program: after the run the
    # heap holds every registration, and each full collection of it costs seconds at 5000 nodes while freeing
    # nothing (bench/RESULTS.md, "end to end").
    with gc_paused():
        try:
            loaded = offline.load_stack(stack or stack_arg, config_file, cwd=cwd, program=program)
            for note in loaded.notes:
                typer.echo(f"kubecvm: note: {note}", err=True)
            result = run_with_progress(loaded, policies=not no_policies, policy_config_name=policy_config)
        except ConfigError as exc:
            if debug_enabled() and exc.__cause__ is not None:  # a --program failure: its own traceback
                traceback.print_exception(exc.__cause__, file=sys.stderr)
            raise fail(str(exc)) from None
        except (
            pulumi.RunError
        ) as exc:  # the program refused its configuration (kubecvm.program, kubecvm.ClusterArgsError)
            raise fail(str(exc)) from None
        doc = result.document
        if report is not None and result.evaluation is None:
            raise fail(f"--report: no policy results: {doc['policies'].get('skipped') or 'the rules were not run'}")
        if diagram_file is not None:
            write(diagram_file, diagram.svg(doc))
        if report is not None:
            write(out, render_report(result, report, report_source(loaded)))
            if out is not None:
                write_plan(None, doc, fmt)
        else:
            write_plan(out, doc, fmt)
    raise typer.Exit(EXIT_POLICY if result.mandatory_failed else EXIT_OK)


@app.command()
@contract
def diff(
    old: Annotated[
        Path, typer.Argument(metavar="OLD.json", help="The plan before the change (kubecvm plan --format json).")
    ],
    new: Annotated[Path, typer.Argument(metavar="NEW.json", help="The plan after the change.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    replace: Annotated[
        Optional[list[str]],
        typer.Option(
            "--replace",
            metavar="URN",
            help="Replace this resource (URN or name) as `pulumi up --replace` would; repeatable.",
        ),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Also replay OLD -> NEW through the simulated cloud in engine order and report what it refuses.",
        ),
    ] = False,
) -> None:
    """Compare two JSON plans of one stack as `pulumi up` would apply them; exit 3 when something existing would be
    replaced or deleted, 2 for an unreadable plan or plans of different stacks or projects."""
    try:
        spent: list[int] = []  # one memory budget for both plans (offline/plan_file.py MAX_PLAN_MEMORY)
        before, after = load_plan(old, spent), load_plan(new, spent)
        result = diff_plans(before, after, replace or ())
        if replay:
            from kubecvm.offline.replay import ReplayInputError, replay as replay_plans

            try:
                result.replay = replay_plans(before, after, result)
            except ReplayInputError as exc:
                raise PlanFileError(str(exc)) from None
    except PlanFileError as exc:
        raise fail(str(exc)) from None
    if fmt is Format.json:
        write(None, render.to_json(result.to_json()))
    elif fmt is Format.markdown:
        write(None, render.diff_markdown(result))
    else:
        write(None, render.diff_text(result, color=use_color()))
    raise typer.Exit(EXIT_REPLACE if result.destroys else EXIT_OK)


def main() -> None:
    try:
        app(prog_name="kubecvm")
    except SystemExit as done:
        exit_now(done.code)
    except BaseException as exc:  # noqa: BLE001  (outside a command: option parsing, completion, the callback)
        if debug_enabled():
            traceback.print_exc(file=sys.stderr)
        typer.echo(f"kubecvm: {'interrupted' if isinstance(exc, KeyboardInterrupt) else crash_line(exc)}", err=True)
        exit_now(EXIT_CONFIG)
