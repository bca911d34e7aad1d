"""The component package's schema as other languages get it (kubecvm/package_schema.py over the SDK analyzer's):
descriptions, enums, defaults, secrets, required outputs; Pulumi's own binder accepts it; and a program in another
language gets a Kubernetes provider from the `kubeconfig` output, as docs/component-package.md shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from kubecvm.offline.rehearsal.engine import bin_dir
from kubecvm.offline.runner import PROJECT_DIR, SECRET, run_program
from kubecvm.provider import component_provider

TOKEN = "kubecvm:index:Cluster"
DOC = PROJECT_DIR / "docs" / "component-package.md"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(component_provider("0.1.0").schema)


def described(schema: dict):
    cluster = schema["resources"][TOKEN]
    yield "Cluster", cluster
    for group in ("inputProperties", "properties"):
        for name, prop in cluster[group].items():
            yield f"Cluster.{group}.{name}", prop
    for token, typ in schema["types"].items():
        yield token, typ
        for name, prop in typ.get("properties", {}).items():
            yield f"{token}.{name}", prop


def test_every_input_output_and_type_is_described_in_camel_case_without_indentation(schema):
    for where, item in described(schema):
        text = item.get("description") or ""
        assert text, f"{where} has no description"
        assert "\n " not in text and "  " not in text, f"{where}: raw indentation"
        # (a path segment of a value, such as registry.aliyuncs.com/google_containers, is not a name)
        assert not re.search(r"(?<![/\w])[a-z]+_[a-z_]+\b", text), f"{where}: a snake_case name in {text!r}"
    assert schema["types"]["kubecvm:index:ControlPlaneArgs"]["properties"]["systemDiskSize"]["description"] == (
        "GiB: the older spelling of systemDisk.size (not both). Default: 50."
    )


def test_string_choices_are_enums(schema):
    inputs, types = schema["resources"][TOKEN]["inputProperties"], schema["types"]

    def enum(prop: dict) -> list[str]:
        return [v["value"] for v in types[prop["$ref"].removeprefix("#/types/")]["enum"]]

    assert enum(inputs["preset"]) == ["dev", "staging", "prod"]
    assert enum(inputs["egress"]) == ["none", "nat", "auto"]
    assert enum(types["kubecvm:index:ApiEndpointArgs"]["properties"]["exposure"]) == ["internal", "public"]
    assert enum(types["kubecvm:index:PodNetworkArgs"]["properties"]["mode"]) == ["vpcRoutes", "globalRouter"]
    assert enum(types["kubecvm:index:NodePoolArgs"]["properties"]["chargeType"]) == [
        "POSTPAID_BY_HOUR",
        "PREPAID",
        "SPOTPAID",
    ]
    assert enum(types["kubecvm:index:TaintArgs"]["properties"]["effect"]) == [
        "NoSchedule",
        "PreferNoSchedule",
        "NoExecute",
    ]
    assert enum(types["kubecvm:index:SpotArgs"]["properties"]["type"]) == ["ONE-TIME"]
    # No property is left a plain string where the spec takes a choice.
    strings = {where for where, p in described(schema) if p.get("type") == "string" and "enum" not in p}
    assert "Cluster.inputProperties.egress" not in strings and "kubecvm:index:DiskArgs.type" not in strings


def test_defaults_are_those_no_preset_changes(schema):
    inputs, types = schema["resources"][TOKEN]["inputProperties"], schema["types"]
    assert {k: p["default"] for k, p in inputs.items() if "default" in p} == {
        "vpcCidr": "10.0.0.0/16",
        "podCidr": "172.16.0.0/12",
        "serviceCidr": "192.168.0.0/20",
        "nodePodMask": 24,
        "maxPodsPerNode": 110,
        "imageNameRegex": "^Ubuntu Server 22.04 LTS 64bit$",
    }
    assert types["kubecvm:index:ApiEndpointArgs"]["properties"]["exposure"]["default"] == "internal"
    assert types["kubecvm:index:DiskArgs"]["properties"]["encrypted"]["default"] is True
    assert types["kubecvm:index:IngressPortsArgs"]["properties"]["https"]["default"] == 443
    # The presets decide these: no default, or a program would override its preset without saying so.
    assert "default" not in types["kubecvm:index:ControlPlaneArgs"]["properties"]["count"]
    assert "default" not in types["kubecvm:index:DiskArgs"]["properties"]["size"]
    assert "default" not in types["kubecvm:index:IngressArgs"]["properties"]["enabled"]
    assert "default" not in inputs["egress"] and "default" not in inputs["protect"]


def test_secret_and_optional_outputs(schema):
    cluster = schema["resources"][TOKEN]
    assert sorted(k for k, p in cluster["properties"].items() if p.get("secret")) == ["caCertPem", "kubeconfig"]
    assert cluster["required"] == [
        "apiEndpoint",
        "caCertPem",
        "capacity",
        "clusterName",
        "instanceIds",
        "kubeconfig",
        "masterIps",
        "nodeIps",
        "podCidrs",
        "provider",
        "subnetIds",
        "vpcId",
    ]
    outputs = cluster["properties"]
    assert {"ingressEndpoint", "ingressPorts", "policyFacts"} <= set(outputs)
    assert outputs["nodeIps"]["type"] == "object" and outputs["nodeIps"]["additionalProperties"]["type"] == "string"
    assert outputs["ingressPorts"]["additionalProperties"]["type"] == "integer"


def test_pulumis_own_binder_accepts_the_schema(schema, tmp_path):
    # `pulumi package info` binds a schema as codegen does and fails on any error (a bad default, a dangling $ref).
    # The kubernetes package it references is served by a stand-in plugin with just its provider resource; the run
    # is inside a network namespace of its own (loopback only), so nothing is downloaded.
    pulumi_cli = bin_dir() / "pulumi"
    if not pulumi_cli.exists() or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs the pulumi CLI the rehearsal builds (kubecvm.offline.rehearsal.engine), unshare and ip")
    version = next(d["version"] for d in schema["dependencies"] if d["name"] == "kubernetes")
    plugins = tmp_path / "bin"
    plugins.mkdir()
    stub = plugins / "pulumi-resource-kubernetes"
    stub.write_text(
        f"#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / 'data' / 'kubernetes_schema_stub.py'} "
        f'{version} "$@"\n'
    )
    stub.chmod(0o755)
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    bad = json.loads(json.dumps(schema))
    bad["resources"][TOKEN]["inputProperties"]["nodePodMask"]["default"] = "24"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    env = {
        **os.environ,
        "PATH": f"{plugins}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "PULUMI_HOME": str(tmp_path / ".pulumi"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }

    def info(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{pulumi_cli}" package info {name}'],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    if (probe := info("schema.json")).returncode != 0 and "Operation not permitted" in probe.stderr:
        pytest.skip("unshare -n is not permitted here")
    assert probe.returncode == 0, probe.stderr
    assert "Resource: kubecvm:index:Cluster" in probe.stdout and "error" not in probe.stderr.replace(
        "pulumi-resource-kubernetes", ""
    )
    refused = info("bad.json")  # the binder does check: a default of the wrong type is refused
    assert refused.returncode != 0 and "nodePodMask/default" in refused.stderr


def documented_yaml() -> dict:
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)[1]
    return yaml.safe_load(block)


def test_the_documented_yaml_program_uses_the_schemas_names(schema):
    program = documented_yaml()
    resources = program["resources"]
    cluster = schema["resources"][TOKEN]
    assert resources["blue"]["type"] == TOKEN and set(resources["blue"]["properties"]) <= set(
        cluster["inputProperties"]
    )
    assert set(resources["blue"]["properties"]) >= set(cluster["requiredInputs"])
    assert resources["blue-k8s"] == {
        "type": "pulumi:providers:kubernetes",
        "properties": {"kubeconfig": "${blue.kubeconfig}"},
        "options": {"dependsOn": ["${blue}"]},
    }
    assert resources["apps"]["options"] == {"provider": "${blue-k8s}"}
    for ref in re.findall(r"\$\{blue\.(\w+)\}", DOC.read_text()):
        assert ref in cluster["properties"], ref


def test_a_program_in_another_language_gets_its_kubernetes_provider_from_kubeconfig():
    # What the engine does for the documented YAML program: construct the component through the package (camelCase
    # inputs, as sent), then the program's own provider from the kubeconfig output, depending on the component.
    program = documented_yaml()
    provider = component_provider("0.1.0")

    def run():
        blue = provider.construct("blue", TOKEN, program["resources"]["blue"]["properties"], pulumi.ResourceOptions())
        # (dependsOn: [${blue}] is the engine's to resolve from the URN; the structure test checks it is there.)
        k8s_provider = k8s.Provider("blue-k8s", kubeconfig=blue.state["kubeconfig"])
        k8s.core.v1.Namespace("apps", opts=pulumi.ResourceOptions(provider=k8s_provider))
        pulumi.export("ingress", blue.state["ingressEndpoint"])
        pulumi.export("nodeIps", blue.state["nodeIps"])

    rec = run_program({}, stack="yaml", program=run)
    mine = next(r for r in rec.resources if r.name == "blue-k8s" and r.type == "pulumi:providers:kubernetes")
    assert mine.inputs["kubeconfig"] == SECRET  # a secret stays one through the output
    assert [r.name for r in rec.of_type("kubernetes:core/v1:Namespace") if r.name == "apps"] == ["apps"]
    assert rec.outputs["ingress"] == "10.0.64.12" and len(rec.outputs["nodeIps"]) == 3
