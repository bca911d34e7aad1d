"""The managed Prometheus (TMP) calls of the provider's tencentcloud_monitor_tmp_instance, in its order, made with
Tencent's own Cloud Monitor client (tencentcloud.monitor.v20180724.monitor_client): create, then
DescribePrometheusInstances (paged by 20, as the provider's DescribeMonitorTmpInstance asks) until the instance runs,
a read-back of what the provider compares with the stack's inputs, then terminate, wait until stopped and destroy.
Every answer is read into the SDK's response models with their unknown-member warning turned into an error, so the
emulator answers only members the models have."""

from __future__ import annotations

import ipaddress
import warnings

import emulator_helpers
import pytest
from emulator_helpers import monitor_request as req
from emulator_helpers import refused
from tencentcloud.monitor.v20180724 import models

from kubecvm.emulator import Emulator
from kubecvm.planning.tencent import monitor

# What components/prometheus.py gives the provider for a new instance, as the create's members.
CREATE = {
    "InstanceName": "prod-tmp",
    "VpcId": "vpc-1",
    "SubnetId": "subnet-1",
    "DataRetentionTime": 30,
    "Zone": "ap-guangzhou-3",
}


@pytest.fixture
def served():
    emulator = Emulator()
    emulator.vpc.add_subnet("subnet-1", "vpc-1", "ap-guangzhou-3", "10.0.2.0/24")
    with emulator.serve() as url, warnings.catch_warnings():
        warnings.simplefilter("error")  # AbstractModel._deserialize warns of members its model lacks
        yield emulator, emulator_helpers.monitor(url)


def describe(client, instance_id: str) -> list[models.PrometheusInstancesItem]:
    return client.DescribePrometheusInstances(
        req("DescribePrometheusInstances", InstanceIds=[instance_id], Offset=0, Limit=20)
    ).InstanceSet


def test_an_instance_is_created_read_back_as_set_terminated_and_destroyed(served):
    emulator, client = served
    instance_id = client.CreatePrometheusMultiTenantInstancePostPayMode(
        req("CreatePrometheusMultiTenantInstancePostPayMode", **CREATE)
    ).InstanceId
    assert instance_id == "prom-00000001"
    # The provider's create waits for InstanceStatus 2: creating on the first look, running on the next.
    assert [describe(client, instance_id)[0].InstanceStatus for _ in range(3)] == [
        monitor.TMP_CREATING,
        monitor.TMP_RUNNING,
        monitor.TMP_RUNNING,
    ]
    (item,) = describe(client, instance_id)
    # What the provider's Read sets from InstanceSet[0] equals the stack's inputs: no diff on the next preview.
    assert (item.InstanceName, item.VpcId, item.SubnetId, item.DataRetentionTime, item.Zone) == tuple(CREATE.values())
    assert ipaddress.ip_address(item.IPv4Address) in ipaddress.ip_network("10.0.2.0/24")
    assert item.RemoteWrite == f"http://{item.IPv4Address}:9090/api/v1/prom/write"
    assert (item.ApiRootPath, item.ProxyAddress) == (
        f"http://{item.IPv4Address}:9090/api/v1",
        f"{item.IPv4Address}:9090",
    )
    assert item.InstanceChargeType == monitor.TMP_POSTPAID
    assert emulator.summary()["resources"]["monitor/PrometheusInstance"] == 1
    # A retention change is ModifyPrometheusInstanceAttributes in place.
    client.ModifyPrometheusInstanceAttributes(
        req("ModifyPrometheusInstanceAttributes", InstanceId=instance_id, InstanceName="prod-tmp", DataRetentionTime=90)
    )
    assert describe(client, instance_id)[0].DataRetentionTime == 90
    # Delete: terminate, wait for InstanceStatus 6, destroy; the provider's next read finds nothing.
    client.TerminatePrometheusInstances(req("TerminatePrometheusInstances", InstanceIds=[instance_id]))
    assert [describe(client, instance_id)[0].InstanceStatus for _ in range(2)] == [
        monitor.TMP_TERMINATING,
        monitor.TMP_STOPPED,
    ]
    client.DestroyPrometheusInstance(req("DestroyPrometheusInstance", InstanceId=instance_id))
    assert describe(client, instance_id) == []
    assert emulator.summary()["resources"]["monitor/PrometheusInstance"] == 0


def test_the_tmp_instances_data_source_finds_an_existing_instance_by_id(served):
    _, client = served
    ids = [
        client.CreatePrometheusMultiTenantInstancePostPayMode(
            req("CreatePrometheusMultiTenantInstancePostPayMode", **CREATE | {"InstanceName": f"t{i}"})
        ).InstanceId
        for i in range(3)
    ]
    answer = client.DescribePrometheusInstances(req("DescribePrometheusInstances", InstanceIds=[ids[1]]))
    assert ([i.InstanceName for i in answer.InstanceSet], answer.TotalCount) == (["t1"], 1)
    paged = client.DescribePrometheusInstances(req("DescribePrometheusInstances", Offset=2, Limit=20))
    assert ([i.InstanceId for i in paged.InstanceSet], paged.TotalCount) == ([ids[2]], 3)


@pytest.mark.parametrize(
    ("members", "code", "message"),
    [
        (
            CREATE | {"SubnetId": "subnet-2"},
            "InvalidParameterValue",
            "SubnetId subnet-2 is not a subnet of the account",
        ),
        (CREATE | {"VpcId": "vpc-2"}, "InvalidParameterValue", "SubnetId subnet-1 is in vpc-1, not VpcId vpc-2"),
        (
            {k: v for k, v in CREATE.items() if k != "Zone"},
            "MissingParameter",
            "CreatePrometheusMultiTenantInstancePostPayMode needs Zone",
        ),
    ],
)
def test_a_create_tencent_refuses_is_refused_with_its_code(served, members, code, message):
    emulator, client = served
    assert refused(
        client.CreatePrometheusMultiTenantInstancePostPayMode,
        req("CreatePrometheusMultiTenantInstancePostPayMode", **members),
    ) == (code, message)
    assert emulator.monitor.tmp == {}
