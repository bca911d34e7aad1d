"""examples/: each program planned offline through the `kubecvm` command (the Python ones), the YAML program checked
against the schema the component package serves (`kubecvm plan` runs only Python programs), and the README's
library quick start is examples/quickstart as it stands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider
from tests.cli.cli_helpers import kubecvm

from kubecvm.provider import PACKAGE, Cluster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INSTANCE = "tencentcloud:Instance/instance:Instance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
NETWORK = {
    "tencentcloud:Vpc/instance:Instance",
    "tencentcloud:Subnet/instance:Instance",
    "tencentcloud:Route/table:Table",
    "tencentcloud:Nat/gateway:Gateway",
}


def plan(*args: str) -> dict:
    run = kubecvm("plan", *args, "--format", "json")
    assert run.exit_code == 0, run.stderr
    return run.json()


def of_type(doc: dict, type_: str) -> list[dict]:
    return [r for r in doc["resources"] if r["type"] == type_]


def test_the_readme_quick_start_is_the_quickstart_example():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert (EXAMPLES / "quickstart" / "__main__.py").read_text() in blocks


def test_the_quickstart_plans_a_dev_cluster_and_its_deployment():
    doc = plan("--program", str(EXAMPLES / "quickstart"))
    assert doc["project"] == "kubecvm-quickstart"
    assert sorted(r["name"] for r in of_type(doc, INSTANCE)) == [
        "demo-general-z3-0",
        "demo-general-z3-1",
        "demo-master-0",
    ]
    [hello] = [r for r in of_type(doc, DEPLOYMENT) if r["name"] == "hello"]
    assert hello["inputs"]["spec"]["replicas"] == 2
    assert doc["outputs"]["kubeconfig"] == "[secret]"


def test_the_existing_vpc_example_creates_no_network_and_deploys_through_its_provider():
    doc = plan("--program", str(EXAMPLES / "existing-vpc"))
    assert not [r["name"] for r in doc["resources"] if r["type"] in NETWORK]
    cvms = of_type(doc, INSTANCE)
    assert len(cvms) == 6 and {r["inputs"]["vpcId"] for r in cvms} == {"vpc-0a1b2c3d"}
    assert {r["inputs"]["subnetId"] for r in cvms} == {"subnet-0a1b2c3d", "subnet-1a1b2c3d", "subnet-2a1b2c3d"}
    routes = of_type(doc, "tencentcloud:Route/tableEntry:TableEntry")
    assert len(routes) == 6 and {r["inputs"]["routeTableId"] for r in routes} == {"rtb-0a1b2c3d"}
    [provider] = [r for r in of_type(doc, "pulumi:providers:kubernetes") if r["name"] == "apps"]
    assert provider["urn"].endswith("::apps") and provider["inputs"]["kubeconfig"] == "[secret]"
    [shop] = [r for r in of_type(doc, DEPLOYMENT) if r["name"] == "shop"]
    assert shop["inputs"]["spec"]["replicas"] == 3
    assert doc["outputs"]["apiEndpoint"] == "10.8.16.11:6443" and doc["outputs"]["shopReadyReplicas"] == 3


def test_the_stack_config_example_runs_kubecvms_program_with_its_own_stack_file():
    doc = plan("-C", str(EXAMPLES / "stack-config"), "-s", "demo")
    assert (doc["project"], doc["stack"]) == ("platform", "demo")
    names = sorted(r["name"] for r in of_type(doc, INSTANCE))
    assert names == [
        "demo-batch-z4-0",
        "demo-general-z3-0",
        "demo-general-z3-1",
        "demo-general-z4-0",
        "demo-general-z4-1",
        "demo-general-z6-0",
        "demo-general-z6-1",
        "demo-master-0",
        "demo-master-1",
        "demo-master-2",
    ]
    assert all(r["inputs"]["tags"]["team"] == "platform" for r in of_type(doc, INSTANCE))


# --- the YAML program against the component's schema ---------------------------------------------------------------

SCHEMA = json.loads(ComponentProvider([Cluster], PACKAGE, version="0.1.0").schema)
TOKEN = f"{PACKAGE}:index:Cluster"
KINDS = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def problems(value, prop: dict, path: str) -> list[str]:
    """What in `value` the schema property `prop` does not accept: unknown names, wrong types, missing required
    inputs, and an expression (`${...}`, an output of another resource) where the input is plain."""
    if isinstance(value, str) and "${" in value:
        return [f"{path}: an output where the schema wants a plain value"] if prop.get("plain") else []
    if "$ref" in prop:
        obj = SCHEMA["types"][prop["$ref"].removeprefix("#/types/")]
        return problems_of_object(value, obj["properties"], obj.get("required", []), path)
    kind = KINDS[prop["type"]]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return [f"{path}: expected {prop['type']}, got {value!r}"]
    if prop["type"] == "array":
        return [p for i, v in enumerate(value) for p in problems(v, prop["items"], f"{path}[{i}]")]
    if prop["type"] == "object" and "additionalProperties" in prop:
        return [p for k, v in value.items() for p in problems(v, prop["additionalProperties"], f"{path}.{k}")]
    return []


def problems_of_object(value, properties: dict, required: list[str], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {value!r}"]
    found = [f"{path}.{k}: no such input" for k in value if k not in properties]
    found += [f"{path}.{k}: required" for k in required if k not in value]
    return found + [p for k, v in value.items() if k in properties for p in problems(v, properties[k], f"{path}.{k}")]


def yaml_program() -> dict:
    return yaml.safe_load((EXAMPLES / "yaml" / "Pulumi.yaml").read_text())


def test_the_yaml_example_uses_the_package_from_this_checkout():
    doc = yaml_program()
    assert doc["runtime"] == "yaml" and (EXAMPLES / "yaml" / doc["packages"]["kubecvm"]).resolve() == ROOT
    assert (ROOT / "PulumiPlugin.yaml").is_file()


def test_the_yaml_examples_cluster_inputs_are_the_schemas():
    resource = SCHEMA["resources"][TOKEN]
    clusters = {n: r for n, r in yaml_program()["resources"].items() if r["type"] == TOKEN}
    assert list(clusters) == ["cluster"]
    assert (
        problems_of_object(
            clusters["cluster"]["properties"], resource["inputProperties"], resource["requiredInputs"], "cluster"
        )
        == []
    )


def test_the_yaml_examples_references_are_outputs_of_the_schema():
    doc = yaml_program()
    outputs = set(SCHEMA["resources"][TOKEN]["properties"])
    text = (EXAMPLES / "yaml" / "Pulumi.yaml").read_text()
    used = set(re.findall(r"\$\{cluster\.(\w+)\}", text))
    assert used == {"provider", "apiEndpoint", "kubeconfig"} and used <= outputs
    assert doc["resources"]["hello"]["options"]["provider"] == "${cluster.provider}"


@pytest.mark.parametrize(
    "mutation, problem",
    [
        ({"vpc_cidr": "10.1.0.0/16"}, "cluster.vpc_cidr: no such input"),
        (
            {"nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": "2"}]},
            "cluster.nodePools[0].countPerZone: expected integer, got '2'",
        ),
        (
            {"nodePools": [{"name": "general", "instanceType": "S5.LARGE8"}]},
            "cluster.nodePools[0].countPerZone: required",
        ),
        ({"vpcCidr": "${network.cidr}"}, "cluster.vpcCidr: an output where the schema wants a plain value"),
    ],
)
def test_the_schema_check_refuses_what_the_engine_would(mutation, problem):
    resource = SCHEMA["resources"][TOKEN]
    properties = {**yaml_program()["resources"]["cluster"]["properties"], **mutation}
    assert problem in problems_of_object(properties, resource["inputProperties"], resource["requiredInputs"], "cluster")
    properties.pop("zones")
    assert "cluster.zones: required" in problems_of_object(
        properties, resource["inputProperties"], resource["requiredInputs"], "cluster"
    )
