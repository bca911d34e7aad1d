"""The rehearsal's own logic, without the CLI: counting the engine's events, the prediction, the verdicts, the report.

The rehearsal itself (the real CLI against the emulator) is `./dev rehearse`, which CI runs after the suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from kubecvm.offline.rehearsal import __main__ as cli, engine, gobuild, run, scenarios

REPO = Path(__file__).resolve().parents[2]


def pre(op: str, type_: str = "pulumi-python:dynamic/kubecvm:ClusterRouteTable"):
    meta = SimpleNamespace(op=SimpleNamespace(value=op), type=type_, urn=f"urn:{type_}:{op}")
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=meta), diagnostic_event=None)


def test_counted_takes_each_resource_step_once_without_stack_and_providers():
    events = [
        pre("create"),
        pre("same", "kubecvm:index:PodRoutes"),
        pre("create", "pulumi:pulumi:Stack"),
        pre("same", "pulumi:providers:pulumi-python"),
        pre("replace"),
        pre("create-replacement"),
        pre("delete-replaced"),
        pre("update"),
        pre("delete"),
        SimpleNamespace(resource_pre_event=None),
    ]
    assert run.counted(events) == {"create": 1, "update": 1, "replace": 1, "delete": 1, "same": 1}


def test_prediction_from_nothing_and_to_nothing_counts_every_resource():
    doc = {"resources": [{"urn": "a"}, {"urn": "b"}, {"urn": "c"}]}
    assert run.predict(None, doc)[0] == {"create": 3, "update": 0, "replace": 0, "delete": 0}
    assert run.predict(doc, None)[0] == {"create": 0, "update": 0, "replace": 0, "delete": 3}


def test_a_step_fails_on_any_difference_from_its_prediction_and_on_a_failed_command():
    want = {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert run.Step("up", changes={"update": 1, "same": 5}, predicted=want).ok
    assert not run.Step("up", changes={"update": 1, "replace": 1}, predicted=want).ok
    assert not run.Step("up", changes={}, predicted=want).ok
    assert not run.Step("up", exit=255, changes={"update": 1}, predicted=want).ok
    assert run.Step("refresh", changes={}, predicted=None).ok


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("\n code: 255\n stdout: \n stderr: error", 255),
        ("\n code: 0\n stdout: x", 1),
        ("no code at all", 1),
    ],
)
def test_exit_code_is_read_from_the_command_error(message, code):
    assert run._exit_code(message) == code


def test_the_global_router_scenario_is_prod_with_global_router_then_a_scale_then_a_pod_cidr_change():
    sc = scenarios.global_router(REPO / "Pulumi.prod.yaml")
    assert [s.label for s in sc.states] == ["create", "a pool scaled", "podCidr changed", "destroy"]
    assert [s.commands for s in sc.states] == [
        ("preview", "up", "refresh", "preview"),
        ("up", "refresh"),
        ("up", "refresh"),
        ("destroy",),
    ]
    prod = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
    first, scaled, moved = (s.config["kubecvm:cluster"] for s in sc.states[:3])
    assert first == {**prod["kubecvm:cluster"], "podNetwork": {"mode": "globalRouter"}}
    assert scaled["nodePools"][0]["countPerZone"] == 3 and scaled["podCidr"] == prod["kubecvm:cluster"]["podCidr"]
    assert moved["podCidr"] == "172.20.0.0/14" and moved["nodePools"] == scaled["nodePools"]


def test_predictions_of_the_global_router_scenario_come_from_kubecvm_plan_and_diff(tmp_path):
    """The offline plans of the scenario's states: a scale updates the table in place, a podCidr change replaces it."""
    sc = scenarios.global_router(REPO / "Pulumi.prod.yaml")
    docs = [
        run.state_plan(sc.program, "prod", state.config, tmp_path / str(i)) for i, state in enumerate(sc.states[:3])
    ]
    assert [len(d["resources"]) for d in docs] == [2, 2, 2]
    assert run.predict(None, docs[0])[0] == {"create": 2, "update": 0, "replace": 0, "delete": 0}
    assert run.predict(docs[0], docs[1])[0] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert run.predict(docs[1], docs[2])[0] == {"create": 0, "update": 0, "replace": 1, "delete": 0}


