"""The simulated cloud refuses what Tencent refuses: one compliant request, then one mutation per rule; and the
replay of a diff in engine order."""

from __future__ import annotations

import pytest
import tencentcloud_iac_pulumi as tc

from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.diff import diff_plans
from kubecvm.offline.replay import replay
from kubecvm.offline.runner import run_program

INSTANCE = "tencentcloud:Instance/instance:Instance"
SUBNET = {"vpcId": "vpc-1", "cidrBlock": "10.0.64.0/19", "availabilityZone": "ap-guangzhou-3"}
NODE = {
    "subnetId": "subnet-1",
    "privateIp": "10.0.64.4",
    "instanceChargeType": "POSTPAID_BY_HOUR",
    "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100, "deleteWithInstance": True}],
}


def account() -> sim.CloudState:
    state = sim.CloudState()
    state.create("subnet", "tencentcloud:Subnet/instance:Instance", "subnet-1", SUBNET)
    return state


def refused(state: sim.CloudState, type_: str, inputs: dict, key: str = "new") -> str:
    with pytest.raises(sim.CloudRefusal) as exc:
        state.create(key, type_, "id-" + key, inputs)
    return str(exc.value)


def test_a_private_ip_must_lie_in_its_subnet_and_be_free():
    state = account()
    state.create("a", INSTANCE, "ins-a", NODE)
    assert "already used in its subnet" in refused(state, INSTANCE, NODE)
    assert "outside subnet 10.0.64.0/19" in refused(state, INSTANCE, {**NODE, "privateIp": "10.0.200.4"})
    state.create("b", INSTANCE, "ins-b", {**NODE, "privateIp": "10.0.64.5"})  # another address is fine


@pytest.mark.parametrize("charge", ["PREPAID", "SPOTPAID"])
def test_data_disks_go_with_the_instance_only_on_postpaid(charge):
    state = account()
    term = {"instanceChargeTypePrepaidPeriod": 1} if charge == "PREPAID" else {}
    assert "deleteWithInstance may be true only on POSTPAID_BY_HOUR" in refused(
        state, INSTANCE, {**NODE, "instanceChargeType": charge, **term}
    )
    disk = {
        "dataDiskType": "CLOUD_SSD",
        "dataDiskSize": 100,
        "deleteWithInstance": False,
        "deleteWithInstancePrepaid": True,
    }
    state.create("ok", INSTANCE, "ins-ok", {**NODE, "instanceChargeType": charge, "dataDisks": [disk], **term})


def test_cbs_sizes_follow_the_disk_type():
    state = account()
    state.create("d20", "tencentcloud:Cbs/storage:Storage", "disk-1", {"storageType": "CLOUD_SSD", "storageSize": 20})
    assert "storageSize 10 GiB is outside 20..32000 GiB for CLOUD_SSD" in refused(
        state, "tencentcloud:Cbs/storage:Storage", {"storageType": "CLOUD_SSD", "storageSize": 10}
    )
    state.create(
        "p10", "tencentcloud:Cbs/storage:Storage", "disk-2", {"storageType": "CLOUD_PREMIUM", "storageSize": 10}
    )
    assert "dataDisks[0].dataDiskSize 10 GiB" in refused(
        state,
        INSTANCE,
        {**NODE, "privateIp": "10.0.64.9", "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 10}]},
    )


@pytest.mark.parametrize(
    ("type_", "inputs", "message"),
    [
        ("tencentcloud:Clb/instance:Instance", {"clbName": "api"}, "Same CLB name api exists"),
        (
            "tencentcloud:Clb/listener:Listener",
            {"clbId": "lb-1", "port": 6443, "protocol": "TCP"},
            "already listens on TCP 6443",
        ),
        (
            "tencentcloud:Route/tableEntry:TableEntry",
            {"routeTableId": "rtb-1", "destinationCidrBlock": "172.16.0.0/24"},
            "already has a route to 172.16.0.0/24",
        ),
        ("tencentcloud:Ssm/secret:Secret", {"secretName": "kubecvm-x-ca-crt"}, "secret name kubecvm-x-ca-crt exists"),
        (
            "tencentcloud:Ssm/secretVersion:SecretVersion",
            {"secretName": "s", "versionId": "current"},
            "already has version current",
        ),
        ("tencentcloud:Cam/role:Role", {"name": "kubecvm-x-master"}, "RoleNameInUse"),
        ("tencentcloud:Cam/policy:Policy", {"name": "kubecvm-x-master-boot"}, "PolicyNameInUse"),
        (
            "tencentcloud:Cbs/storageAttachment:StorageAttachment",
            {"storageId": "disk-1", "instanceId": "ins-1"},
            "already attached",
        ),
    ],
)
def test_what_tencent_keeps_unique_cannot_be_created_twice(type_, inputs, message):
    state = account()
    state.create("first", type_, "id-1", inputs)
    assert message in refused(state, type_, inputs)
    state.delete("first")
    state.create("again", type_, "id-2", inputs)  # free again once the first is gone


def test_a_deleted_secret_name_is_held_for_its_recovery_window():
    state = account()
    state.create("s", "tencentcloud:Ssm/secret:Secret", "s", {"secretName": "n", "recoveryWindowInDays": 7})
    state.delete("s")
    assert "held by a deleted secret" in refused(state, "tencentcloud:Ssm/secret:Secret", {"secretName": "n"})
    state.create("t", "tencentcloud:Ssm/secret:Secret", "t", {"secretName": "m", "recoveryWindowInDays": 0})
    state.delete("t")
    state.create("u", "tencentcloud:Ssm/secret:Secret", "u", {"secretName": "m"})  # no window: free at once


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"protocol": "ALL", "port": "22"}, "protocol ALL takes port ALL"),
        ({"protocol": "ICMP", "port": "8"}, "protocol ICMP takes port ALL"),
        ({"protocol": "TCP", "port": "70000"}, "not a port"),
        ({"protocol": "TCP", "port": "90-80"}, "not a port"),
        ({"protocol": "GRE", "port": "ALL"}, "protocol GRE is not"),
    ],
)
def test_security_group_rules_take_only_the_port_forms_tencent_accepts(rule, message):
    state = account()
    good = [
        {"protocol": "TCP", "port": "10250,10257,10259"},
        {"protocol": "UDP", "port": "30000-32767"},
        {"protocol": "ALL", "port": "ALL"},
        {"protocol": "ICMP", "port": "ALL"},
    ]
    state.create("ok", "tencentcloud:Security/groupRuleSet:GroupRuleSet", "sg-1", {"ingresses": good})
    assert message in refused(state, "tencentcloud:Security/groupRuleSet:GroupRuleSet", {"ingresses": [*good, rule]})


