"""The CLI on a terminal, through the real console script on a pseudo-terminal: colour (and none with NO_COLOR or
--color never), the terminal's width, a progress bar for a long --program plan, completion of stack names."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from cli_helpers import kubecvm, stack_file

from kubecvm.offline.runner import PROJECT_DIR

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KUBECVM = [sys.executable, "-m", "kubecvm.offline"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM")}
    return {**env, "TERM": "xterm-256color", **extra}


def on_terminal(args: list[str], *, cwd: Path, env: dict[str, str], stream: str, columns: int) -> tuple[int, str, str]:
    """Run with `stream` (stdout or stderr) on a pseudo-terminal `columns` wide, the other to a file; returns
    (exit code, what the terminal showed, the other stream)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    other = cwd / f".{stream}-other"
    with other.open("w") as file:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=slave if stream == "stdout" else file,
            stderr=slave if stream == "stderr" else file,
        )
        os.close(slave)
        shown = bytearray()
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the program closed its end
                break
            if not data:
                break
            shown += data
        code = proc.wait(timeout=300)
    os.close(master)
    return code, shown.decode().replace("\r\n", "\n"), other.read_text()


def test_the_plan_is_coloured_and_as_wide_as_the_terminal(tmp_path):
    args = [*KUBECVM, "plan", "dev", "-C", str(PROJECT_DIR)]
    code, shown, _ = on_terminal(args, cwd=tmp_path, env=clean_env(), stream="stdout", columns=90)
    assert code == 0
    assert "\x1b[1;32mPASS\x1b[0m" in shown  # the verdict in bold green
    assert "\x1b[33m" in shown  # advisory findings in yellow
    lines = ANSI.sub("", shown).splitlines()
    assert max(map(len, lines)) == 90


def test_no_color_and_color_never_give_plain_text_on_a_terminal(tmp_path):
    args = [*KUBECVM, "plan", "dev", "-C", str(PROJECT_DIR)]
    for env, extra in (
        (clean_env(NO_COLOR="1"), []),
        (clean_env(), ["--color", "never"]),
        (clean_env(TERM="dumb"), []),
    ):
        code, shown, _ = on_terminal(
            [*args[:3], *extra, *args[3:]], cwd=tmp_path, env=env, stream="stdout", columns=100
        )
        assert code == 0 and "\x1b" not in shown and "PASS" in shown
        assert max(map(len, shown.splitlines())) == 100


def test_a_pipe_gets_plain_text_120_wide_unless_asked(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")  # as test runners and CI set it: a pipe's text does not follow it
    plain = kubecvm("plan", "dev")  # CliRunner: stdout is no terminal
    assert "\x1b" not in plain.stdout and max(map(len, plain.stdout.splitlines())) == 120
    coloured = kubecvm("--color", "always", "plan", "dev")
    assert "\x1b[1;32mPASS\x1b[0m" in coloured.stdout
    assert ANSI.sub("", coloured.stdout) == plain.stdout


def test_a_long_program_plan_shows_progress_on_a_terminal_stderr(tmp_path):
    # A program of the user's own, whose size nobody knows before it runs: the bar starts after 200 registrations.
    program = tmp_path / "big.py"
    program.write_text(
        "import kubecvm\n\nkubecvm.Cluster('big', kubecvm.ClusterArgs(\n"
        "    region='ap-guangzhou', zones=['ap-guangzhou-3', 'ap-guangzhou-4'], pod_network={'mode': 'globalRouter'},\n"
        "    node_pools=[{'name': 'general', 'instance_type': 'S5.LARGE8', 'count_per_zone': 60}]))\n"
    )
    code, shown, stdout = on_terminal(
        [*KUBECVM, "plan", "--program", str(program), "--format", "json", "--no-policies"],
        cwd=tmp_path,
        env=clean_env(),
        stream="stderr",
        columns=100,
    )
    assert code == 0, shown
    bar = ANSI.sub("", shown)
    assert "planning dev" in bar and re.search(r" 2[0-9][0-9]/\? ", bar)  # counted, total unknown
    assert stdout.startswith("{")  # the plan itself is untouched
    small = tmp_path / "small.py"
    small.write_text(program.read_text().replace("60", "2"))
    code, shown, _ = on_terminal(
        [*KUBECVM, "plan", "--program", str(small), "--format", "json", "--no-policies"],
        cwd=tmp_path,
        env=clean_env(),
        stream="stderr",
        columns=100,
    )
    assert code == 0 and "planning" not in shown


def test_stack_names_complete_from_the_project(tmp_path):
    for name in ("prod", "dev", "staging"):
        stack_file(tmp_path, name, {"zones": ["ap-guangzhou-3"]})

    def complete(words: str) -> list[str]:
        env = clean_env(_KUBECVM_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
        proc = subprocess.run(
            [sys.executable, "-m", "kubecvm.offline"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("kubecvm plan ") == ["dev", "prod", "staging"]
    assert complete("kubecvm plan -s st") == ["staging"]
    assert complete(f"kubecvm plan -C {PROJECT_DIR} -s p") == ["prod"]


def test_the_diff_colours_its_action_words(tmp_path):
    plans = []
    for count in (2, 1):
        folder = tmp_path / str(count)
        folder.mkdir()
        path = stack_file(
            folder,
            "churn",
            {
                "zones": ["ap-guangzhou-3"],
                "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": count}],
            },
        )
        assert (
            kubecvm(
                "plan", "--config-file", path, "--format", "json", "--no-policies", "--out", folder / "p.json"
            ).exit_code
            == 0
        )
        plans.append(folder / "p.json")
    plain = kubecvm("diff", *plans)
    coloured = kubecvm("--color", "always", "diff", *plans)
    assert plain.exit_code == coloured.exit_code == 3
    assert "\x1b[1;31mDELETE\x1b[0m  " in coloured.stdout and "\x1b" not in plain.stdout
    assert ANSI.sub("", coloured.stdout) == plain.stdout
