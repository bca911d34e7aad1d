"""SSM secret names and the CAM policies that read them: unambiguous across clusters of one account."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from kubecvm.planning import bootstrap, build_plan, names
from tests.conftest import make_spec

# terraform-provider-tencentcloud v1.82.42 tencentcloud/services/ssm/resource_tc_ssm_secret.go (secret_name): letters,
# digits, `_` and `-`, the first a letter or digit, at most 128 bytes.
SSM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# planning/spec/cluster.py's cluster name: a DNS label of at most 20 characters.
CLUSTER_NAMES = st.from_regex(r"[a-z]([-a-z0-9]{0,18}[a-z0-9])?", fullmatch=True)


def boot(cluster: str) -> bootstrap.BootPlan:
    return bootstrap.boot_plan(build_plan(make_spec("prod", {"name": cluster})))


def readable(plan: bootstrap.BootPlan, role: str) -> set[str]:
    """The SSM resources the role's rendered policy document lets it read."""
    doc = json.loads(plan.role(role).policy_document)
    return {r for s in doc["statement"] if "ssm:GetSecretValue" in s["action"] for r in s["resource"]}


def resource(secret: str) -> str:
    return f"qcs::ssm:ap-guangzhou::secret/creatorUin/*/{secret}"


def test_the_old_names_collided():
    # Why the names changed: cluster x's etcd CA key had the name of cluster x-etcd's cluster CA key.
    assert names.ssm_secret_before_issue_11("x", "etcd-ca-key") == names.ssm_secret_before_issue_11("x-etcd", "ca-key")
    assert names.ssm_secret("x", "etcd-ca-key") == "kubecvm_x_etcd-ca-key"
    assert names.ssm_secret("x-etcd", "ca-key") == "kubecvm_x-etcd_ca-key"


def test_clusters_x_and_x_etcd_cannot_read_each_others_secrets():
    plans = {c: boot(c) for c in ("x", "x-etcd")}
    for cluster, plan in plans.items():
        other = plans["x-etcd" if cluster == "x" else "x"]
        other_secrets = {resource(s.name) for s in other.secrets}
        for role in ("master", "worker"):
            mine = {resource(s.name) for s in plan.secrets if role in s.readers}
            assert readable(plan, role) == mine  # exactly its own share, no wildcard
            assert not readable(plan, role) & other_secrets, (cluster, role)
    assert readable(plans["x"], "worker") == {resource("kubecvm_x_bootstrap-token")}
    assert resource("kubecvm_x_etcd-ca-key") in readable(plans["x"], "master")
    assert resource("kubecvm_x_etcd-ca-key") not in readable(plans["x-etcd"], "master")


@given(CLUSTER_NAMES, CLUSTER_NAMES)
def test_secret_names_of_two_clusters_never_meet(a: str, b: str):
    secrets = {
        c: {names.ssm_secret(c, item) for item, _ in bootstrap.PKI_FILES} | {names.ssm_secret(c, bootstrap.TOKEN_ITEM)}
        for c in {a, b}
    }
    if a != b:
        assert not secrets[a] & secrets[b]
    for cluster, group in secrets.items():
        for name in group:
            assert SSM_NAME.fullmatch(name), name
            prefix, owner, item = name.split(names.SSM_SEPARATOR)  # splits back into exactly one (cluster, item)
            assert (prefix, owner) == ("kubecvm", cluster)


def test_policies_name_no_wildcard_secret():
    # A `*` inside a secret name would reach other clusters' secrets; only the creator UIN segment is a wildcard.
    plan = boot("a-very-long-cluster1")
    for role in ("master", "worker"):
        for r in readable(plan, role):
            prefix, secret = r.rsplit("/", 1)
            assert prefix == "qcs::ssm:ap-guangzhou::secret/creatorUin/*" and "*" not in secret
            assert SSM_NAME.fullmatch(secret)


def test_boot_plan_is_computed_once_per_plan_and_leaves_with_it():
    import gc

    plan = build_plan(make_spec("prod", {"name": "once"}))
    first = bootstrap.boot_plan(plan)
    assert bootstrap.boot_plan(plan) is first  # every machine's boot.env reads the same one
    assert first == bootstrap._boot_plan(plan)
    # Another plan object, equal or not, gets its own; a different plan a different one.
    other = build_plan(make_spec("prod", {"name": "other"}))
    assert bootstrap.boot_plan(other).secret(bootstrap.TOKEN_ITEM).name != first.secret(bootstrap.TOKEN_ITEM).name
    key = id(plan)
    del plan
    gc.collect()
    assert key not in bootstrap._BOOT_PLANS
