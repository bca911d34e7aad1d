"""Every component-config document the bootstrap renders, checked against schemas taken from the upstream Go types,
and every component flag it passes checked against the upstream flag registrations.

No kubeadm binary runs here, and kubernetes-validate has no schema for component configs. kubeadm decodes its own
API strictly, kube-apiserver refuses an audit policy, admission or encryption config it cannot load, and the kubelet
drops an unknown field with only a log line: a misspelled field is a control plane that never starts, or a hardening
setting silently lost. tests/bootstrap/config_schemas/ holds one JSON Schema (draft 2020-12) per API group/version,
each naming the upstream file and commit it was read from, and flags.json the flags with the file registering them.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shlex
from functools import cache
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kubecvm.planning import bootstrap, build_plan
from tests.bootstrap._boot import PRESETS, files, preset_plan, roles, user_data
from tests.conftest import make_spec

SCHEMA_DIR = Path(__file__).with_name("config_schemas")
FLAGS = json.loads((SCHEMA_DIR / "flags.json").read_text())
SCHEMAS = {p.name: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json")) if p.name != "flags.json"}

# What the boot script substitutes before anything reads the files (planning/templates/kubecvm-boot: config() and
# encryption_config()): a token of kubeadm's format, an instance id, the 32-byte key from SSM and its hash name.
BOOT_VALUES = {
    bootstrap.TOKEN_PLACEHOLDER: "abcdef.0123456789abcdef",
    bootstrap.INSTANCE_PLACEHOLDER: "ins-0a1b2c3d",
    bootstrap.ENCRYPTION_PLACEHOLDER: base64.b64encode(bytes(range(32))).decode(),
    bootstrap.ENCRYPTION_KEY_NAME_PLACEHOLDER: "kubecvm-0123456789ab",
}

# Plans beyond the three presets that change what is rendered: a public API (nodes join the first master), the
# GlobalRouter pod network, a worker pool with labels, taints and a data disk, and both ends of the version range.
VARIANTS = {
    "prod-public-api": {"apiEndpoint": {"exposure": "public"}},
    "prod-global-router": {"podNetwork": {"mode": "globalRouter"}},
    "prod-tainted-pool": {
        "nodePools": [
            {"name": "general", "slot": 1, "instanceType": "S5.2XLARGE32", "countPerZone": 1},
            {
                "name": "edge",
                "slot": 2,
                "instanceType": "S5.LARGE8",
                "countPerZone": 1,
                "zones": ["ap-guangzhou-4"],
                "labels": {"example.com/team": "edge"},
                "dataDisk": {"type": "CLOUD_SSD", "size": 100},
                "taints": [
                    {"key": "dedicated", "value": "edge", "effect": "NoSchedule"},
                    {"key": "example.com/gpu", "effect": "NoExecute"},
                ],
            },
        ]
    },
    "prod-1.28": {"kubernetes": {"version": "1.28.15"}},
    "prod-1.32": {"kubernetes": {"version": "1.32.0"}},
}


@cache
def plan_of(case: str):
    return preset_plan(case) if case in PRESETS else build_plan(make_spec("prod", VARIANTS[case]))


CASES = [(case, role) for case in (*PRESETS, *VARIANTS) for role in roles(plan_of(case))]


def _kinds() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> the reference of its schema, for every definition that pins both."""
    out = {}
    for schema in SCHEMAS.values():
        for name, d in schema["$defs"].items():
            props = d.get("properties", {})
            if "const" in props.get("apiVersion", {}) and "const" in props.get("kind", {}):
                out[(props["apiVersion"]["const"], props["kind"]["const"])] = f"{schema['$id']}#/$defs/{name}"
    return out


KINDS = _kinds()


def _strict(schema: dict) -> dict:
    """The schema with its Unrendered definition (a nested type modelled only as "an object") matching nothing."""
    out = copy.deepcopy(schema)
    out["$defs"]["Unrendered"] = False
    return out


@cache
def _registry(strict: bool) -> Registry:
    return Registry().with_resources(
        (s["$id"], Resource.from_contents(_strict(s) if strict else s)) for s in SCHEMAS.values()
    )


def problems(doc: dict, strict: bool = True) -> list[str]:
    """Every schema error of one document, as `path: message` (empty when it is valid)."""
    validator = Draft202012Validator({"$ref": KINDS[(doc["apiVersion"], doc["kind"])]}, registry=_registry(strict))
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(doc))


@cache
def rendered(case: str, role: str) -> tuple[tuple[str, dict], ...]:
    """(path, document) for every document with an apiVersion and a kind in the node's written files, after the
    boot script's substitutions. Every file is tried: a config kind added anywhere is found, not only known paths."""
    plan = plan_of(case)
    out = []
    for path, f in files(user_data(plan, roles(plan)[role])).items():
        text = f["content"]
        for placeholder, value in BOOT_VALUES.items():
            text = text.replace(placeholder, value)
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # a script or unit file
        out += [(path, d) for d in docs if isinstance(d, dict) and "apiVersion" in d and "kind" in d]
    return tuple(out)