def test_a_termination_protected_instance_cannot_be_deleted():
    state = account()
    state.create("m", INSTANCE, "ins-m", {**NODE, "disableApiTermination": True})
    with pytest.raises(sim.CloudRefusal, match="TerminateInstances is refused"):
        state.delete("m")


def test_the_plan_itself_goes_through_the_rules():
    def program() -> None:
        vpc = tc.vpc.Instance("v", name="v", cidr_block="10.0.0.0/16")
        subnet = tc.subnet.Instance(
            "s", name="s", vpc_id=vpc.id, availability_zone="ap-guangzhou-3", cidr_block="10.0.64.0/19"
        )
        for name in ("a", "b"):  # two machines asking for one address
            tc.instance.Instance(
                name,
                subnet_id=subnet.id,
                vpc_id=vpc.id,
                private_ip="10.0.64.4",
                availability_zone="ap-guangzhou-3",
                instance_type="S5.LARGE8",
                image_id="img-1",
            )

    with pytest.raises(sim.CloudRefusal, match="privateIp 10.0.64.4 is already used"):
        run_program({"tencentcloud:region": "ap-guangzhou"}, stack="raw", program=program)


def _doc(*resources) -> dict:
    return {
        "resources": [{"urn": f"urn:pulumi:s::p::{r['type']}::{r['name']}", "custom": True, **r} for r in resources]
    }


def test_replay_refuses_a_create_before_delete_that_needs_the_old_address_and_accepts_delete_first():
    subnet = {"name": "subnet", "type": "tencentcloud:Subnet/instance:Instance", "id": "subnet-1", "inputs": SUBNET}
    node = {"name": "node", "type": INSTANCE, "id": "ins-1", "inputs": NODE}
    old = _doc(subnet, node)
    for dbr, expected in ((False, ["already used in its subnet"]), (True, [])):
        new = _doc(subnet, {**node, "options": {"deleteBeforeReplace": dbr}})
        result = diff_plans(old, new, replace=[node["name"]])
        problems = replay(old, new, result)
        assert [e for e in expected if not any(e in p for p in problems)] == [] and len(problems) == len(expected)


def test_a_cvm_of_a_type_tencent_does_not_sell_is_refused():
    state = account()
    state.create("ok", INSTANCE, "ins-ok", {**NODE, "instanceType": "S5.LARGE8"})
    assert (
        "instanceType 'S5.LARGE9' is not a type Tencent sells (InvalidParameterValue.InstanceTypeNotFound)"
        in refused(state, INSTANCE, {**NODE, "privateIp": "10.0.64.9", "instanceType": "S5.LARGE9"})
    )
    assert "InstanceTypeNotFound" in refused(
        state, INSTANCE, {**NODE, "privateIp": "10.0.64.9", "instanceType": "Q9.LARGE8"}
    )
