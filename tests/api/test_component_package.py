"""kubecvm as a Pulumi component package: the SDK's own analyzer derives the schema other languages get, and
`construct` (what the engine calls for a TypeScript, Go or YAML program) builds the cluster and returns its outputs."""

from __future__ import annotations

import importlib.metadata
import json

import pulumi
import yaml
from pulumi.provider.experimental.component import ComponentProvider

from kubecvm.offline.runner import PROJECT_DIR, SECRET, run_program
from kubecvm.provider import PACKAGE, Cluster, component_provider

TOKEN = "kubecvm:index:Cluster"


def schema() -> dict:
    return json.loads(component_provider("0.1.0").schema)


def test_the_plugin_manifest_runs_the_hosting_module_with_python():
    manifest = yaml.safe_load((PROJECT_DIR / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    main = PROJECT_DIR / manifest["main"]
    assert main == PROJECT_DIR / "kubecvm" / "provider.py" and "component_provider(" in main.read_text()


def test_the_analyzer_schema_has_the_component_with_typed_inputs_and_outputs():
    s = schema()
    assert s["name"] == "kubecvm" and list(s["resources"]) == [TOKEN]
    cluster = s["resources"][TOKEN]
    assert cluster["isComponent"] is True
    inputs = cluster["inputProperties"]
    assert cluster["requiredInputs"] == ["zones"]
    assert inputs["zones"]["type"] == "array" and inputs["zones"]["items"]["type"] == "string"
    assert inputs["nodePools"]["items"]["$ref"] == "#/types/kubecvm:index:NodePoolArgs"
    assert inputs["controlPlane"]["$ref"] == "#/types/kubecvm:index:ControlPlaneArgs"
    assert inputs["nodePodMask"]["type"] == "integer" and inputs["protect"]["type"] == "boolean"
    # Values the planner lays out are plain; those taken from other resources are Inputs (not plain).
    assert (
        inputs["vpcCidr"].get("plain") is True and "plain" not in inputs["imageId"] and "plain" not in inputs["vpcId"]
    )
    assert "plain" not in inputs["subnetIds"]["additionalProperties"]
    pool = s["types"]["kubecvm:index:NodePoolArgs"]
    assert sorted(pool["required"]) == ["countPerZone", "instanceType", "name"]
    assert pool["properties"]["countPerZone"]["type"] == "integer"
    assert pool["properties"]["dataDisk"]["$ref"] == "#/types/kubecvm:index:DiskArgs"
    outputs = cluster["properties"]
    assert {"clusterName", "apiEndpoint", "caCertPem", "kubeconfig", "instanceIds", "provider", "policyFacts"} <= set(
        outputs
    )
    assert outputs["policyFacts"]["additionalProperties"]["$ref"] == "pulumi.json#/Any"
    assert outputs["instanceIds"]["additionalProperties"]["type"] == "string"
    assert outputs["provider"]["$ref"].endswith("#/resources/pulumi:providers:kubernetes")
    # The analyzer has no secret marker for outputs: kubecvm's refinement adds it (construct returns a secret).
    assert outputs["kubeconfig"]["secret"] is True and outputs["caCertPem"]["secret"] is True
    assert {"name": "kubernetes"}.items() <= s["dependencies"][0].items()


def test_construct_under_the_mocks_returns_the_outputs():
    provider = ComponentProvider([Cluster], PACKAGE, version="0.1.0")
    # As the engine sends them: camelCase names, numbers as floats.
    inputs = {
        "preset": "dev",
        "region": "ap-guangzhou",
        "zones": ["ap-guangzhou-3"],
        "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2.0}],
        "tags": {"team": "apps"},
    }
    seen = {}

    def program():
        result = provider.construct("yaml-made", TOKEN, inputs, pulumi.ResourceOptions())
        seen["state"] = result.state
        for key in (
            "clusterName",
            "apiEndpoint",
            "kubeconfig",
            "caCertPem",
            "instanceIds",
            "vpcId",
            "subnetIds",
            "policyFacts",
        ):
            pulumi.export(key, result.state[key])

    rec = run_program({}, stack="yaml", program=program)
    out = rec.outputs
    assert out["clusterName"] == "yaml-made" and out["apiEndpoint"] == "10.0.64.11:6443"
    assert out["kubeconfig"] == SECRET and out["caCertPem"] == SECRET
    cvms = {r.name: r for r in rec.of_type("tencentcloud:Instance/instance:Instance")}
    assert out["instanceIds"] == {n: r.id for n, r in cvms.items()}
    assert sorted(cvms) == ["yaml-made-general-z3-0", "yaml-made-general-z3-1", "yaml-made-master-0"]
    assert all(r.inputs["tags"]["team"] == "apps" for r in cvms.values())
    assert out["vpcId"] == next(r.id for r in rec.resources if r.name == "yaml-made-vpc")
    assert list(out["subnetIds"]) == ["ap-guangzhou-3"]
    # What the policy pack judges this cluster by under `pulumi preview` (policies/__main__.py _by_cluster).
    facts = out["policyFacts"]
    assert (facts["podCidr"], facts["apiExposure"], facts["bootEgressHosts"]) == (
        "172.16.0.0/12",
        "internal",
        ["registry.aliyuncs.com"],
    )
    assert isinstance(seen["state"]["provider"], pulumi.ProviderResource)


def test_construct_names_a_bad_input_in_the_schemas_camel_case():
    provider = ComponentProvider([Cluster], PACKAGE, version="0.1.0")
    inputs = {"region": "ap-guangzhou", "zones": ["ap-guangzhou-3"], "vpcCidr": "10.0.0.1/16"}
    try:
        run_program(
            {}, stack="yaml", program=lambda: provider.construct("bad", TOKEN, inputs, pulumi.ResourceOptions())
        )
    except Exception as exc:  # the provider wraps the component's error for the engine
        message = str(exc)
    else:
        raise AssertionError("construct accepted a non-canonical vpcCidr")
    assert "vpcCidr: '10.0.0.1/16' is not canonical: write 10.0.0.0/16" in message and "vpc_cidr" not in message


def test_the_plugin_entry_point_serves_the_schema_over_grpc_as_the_engine_asks_for_it():
    # What `pulumi package add` does first: start the plugin (engine address as its argument), read the port it
    # prints, ask for the schema. The server listens on 127.0.0.1 only; the test stops it.
    import subprocess
    import sys

    import grpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    proc = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "kubecvm" / "provider.py"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            served = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30).schema)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert served["name"] == "kubecvm" and served["resources"][TOKEN]["isComponent"] is True
    assert served == json.loads(component_provider(served["version"]).schema)  # the refined schema, enums and all
    assert served["version"] == importlib.metadata.version("kubecvm")
