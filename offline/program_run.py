"""How `kubecvm plan` runs a program file and tells its failures apart: the program's own (ProgramError), a gap of
the simulated cloud (SimulatorGap), or kubecvm's bug; and what a program prints goes to stderr.

Apart from offline/plan.py (the plan document) because running someone's program as Pulumi's Python host would is
its own concern; every name stays importable from offline/plan.py.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import pulumi

from kubecvm import sdk
from kubecvm.stacks.config import ConfigError


@contextmanager
def _in_program_dir(path: Path) -> Iterator[None]:
    """Pulumi's Python host runs a program from its own directory, importable beside it."""
    cwd, sys_path = os.getcwd(), list(sys.path)
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = sys_path


class ProgramError(ConfigError):
    """Another project's program (--program) raised: its own mistake, not kubecvm's (the cause keeps the traceback)."""


class SimulatorGap(ConfigError):
    """The program read a resource output the simulated cloud gives no value for: a limit of the offline plan, which
    the message names (resource and output), not a kubecvm bug (the cause keeps the traceback)."""


def run_failure(exc: Exception, program: Path | None) -> ConfigError | None:
    """What an exception out of a run was, when it was not kubecvm's own bug: a read of an output the simulated cloud
    left empty (SimulatorGap), or a failure in a function of the program's own (ProgramError)."""
    read = sdk.failed_output_read(exc)
    if read is None:
        return None
    what = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    error = f"{type(exc).__name__}{': ' + what if what else ''}"
    empty = read.value_was_none or (isinstance(exc, (AttributeError, TypeError)) and "NoneType" in what)
    if empty and read.resource_name is not None:
        resource = f"{read.resource_type} {read.resource_name!r}"
        output = (
            f"{read.output}{read.read} of {resource}"
            if read.output
            else f"{read.read.strip()} of an output derived from {resource}"
        )
        return SimulatorGap(
            f"the program reads {output}, which the simulated cloud gives no value for ({error}). That is a gap of "
            "the offline plan's simulator (offline/simulated_cloud.py and offline/simulated_kubernetes.py say what it "
            "answers), not a mistake in your program or a kubecvm bug; `pulumi preview` asks the real provider "
            "(kubecvm --debug plan ... shows the traceback)"
        )
    if (
        program is not None
        and read.function_file
        and Path(read.function_file).resolve().is_relative_to(program.parent.resolve())
    ):
        return ProgramError(
            f"{program}: the program failed{read.read}: {error} (kubecvm --debug plan ... shows its traceback)"
        )
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@contextmanager
def program_stdout_to_stderr() -> Iterator[None]:
    """What a program prints goes to stderr while it runs, as `pulumi preview` shows a program's output as
    diagnostics and never as its own: stdout is the plan's (`--format json` must stay one JSON document). Both
    sys.stdout and file descriptor 1 (a subprocess, os.write) when stdout is a real file."""
    sys.stdout.flush()
    saved = None
    try:
        if sys.stdout.fileno() == 1:
            saved = os.dup(1)
            os.dup2(sys.stderr.fileno(), 1)
    except (AttributeError, OSError, ValueError):  # an in-memory stdout (a test runner): sys.stdout alone
        saved = None
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def file_program(path: Path) -> Callable[[], None]:
    def run() -> None:
        with _in_program_dir(path):
            try:
                runpy.run_path(str(path), run_name="__main__")
            except pulumi.RunError:
                raise  # a configuration refusal: its message is the whole story
            except SystemExit as exc:
                # sys.exit() ends the program before the engine has its resources: a plan of what was registered so
                # far would read as a pass (exit 0) or as a violation (sys.exit(1)); neither is what happened.
                raise ProgramError(
                    f"{path}: the program called sys.exit({_shown(exc.code)}) before it finished, so "
                    "there is no whole plan of it; a Pulumi program registers its resources and "
                    "returns (raise an exception to fail it)"
                ) from exc
            except KeyboardInterrupt:
                raise  # the user's Ctrl-C: the CLI stops as for any other run
            except BaseException as exc:  # noqa: BLE001  (a BaseException of the program's own is its failure too)
                what = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
                raise ProgramError(
                    f"{path}: the program failed: {type(exc).__name__}{': ' + what if what else ''} "
                    "(kubecvm --debug plan ... shows its traceback)"
                ) from exc

    return run
