"""The CLI's exit-code contract (offline/cli.py): the exit codes, a user mistake as one line on stderr, an
unexpected error as one line saying it is a bug (with the traceback under --debug), and the exit without the
interpreter's teardown."""

from __future__ import annotations

import functools
import os
import sys
import traceback

import typer

EXIT_OK, EXIT_POLICY, EXIT_CONFIG, EXIT_REPLACE = 0, 1, 2, 3

# Where a crash tells the user to go (docs/reference/cli.md, "Reporting a bug").
REPORT_BUGS = "report it to the kubecvm maintainers with that output (docs/reference/cli.md: Reporting a bug)"

_debug = False  # set by `kubecvm --debug`


def fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
    typer.echo(f"kubecvm: {message}", err=True)
    return typer.Exit(code)


def debug_enabled() -> bool:
    return _debug or os.environ.get("KUBECVM_DEBUG", "") not in ("", "0")


def crash_line(exc: BaseException) -> str:
    """One line for an unexpected error: what it was, that it is a bug, and what to do."""
    what = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return (
        f"internal error ({type(exc).__name__}{': ' + what if what else ''}); this is a bug in kubecvm, not in "
        f"your input: rerun with `kubecvm --debug ...` for the traceback and {REPORT_BUGS}"
    )


def contract(command):
    """Keep a command inside its exit-code contract: its own exits pass through, anything else is exit 2."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            raise fail("interrupted") from None
        except BaseException as exc:  # noqa: BLE001  (the contract: an unexpected error is exit 2, one line; a
            # SystemExit here is not the command's own, which exits with typer.Exit, so its code is no verdict)
            if debug_enabled():
                traceback.print_exc(file=sys.stderr)
            raise fail(crash_line(exc)) from None

    return run


def exit_now(code: object) -> None:
    """End the process with `code` (a SystemExit's) without the interpreter's teardown.

    A plan leaves a heap of millions of objects and the event loops the Pulumi SDK opens per thread; tearing them
    down frees nothing a finished process needs, takes about a second at 1000 workers (bench --e2e), and may print
    "Exception ignored in BaseEventLoop.__del__" when a loop's socket is closed first. Everything kubecvm writes is
    flushed here or already closed (--out files are written whole).
    """
    status = 0 if code is None else code if isinstance(code, int) else None
    try:
        if status is None:  # sys.exit("message"): Python would print it and exit 1, which is the policy code
            sys.stderr.write(f"{code}\n")
            status = EXIT_CONFIG
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
        pass
    os._exit(status)
