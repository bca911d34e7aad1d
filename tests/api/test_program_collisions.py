"""Two clusters of one program that would collide (planning/collisions.py): one node URN for both, one private IP
for two CVMs in one VPC, overlapping pod CIDRs (route tables) in one VPC. Refused naming both clusters and what
collides, before the second cluster registers anything; through the Python API, a hypothesis sweep over names
that run into each other across the dash, and the real `kubecvm plan` on a user's project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm import Cluster, ClusterArgs, ClusterArgsError, NodePoolArgs
from kubecvm.offline.runner import run_program
from kubecvm.planning import build_plan, collisions
from kubecvm.stacks.config import spec_from_config

Z = ["ap-guangzhou-3"]


def pool(name: str, **kw) -> NodePoolArgs:
    return NodePoolArgs(name=name, instance_type="S5.LARGE8", count_per_zone=1, **kw)


def network(cidr: str = "10.0.0.0/20", vpc: str = "vpc-abcdefgh") -> dict:
    return dict(
        vpc_id=vpc,
        subnet_ids={Z[0]: "subnet-abcdefgh"},
        subnet_cidrs={Z[0]: cidr},
        route_table_id="rtb-abcdefgh",
        vpc_cidr="10.0.0.0/16",
    )


def refused(*clusters: tuple[str, dict]) -> tuple[str, list[str]]:
    registered: list[str] = []

    def program():
        for name, args in clusters:
            Cluster(name, ClusterArgs(region="ap-guangzhou", zones=Z, **args))

    with pytest.raises(ClusterArgsError) as info:
        run_program({}, stack="apps", program=program, on_register=registered.append)
    return str(info.value), registered


def test_node_urns_across_the_dash():
    message, registered = refused(("a", {"node_pools": [pool("b-c")]}), ("a-b", {"node_pools": [pool("c")]}))
    assert message.startswith("Cluster 'a-b': clusters 'a' and 'a-b' of this program both register 'a-b-c-z3-0'")
    assert "pool 'b-c'" in message and "pool 'c'" in message
    assert not any(n.startswith("a-b-") and "-c-" not in n for n in registered)  # nothing of the second cluster
    assert "a-b" not in registered


def test_node_ips_in_one_existing_vpc():
    message, _ = refused(
        ("blue", {"node_pools": [pool("web")], **network()}), ("green", {"node_pools": [pool("web")], **network()})
    )
    assert "clusters 'blue' and 'green' of this program are in one VPC and both plan 10.0.0.4" in message
    assert "blue-master-0 and green-master-0" in message and "subnet_cidrs" in message


def test_cluster_route_tables_with_one_cidr_in_one_vpc():
    gr = {"pod_network": {"mode": "globalRouter"}, "pod_cidr": "172.16.0.0/16"}
    message, _ = refused(
        ("blue", {"node_pools": [pool("web")], **network("10.0.0.0/20"), **gr}),
        ("green", {"node_pools": [pool("web")], **network("10.0.16.0/20"), **gr}),
    )
    assert "are in one VPC and their pod_cidr ranges overlap (172.16.0.0/16 and 172.16.0.0/16)" in message
    assert "cluster route tables" in message


def test_one_shared_vpc_output_is_one_vpc():
    import pulumi

    def program():
        vpc = pulumi.Output.from_input("vpc-abcdefgh")
        for name, cidr in (("blue", "10.0.0.0/20"), ("green", "10.0.16.0/20")):
            Cluster(
                name,
                ClusterArgs(
                    region="ap-guangzhou", zones=Z, node_pools=[pool("web")], **{**network(cidr), "vpc_id": vpc}
                ),
            )

    with pytest.raises(ClusterArgsError, match="one VPC and their pod_cidr ranges overlap"):
        run_program({}, stack="apps", program=program)


def test_clusters_that_do_not_collide_still_plan():
    rec = run_program(
        {},
        stack="apps",
        program=lambda: [
            Cluster("prod", ClusterArgs(region="ap-guangzhou", zones=Z, node_pools=[pool("web")])),
            Cluster("prod-eu", ClusterArgs(region="ap-guangzhou", zones=Z, node_pools=[pool("web")])),
            Cluster(
                "blue",
                ClusterArgs(
                    region="ap-guangzhou",
                    zones=Z,
                    node_pools=[pool("web")],
                    pod_cidr="172.16.0.0/16",
                    **network("10.0.0.0/20"),
                ),
            ),
            Cluster(
                "green",
                ClusterArgs(
                    region="ap-guangzhou",
                    zones=Z,
                    node_pools=[pool("web")],
                    pod_cidr="172.20.0.0/16",
                    **network("10.0.16.0/20"),
                ),
            ),
        ],
    )
    assert len({r.urn for r in rec.resources}) == len(rec.resources)


def test_runs_do_not_see_each_other():
    for _ in range(2):
        run_program(
            {},
            stack="apps",
            program=lambda: Cluster("x", ClusterArgs(region="ap-guangzhou", zones=Z, node_pools=[pool("web")])),
        )


labels = st.from_regex(r"[a-z]([a-z0-9]{0,3})", fullmatch=True)


def _plan(name: str, pool_name: str):
    return build_plan(
        spec_from_config(
            preset="dev",
            region="ap-guangzhou",
            stack="x",
            overrides={
                "name": name,
                "zones": Z,
                "nodePools": [{"name": pool_name, "instanceType": "S5.LARGE8", "countPerZone": 1}],
            },
        )
    )


@settings(max_examples=40, deadline=None)
@given(
    case=st.lists(labels, min_size=3, max_size=4).flatmap(
        lambda parts: st.tuples(st.just(parts), st.integers(1, len(parts) - 2))
    )
)
def test_every_split_of_one_node_name_is_refused(case):
    parts, split = case
    """cluster `p0`, pool `p1-...` against cluster `p0-p1`, pool `...`: the same node names, whatever the words."""
    first = _plan(parts[0], "-".join(parts[1:]))
    second = _plan("-".join(parts[: split + 1]), "-".join(parts[split + 1 :]))
    problem = collisions.problem([collisions.Built(first)], collisions.Built(second))
    assert problem is not None and f"'{first.pools[0].nodes[0].name}'" in problem


@settings(max_examples=40, deadline=None)
@given(a=st.tuples(labels, labels), b=st.tuples(labels, labels))
def test_refused_exactly_when_names_meet(a, b):
    first, second = _plan(*a), _plan(*b)
    problem = collisions.problem([collisions.Built(first)], collisions.Built(second))
    names_a = {m.name for m in first.machines} | {p.component for p in first.pools}
    names_b = {m.name for m in second.machines} | {p.component for p in second.pools}
    assert (problem is not None) == (bool(names_a & names_b) or first.name == second.name)


PROGRAMS = {
    "urn": (
        'Cluster("a", ClusterArgs(zones=Z, node_pools=[pool("b-c")]))\n'
        'Cluster("a-b", ClusterArgs(zones=Z, node_pools=[pool("c")]))\n',
        "clusters 'a' and 'a-b' of this program both register 'a-b-c-z3-0'",
    ),
    "ips": (
        'Cluster("blue", ClusterArgs(zones=Z, node_pools=[pool("web")], **NET))\n'
        'Cluster("green", ClusterArgs(zones=Z, node_pools=[pool("web")], **NET))\n',
        "clusters 'blue' and 'green' of this program are in one VPC and both plan 10.0.0.4",
    ),
}
HEAD = """from kubecvm import Cluster, ClusterArgs, NodePoolArgs
Z = ["ap-guangzhou-3"]
NET = dict(vpc_id="vpc-abcdefgh", subnet_ids={"ap-guangzhou-3": "subnet-abcdefgh"},
           subnet_cidrs={"ap-guangzhou-3": "10.0.0.0/20"}, route_table_id="rtb-abcdefgh", vpc_cidr="10.0.0.0/16")
def pool(name):
    return NodePoolArgs(name=name, instance_type="S5.LARGE8", count_per_zone=1)
"""


@pytest.mark.parametrize("case", sorted(PROGRAMS))
def test_kubecvm_plan_refuses_colliding_clusters(tmp_path: Path, case):
    body, message = PROGRAMS[case]
    (tmp_path / "Pulumi.yaml").write_text("name: platform\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  tencentcloud:region: ap-guangzhou\n")
    (tmp_path / "__main__.py").write_text(HEAD + body)
    run = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 2 and run.stdout == "", run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_kubecvm_plan_refuses_any_duplicate_urn(tmp_path: Path):
    program = tmp_path / "prog.py"
    program.write_text(
        "import pulumi\npulumi.ComponentResource('my:x:Thing', 'same')\n"
        "pulumi.ComponentResource('my:x:Thing', 'same')\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  tencentcloud:region: ap-guangzhou\n")
    run = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "--program", str(program)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 2, run.stderr
    assert "registers urn:pulumi:dev::" in run.stderr and "my:x:Thing::same twice" in run.stderr