def all_docs() -> list[tuple[str, str, str, dict]]:
    return [(case, role, path, doc) for case, role in CASES for path, doc in rendered(case, role)]


# --- the schemas themselves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_valid_draft_2020_12_and_names_its_upstream_source(name):
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["x-sources"] and all(s["repo"] and s["path"] for s in schema["x-sources"])
    assert any(re.fullmatch(r"[0-9a-f]{40}", s["commit"] or "") for s in schema["x-sources"]), name


def _objects(node, where="$"):
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield where, node
        for key, value in node.items():
            if key not in ("if", "then", "else"):  # these refine an object already closed above them
                yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}/{i}")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_object_in_every_schema_is_closed_or_a_typed_map(name):
    # An object with fields refuses any other; a map (extraArgs, featureGates) types its values; the one open shape
    # is the Unrendered definition, which the document tests below turn into `false`.
    for where, node in _objects(SCHEMAS[name]["$defs"]):
        if where == "$/Unrendered" or where.endswith("/configuration"):  # configuration: narrowed by if/then/else
            continue
        if "properties" in node:
            assert node.get("additionalProperties") is False, where
        else:
            assert isinstance(node.get("additionalProperties"), dict) or node.get("additionalProperties") is False, (
                where
            )


# --- every rendered document against its kind's schema ------------------------------------------------------


def test_every_role_of_every_plan_renders_the_expected_config_kinds():
    expected = {
        "master-init": [
            "InitConfiguration",
            "ClusterConfiguration",
            "KubeletConfiguration",
            "JoinConfiguration",
            "Policy",
            "AdmissionConfiguration",
            "EncryptionConfiguration",
        ],
        "master-join": ["JoinConfiguration", "Policy", "AdmissionConfiguration", "EncryptionConfiguration"],
        "worker": ["JoinConfiguration"],
    }
    for case, role in CASES:
        got = sorted(d["kind"] for _, d in rendered(case, role))
        assert got == sorted(expected["worker" if role.startswith("worker") else role]), (case, role)
    assert {r for _, r in CASES} >= {"master-init", "master-join", "worker-general", "worker-edge"}


def test_every_rendered_config_document_has_a_schema_for_its_kind():
    unknown = {(d["apiVersion"], d["kind"]) for *_, d in all_docs()} - set(KINDS)
    assert not unknown, f"rendered kinds without a schema in {SCHEMA_DIR}: {sorted(unknown)}"


@pytest.mark.parametrize("case, role", CASES)
def test_every_rendered_config_document_matches_its_upstream_schema(case, role):
    # Strict: a document may not reach a nested type the schemas model only as "an object".
    bad = {f"{path} {d['kind']}": errs for path, d in rendered(case, role) if (errs := problems(d))}
    assert not bad, bad


def test_the_embedded_pod_security_configuration_is_checked_against_its_own_schema():
    admission = next(d for _, d in rendered("prod", "master-init") if d["kind"] == "AdmissionConfiguration")
    broken = copy.deepcopy(admission)
    broken["plugins"][0]["configuration"]["defaults"]["enforce"] = "strict"
    assert problems(admission) == []
    assert problems(broken) == [
        "plugins.0.configuration.defaults.enforce: 'strict' is not one of ['privileged', 'baseline', 'restricted']"
    ]


# One misspelled field per kind (a path to rename and the wrong name), as a hand edit or a refactor would make it.
MUTATIONS = {
    "InitConfiguration": (("nodeRegistration", "kubeletExtraArgs"), "kubeletExtraArg"),
    "ClusterConfiguration": (("apiServer", "extraArgs"), "extraArg"),
    "KubeletConfiguration": (("protectKernelDefaults",), "protectKernelDefault"),
    "JoinConfiguration": (("discovery", "bootstrapToken", "caCertHashes"), "caCertHash"),
    "Policy": (("rules", 0, "nonResourceURLs"), "nonResourceUrls"),
    "AdmissionConfiguration": (("plugins", 0, "configuration"), "config"),
    "PodSecurityConfiguration": (("plugins", 0, "configuration", "exemptions", "namespaces"), "namespace"),
    "EncryptionConfiguration": (("resources", 0, "providers", 0, "secretbox"), "secretBox"),
}


def _rename(doc: dict, path: tuple, new: str) -> dict:
    out = copy.deepcopy(doc)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    parent[new] = parent.pop(path[-1])
    return out


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_a_misspelled_field_is_refused_naming_it(kind):
    docs = {d["kind"]: d for _, d in rendered("prod", "master-init")}
    path, new = MUTATIONS[kind]
    doc = docs["AdmissionConfiguration" if kind == "PodSecurityConfiguration" else kind]
    assert problems(doc) == []
    errs = problems(_rename(doc, path, new), strict=False)
    where = ".".join(map(str, path[:-1])) or "(top)"
    assert any(e.startswith(f"{where}: ") and repr(new) in e for e in errs), errs


