"""One model of Tencent Cloud, one module per service (kubecvm/planning/tencent/): each service module owns its types,
the account applies exactly the modules' rules, and no other module spells a type token of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kubecvm.offline import diff
from kubecvm.offline import simulated_cloud as sim
from kubecvm.planning import lifecycle
from kubecvm.planning.tencent import account, cam, clb, cos, cvm, monitor, services, ssm, tke
from tests.conftest import planned_types

ROOT = Path(__file__).resolve().parents[2]
TABLES = (
    "ID_PREFIX",
    "FORCE_NEW",
    "FORCE_NEW_IF",
    "MAP_INPUTS",
    "DISRUPTIVE",
    "CREATE_RETURNS",
    "CREATE_RULES",
    "DELETE_RULES",
    "AFTER_DELETE",
)
SERVICES = pytest.mark.parametrize("module", services.SERVICES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])


@SERVICES
def test_a_service_module_names_only_types_it_owns(module):
    owned = set(module.FORCE_NEW)  # every type of the module has a ForceNew entry, even an empty one
    assert owned, f"{module.__name__} names no type"
    for table in TABLES:
        strays = set(getattr(module, table, {})) - owned
        assert not strays, f"{module.__name__}.{table} names types without a FORCE_NEW entry there: {strays}"
    assert all(services.service_of(t) is module for t in owned)


@SERVICES
def test_the_account_applies_exactly_the_rules_of_each_service_module(module):
    """CloudState (and so the offline plan and `kubecvm diff --replay`) refuses with the module's own rule tuples."""
    for table in ("CREATE_RULES", "DELETE_RULES", "AFTER_DELETE"):
        for type_, rules in getattr(module, table, {}).items():
            assert getattr(services, table)[type_] is rules, (module.__name__, table, type_)
    for rule in {r for rules in (*module.CREATE_RULES.values(), *module.DELETE_RULES.values()) for r in rules}:
        assert rule.__module__ == module.__name__, (
            f"{rule.__name__} is applied for {module.__name__} but lives elsewhere"
        )
        assert rule.__doc__ and rule.__doc__.strip(), f"{module.__name__}.{rule.__name__} cites no source"


def test_create_rules_are_assembled_from_the_service_modules_and_nowhere_else():
    for table in ("CREATE_RULES", "DELETE_RULES"):
        expected = {t: r for m in services.SERVICES for t, r in getattr(m, table).items()}
        assert getattr(services, table) == expected
        assert getattr(account, table) is getattr(services, table) is getattr(sim, table)
    assert sim.ID_PREFIX is services.ID_PREFIX
    assert isinstance(sim.CloudState(), account.CloudState) and sim.CloudRefusal is account.CloudRefusal


def test_a_type_in_two_service_modules_is_refused():
    class One:
        __name__ = "one"
        FORCE_NEW = {tke.CLUSTER_ROUTE_TABLE: frozenset()}

    with pytest.raises(ValueError, match="ClusterRouteTable is in the FORCE_NEW of two service modules"):
        services.merged("FORCE_NEW", (tke, One))


def test_diff_and_lifecycle_read_the_service_modules():
    assert {t: diff.FORCE_NEW[t] for t in services.FORCE_NEW} == services.FORCE_NEW
    assert diff.MAP_INPUTS is services.MAP_INPUTS and diff.FORCE_NEW_IF is services.FORCE_NEW_IF
    assert set(diff.DISRUPTIVE) == set(services.DISRUPTIVE)
    assert set(lifecycle.LIFECYCLE) <= services.TYPES


def test_every_type_the_presets_plan_belongs_to_a_service_module():
    tencent = {t for t in planned_types() if t.startswith("tencentcloud:") or t == tke.CLUSTER_ROUTE_TABLE}
    assert tencent - {tke.CLUSTER_ROUTE_TABLE}, "the presets plan no Tencent type?"
    assert not {t for t in tencent if services.service_of(t) is None}


