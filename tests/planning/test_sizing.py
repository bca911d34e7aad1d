import pytest

from kubecvm.planning.sizing import Shape, master_tier, parse_instance_type


@pytest.mark.parametrize(
    ("instance_type", "cpu", "memory"),
    [
        ("S5.SMALL1", 1, 1),
        ("S5.MEDIUM4", 2, 4),
        ("S5.LARGE8", 4, 8),
        ("S5.LARGE16", 4, 16),
        ("S5.2XLARGE32", 8, 32),
        ("SA2.4XLARGE64", 16, 64),
        ("S5.8XLARGE128", 32, 128),
        ("M6.16XLARGE512", 64, 512),
        ("M6.31MEDIUM470", 62, 470),  # Tencent's nMEDIUM: 2n vCPU (实例规格.md, M6)
        ("C6.23MEDIUM216", 46, 216),
        ("S5se.LARGE16", 4, 16),  # lower-case family suffixes: S5se, M6ce, GN10Xp, GN7vw
        ("GN10Xp.20XLARGE320", 80, 320),
    ],
)
def test_instance_type_shape(instance_type, cpu, memory):
    assert parse_instance_type(instance_type) == Shape(cpu, memory)


@pytest.mark.parametrize(
    "bad",
    [
        "S5",
        "s5.large8",
        "S5.LARGE",
        "S5.2LARGE8",
        "S5.2SMALL1",
        "S5.HUGE8",
        "S5.LARGE08",
        ".LARGE8",
        "S5.0XLARGE8",
        "S5.0MEDIUM4",
        "se5.LARGE8",
        "S5sE.LARGE8",
    ],
)
def test_instance_type_rejects_other_forms(bad):
    with pytest.raises(ValueError, match="FAMILY.SIZE<memory GiB>"):
        parse_instance_type(bad)


@pytest.mark.parametrize(
    ("workers", "shape", "picked"),
    [
        (0, "4C8G", "S5.LARGE8"),
        (5, "4C8G", "S5.LARGE8"),
        (6, "4C16G", "S5.LARGE16"),
        (20, "4C16G", "S5.LARGE16"),
        (21, "8C32G", "S5.2XLARGE32"),
        (100, "8C32G", "S5.2XLARGE32"),
        (101, "16C64G", "S5.4XLARGE64"),
        (200, "16C64G", "S5.4XLARGE64"),
    ],
)
def test_master_tier_table(workers, shape, picked):
    tier = master_tier(workers)
    assert (str(tier.shape), tier.instance_type) == (shape, picked)
    assert parse_instance_type(tier.instance_type) == tier.shape


def test_master_tier_beyond_table_is_none():
    assert master_tier(201) is None


def test_kubernetes_limits_checks():
    from kubecvm.planning.checks import node_limit_problem, total_pods_problem

    assert node_limit_problem(5000) is None
    assert node_limit_problem(5001) == "5001 nodes exceed the Kubernetes limit of 5000"
    assert total_pods_problem(1363, 110) is None  # 149930 pods
    assert total_pods_problem(1364, 110) == (
        "1364 nodes x 110 pods = 150040 pods exceed the Kubernetes limit of 150000; lower maxPodsPerNode to 109 or fewer"
    )


def test_every_type_auto_can_pick_is_one_tencent_documents():
    from kubecvm.offline import instance_types

    picked = {master_tier(w).instance_type for w in range(0, 201)}  # every worker count the table serves
    assert picked == {"S5.LARGE8", "S5.LARGE16", "S5.2XLARGE32", "S5.4XLARGE64"}
    for t in picked:
        assert instance_types.shape(t) == (parse_instance_type(t).cpu, parse_instance_type(t).memory_gib), t
    assert instance_types.shape("S5.8XLARGE128") == (32, 128)  # the beyond-table message's example


def test_every_catalogued_name_is_of_the_form_its_memory_exact_and_its_vcpu_but_for_the_documented_exceptions():
    from kubecvm.offline import instance_types

    shapes = {
        t: (instance_types.shape(t), parse_instance_type(t))
        for f in instance_types.CATALOGUE
        for t in instance_types.types_of(f)
    }
    assert len(instance_types.CATALOGUE) == 50 and len(shapes) == 456
    assert {t for t, ((_, memory), named) in shapes.items() if named.memory_gib != memory} == set()
    # The pages' own vCPU where the name says otherwise (each checked against its table, offline/instance_types.py).
    assert {t: (cpu, named.cpu) for t, ((cpu, _), named) in shapes.items() if named.cpu != cpu} == {
        "SA2.22XLARGE224": (90, 88),
        "GT4.20XLARGE474": (82, 80),
        "GN10Xp.2XLARGE40": (10, 8),
        "GN7.2XLARGE40": (10, 8),
        "GI3X.22XLARGE226": (90, 88),
        "GN8.LARGE56": (6, 4),
        "GN8.3XLARGE112": (14, 12),
        "GNV4v.XLARGE24": (6, 4),
        "GNV4v.3XLARGE58": (14, 12),
        "GI1.10XLARGE160": (42, 40),
    }


def test_families_documented_without_sizes_are_of_the_form_and_apart_from_the_catalogue():
    from kubecvm.offline import instance_types

    assert not instance_types.DOCUMENTED_WITHOUT_SIZES & set(instance_types.CATALOGUE)
    for family in instance_types.DOCUMENTED_WITHOUT_SIZES:
        assert parse_instance_type(f"{family}.24XLARGE384") == Shape(96, 384)
    assert instance_types.sizes_untranscribed("BMS5.24XLARGE384")
    assert not instance_types.sizes_untranscribed("Q9.LARGE8") and not instance_types.sizes_untranscribed("S5.LARGE8")
    # later generations of documented series are taken as sold; a typo of a series is not
    assert [
        instance_types.sizes_untranscribed(t) for t in ("SA5.LARGE16", "S8.LARGE16", "SS5.LARGE8", "S5.LARGE9")
    ] == [True, True, False, False]


def test_instance_type_uses_are_the_distinct_zone_type_pairs_named_by_their_first_field():
    from kubecvm.planning import build_plan
    from kubecvm.planning.sizing import instance_type_uses
    from tests.conftest import make_spec

    pools = [
        {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 20},
        {"name": "same", "slot": 2, "instanceType": "S5.2XLARGE32", "countPerZone": 1, "zones": ["ap-guangzhou-4"]},
        {"name": "amd", "slot": 3, "instanceType": "SA2.4XLARGE64", "countPerZone": 1, "zones": ["ap-guangzhou-6"]},
    ]
    plan = build_plan(make_spec("prod", {"nodePools": pools, "controlPlane": {"instanceType": "S5.2XLARGE32"}}))
    assert len(plan.machines) == 3 + 60 + 1 + 1
    assert instance_type_uses(plan) == {
        ("ap-guangzhou-3", "S5.2XLARGE32"): "controlPlane.instanceType",
        ("ap-guangzhou-4", "S5.2XLARGE32"): "controlPlane.instanceType",
        ("ap-guangzhou-6", "S5.2XLARGE32"): "controlPlane.instanceType",
        ("ap-guangzhou-6", "SA2.4XLARGE64"): "nodePools[2].instanceType",
    }
