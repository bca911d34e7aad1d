"""The exit-code contract for values a stack file's schema accepts but Tencent or Kubernetes would not: refused
before any resource is registered, naming the field; the valid neighbours still plan."""

from __future__ import annotations

import pytest
from cli_helpers import assert_refused, kubecvm, stack_file


# --- accepted but wrong: refused before any resource is registered, naming the field ---------------------------


def pool(**extra) -> dict:
    return {"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 1, **extra}


def noisy_labels(n: int) -> dict:
    """Valid labels whose values gzip cannot shrink (the user data ships gzipped, in a MIME part)."""
    import hashlib

    return {f"l{i}": hashlib.sha256(str(i).encode()).hexdigest()[:60] for i in range(n)}


@pytest.mark.parametrize(
    "cluster, needles",
    [
        ({"zones": ["ap-guangzhou-3\n"]}, ("zones[0]", "is not a zone of region ap-guangzhou")),
        ({"zones": ["ap-guangzhou-3", "ap-guangzhou-3\n"]}, ("zones[1]",)),
        ({"nodePools": [pool(instanceType="S5.LARGE8\n")]}, ("nodePools[0].instanceType", "is not of the form")),
        (
            {"vpcCidr": "192.168.0.0/16", "serviceCidr": "10.0.0.0/8"},
            ("serviceCidr: 10.0.0.0/8", "must be /12 or smaller"),
        ),
        ({"serviceCidr": "192.168.0.0/29"}, ("serviceCidr: 192.168.0.0/29", "no room for the cluster DNS address")),
        (
            {"nodePools": [pool(labels={"team": "x --authorization-mode=AlwaysAllow"})]},
            ("nodePools[0].labels", "no spaces"),
        ),
        ({"nodePools": [pool(labels={"bad key": "x"})]}, ("nodePools[0].labels", "'bad key': the name must be")),
        (
            {"nodePools": [pool(labels={"node-role.kubernetes.io/worker": ""})]},
            ("nodePools[0].labels", "the kubelet refuses"),
        ),
        ({"nodePools": [pool(taints=[{"key": "a b", "effect": "NoSchedule"}])]}, ("nodePools[0].taints[0]", "'a b'")),
        (
            {"nodePools": [pool(taints=[{"key": "dedicated", "value": "x,y", "effect": "NoSchedule"}])]},
            ("nodePools[0].taints[0]", "'x,y'"),
        ),
        (
            {"nodePools": [pool(taints=[{"key": "dedicated", "effect": "Sometimes"}])]},
            ("nodePools[0].taints[0].effect",),
        ),
        ({"tags": {"qcloud:owner": "me"}}, ("tags", "reserved by Tencent Cloud")),
        ({"tags": {"team": "a<b>"}}, ("tags", "may hold only letters")),
        ({"tags": {"k" * 128: "v"}}, ("tags", "a tag key is 1..127 characters")),
        ({"tags": {f"t{i}": "v" for i in range(48)}}, ("tags", "48 tags; Tencent Cloud allows 50 per resource")),
        ({"kubernetes": {"packageMirror": "http://mirrors.example.com"}}, ("kubernetes.packageMirror", "use https://")),
        ({"imageNameRegex": "("}, ("imageNameRegex", "is not a regular expression")),
        ({"imageNameRegex": "^Ubuntu(?=.*22)"}, ("imageNameRegex", "Go's regexp (RE2)")),
        ({"imageNameRegex": "^Windows"}, ("imageNameRegex", "matches none of the public images")),
        ({"kubernetes": {"version": "1.30.99"}}, ("kubernetes.version", "has no patch release 99")),
        ({"quotas": {"routeEntriesPerTable": True}}, ("quotas.routeEntriesPerTable", "expected an integer, got True")),
        ({"controlPlane": {"count": "1"}}, ("controlPlane.count", "expected an integer, got '1'")),
        ({"nodePools": [pool(labels=noisy_labels(400))]}, ("nodePools[0]", "over the CVM limit of 16384")),
    ],
)
def test_accepted_but_wrong_values_are_refused_naming_the_field(tmp_path, cluster, needles):
    run = kubecvm(
        "plan",
        "--config-file",
        stack_file(tmp_path, "wrong", {"zones": ["ap-guangzhou-3"], **cluster}),
        "--format",
        "json",
        "--no-policies",
    )
    assert_refused(run, *needles)


def test_an_unknown_region_is_refused_naming_the_setting(tmp_path):
    path = stack_file(tmp_path, "far", {"zones": ["xx-nowhere-3"]}, region="xx-nowhere")
    assert_refused(
        kubecvm("plan", "--config-file", path, "--no-policies"),
        "region: 'xx-nowhere' is not a Tencent Cloud region",
        "tencentcloud:region",
    )


def test_in_vpc_http_mirror_and_valid_labels_taints_tags_still_plan(tmp_path):
    cluster = {
        "zones": ["ap-guangzhou-3"],
        "kubernetes": {"packageMirror": "http://mirrors.tencentyun.com"},
        "tags": {"team": "platform", "cost-center": "CC 42/a@b"},
        "nodePools": [
            pool(
                labels={"example.com/team": "a.b_c-1", "node.kubernetes.io/role": "infra"},
                taints=[{"key": "example.com/dedicated", "value": "gpu", "effect": "NoExecute"}],
            )
        ],
    }
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "fine", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    join = [r["inputs"] for r in run.json()["resources"] if r["type"] == "tencentcloud:Instance/instance:Instance"]
    assert join and all(i["tags"]["cost-center"] == "CC 42/a@b" for i in join)