# Inputs the simulated cloud needs to shape each type's outputs (the rest it echoes), and the types whose id is not
# `<prefix>-<digest>` (a name, a number, or ids joined with #, as each module says).
MINIMAL = {
    cvm.INSTANCE: {"instanceType": "S5.LARGE8"},
    clb.LISTENER: {"clbId": "lb-1", "port": 6443, "protocol": "TCP"},
    ssm.SECRET: {"secretName": "s"},
    ssm.SECRET_VERSION: {"secretName": "s", "versionId": "v1"},
    cam.ROLE: {"name": "r"},
    cam.POLICY: {"name": "p"},
    cam.ROLE_POLICY_ATTACHMENT: {"roleId": "1", "policyId": "2"},
    cos.BUCKET: {"bucket": "b-1250000000"},
    tke.CLUSTER_ROUTE_TABLE: {
        "routeTableName": "t",
        "routeTableCidrBlock": "172.16.0.0/16",
        "vpcId": "vpc-1",
        "region": "ap-guangzhou",
        "routes": {},
    },
    monitor.ALARM_POLICY: {"policyName": "p", "monitorType": "MT_QCE", "namespace": "cvm_device", "projectId": 0},
    monitor.TMP_INSTANCE: {
        "instanceName": "t",
        "vpcId": "vpc-1",
        "subnetId": "subnet-1",
        "dataRetentionTime": 15,
        "zone": "ap-guangzhou-3",
    },
}
OWN_IDS = {
    clb.LISTENER: "lb-1#lbl-",
    ssm.SECRET: "s",
    ssm.SECRET_VERSION: "s#v1",
    cam.ROLE: "",
    cam.POLICY: "",
    cam.ROLE_POLICY_ATTACHMENT: "1#2",
    cos.BUCKET: "b-1250000000",
    tke.CLUSTER_ROUTE_TABLE: "t",
}


@pytest.mark.parametrize("type_", sorted(services.TYPES))
def test_the_simulated_cloud_returns_what_the_model_says_a_create_returns(type_):
    from pulumi.runtime.mocks import MockResourceArgs

    args = MockResourceArgs(type_, "x", dict(MINIMAL.get(type_, {})), custom=True)
    rid, state = sim.SimulatedCloud().new_resource(args)
    assert set(services.CREATE_RETURNS.get(type_, ())) <= set(state)
    assert rid.startswith(OWN_IDS[type_] if type_ in OWN_IDS else f"{services.ID_PREFIX[type_]}-"), rid


# No module outside planning/tencent/ (and the tests) spells a type token: it reads the service module's constant.
SCAN = r"""
import ast, os, pathlib, re, sys
root = pathlib.Path(sys.argv[1])
token = re.compile(r"^tencentcloud:[A-Z]\w*/\w+:\w+$")
skip = {root / "tests", root / "planning" / "tencent"}
for top, dirs, files in os.walk(root):
    dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d not in ("build", "dist", "node_modules")
                     and pathlib.Path(top, d) not in skip)
    for name in sorted(f for f in files if f.endswith(".py")):
        path = pathlib.Path(top, name)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    token.match(node.value) or node.value == "pulumi-python:dynamic/kubecvm:ClusterRouteTable"):
                print(f"{path.relative_to(root)}:{node.lineno}: {node.value}")
"""


def test_no_module_outside_the_model_spells_a_type_token():
    # A fresh interpreter, as tests/planning/test_purity.py does (ast.parse after the deep-recursion tests).
    out = subprocess.run([sys.executable, "-c", SCAN, str(ROOT)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [], "read the token from its kubecvm/planning/tencent/<service>.py constant"


def test_the_scan_sees_a_token_literal(tmp_path):
    (tmp_path / "offline").mkdir()
    (tmp_path / "offline" / "x.py").write_text('A = "tencentcloud:Vpc/instance:Instance"\nB = "tencentcloud:region"\n')
    (tmp_path / "planning" / "tencent").mkdir(parents=True)
    (tmp_path / "planning" / "tencent" / "vpc.py").write_text('VPC = "tencentcloud:Vpc/instance:Instance"\n')
    out = subprocess.run([sys.executable, "-c", SCAN, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["offline/x.py:1: tencentcloud:Vpc/instance:Instance"]
