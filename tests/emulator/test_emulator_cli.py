"""`python -m kubecvm.emulator` as a harness runs it: one ready line on stdout, answers, exits 0 on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from emulator_helpers import common, refused, request, send, tke

ROOT = Path(__file__).resolve().parents[2]
READY = "kubecvm-emulator listening on http://127.0.0.1:"


def start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubecvm.emulator", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not lines or not lines[0].startswith(READY):
        proc.kill()
        pytest.fail(f"no ready line: {lines!r} {proc.stderr.read() if proc.poll() is not None else ''}")
    return proc, lines[0]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_cli_prints_one_line_answers_and_stops_cleanly(stop):
    proc, line = start("--host", "127.0.0.1", "--port", "0")
    try:
        url = line.removeprefix("kubecvm-emulator listening on ").rstrip("\n")
        assert line == f"kubecvm-emulator listening on {url}\n"
        assert 0 < int(url.removeprefix("http://127.0.0.1:")) < 65536  # --port 0: a free port, printed
        answer = tke(url).DescribeClusterRouteTables(request("DescribeClusterRouteTables"))
        assert (answer.TotalCount, answer.RouteTableSet) == (0, [])
        assert send(url, "GET", "/_emulator/summary")["requests"] == 1
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (0, "", "")  # nothing after the ready line, nothing on stderr


def test_the_cli_takes_its_credentials_from_the_command_line():
    proc, line = start("--port", "0", "--secret-id", "AKIDother0000", "--secret-key", "other-key")
    try:
        url = line.removeprefix("kubecvm-emulator listening on ").rstrip("\n")
        assert (
            refused(tke(url).DescribeClusterRouteTables, request("DescribeClusterRouteTables"))[0]
            == "AuthFailure.SecretIdNotFound"
        )
        assert (
            tke(url, "AKIDother0000", "other-key")
            .DescribeClusterRouteTables(request("DescribeClusterRouteTables"))
            .TotalCount
            == 0
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_the_cli_can_start_an_account_where_tke_was_never_activated():
    proc, line = start("--port", "0", "--without-tke-service-role")
    try:
        url = line.removeprefix("kubecvm-emulator listening on ").rstrip("\n")
        assert (
            refused(common(url, "cam", "2019-01-16").call_json, "GetRole", {"RoleName": "TKE_QCSRole"})[0]
            == "InvalidParameter.RoleNotExist"
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_the_cli_seeds_roles_that_sts_then_lets_assume_and_the_summary_names_the_signer():
    from kubecvm.emulator import ACCOUNT_UIN, SECRET_ID

    proc, line = start("--port", "0", "--role", "deployer", "--role", "auditor")
    try:
        url = line.removeprefix("kubecvm-emulator listening on ").rstrip("\n")
        arn = f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/deployer"
        creds = common(url, "sts", "2018-08-13").call_json(
            "AssumeRole", {"RoleArn": arn, "RoleSessionName": "rehearsal"}
        )["Response"]["Credentials"]
        assert common(url, "cam", "2019-01-16").call_json("GetRole", {"RoleName": "auditor"})["Response"]["RoleInfo"]
        assert set(creds) == {"Token", "TmpSecretId", "TmpSecretKey"}
        assert send(url, "GET", "/_emulator/summary")["callers"] == {"cam": {SECRET_ID: 1}, "sts": {SECRET_ID: 1}}
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0
