"""`kubecvm diff`'s tables on hand-made plans: ForceNew paths as the provider schema has them, replacements that
follow ids and property dependencies, unique names and addresses, protection, aliases."""

from __future__ import annotations

import pytest

from kubecvm.offline.diff import FORCE_NEW, INSTANCE, ROUTE_ENTRY, diff_plans

# --- the tables, on hand-made plans --------------------------------------------------------------------------


def doc(*resources) -> dict:
    return {"resources": [{"urn": f"urn:{r['name']}", "parent": None, "custom": True, **r} for r in resources]}


def cvm(**inputs) -> dict:
    base = {
        "instanceType": "S5.LARGE8",
        "availabilityZone": "ap-guangzhou-3",
        "privateIp": "10.0.64.4",
        "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100, "encrypt": True}],
    }
    return {"name": "node", "type": INSTANCE, "id": "ins-1", "inputs": {**base, **inputs}}


@pytest.mark.parametrize(
    ("change", "replace_keys", "disruptive"),
    [
        ({"instanceType": "S5.LARGE16"}, [], ["instanceType"]),  # resizes in place
        ({"availabilityZone": "ap-guangzhou-4"}, ["availabilityZone"], []),
        ({"privateIp": "10.0.64.5"}, [], ["privateIp"]),  # ModifyVpc in place, with a restart
        ({"allocatePublicIp": True}, ["allocatePublicIp"], []),
        ({"dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 200, "encrypt": True}]}, [], []),
        (
            {"dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100, "encrypt": False}]},
            ["dataDisks[0].encrypt"],
            [],
        ),
        ({"dataDisks": []}, ["dataDisks[]"], []),
        ({"userDataRaw": "#cloud-config"}, [], ["userDataRaw"]),
        ({"userDataRaw": "#cloud-config", "userDataReplaceOnChange": True}, ["userDataRaw"], ["userDataRaw"]),
    ],
)
def test_instance_changes_follow_the_provider_schema(change, replace_keys, disruptive):
    result = diff_plans(doc(cvm()), doc(cvm(**change)))
    (c,) = result.changed
    assert c.replace_keys == replace_keys
    assert sorted(c.disruptive) == disruptive
    assert c.replace is bool(replace_keys)


def test_nested_force_new_paths_of_kubernetes_objects():
    def deploy(selector, replicas):
        return {
            "name": "d",
            "type": "kubernetes:apps/v1:Deployment",
            "id": "d",
            "inputs": {"metadata": {"name": "d"}, "spec": {"selector": selector, "replicas": replicas}},
        }

    assert diff_plans(doc(deploy({"a": 1}, 1)), doc(deploy({"a": 1}, 2))).changed[0].replace is False
    assert diff_plans(doc(deploy({"a": 1}, 1)), doc(deploy({"a": 2}, 1))).changed[0].replace_keys == ["spec.selector"]


def test_a_replaced_resource_replaces_what_holds_its_id_in_a_force_new_input():
    table = {"name": "rtb", "type": "tencentcloud:Route/table:Table", "id": "rtb-1", "inputs": {"vpcId": "vpc-1"}}
    vpc = {
        "name": "vpc",
        "type": "tencentcloud:Vpc/instance:Instance",
        "id": "vpc-1",
        "inputs": {"cidrBlock": "10.0.0.0/16"},
    }
    subnet = {
        "name": "subnet",
        "type": "tencentcloud:Subnet/instance:Instance",
        "id": "subnet-1",
        "inputs": {"vpcId": "vpc-1", "cidrBlock": "10.0.64.0/19"},
    }
    route = {
        "name": "route",
        "type": ROUTE_ENTRY,
        "id": "r-1",
        "inputs": {"routeTableId": "rtb-1", "destinationCidrBlock": "172.20.0.0/24", "nextHub": "10.0.64.4"},
    }
    node = cvm(subnetId="subnet-1")
    moved_vpc = {**vpc, "inputs": {"cidrBlock": "10.9.0.0/16"}}
    result = diff_plans(doc(vpc, subnet, table, route, node), doc(moved_vpc, subnet, table, route, node))
    by_name = {c.urn: c for c in result.changed}
    assert by_name["urn:vpc"].replace_keys == ["cidrBlock"]
    assert by_name["urn:subnet"].cascade_from == "urn:vpc"  # subnet vpcId is ForceNew
    assert by_name["urn:rtb"].cascade_from == "urn:vpc"  # so is a route table's vpcId
    assert by_name["urn:route"].cascade_from == "urn:rtb"  # and a route entry's routeTableId, one step further
    # A CVM's subnetId is not ForceNew: it takes the new subnet in place (ModifyVpc), which restarts it.
    assert by_name["urn:node"].action == "update" and by_name["urn:node"].cascade_from == "urn:subnet"
    assert "subnetId" in by_name["urn:node"].disruptive
    assert {c.urn for c in result.replacements} == {"urn:vpc", "urn:subnet", "urn:rtb", "urn:route"}


def test_a_renamed_role_replaces_its_policy_attachment_through_property_dependencies():
    role = {"name": "role", "type": "tencentcloud:Cam/role:Role", "id": "4611", "inputs": {"name": "kubecvm-a-master"}}
    attach = {
        "name": "attach",
        "type": "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment",
        "id": "4611#9",
        "inputs": {"roleId": "4611", "policyId": "9"},
        "options": {"propertyDependencies": {"roleId": ["urn:role"]}, "deleteBeforeReplace": True},
    }
    renamed = {**role, "inputs": {"name": "kubecvm-b-master"}}
    # The simulated ids are stable, so only the recorded dependency says the attachment must follow.
    result = diff_plans(
        doc(role, {**attach, "inputs": {"roleId": "x", "policyId": "9"}}),
        doc(renamed, {**attach, "inputs": {"roleId": "x", "policyId": "9"}}),
    )
    by_urn = {c.urn: c for c in result.replacements}
    assert by_urn["urn:role"].replace_keys == ["name"]
    assert by_urn["urn:attach"].cascade_from == "urn:role" and by_urn["urn:attach"].cascade_key == "roleId"
    assert by_urn["urn:attach"].order == "delete-before-replace" and by_urn["urn:attach"].fails is None


def test_a_create_before_delete_replacement_that_keeps_a_unique_address_is_flagged():
    old = cvm()
    new = cvm(availabilityZone="ap-guangzhou-4")  # ForceNew, but the plan kept the same privateIp
    (c,) = diff_plans(doc(old), doc(new)).changed
    assert c.order == "create-before-delete" and "privateIp" in c.fails and "still holds" in c.fails
    dbr = {**new, "options": {"deleteBeforeReplace": True}}
    (c,) = diff_plans(doc(old), doc(dbr)).changed
    assert c.order == "delete-before-replace" and c.fails is None


def test_an_ssm_secret_cannot_be_replaced_under_its_own_name():
    secret = {
        "name": "s",
        "type": "tencentcloud:Ssm/secret:Secret",
        "id": "kubecvm-x-ca-crt",
        "inputs": {"secretName": "kubecvm-x-ca-crt", "recoveryWindowInDays": 7},
    }
    (c,) = diff_plans(doc(secret), doc(secret), replace=["urn:s"]).changed
    assert "replace it only under a new name" in c.fails
    renamed = {**secret, "inputs": {**secret["inputs"], "secretName": "kubecvm-y-ca-crt"}}
    (c,) = diff_plans(doc(secret), doc(renamed)).changed
    assert c.replace and c.fails is None


def test_protected_resources_cannot_be_deleted():
    vpc = {
        "name": "vpc",
        "type": "tencentcloud:Vpc/instance:Instance",
        "id": "vpc-1",
        "inputs": {"cidrBlock": "10.0.0.0/16"},
        "options": {"protect": True},
    }
    result = diff_plans(doc(vpc), doc())
    assert result.destroys and "protected" in result.removed[0].fails


def test_every_type_in_any_preset_plan_has_a_force_new_entry():
    """New resource types (a COS bucket, a cluster route table, an ingress CLB) must say what replaces them."""
    from tests.conftest import planned_types

    missing = sorted(planned_types() - FORCE_NEW.keys())
    assert not missing, f"add a ForceNew entry (offline/diff.py FORCE_NEW, cited to the provider file) for: {missing}"


def test_a_rename_with_an_alias_is_the_same_resource_not_a_delete_and_an_add():
    old = {
        "name": "old-name",
        "type": "tencentcloud:Vpc/instance:Instance",
        "id": "vpc-1",
        "inputs": {"cidrBlock": "10.0.0.0/16"},
    }
    new = {**old, "name": "new-name", "options": {"aliases": ["urn:old-name"]}}
    result = diff_plans(doc(old), doc(new))
    assert (result.added, result.removed, result.changed) == ([], [], [])
    moved = {**new, "inputs": {"cidrBlock": "10.9.0.0/16"}}
    (c,) = diff_plans(doc(old), doc(moved)).changed
    assert c.urn == "urn:new-name" and c.replace_keys == ["cidrBlock"]
    assert diff_plans(doc(old), doc({**new, "options": {}})).removed[0].urn == "urn:old-name"  # without the alias
