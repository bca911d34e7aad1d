"""Reading is bounded by what is read, whatever the file is: devices (`/dev/zero`, `/dev/urandom`), pipes (a FIFO
with or without a writer, process substitution) and big files, for every file the CLI reads (stack files, plan
files, policy configs); and parsing a plan is bounded by an estimate of its memory, made before parsing. Through
the real CLI in a subprocess, which must end within a minute and under 300 MiB."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm.offline import render
from kubecvm.offline.diff import MAX_PLAN_BYTES, MAX_PLAN_MEMORY
from kubecvm.planning.bootstrap import USER_DATA_LIMIT
from kubecvm.planning.limits import MAX_NODES
from kubecvm.stacks.reading import TooLarge, json_memory_estimate, read_bounded

MIB = 1024 * 1024


# Runs a command and writes its peak RSS (KiB): the CLI is started from this small process, not from the test
# worker, because Linux keeps a process's peak RSS across exec and subprocess spawns with vfork, so a child of a
# worker holding hundreds of MiB would count them as its own.
MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    peak_file = cwd / ".peak-rss"
    run = subprocess.run(
        [sys.executable, "-c", MEASURED, str(peak_file), sys.executable, "-m", "kubecvm.offline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    peak = int(peak_file.read_text())
    assert peak <= 300 * 1024, f"the CLI took {peak >> 10} MiB"
    return run


DEVICES = [d for d in ("/dev/zero", "/dev/urandom") if os.path.exists(d)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "command",
    [
        ("diff", "{f}", "{f}"),
        ("plan", "--config-file", "{f}"),
        ("plan", "--policy-config", "{f}", "--config-file", "STACK"),
    ],
)
def test_devices_are_read_up_to_the_limit(tmp_path: Path, device, command):
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text("config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:cluster: {zones: [ap-guangzhou-3]}\n")
    args = [a.replace("{f}", device).replace("STACK", str(stack)) for a in command]
    run = cli(*args, cwd=tmp_path)
    assert (
        run.returncode == 2 and f"{device}: " in run.stderr and ("more than" in run.stderr or "over " in run.stderr)
    ), run.stderr
    assert "internal error" not in run.stderr


def test_a_fifo_without_a_writer_does_not_hang(tmp_path: Path):
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(TimeoutError, match="for 1 s"):
        read_bounded(fifo, 1000, wait=1)
    run = cli("diff", str(fifo), str(fifo), cwd=tmp_path)  # the CLI's own bound: PIPE_WAIT_SECONDS
    assert run.returncode == 2 and "nothing more came through it" in run.stderr, run.stderr


def test_a_pipe_that_never_ends_is_cut(tmp_path: Path):
    script = f"{sys.executable} -m kubecvm.offline diff <(yes '[[[[]]]],') <(yes)"
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "/dev/fd/" in run.stderr and "more than" in run.stderr, run.stderr


def test_a_fifo_with_a_writer_is_read(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.3)  # the reader opens first, as a command given a FIFO before its writer starts
        fifo.write_bytes(b"x" * 100)

    writer = threading.Thread(target=write)
    writer.start()
    assert read_bounded(fifo, 1000, wait=10) == b"x" * 100
    writer.join()


def test_a_stack_file_that_grows_past_its_stat_size_is_cut(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"a" * 10)
    with pytest.raises(TooLarge, match="more than 5 bytes"):
        read_bounded(path, 5)
    assert read_bounded(path, 10) == b"a" * 10


SHAPES = {"objects": "{}", "arrays": "[[[[]]]]", "strings": '"x"', "members": '{"a":"b"}', "numbers": "1000"}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_plan_whose_objects_would_take_too_much_is_refused_before_parsing(tmp_path: Path, shape):
    item = SHAPES[shape]
    n = (MAX_PLAN_MEMORY // 40) // len(item) + 1  # enough of them for any cost per character of 40 or more
    text = '{"resources": [' + ",".join([item] * n) + "]}"
    path = tmp_path / "big.json"
    path.write_text(text)
    estimate = json_memory_estimate(text.encode())
    run = cli("diff", str(path), str(path), cwd=tmp_path)
    assert run.returncode == 2 and "internal error" not in run.stderr, run.stderr
    if estimate > MAX_PLAN_MEMORY:
        assert "parsing it would take about" in run.stderr


def test_a_wide_character_makes_the_text_four_times_larger():
    assert json_memory_estimate(('"' + "\U0001f600" * 10 + '"').encode()) >= 4 * 42
    assert json_memory_estimate(b'"abc"') < json_memory_estimate('"é"'.encode()) * 5


@settings(max_examples=30, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
        lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=3), inner, max_size=5)),
        max_leaves=40,
    )
)
def test_the_estimate_covers_the_text_and_a_value_per_separator(value):
    data = json.dumps(value, ensure_ascii=False).encode()
    assert json_memory_estimate(data) >= 2 * len(data) + 56 * data.count(b",")


def test_plans_of_one_diff_share_the_budget(tmp_path: Path):
    # Each alone fits; together they do not.
    item = "[[[[]]]]"
    n = int(MAX_PLAN_MEMORY * 0.6) // json_memory_estimate(item.encode() + b",")
    path = tmp_path / "half.json"
    path.write_text('{"resources": [], "padding": [' + ",".join([item] * n) + "]}")
    run = cli("diff", str(path), str(path), cwd=tmp_path)
    assert run.returncode == 2 and "besides the" in run.stderr, run.stderr


# --- Two plans at Kubernetes' node limit are read and diffed within the same bounds ---------------------------
# Made here, not planned (a real 5000-node plan takes a minute; bench/bench.py --scale diffs real ones): each node a
# CVM with user data at Tencent's limit and a VPC route, in the shapes and the writer of `kubecvm plan --format json`.

STACK = "urn:pulumi:quota::kubecvm::"
CVM, ROUTE = "tencentcloud:Instance/instance:Instance", "tencentcloud:Route/tableEntry:TableEntry"
OPTIONS = {"aliases": [], "deleteBeforeReplace": True, "ignoreChanges": [], "protect": False, "retainOnDelete": False}


def node(i: int) -> list[dict]:
    """A node's CVM (its user data of USER_DATA_LIMIT characters, its own) and its pod route."""
    name = f"quota-compute-z{i % 7 + 1}-{i}"
    cvm_urn = f"{STACK}kubecvm:index:NodePool${CVM}::{name}"
    user_data = base64.b64encode(hashlib.shake_256(name.encode()).digest(USER_DATA_LIMIT * 3 // 4)).decode()
    ip = f"172.16.{i // 250}.{i % 250 + 4}"
    deps = [
        f"{STACK}kubecvm:index:Network$tencentcloud:Subnet/instance:Instance::quota-subnet-z{i % 7 + 1}",
        f"{STACK}kubecvm:index:Boot$tencentcloud:Cam/role:Role::kubecvm-quota-worker",
    ]
    cvm = {
        "custom": True,
        "id": f"ins-{i:08x}",
        "name": name,
        "parent": None,
        "type": CVM,
        "urn": cvm_urn,
        "inputs": {
            "availabilityZone": f"ap-guangzhou-{i % 7 + 1}",
            "hostname": name,
            "instanceName": name,
            "instanceType": "S5.4XLARGE32",
            "privateIp": ip,
            "subnetId": f"subnet-{i % 7:08x}",
            "orderlySecurityGroups": ["sg-00000001"],
            "systemDiskSize": 50,
            "systemDiskType": "CLOUD_SSD",
            "tags": {"kubecvm/cluster": "quota", "kubecvm/pool": "compute", "kubecvm/role": "worker"},
            "userData": user_data,
            "userDataReplaceOnChange": False,
            "vpcId": "vpc-00000001",
        },
        "options": {**OPTIONS, "dependsOn": deps, "propertyDependencies": {"subnetId": deps[:1]}},
    }
    route = {
        "custom": True,
        "id": f"rtb-entry-{i:08x}",
        "name": f"{name}-pods",
        "parent": None,
        "type": ROUTE,
        "urn": f"{STACK}kubecvm:index:PodRoutes${ROUTE}::{name}-pods",
        "inputs": {
            "description": f"pods of {name}",
            "destinationCidrBlock": f"10.{i // 512}.{i % 512 // 2}.{i % 2 * 128}/25",
            "nextHub": ip,
            "nextType": "NORMAL_CVM",
            "routeTableId": "rtb-00000001",
        },
        "options": {**OPTIONS, "dependsOn": [cvm_urn], "propertyDependencies": {}},
    }
    return [cvm, route]


def write_plan(path: Path, nodes: int) -> int:
    """A plan as render.to_json writes it, one resource at a time (this process stays small: a child's peak RSS
    counts the memory it was forked from)."""
    order = sorted((r["urn"], i, k) for i in range(nodes) for k, r in enumerate(node(i)))
    head = render.to_json(
        {
            "formatVersion": 2,
            "outputs": {},
            "policies": {"evaluated": False},
            "project": "kubecvm",
            "resources": [],
            "stack": "quota",
            "summary": None,
        }
    )
    before, after = head.split('"resources": []')
    with path.open("w") as out:
        out.write(before + '"resources": [\n')
        for n, (_, i, k) in enumerate(order):
            out.write((",\n" if n else "") + textwrap.indent(render.to_json(node(i)[k]).rstrip("\n"), "    "))
        out.write("\n  ]" + after)
    return path.stat().st_size


def test_a_diff_of_two_plans_at_the_node_limit_one_pool_larger_is_read(tmp_path: Path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    size = max(write_plan(old, MAX_NODES - 7), write_plan(new, MAX_NODES))
    assert size <= MAX_PLAN_BYTES
    run = cli("diff", str(old), str(new), "--format", "json", cwd=tmp_path)  # under 300 MiB and a minute
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["summary"] == {
        "added": 14,
        "updated": 0,
        "replaced": 0,
        "deleted": 0,
        "failing": 0,
        "warnings": 0,
    }
