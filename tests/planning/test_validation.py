"""One case per validation message: the user's mistake, the field named, what was expected."""

import pytest

from kubecvm.planning import build_plan
from kubecvm.stacks.config import ConfigError, plan_from_config, spec_from_config
from tests.conftest import REGION, make_spec, stack_config

POOL = {"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 1}

CASES = [
    ({"bogus": 1}, "bogus: unknown key"),
    ({"controlPlane": {"count": 3, "replicas": 3}}, "controlPlane.replicas: unknown key"),
    (
        {"zones": ["ap-shanghai-3"]},
        "zones[0]: 'ap-shanghai-3' is not a zone of region ap-guangzhou (expected ap-guangzhou-<n>)",
    ),
    (
        {"zones": ["ap-guangzhou-3", "ap-guangzhou-3", "ap-guangzhou-4"]},
        "zones: zones must be distinct; repeated: ap-guangzhou-3",
    ),
    ({"zones": ["ap-guangzhou-9"]}, "zones[0]: zone number 9 is above the 8 zone blocks of layout.zoneBlocks"),
    ({"vpcCidr": "10.0.0.1/16"}, "vpcCidr: '10.0.0.1/16' is not canonical: write 10.0.0.0/16 (host bits must be zero)"),
    (
        {"vpcCidr": "100.64.0.0/16"},
        "vpcCidr: 100.64.0.0/16 is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
    ),
    ({"vpcCidr": "10.0.0.0/11"}, "vpcCidr: /11 is outside the VPC mask range /12../28 for 10.0.0.0/11"),
    ({"vpcCidr": "192.168.0.0/15"}, "vpcCidr: 192.168.0.0/15 is not inside a private range"),
    ({"podCidr": "10.0.0.0/12"}, "podCidr: 10.0.0.0/12 overlaps the VPC CIDR 10.0.0.0/16"),
    ({"serviceCidr": "172.16.0.0/20"}, "serviceCidr: 172.16.0.0/20 overlaps the pod CIDR 172.16.0.0/12"),
    ({"serviceCidr": "10.0.0.0/20"}, "serviceCidr: 10.0.0.0/20 overlaps the VPC CIDR 10.0.0.0/16"),
    ({"nodePodMask": 26}, "nodePodMask: /26 holds 62 pods but maxPodsPerNode is 110; use /25 or lower maxPodsPerNode"),
    (
        {"podCidr": "172.16.0.0/24", "nodePodMask": 22},
        "nodePodMask: /22 node blocks are larger than the pod CIDR 172.16.0.0/24",
    ),
    ({"maxPodsPerNode": 111}, "maxPodsPerNode: 111 exceeds the Kubernetes limit of 110 pods per node"),
    ({"controlPlane": {"count": 2}}, "controlPlane.count: 2 masters: etcd needs an odd member count of 1, 3, 5 or 7"),
    ({"controlPlane": {"count": 0}}, "controlPlane.count: 0 masters"),
    (
        {"controlPlane": {"count": 1}},
        "controlPlane.count: 1 master has no etcd quorum to spare; the prod preset needs 3, 5 or 7",
    ),
    (
        {"controlPlane": {"instanceType": "big"}},
        "controlPlane.instanceType: 'big' is not of the form FAMILY.SIZE<memory GiB>",
    ),
    (
        {"controlPlane": {"etcdDisk": {"size": 15}}},
        "controlPlane.etcdDisk.size: 15 GiB is not a CBS size: expected 10..32000 in steps of 10",
    ),
    ({"controlPlane": {"etcdDisk": {"size": 32010}}}, "controlPlane.etcdDisk.size: 32010 GiB is not a CBS size"),
    ({"controlPlane": {"etcdDisk": {"type": "FLOPPY"}}}, "controlPlane.etcdDisk.type: expected 'CLOUD_BASIC'"),
    (
        {"nodePools": [{**POOL, "zones": ["ap-guangzhou-7"]}]},
        "nodePools[0].zones[0]: 'ap-guangzhou-7' is not one of the cluster zones",
    ),
    (
        {"controlPlane": {"zones": ["ap-guangzhou-4", "ap-guangzhou-7"]}},
        "controlPlane.zones[1]: 'ap-guangzhou-7' is not one of the cluster zones",
    ),
    ({"controlPlane": {"zones": []}}, "controlPlane.zones: at least one zone (omit the key for every cluster zone)"),
    ({"controlPlane": {"zones": ["ap-guangzhou-4", "ap-guangzhou-4"]}}, "controlPlane.zones: zones must be distinct"),
    (
        {"nodePools": [POOL, {**POOL, "name": "other"}]},
        "nodePools[1].slot: slot 1 is already pool 'general''s; give each pool its own slot (free: 2, 3, 4, 5, 6, 7)",
    ),
    ({"nodePools": [POOL, {**POOL, "slot": 2}]}, "nodePools[1].name: pool name 'general' is used twice"),
    (
        {"nodePools": [{**POOL, "slot": 8}]},
        "nodePools[0].slot: 8 is not a pool slot of layout.poolBlocks 8: expected 1..7",
    ),
    ({"nodePools": [{**POOL, "countPerZone": 2000}]}, "nodePools: 6003 nodes exceed the Kubernetes limit of 5000"),
    ({"nodePools": [{**POOL, "name": "Bad_Name"}]}, "nodePools[0].name: 'Bad_Name' does not match"),
    ({"nodePools": []}, "nodePools: List should have at least 1 item"),
    ({"tags": {"kubecvm/role": "x"}}, "tags: tag keys under kubecvm/ are set by kubecvm itself: kubecvm/role"),
    ({"egress": "maybe"}, "egress: expected 'none', 'nat' or 'auto'"),
    ({"apiEndpoint": {"exposure": "world"}}, "apiEndpoint.exposure: expected 'internal' or 'public'"),
    ({"sshKeyIds": ["key-1"]}, "sshKeyIds[0]: 'key-1' does not match ^skey-[a-z0-9]{8}$"),
]


@pytest.mark.parametrize(
    ("override", "expected"), CASES, ids=[c[1].split(":")[0] + f"-{i}" for i, c in enumerate(CASES)]
)
def test_spec_error_names_the_field(override, expected):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", override)
    assert expected in str(err.value)
    assert str(err.value).startswith("invalid kubecvm:cluster for stack 'test' (preset prod): ")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"nodePools": [{**POOL, "countPerZone": 65}]},
            "nodePools[0].countPerZone: 65 nodes per zone exceed the 64 that fit one pool in one zone (limited by pod blocks",
        ),
        ({"podCidr": "172.16.0.0/20"}, "nodePodMask: /24 node blocks cannot be laid out in podCidr 172.16.0.0/20"),
        ({"vpcCidr": "10.0.0.0/24"}, "vpcCidr: 10.0.0.0/24 is too small"),
        (
            {
                "nodePools": [{**POOL, "countPerZone": 70}],
                "podCidr": "172.16.0.0/12",
                "controlPlane": {"instanceType": "auto"},
            },
            "nodePools[0].countPerZone: 70 nodes per zone exceed the 64",
        ),
    ],
)
def test_layout_errors_name_the_field(override, expected):
    config = stack_config("prod", **override)
    with pytest.raises(ConfigError, match=None) as err:
        plan_from_config(preset="prod", overrides=config["kubecvm:cluster"], region=REGION, stack="test")
    assert expected in str(err.value)


