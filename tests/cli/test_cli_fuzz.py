"""Property: whatever `kubecvm plan` and `kubecvm diff` are fed, they keep their exit-code contract.

plan exits 0, 1 or 2 and diff 0, 3 or 2; never a traceback, never the crash line (an unexpected error is a bug to
fix, not an input class). In-process through the typer app, where the exit codes are those of the installed entry
point (the crash handler lives in the commands); a few cases run in a subprocess as well. Bounded: small example
counts and sizes, so the suite stays fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from cli_helpers import kubecvm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubecvm.offline.runner import PROJECT_DIR

PLAN_CODES, DIFF_CODES = {0, 1, 2}, {0, 2, 3}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["ap-guangzhou-3", "10.0.0.0/16", "S5.LARGE8", "auto", "dev", "CLOUD_SSD"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
CLUSTER_KEYS = [
    "name",
    "zones",
    "vpcCidr",
    "podCidr",
    "serviceCidr",
    "nodePodMask",
    "maxPodsPerNode",
    "controlPlane",
    "nodePools",
    "apiEndpoint",
    "tags",
    "quotas",
    "kubernetes",
    "imageNameRegex",
    "egress",
    "vpc_cidr",
]
overrides = st.fixed_dictionaries(
    {"zones": st.one_of(st.just(["ap-guangzhou-3"]), values)},
    optional={k: values for k in CLUSTER_KEYS if k != "zones"},
)
configs = st.fixed_dictionaries(
    {"tencentcloud:region": st.one_of(st.just("ap-guangzhou"), values)},
    optional={
        "kubecvm:preset": st.one_of(st.sampled_from(["dev", "staging", "prod"]), values),
        "kubecvm:cluster": st.one_of(overrides, values),
        "other:key": values,
        "kubecvm:typo": values,
    },
)
yaml_texts = st.one_of(
    configs.map(lambda c: yaml.safe_dump({"config": c}, allow_unicode=True)),
    st.text(alphabet=st.sampled_from(list("config:\n -[]{}&*!|>'\"#?,0123456789abcxyz")), max_size=120),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
)


def assert_contract(run, codes: set[int]) -> None:
    assert run.exit_code in codes, (run.exit_code, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr


@FUZZ
@given(text=yaml_texts)
def test_random_stack_files_keep_the_plan_contract(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        assert_contract(kubecvm("plan", "--config-file", path, "--format", "json", "--no-policies"), PLAN_CODES)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=10,
)
TYPES = [
    "tencentcloud:Instance/instance:Instance",
    "tencentcloud:Vpc/instance:Instance",
    "tencentcloud:Subnet/instance:Instance",
    "tencentcloud:Route/tableEntry:TableEntry",
]
resources = st.fixed_dictionaries(
    {
        "urn": st.one_of(st.sampled_from(["urn:a", "urn:b", "urn:c"]), json_values),
        "type": st.one_of(st.sampled_from(TYPES), json_values),
        "id": st.one_of(st.sampled_from(["id-a", "id-b", None]), json_values),
        "inputs": st.one_of(
            st.dictionaries(
                st.sampled_from(["cidrBlock", "vpcId", "availabilityZone", "imageId", "x"]), json_values, max_size=4
            ),
            json_values,
        ),
    },
)
plans = st.one_of(
    st.fixed_dictionaries({"resources": st.lists(resources, max_size=4)}),
    json_values.map(lambda v: {"resources": v}),
    json_values,
)


@FUZZ
@given(old=plans, new=plans, fmt=st.sampled_from(["text", "json", "markdown"]))
def test_random_json_plans_keep_the_diff_contract(old, new, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "old.json", Path(tmp) / "new.json"
        a.write_text(json.dumps(old))
        b.write_text(json.dumps(new))
        assert_contract(kubecvm("diff", a, b, "--format", fmt), DIFF_CODES)


def test_a_few_hostile_inputs_keep_the_contract_in_a_subprocess(tmp_path):
    """The installed entry point's path: interpreter start-up, typer, the crash handler, real stdout/stderr."""
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  kubecvm:cluster: &a [*a]\n  tencentcloud:region: ap-guangzhou\n")
    plan = tmp_path / "plan.json"
    plan.write_text('{"resources": [{"urn": ["x"]}]}')
    for args, codes in (
        (["plan", "--config-file", str(stack)], PLAN_CODES),
        (["diff", str(plan), str(plan)], DIFF_CODES),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "kubecvm.offline", *args],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and proc.returncode in codes, proc.stderr
        assert proc.stdout == "" and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


RULE_IDS = [
    "kubecvm-size-node-count",
    "kubecvm-security-api-public",
    "kubecvm-security-open-ports",
    "kubecvm-ha-master-placement-group",
    "kubecvm-security-user-data-secrets",
    "kubecvm-size-etcd-disk",
]
SETTINGS = [
    "maxNodes",
    "allowPublicApi",
    "ports",
    "spreadTypes",
    "patterns",
    "etcdDiskMinGib",
    "exemptions",
    "enforcementLevel",
    "worldCidrs",
]
policy_configs = st.one_of(
    st.dictionaries(
        st.sampled_from([*RULE_IDS, "all", "cluster", "exemptions", "kubecvm-nope"]),
        st.one_of(
            st.sampled_from(["mandatory", "advisory", "disabled"]),
            st.dictionaries(st.sampled_from(SETTINGS), json_values, max_size=3),
            json_values,
        ),
        max_size=4,
    ),
    json_values,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=policy_configs)
def test_random_policy_configs_keep_the_plan_contract(config):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.json"
        path.write_text(json.dumps(config))
        assert_contract(kubecvm("plan", "dev", "--format", "json", "--policy-config", path), PLAN_CODES)
