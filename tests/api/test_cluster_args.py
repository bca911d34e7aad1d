"""The public API other programs compose: Cluster(name, ClusterArgs), two clusters in one program, the outputs
users expect, inputs from other resources, and kubecvm.testing's mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest
import tencentcloud_iac_pulumi as tc

from kubecvm import Cluster, ClusterArgs, ClusterArgsError, NodePoolArgs, build_plan
from kubecvm.components import args as args_module
from kubecvm.offline.runner import SECRET, run_program
from kubecvm.planning import ClusterSpec
from kubecvm.stacks.config import spec_from_config

HERE = Path(__file__).resolve().parent
ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
INSTANCE = "tencentcloud:Instance/instance:Instance"
# Runs a program file under whatever mocks it sets itself, and prints every registration the mock monitor saw
# (the SDK's own MockMonitor does not refuse duplicate URNs as the engine does, so the test checks them).
HARNESS = """
import json, runpy, sys
from pulumi.runtime import mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await
seen = []
original = mocks.MockMonitor.RegisterResource
def register(self, request):
    response = original(self, request)
    seen.append({"urn": response.urn, "type": request.type, "name": request.name,
                 "parent": request.parent, "cidr": dict(request.object).get("cidrBlock")})
    return response
mocks.MockMonitor.RegisterResource = register
runpy.run_path(sys.argv[1], run_name="__main__")
_sync_await(wait_for_rpcs())
print(json.dumps(seen))
"""


def registrations(program: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", HARNESS, str(program)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_issues_blue_green_snippet_runs_as_written_with_distinct_children():
    seen = registrations(HERE / "blue_green.py")
    urns = [r["urn"] for r in seen]
    assert len(urns) == len(set(urns))  # the engine would refuse a duplicate
    clusters = [r for r in seen if r["type"] == "kubecvm:index:Cluster"]
    assert sorted(c["name"] for c in clusters) == ["blue", "green"]
    by_cluster: dict[str, list[dict]] = {"blue": [], "green": []}
    for r in seen:
        if r["type"] != "kubecvm:index:Cluster" and r["type"] != "pulumi:pulumi:Stack":
            owner = r["name"].removeprefix("kubecvm-").removeprefix("kubecvm_").replace("_", "-").split("-")[0]
            by_cluster[owner].append(r)
    # Every child is named from its cluster, and the two are the same shape (the staging preset, 85 resources).
    assert len(by_cluster["blue"]) == len(by_cluster["green"]) == len(seen) // 2 - 1
    vpcs = {r["name"]: r["cidr"] for r in seen if r["type"] == "tencentcloud:Vpc/instance:Instance"}
    assert vpcs == {"blue-vpc": "10.1.0.0/16", "green-vpc": "10.2.0.0/16"}
    assert sum(r["type"] == INSTANCE for r in seen) == 2 * (3 + 3)


def cluster_program(**overrides):
    """A program composing one Cluster from ClusterArgs and exporting what a user would use."""
    seen: dict = {}

    def program():
        cluster = Cluster(
            "edge",
            ClusterArgs(
                preset="dev",
                region="ap-guangzhou",
                zones=["ap-guangzhou-3"],
                node_pools=[NodePoolArgs(name="general", instance_type="S5.LARGE8", count_per_zone=2)],
                **overrides,
            ),
        )
        seen["cluster"] = cluster
        for key in ("cluster_name", "ca_cert_pem", "api_endpoint", "kubeconfig", "instance_ids"):
            pulumi.export(key, getattr(cluster, key))

    return program, seen


def test_cluster_args_outputs_and_a_ready_kubernetes_provider():
    program, seen = cluster_program()
    rec = run_program({}, stack="apps", program=program)
    cluster = seen["cluster"]
    plan = cluster.plan
    assert plan.name == "edge" and [m.name for m in plan.machines] == [
        "edge-master-0",
        "edge-general-z3-0",
        "edge-general-z3-1",
    ]
    out = rec.outputs
    assert out["cluster_name"] == "edge"
    assert out["api_endpoint"] == plan.api.endpoint == "10.0.64.11:6443"
    assert out["kubeconfig"] == SECRET and out["ca_cert_pem"] == SECRET  # both carry PEMs: secrets
    ids = {r.name: r.id for r in rec.of_type(INSTANCE)}
    assert out["instance_ids"] == ids and set(ids) == {m.name for m in plan.machines}
    assert all(i.startswith("ins-") for i in ids.values())
    # The provider is the add-ons' own: it waits for the API gate, so the caller's objects do too.
    assert isinstance(cluster.provider, k8s.Provider)
    provider = next(r for r in rec.resources if r.type == "pulumi:providers:kubernetes")
    gate = next(r for r in rec.resources if r.name == "edge-api-ready")
    assert gate.urn in provider.dependencies and provider.inputs["kubeconfig"] == SECRET


def test_without_optional_addons_the_provider_is_still_behind_the_gate():
    # The kubelet serving-certificate approver and the CoreDNS patch are always installed, so with every
    # optional add-on off the cluster's provider is still the add-ons' one: one provider, waiting for the API gate.
    program, seen = cluster_program(addons={"cbs_csi": False, "metrics_server": False})
    rec = run_program({}, stack="apps", program=program)
    providers = [r for r in rec.resources if r.type == "pulumi:providers:kubernetes"]
    assert [p.name for p in providers] == ["edge-addons-k8s"]
    assert seen["cluster"].provider is seen["cluster"].addons.provider
    assert next(r.urn for r in rec.resources if r.name == "edge-api-ready") in providers[0].dependencies


def test_inputs_from_other_resources_reach_every_cvm():
    def program():
        sg = tc.security.Group("shared-sg", name="shared")
        key = tc.key.Pair("ops-key", key_name="ops")
        image = pulumi.Output.from_input("img-custom01")
        Cluster(
            "edge",
            ClusterArgs(
                zones=["ap-guangzhou-3"],
                region="ap-guangzhou",
                image_id=image,
                ssh_key_ids=["skey-abcdefgh", key.id],
                security_group_ids=[sg.id],
                tags={"team": "apps"},
            ),
        )

    rec = run_program({}, stack="apps", program=program)
    sg_id = next(r.id for r in rec.resources if r.name == "shared-sg")
    key_id = next(r.id for r in rec.resources if r.name == "ops-key")
    cvms = rec.of_type(INSTANCE)
    assert len(cvms) == 3
    for cvm in cvms:
        assert cvm.inputs["imageId"] == "img-custom01"
        assert cvm.inputs["keyIds"] == ["skey-abcdefgh", key_id]
        assert len(cvm.inputs["orderlySecurityGroups"]) == 2 and cvm.inputs["orderlySecurityGroups"][1] == sg_id
        assert cvm.inputs["tags"]["team"] == "apps"
    # An image given as a value needs no look-up.
    assert not any(r.type.startswith("tencentcloud:Images") for r in rec.resources)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {
                "zones": ["ap-guangzhou-3"],
                "node_pools": [{"name": "g", "instance_type": "S5.LARGE8", "count_per_zone": 2, "slots": 1}],
            },
            "ClusterArgs of Cluster 'edge': node_pools[0].slots: unknown argument; expected one of ",
        ),
        (
            {"zones": ["ap-guangzhou-3"], "vpc_cidr": "10.0.0.1/16"},
            "invalid ClusterArgs of Cluster 'edge' (preset dev): vpc_cidr: '10.0.0.1/16' is not canonical: write 10.0.0.0/16",
        ),
        ({"zones": ["ap-guangzhou-3"], "preset": "qa"}, "ClusterArgs of Cluster 'edge': preset: 'qa' is not a preset"),
        (
            {
                "zones": ["ap-guangzhou-3"],
                "node_pools": [{"name": "g", "instance_type": "S5.LARGE8", "count_per_zone": 70}],
            },
            "invalid ClusterArgs of Cluster 'edge' (preset dev): node_pools[0].count_per_zone: 70 nodes per zone exceed",
        ),
    ],
)
def test_bad_arguments_name_the_field_before_anything_registers(args, message):
    def program():
        Cluster("edge", ClusterArgs(region="ap-guangzhou", **args))

    registered: list[str] = []
    with pytest.raises(ClusterArgsError) as info:
        run_program({}, stack="apps", program=program, on_register=registered.append)
    assert str(info.value).startswith(message)
    assert registered == []  # not even the Cluster component


def test_a_bad_cluster_name_is_refused_with_the_rule():
    plan = build_plan(
        spec_from_config(preset="dev", overrides={"zones": ["ap-guangzhou-3"]}, region="ap-guangzhou", stack="x")
    )
    with pytest.raises(ClusterArgsError, match=r"^Cluster 'Blue_1': the name is the cluster's"):
        run_program({}, stack="apps", program=lambda: Cluster("Blue_1", plan))


def test_one_plan_two_components_get_their_own_children():
    plan = build_plan(
        spec_from_config(preset="dev", overrides={"zones": ["ap-guangzhou-3"]}, region="ap-guangzhou", stack="x")
    )
    rec = run_program({}, stack="apps", program=lambda: [Cluster("x", plan), Cluster("y", plan)])
    urns = [r.urn for r in rec.resources]
    assert len(urns) == len(set(urns))
    assert sorted(r.name for r in rec.of_type(INSTANCE)) == [
        "x-general-z3-0",
        "x-general-z3-1",
        "x-master-0",
        "y-general-z3-0",
        "y-general-z3-1",
        "y-master-0",
    ]


def test_cluster_args_cover_every_spec_field():
    # A setting added to the spec must be reachable from ClusterArgs (components/args.py) too.
    fields = set(ClusterArgs.__annotations__) - set(args_module.INPUT_ONLY) - set(args_module.NETWORK_ARGS)
    assert fields == set(ClusterSpec.model_fields) - {"name", "existing_network"}, "ClusterArgs and ClusterSpec differ"
    # Nested argument types match their spec models field for field.
    from kubecvm.planning import spec

    for model, typed in [
        (spec.NodePool, args_module.NodePoolArgs),
        (spec.ControlPlane, args_module.ControlPlaneArgs),
        (spec.Disk, args_module.DiskArgs),
        (spec.ApiEndpoint, args_module.ApiEndpointArgs),
        (spec.Quotas, args_module.QuotasArgs),
        (spec.Kubernetes, args_module.KubernetesArgs),
        (spec.Addons, args_module.AddonsArgs),
        (spec.Backups, args_module.BackupsArgs),
        (spec.Taint, args_module.TaintArgs),
        (spec.PodNetwork, args_module.PodNetworkArgs),
        (spec.AddressLayout, args_module.AddressLayoutArgs),
        (spec.Ingress, args_module.IngressArgs),
        (spec.IngressPorts, args_module.IngressPortsArgs),
        (spec.Prepaid, args_module.PrepaidArgs),
        (spec.Spot, args_module.SpotArgs),
        (spec.SystemDisk, args_module.SystemDiskArgs),
        (spec.Monitoring, args_module.MonitoringArgs),
        (spec.Alarms, args_module.AlarmsArgs),
        (spec.Prometheus, args_module.PrometheusArgs),
        (spec.PrometheusDigests, args_module.PrometheusDigestsArgs),
    ]:
        assert set(typed.__annotations__) == set(model.model_fields), typed.__name__
