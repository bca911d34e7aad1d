"""The refusal rules of CVM and CBS (kubecvm/planning/tencent/cvm.py, cbs.py): one case each, refused by the offline
plan and, where the emulator answers the action, on the wire with the same code (tests/emulator/refusal_case.py)."""

from __future__ import annotations

from refusal_case import Case, rule_tests

from kubecvm.planning.tencent import cbs, cvm, vpc

INSTANCE = {"instanceType": "S5.LARGE8"}

CASES = [
    Case(
        cvm.instance_type_sold,
        "RunInstances",
        cvm.INSTANCE,
        {"instanceType": "Q9.LARGE8"},
        r"'Q9.LARGE8' is not a type Tencent sells \(InvalidParameterValue.InstanceTypeNotFound\)",
    ),
    Case(
        cvm.system_disk_sold,
        "RunInstances",
        cvm.INSTANCE,
        INSTANCE | {"systemDiskType": "CLOUD_TSSD"},
        "systemDiskType: CLOUD_TSSD is not a system disk of a S5 instance",
    ),
    Case(
        cvm.private_ip_in_subnet,
        "RunInstances",
        cvm.INSTANCE,
        lambda ids: INSTANCE | {"subnetId": ids[0], "privateIp": "10.1.0.9"},
        r"privateIp 10.1.0.9 is outside subnet 10.0.0.0/24",
        before=((vpc.SUBNET, {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24"}),),
    ),
    Case(
        cvm.prepaid_needs_its_term,
        "RunInstances",
        cvm.INSTANCE,
        INSTANCE | {"instanceChargeType": "PREPAID"},
        "a PREPAID instance needs instanceChargeTypePrepaidPeriod",
    ),
    Case(
        cvm.data_disks_go_with_postpaid_only,
        "RunInstances",
        cvm.INSTANCE,
        INSTANCE
        | {
            "instanceChargeType": "PREPAID",
            "instanceChargeTypePrepaidPeriod": 1,
            "dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 100}],
        },
        r"dataDisks\[0\].deleteWithInstance may be true only on POSTPAID_BY_HOUR instances, not PREPAID",
    ),
    Case(
        cvm.data_disk_sizes,
        "RunInstances",
        cvm.INSTANCE,
        INSTANCE | {"dataDisks": [{"dataDiskType": "CLOUD_SSD", "dataDiskSize": 5}]},
        r"dataDisks\[0\].dataDiskSize 5 GiB is outside",
    ),
    Case(
        cvm.termination_protection,
        "TerminateInstances",
        cvm.INSTANCE,
        INSTANCE | {"disableApiTermination": True},
        "termination protection is on",
    ),
    Case(
        cbs.cbs_size,
        "CreateDisks",
        cbs.STORAGE,
        {"storageType": "CLOUD_SSD", "storageSize": 5},
        "storageSize 5 GiB is outside",
    ),
    Case(
        cbs.disk_detached,
        "AttachDisks",
        cbs.STORAGE_ATTACHMENT,
        {"storageId": "disk-1", "instanceId": "ins-2"},
        "disk disk-1 is already attached",
        before=((cbs.STORAGE_ATTACHMENT, {"storageId": "disk-1", "instanceId": "ins-1"}),),
    ),
]

(
    test_the_offline_plan_refuses_what_the_rule_refuses,
    test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code,
) = rule_tests(CASES)