@pytest.mark.parametrize(
    "kind, path, value, needle",
    [
        ("ClusterConfiguration", ("apiServer", "extraArgs", "profiling"), False, "False is not of type 'string'"),
        ("InitConfiguration", ("bootstrapTokens", 0, "ttl"), "2 hours", "does not match"),
        ("InitConfiguration", ("bootstrapTokens", 0, "token"), bootstrap.TOKEN_PLACEHOLDER, "does not match"),
        ("InitConfiguration", ("localAPIEndpoint", "bindPort"), "6443", "'6443' is not of type 'integer'"),
        ("Policy", ("rules", 0, "level"), "metadata", "is not one of"),
        ("ClusterConfiguration", ("apiServer", "extraVolumes", 0, "pathType"), "Dir", "is not one of"),
    ],
)
def test_a_wrong_type_or_value_is_refused(kind, path, value, needle):
    doc = copy.deepcopy(next(d for _, d in rendered("prod", "master-init") if d["kind"] == kind))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    assert any(needle in e for e in problems(doc)), problems(doc)


def test_a_nested_type_modelled_only_as_an_object_is_refused_when_rendered():
    kubelet = copy.deepcopy(next(d for _, d in rendered("prod", "master-init") if d["kind"] == "KubeletConfiguration"))
    kubelet["authentication"] = {"anonymous": {"enabled": False}}
    assert problems(kubelet, strict=False) == []
    assert problems(kubelet) == ["authentication: False schema does not allow {'anonymous': {'enabled': False}}"]


# --- command-line flags ---------------------------------------------------------------------------------------


def rendered_flags() -> dict[str, set[str]]:
    """component -> every flag name the rendered kubeadm configs make kubeadm pass to it."""
    out: dict[str, set[str]] = {
        c: set() for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")
    }
    for *_, d in all_docs():
        if d["kind"] == "ClusterConfiguration":
            for key, component in (
                ("apiServer", "kube-apiserver"),
                ("controllerManager", "kube-controller-manager"),
                ("scheduler", "kube-scheduler"),
            ):
                out[component] |= set(d.get(key, {}).get("extraArgs", {}))
            assert not d["etcd"]["local"].get("extraArgs"), "etcd flags: add them to flags.json with their source"
        if d["kind"] in ("InitConfiguration", "JoinConfiguration"):
            out["kubelet"] |= set(d["nodeRegistration"].get("kubeletExtraArgs", {}))
    return out


def unverified(flags: dict[str, set[str]]) -> dict[str, list[str]]:
    return {c: sorted(names - set(FLAGS[c])) for c, names in flags.items() if names - set(FLAGS[c])}


def test_every_component_flag_rendered_is_registered_upstream():
    flags = rendered_flags()
    assert flags["kube-apiserver"] >= {"profiling", "audit-policy-file", "encryption-provider-config"}
    assert flags["kubelet"] == {"node-ip", "provider-id", "node-labels"}
    assert unverified(flags) == {}


def test_a_misspelled_component_flag_is_caught():
    flags = rendered_flags()
    flags["kube-controller-manager"] = flags["kube-controller-manager"] | {"allocate-node-cidr"}
    flags["kubelet"] = flags["kubelet"] | {"node-label"}
    assert unverified(flags) == {"kube-controller-manager": ["allocate-node-cidr"], "kubelet": ["node-label"]}


def kubeadm_command_flags() -> set[str]:
    """The flags of every kubeadm init/join line of the boot script, with $PREFLIGHT as the script sets it."""
    script = (Path(bootstrap.TEMPLATES) / "kubecvm-boot").read_text()
    preflight = re.search(r'PREFLIGHT="(--[^"]+)"', script).group(1)
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith(("#", "log ")))
    out = set()
    for command in re.findall(r"kubeadm (?:init|join) [^;\n]*", code):
        for word in shlex.split(command.replace("$PREFLIGHT", preflight)):
            if word.startswith("--"):
                out.add(word[2:].split("=", 1)[0])
    return out


def test_kubeadm_is_run_only_with_flags_it_accepts_next_to_config():
    # kubeadm refuses to mix --config with flags other than its allowed few (and any "skip-" flag).
    assert kubeadm_command_flags() == {"config", "skip-token-print", "ignore-preflight-errors"}
    assert kubeadm_command_flags() <= set(FLAGS["kubeadm"])


def test_the_ignored_preflight_check_is_named_as_kubeadm_names_it():
    script = (Path(bootstrap.TEMPLATES) / "kubecvm-boot").read_text()
    ignored = re.search(r"--ignore-preflight-errors=(\S+?)\"", script).group(1)
    # DirAvailableCheck.Name(): "DirAvailable-" + the path with every "/" as "-" (the etcd data directory).
    assert ignored == "DirAvailable-" + bootstrap.ETCD_DIR.replace("/", "-") == "DirAvailable--var-lib-etcd"
    dirs = [d["etcd"]["local"]["dataDir"] for *_, d in all_docs() if d["kind"] == "ClusterConfiguration"]
    assert set(dirs) == {bootstrap.ETCD_DIR}


def test_every_verified_flag_names_the_file_that_registers_it():
    for component, flags in FLAGS.items():
        if component.startswith("$"):
            continue
        for name, source in flags.items():
            assert source["repo"] == "kubernetes/kubernetes" and source["path"].endswith(".go"), (component, name)
