"""Instance types Tencent does not sell are refused by `kubecvm plan` before anything runs: exit 2, one paragraph
naming the field, the zone and what the family offers (offline/instance_types.py is the catalogue)."""

from __future__ import annotations

import pytest

from tests.cli.cli_helpers import kubecvm, stack_file


def pools(instance_type: str) -> list[dict]:
    return [{"name": "general", "instanceType": instance_type, "countPerZone": 1}]


def refused(run) -> str:
    assert run.exit_code == 2, (run.exit_code, run.stderr)
    assert run.stdout == "" and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    return run.stderr


@pytest.mark.parametrize(
    ("cluster", "needles"),
    [
        (
            {"nodePools": pools("Q9.LARGE8")},  # a series no Tencent page names
            (
                "kubecvm:cluster.nodePools[0].instanceType: 'Q9.LARGE8'",
                "offers no Q9 instances in ap-guangzhou-3",
                "families S6, SA3, SR1, S5, S5se, SA2,",
                "GN7vw, GI1, and BMD2, BMD3,",
                "such as SA5 or S8, as sold",
            ),
        ),
        ({"nodePools": pools("SS5.LARGE8")}, ("offers no SS5 instances",)),  # a typo of S5 is no newer generation
        (
            {"nodePools": pools("S5.LARGE9")},
            (
                "kubecvm:cluster.nodePools[0].instanceType: 'S5.LARGE9' is not among the S5 sizes",
                "in ap-guangzhou-3: S5.SMALL1,",
                "S5.LARGE8, S5.LARGE16,",
                "S5.21XLARGE320",
            ),
        ),
        (
            {"controlPlane": {"instanceType": "S6.LARGE4"}},  # S6 starts at MEDIUM2 and has no LARGE4 on Tencent's page
            (
                "kubecvm:cluster.controlPlane.instanceType: 'S6.LARGE4' is not among the S6 sizes",
                "S6.MEDIUM8, S6.LARGE8,",
            ),
        ),
        (
            {
                "nodePools": [
                    *pools("S5.LARGE8"),
                    {"name": "big", "slot": 2, "instanceType": "SA2.2XLARGE48", "countPerZone": 1},
                ]
            },
            ("kubecvm:cluster.nodePools[1].instanceType: 'SA2.2XLARGE48'",),
        ),
        # Wrong sizes of families transcribed whole: M5 starts at a 1:8 ratio, C6 at LARGE8, and the current GPU page no
        # longer lists GN10X.4XLARGE80.
        (
            {"nodePools": pools("M5.LARGE16")},
            ("'M5.LARGE16' is not among the M5 sizes", ": M5.SMALL8, M5.MEDIUM16, M5.LARGE32, M5.2XLARGE64,"),
        ),
        ({"nodePools": pools("C6.MEDIUM4")}, ("'C6.MEDIUM4' is not among the C6 sizes", ": C6.LARGE8, C6.LARGE16,")),
        (
            {"nodePools": pools("GN10X.4XLARGE80")},
            (
                "'GN10X.4XLARGE80' is not among the GN10X sizes",
                ": GN10X.2XLARGE40, GN10X.9XLARGE160, GN10X.18XLARGE320",
            ),
        ),
    ],
)
def test_types_tencent_does_not_sell_are_refused_naming_the_field(tmp_path, cluster, needles):
    path = stack_file(tmp_path, "types", {"zones": ["ap-guangzhou-3"], **cluster})
    message = refused(kubecvm("plan", "--config-file", path, "--no-policies"))
    for needle in needles:
        assert needle in message, (needle, message)


def test_documented_types_of_every_modelled_family_plan(tmp_path):
    cluster = {
        "zones": ["ap-guangzhou-3"],
        "controlPlane": {"instanceType": "S6.2XLARGE32"},
        "nodePools": [
            *pools("S5.LARGE8"),
            {"name": "amd", "slot": 2, "instanceType": "SA2.22XLARGE224", "countPerZone": 1},
            {"name": "milan", "slot": 3, "instanceType": "SA3.58XLARGE940", "countPerZone": 1},
        ],
    }
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "fine", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    cvms = {
        r["inputs"]["instanceType"]
        for r in run.json()["resources"]
        if r["type"] == "tencentcloud:Instance/instance:Instance"
    }
    assert cvms == {"S6.2XLARGE32", "S5.LARGE8", "SA2.22XLARGE224", "SA3.58XLARGE940"}


def test_one_type_of_every_family_group_plans_and_a_bare_metal_size_is_taken_with_a_note(tmp_path):
    groups = {
        "memory": "M5.2XLARGE64",
        "compute": "C6.2XLARGE16",
        "io": "IT5.4XLARGE64",
        "data": "D3.2XLARGE32",
        "gpu": "GN7.2XLARGE40",
        "render": "GN7vw.4XLARGE64",
        "metal": "BMS5.24XLARGE384",
    }
    cluster = {
        "zones": ["ap-guangzhou-3"],
        "controlPlane": {"instanceType": "S5se.LARGE16"},
        "nodePools": [
            {"name": name, "slot": slot, "instanceType": t, "countPerZone": 1}
            for slot, (name, t) in enumerate(groups.items(), start=1)
        ],
    }
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "groups", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    cvms = {
        r["inputs"]["instanceType"]
        for r in run.json()["resources"]
        if r["type"] == "tencentcloud:Instance/instance:Instance"
    }
    assert cvms == {"S5se.LARGE16", *groups.values()}
    notes = [line for line in run.stderr.splitlines() if "is taken as sold" in line]
    assert notes == [
        "kubecvm: note: kubecvm:cluster.nodePools[6].instanceType: 'BMS5.24XLARGE384' is taken as sold: "
        "Tencent's instance-type pages name the BMS5 family but give no size table the offline catalogue "
        "transcribes; `pulumi preview` checks it against the provider's instance-types data source"
    ]


def test_a_later_generation_of_a_documented_series_plans_with_a_note(tmp_path):
    # SA5 and S8 are sold today, but none of Tencent's pages stored here (qcloud-documents, nor intlcloud-documents'
    # English, Chinese and Korean 实例规格 pages) documents them: refusing them would be a false refusal.
    cluster = {
        "zones": ["ap-guangzhou-3"],
        "controlPlane": {"instanceType": "S8.LARGE16"},
        "nodePools": pools("SA5.LARGE16"),
    }
    run = kubecvm("plan", "--config-file", stack_file(tmp_path, "newer", cluster), "--format", "json", "--no-policies")
    assert run.exit_code == 0, run.stderr
    cvms = sorted(
        r["inputs"]["instanceType"]
        for r in run.json()["resources"]
        if r["type"] == "tencentcloud:Instance/instance:Instance"
    )
    assert cvms == ["S8.LARGE16", "SA5.LARGE16"]
    notes = [line for line in run.stderr.splitlines() if "is taken as sold" in line]
    assert notes == [
        f"kubecvm: note: kubecvm:cluster.{where}: {t!r} is taken as sold: the {t.split('.')[0]} family is "
        "newer than Tencent's instance-type pages the offline catalogue is taken from; `pulumi preview` "
        "checks it against the provider's instance-types data source"
        for where, t in (("controlPlane.instanceType", "S8.LARGE16"), ("nodePools[0].instanceType", "SA5.LARGE16"))
    ]
