"""The nodes' CAM role policies the boot plan renders: what each role may do, CBS actions spelled as CAM knows them,
tag conditions only where CAM applies them, disk changes scoped to the cluster."""

from __future__ import annotations

import json

import pytest

from kubecvm.planning import addons, bootstrap, build_plan, cam
from tests.conftest import make_spec
from tests.loopback_tls import metrics_tls
from tests.bootstrap._boot import preset_plan


@pytest.mark.parametrize("csi", [True, False])
def test_role_policies_follow_the_csi_addon(csi: bool):
    plan = build_plan(make_spec("prod", {"addons": {"cbsCsi": csi, "loadBalancerController": False}}))
    boot = bootstrap.boot_plan(plan)
    statements = {r.role: json.loads(r.policy_document)["statement"] for r in boot.roles}
    # Workers read their token, find their data disk and, with the CSI add-on, count their attached disks (the node
    # plugin): read-only. The CSI controller, which creates and attaches disks, runs on masters.
    node = ["cvm:DescribeInstancesDiskNum"] if csi else []
    assert [s["action"] for s in statements["worker"]] == [["ssm:GetSecretValue"], ["cvm:DescribeDisks", *node]]
    reads = sorted(
        {"cvm:DescribeDisks", *node, *({"cvm:DescribeDiskConfigQuota", "cvm:DescribeInstances"} if csi else ())}
    )
    assert statements["master"][1] == {"effect": "allow", "action": reads, "resource": ["*"]}
    if not csi:
        assert len(statements["master"]) == 2
    assert [s.readers for s in boot.secrets].count(("master", "worker")) == 1  # only the token reaches workers


def test_cbs_actions_are_spelled_as_cam_knows_them_and_conditions_only_where_cam_applies_them():
    # CAM authorizes CBS under the cvm service (a "cbs:" action grants nothing), and only the CBS APIs with
    # resource-level authorization take a resource or tag condition (planning/cam.py cites both pages).
    for role in bootstrap.boot_plan(preset_plan("prod")).roles:
        for stmt in json.loads(role.policy_document)["statement"]:
            assert (
                stmt["action"] == ["ssm:GetSecretValue"]
                or all(a.startswith("cvm:") for a in stmt["action"])
                or (set(stmt["action"]) <= set(addons.lb_controller.CAM_ACTIONS))
            ), stmt
            if "condition" in stmt and stmt["action"][0].startswith("clb:"):  # CLB takes tag conditions (cam.clb)
                assert list(stmt["condition"]) == ["for_any_value:string_equal"]
            elif "condition" in stmt:
                assert set(stmt["action"]) <= cam.CBS_RESOURCE_LEVEL, stmt
                [(operator, keys)] = stmt["condition"].items()
                assert operator == "for_any_value:string_equal"
                assert set(keys) <= {"qcs:resource_tag", "qcs:request_tag"}
                assert all("&" in v for values in keys.values() for v in values)
            else:
                assert stmt["effect"] == "allow"


def test_a_tag_condition_on_a_cbs_action_without_resource_level_authorization_is_refused(monkeypatch):
    # DescribeDiskConfigQuota has no row in CBS's resource-level table: CAM would not apply the condition to it.
    monkeypatch.setattr(bootstrap, "CBS_MUTATING", bootstrap.CBS_MUTATING | {"cvm:DescribeDiskConfigQuota"})
    with pytest.raises(ValueError, match="cvm:DescribeDiskConfigQuota: no resource-level authorization"):
        bootstrap.cbs_statements("prod", {"cvm:DescribeDiskConfigQuota", "cvm:AttachDisks"})
    assert bootstrap.cbs_statements("prod", {"cvm:AttachDisks"})[0]["action"] == ["cvm:AttachDisks"]
    with pytest.raises(ValueError, match="qcs:resource_tags"):
        cam.tag_condition("qcs:resource_tags", "kubecvm/cluster", "prod")


def test_cbs_changes_are_scoped_to_the_cluster_and_never_touch_etcd_disks():
    # Before: CBS actions on "*", so a master (or a pod with its credentials) could delete any disk in the account.
    statements = json.loads(bootstrap.boot_plan(preset_plan("prod")).role("master").policy_document)["statement"]
    assert statements[2:5] == [
        {
            "effect": "allow",
            "action": ["cvm:AttachDisks", "cvm:DetachDisks", "cvm:ResizeDisk", "cvm:TerminateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:resource_tag": ["kubecvm/cluster&prod"]}},
        },
        {
            "effect": "deny",
            "action": ["cvm:DetachDisks", "cvm:ResizeDisk", "cvm:TerminateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:resource_tag": ["kubecvm/role&storage"]}},
        },
        {
            "effect": "allow",
            "action": ["cvm:CreateDisks"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:request_tag": ["kubecvm/cluster&prod"]}},
        },
    ]
    everything = {a for st in statements for a in st["action"]}
    assert everything == {
        "ssm:GetSecretValue",
        *addons.CAM_ACTIONS,
        *addons.NODE_CAM_ACTIONS,
        *addons.lb_controller.CAM_ACTIONS,
    }
    # The StorageClass asks for exactly the tag CreateDisks is allowed with.
    sc = next(
        o
        for o in addons.objects(addons.settings_from_plan(preset_plan("prod")), metrics_tls=metrics_tls())
        if o["kind"] == "StorageClass"
    )
    assert "kubecvm/cluster:prod" in sc["parameters"]["disktags"].split(",")