def test_auto_sizing_beyond_the_table_asks_for_an_explicit_type():
    spec = make_spec(
        "prod", {"podCidr": "10.128.0.0/9", "nodePodMask": 25, "nodePools": [{**POOL, "countPerZone": 70}]}
    )
    with pytest.raises(
        Exception, match=r"controlPlane.instanceType: auto cannot size masters: 210 workers is beyond the sizing table"
    ):
        build_plan(spec)


@pytest.mark.parametrize(
    ("preset", "overrides", "region", "expected"),
    [
        (
            "huge",
            {"zones": ["ap-guangzhou-3"]},
            REGION,
            "kubecvm:preset: 'huge' is not a preset; expected one of dev, staging, prod",
        ),
        (
            "prod",
            {"name": "x"},
            REGION,
            "kubecvm:cluster.zones: required; the prod preset is laid out over 3 zones of ap-guangzhou",
        ),
        (
            "prod",
            {"zones": ["ap-guangzhou-3"], "preset": "dev"},
            REGION,
            "kubecvm:cluster.preset: set kubecvm:preset instead",
        ),
        ("dev", {"zones": ["ap-guangzhou-3"]}, None, "tencentcloud:region: required"),
    ],
)
def test_config_level_errors(preset, overrides, region, expected, monkeypatch):
    monkeypatch.delenv("TENCENTCLOUD_REGION", raising=False)
    with pytest.raises(ConfigError) as err:
        spec_from_config(preset=preset, overrides=overrides, region=region, stack="t")
    assert expected in str(err.value)


def test_dev_preset_allows_a_single_master():
    assert make_spec("dev", {"zones": ["ap-guangzhou-3"]}).control_plane.count == 1
