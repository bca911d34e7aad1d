"""The benchmark's pure helpers (bench/bench.py): exact answers on small hand-made inputs. No timings here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import build_plan
from kubecvm.stacks.config import spec_from_config

_spec = importlib.util.spec_from_file_location(
    "kubecvm_bench", Path(__file__).resolve().parents[2] / "bench" / "bench.py"
)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def reg(urn: str, *deps: str, custom: bool = True) -> dict:
    return {"urn": urn, "custom": custom, "dependencies": list(deps)}


def test_critical_path_follows_the_longest_chain_of_custom_resources():
    # vpc -> subnet -> cvm -> route is 4 long; the component in the middle of the other chain counts 0.
    dag = [
        reg("vpc"),
        reg("subnet", "vpc"),
        reg("cvm", "subnet", "sg"),
        reg("route", "cvm", "vpc"),
        reg("sg"),
        reg("comp", "sg", custom=False),
        reg("late", "comp"),
        reg("orphan", "urn:pulumi:stack"),  # a dependency outside the set is ignored
    ]
    assert bench.critical_path(dag) == ["vpc", "subnet", "cvm", "route"]


def test_critical_path_counts_components_as_free():
    dag = [reg("a"), reg("c1", "a", custom=False), reg("c2", "c1", custom=False), reg("b", "c2")]
    assert bench.critical_path(dag) == ["a", "b"]


def test_critical_path_of_parallel_nodes_is_one_and_ties_go_to_the_smallest_urn():
    assert bench.critical_path([reg("n2"), reg("n1"), reg("n3")]) == ["n1"]
    assert bench.critical_path([]) == []


def test_critical_path_does_not_grow_with_parallel_siblings():
    base = [reg("vpc"), reg("subnet", "vpc")]
    wide = base + [reg(f"cvm-{i}", "subnet") for i in range(500)] + [reg(f"route-{i}", f"cvm-{i}") for i in range(500)]
    assert len(bench.critical_path(base + [reg("cvm-0", "subnet"), reg("route-0", "cvm-0")])) == 4
    assert len(bench.critical_path(wide)) == 4


@pytest.mark.parametrize(
    ("camel", "snake"),
    [
        ("instanceType", "instance_type"),
        ("userDataRaw", "user_data_raw"),
        ("vpcId", "vpc_id"),
        ("cidrBlock", "cidr_block"),
        ("tags", "tags"),
        ("healthCheckUnhealthNum", "health_check_unhealth_num"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
    ],
)
def test_snake(camel, snake):
    assert bench.snake(camel) == snake


def test_sdk_kwargs_renames_only_the_top_level():
    inputs = {
        "instanceType": "S5.LARGE8",
        "privateIp": "172.16.8.0",
        "allocatePublicIp": False,
        "orderlySecurityGroups": ["sg-1"],
        "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 200, "deleteWithInstance": True, "encrypt": True}],
        "tags": {"kubecvm/cluster": "bench", "costCenter": "ops"},
    }
    assert bench.sdk_kwargs(inputs) == {
        "instance_type": "S5.LARGE8",
        "private_ip": "172.16.8.0",
        "allocate_public_ip": False,
        "orderly_security_groups": ["sg-1"],
        # Nested keys stay engine names (the SDK passes unknown names through); map keys are data.
        "data_disks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 200, "deleteWithInstance": True, "encrypt": True}],
        "tags": {"kubecvm/cluster": "bench", "costCenter": "ops"},
    }
    # A provider's booleans were recorded as the JSON its class sent; a resource's strings are data.
    recorded = {"enableConfigMapMutable": "true", "kubeconfig": "[secret]"}
    assert bench.sdk_kwargs(recorded, "pulumi:providers:kubernetes") == {
        "enable_config_map_mutable": True,
        "kubeconfig": "[secret]",
    }
    assert bench.sdk_kwargs({"value": "true"}, "kubernetes:core/v1:ConfigMap") == {"value": "true"}


@pytest.mark.parametrize(
    ("token", "where"),
    [
        ("tencentcloud:Route/tableEntry:TableEntry", ("tencentcloud_iac_pulumi.route", "TableEntry")),
        ("tencentcloud:Security/groupRuleSet:GroupRuleSet", ("tencentcloud_iac_pulumi.security", "GroupRuleSet")),
        ("tls:index/privateKey:PrivateKey", ("pulumi_tls", "PrivateKey")),
        ("random:index/randomPassword:RandomPassword", ("pulumi_random", "RandomPassword")),
        ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", ("pulumi_kubernetes.rbac.v1", "ClusterRole")),
        ("kubernetes:apps/v1:DaemonSet", ("pulumi_kubernetes.apps.v1", "DaemonSet")),
        ("pulumi:providers:kubernetes", ("pulumi_kubernetes", "Provider")),
        ("pulumi-python:dynamic:Resource", None),
    ],
)
def test_sdk_module_and_class(token, where):
    assert bench.sdk_module_and_class(token) == where


TYPES = [
    "tencentcloud:Instance/instance:Instance",
    "tencentcloud:Route/tableEntry:TableEntry",
    "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment",
    "tls:index/selfSignedCert:SelfSignedCert",
    "random:index/randomPassword:RandomPassword",
    "kubernetes:storage.k8s.io/v1:StorageClass",
]


def test_sdk_classes_register_the_type_they_are_looked_up_by():
    classes = bench._common_imports(TYPES)  # raises if a class registers another token
    assert {t: c.pulumi_type for t, c in classes.items()} == {t: t for t in TYPES}


@given(st.integers(min_value=1, max_value=bench.MAX_WORKERS))
def test_pools_place_exactly_the_workers_asked_for(workers):
    pools = bench.pools_for(workers)
    placed = sum(p["countPerZone"] * len(p.get("zones", bench.ZONES)) for p in pools)
    assert placed == workers
    assert len({p["slot"] for p in pools}) == len(pools)


@pytest.mark.parametrize("workers", [10, bench.MAX_WORKERS])
def test_bench_config_is_a_valid_stack_the_planner_lays_out(workers):
    config = bench.bench_config(workers)
    spec = spec_from_config(
        preset=config["kubecvm:preset"],
        overrides=config["kubecvm:cluster"],
        region=config["tencentcloud:region"],
        stack="bench",
    )
    plan = build_plan(spec)
    assert (len(plan.workers), len(plan.masters)) == (workers, bench.MASTERS)
    assert plan.capacity.route_entries_used <= plan.capacity.route_quota
    assert len(plan.machines) * spec.max_pods_per_node <= 150_000


@pytest.mark.parametrize("workers", [10, bench.MAX_WORKERS])
def test_global_router_bench_config_plans_one_cluster_route_per_node_within_the_default_quota(workers):
    config = bench.bench_config(workers, "globalRouter")
    spec = spec_from_config(
        preset=config["kubecvm:preset"],
        overrides=config["kubecvm:cluster"],
        region=config["tencentcloud:region"],
        stack="bench",
    )
    plan = build_plan(spec)
    assert len(plan.cluster_route_table.routes) == len(plan.machines) == workers + bench.MASTERS
    assert (plan.capacity.route_entries_used, plan.capacity.route_quota) == (1, 50)  # the NAT route only


def test_growth():
    assert bench.growth({500: 2.0, 4997: 20.0}, 4997, 500) == 10.0
    assert bench.growth({500: 2.0}, 4997, 500) is None


# offline/runner.py performance changes (bench/RESULTS.md): one deserialization per registration, GC paused.


def test_recorded_inputs_match_the_engine_view():
    from pulumi.runtime import rpc

    from kubecvm.offline.runner import SECRET, _recorded

    class Ref:
        def __str__(self) -> str:
            return "ref"

    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    deserialized = {
        "zeta": 1.0,
        "alpha": (2.5, 3.0),
        "password": secret,
        "__defaults": ["x"],
        "__provider": "pickled",
        "nested": {"b": None, "a": [{"__internal": 1, "keep": True}]},
        "ref": Ref(),
    }
    recorded = _recorded(deserialized)
    assert recorded == {
        "__provider": "pickled",
        "alpha": [2.5, 3],
        "nested": {"a": [{"keep": True}], "b": None},
        "password": SECRET,
        "ref": "ref",
        "zeta": 1,
    }
    assert list(recorded) == sorted(recorded)
    assert type(recorded["zeta"]) is int


def test_gc_paused_restores_the_collector():
    import gc

    from kubecvm.offline.runner import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_source_positions_are_skipped_only_inside_the_simulated_runtime():
    from pulumi.runtime import resource as sdk_resource

    from kubecvm.offline.runner import simulated_runtime

    original = sdk_resource._get_stack_trace
    with simulated_runtime():
        assert sdk_resource._get_stack_trace is not original
        assert len(sdk_resource._get_stack_trace().frames) == 0
    assert sdk_resource._get_stack_trace is original


def test_scale_stacks_differ_from_the_base_only_where_said():
    base = bench.bench_config(4997, "globalRouter")
    smaller = bench.one_pool_smaller(base)
    pools = {p["name"]: p for p in smaller["kubecvm:cluster"]["nodePools"]}
    assert (
        pools["compute"]["countPerZone"]
        == {p["name"]: p for p in base["kubecvm:cluster"]["nodePools"]}["compute"]["countPerZone"] - 1
    )
    assert {k: v for k, v in smaller["kubecvm:cluster"].items() if k != "nodePools"} == {
        k: v for k, v in base["kubecvm:cluster"].items() if k != "nodePools"
    }
    moved = bench.with_pod_cidr(bench.bench_config(4997), bench.CHANGED_POD_CIDR)
    assert (
        moved["kubecvm:cluster"]["podCidr"] == "10.128.0.0/9"
        and bench.bench_config(4997)["kubecvm:cluster"]["podCidr"] == "10.0.0.0/8"
    )
    for config in (smaller, moved):  # both still plan: the layout holds them
        cluster = config["kubecvm:cluster"]
        build_plan(spec_from_config(preset="prod", overrides=cluster, region=bench.REGION, stack="bench"))


def test_scale_block_replaces_its_former_self_and_keeps_the_notes(tmp_path):
    m = {
        "load": (1.0, 2.0),
        "nodes": 5000,
        "e2e": {
            "ratio_e2e": 1.2,
            "plan_e2e_s": 6.0,
            "floor_e2e_s": 5.0,
            "ratio_structured": 1.1,
            "structured_e2e_s": 5.5,
        },
        "gr": {
            500: {"s": 5.0, "rss_mib": 200.0},
            1000: {"s": 9.0, "rss_mib": 400.0},
            bench.MAX_WORKERS: {"s": 40.0, "rss_mib": 900.0},
        },
        "vr": {500: {"s": 5.0, "rss_mib": 200.0}, bench.MAX_WORKERS: {"s": 50.0, "rss_mib": 1100.0}},
        "growth_gr": 8.0,
        "growth_vr": 10.0,
        "replay_s": 5.0,
        "replay_share": 0.1,
        "moved_plan_s": 50.0,
        "diff_s": 2.0,
        "diff_share": 0.05,
    }
    rows = bench.scale_rows(m)
    assert rows[1][1] == "1.10 (6.0 s vs 5.5 s)" and not rows[1][2].endswith(("PASS", "FAIL"))  # no goal of its own
    assert [r[2].rsplit(": ", 1)[-1] for r in rows[:1] + rows[2:6]] == ["PASS", "PASS", "PASS", "FAIL", "PASS"]
    out = tmp_path / "RESULTS.md"
    out.write_text("# table\n\n" + bench.NOTES_MARKER + "\nnotes\n")
    bench.write_scale(out, bench.scale_markdown(m))
    bench.write_scale(out, bench.scale_markdown({**m, "growth_gr": 7.5}))
    text = out.read_text()
    assert text.count(bench.SCALE_BEGIN) == 1 and "| 7.50 (40.0 s vs 5.0 s) |" in text
    assert text.index(bench.SCALE_END) < text.index(bench.NOTES_MARKER) and text.endswith("notes\n")


def test_registration_order_puts_parents_and_dependencies_first():
    regs = [
        {"urn": "c", "parent": "a", "dependencies": ["b"]},
        {"urn": "b", "parent": "a", "dependencies": []},
        {"urn": "a", "parent": "stack", "dependencies": []},
        {"urn": "d", "parent": None, "dependencies": ["c", "b"]},
    ]
    assert [r["urn"] for r in bench.registration_order(regs)] == ["a", "b", "c", "d"]


def test_the_structured_floor_registers_the_plans_graph():
    """Like for like: the structured floor (bench_children.structured_program) registers every resource of a plan,
    components included, with the plan's URN, parent, inputs, dependencies and property dependencies."""
    from kubecvm.offline.runner import run_program
    from kubecvm.offline.simulated_cloud import SimulatedCloud

    plan = run_program(bench.bench_config(4), stack="bench", cloud=SimulatedCloud())
    regs = bench.registrations(plan)
    classes = bench._common_imports(sorted({r["type"] for r in regs if r["custom"]}))

    class Echo:  # the floor's trivial cloud: outputs are the inputs
        def new_resource(self, args):
            return f"{args.name}-id", args.inputs

        def call(self, args):
            return {}

    floor = run_program({}, stack="bench", program=bench.structured_program(regs, classes), cloud=Echo())

    def graph(recording) -> dict:
        return {
            r.urn: (r.parent, r.custom, r.inputs, r.dependencies, r.property_dependencies) for r in recording.resources
        }

    assert len(regs) > 100
    assert graph(floor) == graph(plan)


def test_a_timed_phase_adds_each_calls_time_and_keeps_the_function():
    import types

    calls: list[int] = []

    def work(n: int) -> int:
        calls.append(n)
        if n < 0:
            raise ValueError("negative")
        return n * 2

    module = types.SimpleNamespace(work=work)
    seconds: dict[str, float] = {}
    bench.timed(module, "work", "working", seconds)
    assert module.work(2) == 4 and module.work.__name__ == "work"
    first = seconds["working"]
    with pytest.raises(ValueError, match="negative"):
        module.work(-1)
    assert calls == [2, -1] and seconds["working"] > first > 0  # the failed call counted too


def test_every_measured_plan_runs_with_the_same_arguments():
    assert bench.plan_args("S.yaml", "o.json") == [
        "plan",
        "--config-file",
        "S.yaml",
        "--format",
        "json",
        "--out",
        "o.json",
    ]
    assert bench.plan_args("S.yaml", "o.json", "bench")[:2] == ["plan", "bench"]