def test_a_stack_without_global_router_cannot_run_and_says_which_plugins_it_needs(tmp_path):
    sc = scenarios.stack_file(
        tmp_path / "Pulumi.dev.yaml", {"resources": [{"type": "tencentcloud:Vpc/instance:Instance"}]}
    )
    unavailable = {n: {"module": f"m/{n}@v1", "error": "403 Forbidden"} for n in ("tencentcloud", "random")}
    out = cli.skipped(sc, unavailable)
    assert out["ok"] is None and out["steps"] == []
    assert out["cannotRun"] == "needs tencentcloud, random, which cannot be built here"


def test_the_proxys_refusal_is_shortened_to_its_status_and_answer():
    error = (
        "github.com/pulumi/pulumi-tls/provider/v5@v5.6.2: reading https://proxy.golang.org/github.com/pulumi/"
        "pulumi-tls/provider/v5/@v/v5.6.2.info: 403 Forbidden\n\tserver response: This module version is not available."
    )
    assert cli.short(error) == "403 Forbidden: This module version is not available."


def test_report_text_closes_with_passed_failed_skipped_counts():
    report = {
        "pulumi": "3.274.0",
        "plugins": {"pulumi-python": "3.274.0"},
        "scenarios": [
            {
                "name": "a",
                "stack": "prod",
                "ok": True,
                "requests": 7,
                "refusals": [],
                "planSeconds": [2.0],
                "steps": [
                    {
                        "command": "preview",
                        "exit": 0,
                        "changes": {"create": 2},
                        "predicted": {"create": 2},
                        "seconds": 3.0,
                    },
                    {"command": "up", "exit": 0, "changes": {"create": 2}, "predicted": {"create": 2}, "seconds": 1.0},
                ],
            },
            {
                "name": "b",
                "stack": "prod",
                "ok": False,
                "requests": 1,
                "refusals": [
                    {
                        "service": "tke",
                        "action": "CreateClusterRoute",
                        "code": "InternalError.CidrConflictWithOtherRoute",
                        "message": "conflict",
                    }
                ],
                "steps": [
                    {
                        "command": "up",
                        "exit": 255,
                        "changes": {},
                        "predicted": {"create": 2},
                        "seconds": 0.5,
                        "error": "boom",
                    }
                ],
            },
            {
                "name": "c",
                "stack": "dev",
                "ok": None,
                "about": "up",
                "requests": 0,
                "refusals": [],
                "steps": [],
                "cannotRun": "needs x",
            },
        ],
    }
    out = cli.text(report)
    assert out.endswith("\nrehearsal: 1 passed, 1 failed, 1 skipped\n")
    assert "  ok  up       exit 0  engine: create=2  predicted: create=2  1.0 s" in out
    assert "  kubecvm plan 2.0 s, pulumi preview 3.0 s (first state, preview / plan 1.50)\n" in out
    assert "  BAD up       exit 255  engine: no changes  predicted: create=2  0.5 s" in out
    assert "  refusal: tke CreateClusterRoute: InternalError.CidrConflictWithOtherRoute: conflict" in out
    assert "\nc (dev): cannot run: up\n  needs x\n" in out


def test_a_missing_binary_names_itself_and_the_build_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert (
        f"pulumi, pulumi-resource-pulumi-python, readback.test not found in {tmp_path}/kubecvm/engine/3.274.0/bin:"
        in err
    )
    assert "run `./dev rehearse --build`" in err


