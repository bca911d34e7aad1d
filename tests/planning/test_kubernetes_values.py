"""Values Kubernetes refuses or the kubelet misapplies, refused in the spec naming the field: two taints with one
key and effect, pool labels that override the kubelet's own or kubecvm's (kubernetes.io/os, topology.kubernetes.io/
zone, kubecvm/pool...), registries and repositories that are no valid reference under the distribution grammar,
mirror URLs whose host or port is not one. Hypothesis sweeps plus a table through the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning.spec import kubernetes as spec_kubernetes
from kubecvm.planning import validation
from kubecvm.stacks.config import ConfigError, spec_from_config

POOL = {"name": "web", "instanceType": "S5.LARGE8", "countPerZone": 1}


def spec(**cluster):
    return spec_from_config(
        preset="dev",
        region="ap-guangzhou",
        stack="dev",
        overrides={"zones": ["ap-guangzhou-3"], "nodePools": [POOL], **cluster},
    )


def refusal(**cluster) -> str | None:
    try:
        spec(**cluster)
    except ConfigError as exc:
        return str(exc)
    return None


# ---- taints -------------------------------------------------------------------------------------------------------
taints = st.lists(
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(["a", "b", "example.com/c"]),
            "value": st.sampled_from(["", "x"]),
            "effect": st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        }
    ),
    max_size=5,
)


@given(taints)
def test_taints_are_refused_exactly_when_a_key_and_effect_repeat(given_taints):
    pairs = [(t["key"], t["effect"]) for t in given_taints]
    problem = refusal(nodePools=[{**POOL, "taints": given_taints}])
    if len(set(pairs)) == len(pairs):
        assert problem is None, problem
    else:
        second = next(i for i, p in enumerate(pairs) if p in pairs[:i])
        assert problem is not None and f"nodePools[0].taints[{second}]: taint" in problem, problem


# ---- labels -------------------------------------------------------------------------------------------------------
RESERVED = sorted(validation.KUBELET_LABELS) + ["kubecvm/pool", "kubecvm/anything"]


@given(key=st.sampled_from(RESERVED), value=st.sampled_from(["", "windows", "x"]))
def test_pool_labels_may_not_override_the_kubelets_or_kubecvms(key, value):
    problem = refusal(nodePools=[{**POOL, "labels": {key: value}}])
    assert problem is not None and f"nodePools[0].labels: {key!r}" in problem, problem


@pytest.mark.parametrize(
    "key", ["node-role.kubernetes.io/worker", "node-role.kubernetes.io/control-plane", "kubernetes.io/role"]
)
def test_node_roles_are_refused_as_the_kubelet_refuses_them(key):
    assert "the kubelet refuses kubernetes.io and k8s.io labels" in refusal(nodePools=[{**POOL, "labels": {key: ""}}])


def test_a_users_own_labels_still_pass():
    assert (
        refusal(
            nodePools=[
                {
                    **POOL,
                    "labels": {
                        "team": "web",
                        "example.com/tier": "front",
                        "node.kubernetes.io/exclude-from-external-load-balancers": "",
                    },
                }
            ]
        )
        is None
    )


# ---- image references -----------------------------------------------------------------------------------------------
# The whole reference grammar (github.com/distribution/reference regexp.go), written out apart from the code under
# test: whatever the spec accepts must make names it matches.
_DC = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_PC = r"[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*"
REFERENCE = re.compile(rf"(?:{_DC}(?:\.{_DC})*(?::[0-9]+)?/)?{_PC}(?:/{_PC})*(?::[\w][\w.-]{{0,127}})?")
SUFFIXES = {
    "imageRepository": [
        "kube-controller-manager",
        "coredns/coredns",
        "metrics-server/metrics-server",
        "nginx-ingress-controller",
    ],
    "imageRegistry": ["tkeimages/csi-node-driver-registrar", "library/python"],
}

prefixes = st.one_of(
    st.text(alphabet="abc09.-_:/", min_size=1, max_size=30),
    st.builds(
        lambda host, port, path: host + port + path,
        st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True),
        st.sampled_from(["", ":5000", ":0", ":99999", ":65535"]),
        st.sampled_from(["", "/k8s", "/a__b", "/a--b", "/..", "/a/", "/_a", "/A"]),
    ),
    st.sampled_from(
        ["registry.k8s.io/..", "-", "a" * 300, "reg.io:99999/x", "team/images", "localhost/x", "r.io/" + "a" * 240]
    ),
)


@given(prefix=prefixes, field=st.sampled_from(["imageRepository", "imageRegistry"]))
def test_an_accepted_registry_makes_valid_references(prefix, field):
    where = (
        {"kubernetes": {"imageRepository": prefix}}
        if field == "imageRepository"
        else {"addons": {"imageRegistry": prefix}}
    )
    problem = refusal(**where)
    if problem is None:
        host = prefix.split("/", 1)[0]
        assert "." in host or ":" in host or host == "localhost", prefix  # a registry, not a Docker Hub path
        port = host.partition(":")[2]
        assert not port or 1 <= int(port) <= 65535, prefix
        for suffix in SUFFIXES[field]:
            name = f"{prefix}/{suffix}"
            assert len(name) <= 255 and REFERENCE.fullmatch(f"{name}:v1.0"), name
    else:
        assert f".{field}: " in problem, problem


def test_the_suffixes_cover_the_longest_image_names():
    assert max(map(len, SUFFIXES["imageRepository"])) >= spec_kubernetes._REPOSITORY_SUFFIX
    assert max(map(len, SUFFIXES["imageRegistry"])) >= spec_kubernetes._REGISTRY_SUFFIX


# ---- mirror URLs ----------------------------------------------------------------------------------------------------
urls = st.builds(
    lambda host, port: f"https://{host}{port}",
    st.one_of(
        st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True), st.sampled_from(["-", "a..b", "a-.b", "x" * 64 + ".com"])
    ),
    st.sampled_from(["", ":0", ":443", ":8443", ":65535", ":65536", ":99999"]),
)


@given(url=urls, field=st.sampled_from(["packageMirror", "dockerHubMirror"]))
def test_an_accepted_mirror_has_a_host_and_port(url, field):
    problem = refusal(kubernetes={field: url})
    if problem is None:
        parts = urlsplit(url)
        assert parts.port is None or 1 <= parts.port <= 65535, url
        assert all(re.fullmatch(_DC, label) and len(label) <= 63 for label in parts.hostname.split(".")), url
    else:
        assert f"kubernetes.{field}: " in problem, problem


# ---- through the CLI --------------------------------------------------------------------------------------------
CLI = [
    (
        {
            "nodePools": [
                {
                    **POOL,
                    "taints": [
                        {"key": "a", "effect": "NoSchedule"},
                        {"key": "a", "value": "b", "effect": "NoSchedule"},
                    ],
                }
            ]
        },
        "nodePools[0].taints[1]: taint 'a' with effect NoSchedule is given twice",
    ),
    (
        {"nodePools": [{**POOL, "labels": {"kubernetes.io/os": "windows"}}]},
        "nodePools[0].labels: 'kubernetes.io/os' is set",
    ),
    ({"nodePools": [{**POOL, "labels": {"kubecvm/pool": "other"}}]}, "nodePools[0].labels: 'kubecvm/pool'"),
    (
        {"kubernetes": {"imageRepository": "registry.k8s.io/.."}},
        "kubernetes.imageRepository: 'registry.k8s.io/..' is not",
    ),
    (
        {"kubernetes": {"imageRepository": "reg.io:99999/k8s"}},
        "kubernetes.imageRepository: 'reg.io:99999/k8s': port 99999",
    ),
    ({"addons": {"imageRegistry": "-"}}, "addons.imageRegistry: '-' is not a registry"),
    ({"kubernetes": {"packageMirror": "https://mirrors.example.com:99999"}}, "kubernetes.packageMirror: "),
    ({"kubernetes": {"dockerHubMirror": "https://-"}}, "kubernetes.dockerHubMirror: 'https://-': '-' is not a host"),
]


@pytest.mark.parametrize("cluster,message", CLI, ids=[m.split(":")[0] for _, m in CLI])
def test_the_cli_refuses_them(tmp_path: Path, cluster, message):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(
        json.dumps(
            {
                "config": {
                    "tencentcloud:region": "ap-guangzhou",
                    "kubecvm:preset": "dev",
                    "kubecvm:cluster": {"zones": ["ap-guangzhou-3"], "nodePools": [POOL], **cluster},
                }
            }
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "kubecvm.offline", "plan", "--config-file", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr, run.stderr