def test_a_stack_file_that_does_not_plan_exits_2_with_the_plans_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for name, _ in engine.STEPS:
        (engine.bin_dir() / name).parent.mkdir(parents=True, exist_ok=True)
        (engine.bin_dir() / name).write_text("")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump({"config": {"tencentcloud:region": "ap-guangzhou", "kubecvm:preset": "prod"}}))
    assert cli.main(["--stack", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("kubecvm: kubecvm:cluster.zones: required; the prod preset is laid out")


def test_the_manifest_keeps_what_the_proxy_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(engine, "STEPS", ())
    monkeypatch.setattr(gobuild, "BINARIES", ())
    monkeypatch.setattr(engine, "probe", lambda w: "403 Forbidden" if w.name == "tls" else None)
    doc = engine.build(say=lambda _m: None)
    assert json.loads(engine.manifest_path().read_text()) == doc
    assert doc["unavailable"]["tls"] == {
        "module": "github.com/pulumi/pulumi-tls/provider/v5@v5.6.2",
        "error": "403 Forbidden",
        "neededBy": "tls:* (the cluster's PKI)",
    }
    assert doc["unavailable"]["random"]["error"] == "served, but no build step exists"


def test_only_loopback_reads_the_namespaces_own_interfaces():
    """In a namespace made by `unshare -n`, /proc/self/net/dev lists lo alone (sysfs would still list the host's)."""
    import subprocess
    import sys

    probe = "from kubecvm.offline.rehearsal import stage; print(sorted(stage.interfaces()), stage.only_loopback())"
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"no network namespace here: {done.stderr.strip()}")
    assert done.stdout.strip() == "['lo'] True"


def test_user_data_is_taken_from_every_cvm_of_every_plan():
    cvm = "tencentcloud:Instance/instance:Instance"
    plans = {
        "dev": {
            "resources": [
                {"type": cvm, "name": "dev-master-0", "inputs": {"userData": "QQ=="}},
                {"type": "tencentcloud:Vpc/instance:Instance", "name": "dev", "inputs": {}},
            ]
        },
        "prod": {
            "resources": [
                {"type": cvm, "name": "prod-master-0", "inputs": {"userData": "Qg=="}},
                {"type": cvm, "name": "bare", "inputs": {}},
            ]
        },
    }
    assert run.user_data(plans) == {"dev/dev-master-0": "QQ==", "prod/prod-master-0": "Qg=="}


def test_the_readback_scenario_carries_the_repositorys_three_stacks():
    sc = scenarios.readback(*(REPO / f"Pulumi.{s}.yaml" for s in ("dev", "staging", "prod")))
    assert (sc.name, sc.stack, sc.program) == ("user-data read-back", "dev,staging,prod", None)
    assert [f.name for f in sc.stack_files] == ["Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]


def pre_urn(op: str, urn: str):
    meta = SimpleNamespace(op=SimpleNamespace(value=op), type="t", urn=urn)
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=meta), diagnostic_event=None)


def test_replace_order_is_which_half_of_a_replacement_the_engine_ran_first():
    a, b = "urn:pulumi:s::rehearsal::t::a", "urn:pulumi:s::rehearsal::t::b"
    events = [
        pre_urn("replace", a),
        pre_urn("delete-replaced", a),
        pre_urn("create-replacement", a),
        pre_urn("replace", b),
        pre_urn("create-replacement", b),
        pre_urn("delete-replaced", b),
    ]
    assert run.replace_orders(events) == {"t::a": "delete-before-replace", "t::b": "create-before-delete"}


def test_a_step_fails_when_the_engine_replaces_in_another_order_than_predicted():
    want = {"create": 0, "update": 0, "replace": 1, "delete": 0}
    same = run.Step(
        "up",
        changes={"replace": 1},
        predicted=want,
        orders={"t::a": "delete-before-replace"},
        predicted_orders={"t::a": "delete-before-replace"},
    )
    assert same.ok
    other = run.Step(
        "up",
        changes={"replace": 1},
        predicted=want,
        orders={"t::a": "create-before-delete"},
        predicted_orders={"t::a": "delete-before-replace"},
    )
    assert not other.ok


def test_the_pod_cidr_change_is_predicted_to_replace_the_table_delete_first(tmp_path):
    sc = scenarios.global_router(REPO / "Pulumi.prod.yaml")
    docs = [
        run.state_plan(sc.program, "prod", state.config, tmp_path / str(i)) for i, state in enumerate(sc.states[1:3])
    ]
    assert run.predict(*docs)[1] == {
        "kubecvm:index:PodRoutes$pulumi-python:dynamic/kubecvm:ClusterRouteTable::kubecvm-prod-pods": "delete-before-replace"
    }


def test_new_callers_are_the_calls_each_identity_signed_between_two_summaries():
    before = {"tke": {"AKIDa": 3}, "cam": {"AKIDa": 1}}
    after = {"tke": {"AKIDa": 3, "qcs::cam::uin/1:roleName/r": 5}, "cam": {"AKIDa": 2}, "sts": {"AKIDa": 1}}
    assert run.new_callers(before, after) == {
        "tke": {"qcs::cam::uin/1:roleName/r": 5},
        "cam": {"AKIDa": 1},
        "sts": {"AKIDa": 1},
    }


def test_the_assumed_role_scenario_deploys_as_a_role_of_the_emulated_account():
    from kubecvm.emulator import ACCOUNT_UIN

    sc = scenarios.global_router_assumed_role(REPO / "Pulumi.prod.yaml")
    assert dict(sc.env) == {
        "TENCENTCLOUD_ASSUME_ROLE_ARN": f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/kubecvm-deployer",
        "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME": "kubecvm-rehearsal",
    }
    assert sc.callers == (dict(sc.env)["TENCENTCLOUD_ASSUME_ROLE_ARN"],)
    assert [s.commands for s in sc.states] == [("preview", "up", "refresh", "preview"), ("destroy",)]
