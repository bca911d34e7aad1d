"""Every refusal rule of the model (kubecvm/planning/tencent/<service>.py) is reachable from the offline plan: a
create through the simulated cloud's new_resource (what `kubecvm plan` registers through), a delete through the
replay of `kubecvm diff --replay`. Where the emulator answers the rule's action, the wire refuses the same request
with the same code. Where it does not (VPC's route entries, cvm, cbs, ssm, cos, CAM's CreateRole and CreatePolicy,
and the CLB checks the provider makes itself), the rule is enforced offline only, as
docs/emulator.md says. The refusals of the load-balancer controller's calls, which only the wire faces, have their
cases at the end."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from emulator_helpers import common, refused
from pulumi.runtime.mocks import MockResourceArgs

from kubecvm.emulator import Emulator
from kubecvm.emulator.server import SERVICES as EMULATED
from kubecvm.offline import simulated_cloud as sim
from kubecvm.offline.replay import replay
from kubecvm.planning.tencent import cam, cbs, clb, cos, cvm, monitor, services, ssm, tke, vpc
from kubecvm.planning.tencent import common as common_codes

CRT = {"region": "ap-guangzhou", "routes": {}}


@dataclass(frozen=True)
class Case:
    rule: Callable
    action: str  # the Tencent API action the provider (or kubecvm's dynamic provider) calls
    type: str
    inputs: dict | Callable[[list[str]], dict]  # or built from the ids of `before`
    refused: str  # a regex of the refusal's message
    before: tuple[tuple[str, dict], ...] = ()  # created first, in order
    wire: tuple[dict, ...] = ()  # where the emulator answers the action: its requests, the last one refused
    code: str | None = None  # and the code the wire refuses it with
    arrange: Callable | None = None  # sets up the emulated account first (what the emulator has no API for yet)
    wire_action: str | None = None  # where the wire refuses it through another action than the provider's
    # The provider refuses it itself before it calls the API (its own check, e.g. checkSameName), so the wire,
    # which answers the API, has no such refusal.
    provider_side: bool = False


INSTANCE = {"instanceType": "S5.LARGE8"}


def RULE(i: int) -> dict:  # noqa: N802 (a rule in the provider's spelling, one source address each)
    return {"action": "ACCEPT", "protocol": "TCP", "port": "443", "cidrBlock": f"10.0.{i // 256}.{i % 256}/32"}


def WIRE(i: int) -> dict:  # noqa: N802 (the same rule as a SecurityGroupPolicy)
    return vpc.policy_to_wire(RULE(i))


POLICY = {"monitorType": "MT_QCE", "namespace": "cvm_device", "projectId": 0}
POLICY_WIRE = {"Module": "monitor", "MonitorType": "MT_QCE", "Namespace": "cvm_device", "ProjectId": 0}
# A TMP instance's create, as the provider's inputs and as its request: in subnet-1 of vpc-1, ap-guangzhou-3.
TMP = {"instanceName": "t", "vpcId": "vpc-1", "subnetId": "subnet-1", "dataRetentionTime": 15, "zone": "ap-guangzhou-3"}
TMP_WIRE = {
    "InstanceName": "t",
    "VpcId": "vpc-1",
    "SubnetId": "subnet-1",
    "DataRetentionTime": 15,
    "Zone": "ap-guangzhou-3",
}
CASES = [
    Case(
        vpc.route_destination_free,
        "CreateRoutes",
        vpc.ROUTE_ENTRY,
        {
            "routeTableId": "rtb-1",
            "destinationCidrBlock": "10.8.0.0/24",
            "nextType": "NORMAL_CVM",
            "nextHub": "10.0.0.5",
        },
        "route table already has a route to 10.8.0.0/24",
        before=((vpc.ROUTE_ENTRY, {"routeTableId": "rtb-1", "destinationCidrBlock": "10.8.0.0/24"}),),
    ),
    Case(
        vpc.rule_ports,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "ingresses": [{"protocol": "ALL", "port": "22", "action": "ACCEPT"}]},
        r"ingresses\[0\]: protocol ALL takes port ALL, not 22 \(InvalidParameterValue\)$",
        wire=(
            {
                "SecurityGroupId": "sg-1",
                "SecurityGroupPolicySet": {
                    "Ingress": [{"Protocol": "ALL", "Port": "22", "Action": "ACCEPT", "CidrBlock": "10.0.0.0/8"}]
                },
            },
        ),
        code=common_codes.INVALID_PARAMETER_VALUE,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
    ),
    Case(
        vpc.rules_within_limit,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "ingresses": [RULE(i) for i in range(101)]},
        r"ingresses: 101 rules; a security group takes at most 100 per direction .*"
        r"\(LimitExceeded.SecurityGroupPolicySet\)$",
        # 60 rules, then 41 more: CreateSecurityGroupPolicies adds to what the group has.
        wire=(
            {"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Ingress": [WIRE(i) for i in range(60)]}},
            {"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Ingress": [WIRE(i) for i in range(60, 101)]}},
        ),
        code=vpc.POLICY_LIMIT_EXCEEDED,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
        wire_action="CreateSecurityGroupPolicies",
    ),
    Case(
        vpc.rules_distinct,
        "ModifySecurityGroupPolicies",
        vpc.RULE_SET,
        {"securityGroupId": "sg-1", "egresses": [RULE(0), RULE(1), RULE(0) | {"description": "again"}]},
        r"egresses\[2\] repeats egresses\[0\]: ACCEPT TCP 443 from 10.0.0.0/32 \(UnsupportedOperation.DuplicatePolicy\)$",
        wire=({"SecurityGroupId": "sg-1", "SecurityGroupPolicySet": {"Egress": [WIRE(0), WIRE(1), WIRE(0)]}},),
        code=vpc.DUPLICATE_POLICY,
        arrange=lambda emulator: emulator.vpc.add_group("sg-1"),
    ),
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
    Case(
        clb.clb_name_unique,
        "CreateLoadBalancer",
        clb.INSTANCE,
        {"clbName": "api", "networkType": "INTERNAL"},
        "Same CLB name api exists",
        before=((clb.INSTANCE, {"clbName": "api", "networkType": "INTERNAL"}),),
        provider_side=True,
    ),
    Case(
        clb.clb_internet,
        "CreateLoadBalancer",
        clb.INSTANCE,
        {"clbName": "in", "networkType": "INTERNAL", "internetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"},
        "INTERNAL network_type do not support internet charge type setting",
        provider_side=True,
    ),
    Case(
        clb.listener_port_free,
        "CreateListener",
        clb.LISTENER,
        {"clbId": "lb-1", "port": 6443, "protocol": "TCP"},
        r"the CLB already listens on TCP 6443 \(InvalidParameter.PortCheckFailed\)",
        before=((clb.LISTENER, {"clbId": "lb-1", "port": 6443, "protocol": "TCP"}),),
        wire=(
            {"LoadBalancerId": "lb-00000001", "Ports": [6443], "Protocol": "TCP"},
            {"LoadBalancerId": "lb-00000001", "Ports": [6443], "Protocol": "TCP"},
        ),
        code=clb.PORT_CHECK_FAILED,
        arrange=lambda emulator: settled_clb(emulator),
    ),
    Case(
        ssm.secret_name_free,
        "CreateSecret",
        ssm.SECRET,
        {"secretName": "ca"},
        "secret name ca exists",
        before=((ssm.SECRET, {"secretName": "ca"}),),
    ),
    Case(
        ssm.secret_version_free,
        "PutSecretValue",
        ssm.SECRET_VERSION,
        {"secretName": "ca", "versionId": "v1"},
        "secret ca already has version v1",
        before=((ssm.SECRET_VERSION, {"secretName": "ca", "versionId": "v1"}),),
    ),
    Case(
        cam.role_name_free,
        "CreateRole",
        cam.ROLE,
        {"name": "master"},
        r"master exists \(RoleNameInUse\)",
        before=((cam.ROLE, {"name": "master"}),),
    ),
    Case(
        cam.policy_name_free,
        "CreatePolicy",
        cam.POLICY,
        {"name": "read"},
        r"read exists \(PolicyNameInUse\)",
        before=((cam.POLICY, {"name": "read"}),),
    ),
    Case(
        cos.cos_bucket_name,
        "PutBucket",
        cos.BUCKET,
        {"bucket": "Etcd-backups"},
        "bucket 'Etcd-backups' is not <lower-case name>-<10-digit appid>",
    ),
    Case(
        tke.cluster_route_tables_disjoint,
        "CreateClusterRouteTable",
        tke.CLUSTER_ROUTE_TABLE,
        CRT | {"routeTableName": "mine", "routeTableCidrBlock": "172.16.0.0/12", "vpcId": "vpc-1"},
        r"overlaps route table other \(172.20.0.0/16\) in vpc-1 \(InvalidParameter.CidrConflictWithOtherCluster\)$",
        before=(
            (
                tke.CLUSTER_ROUTE_TABLE,
                CRT | {"routeTableName": "other", "routeTableCidrBlock": "172.20.0.0/16", "vpcId": "vpc-1"},
            ),
        ),
        wire=(
            {"RouteTableName": "other", "RouteTableCidrBlock": "172.20.0.0/16", "VpcId": "vpc-1"},
            {"RouteTableName": "mine", "RouteTableCidrBlock": "172.16.0.0/12", "VpcId": "vpc-1"},
        ),
        code=tke.CIDR_CONFLICT_WITH_OTHER_CLUSTER,
    ),
    Case(
        tke.cluster_route_table_vs_vpc_routes,
        "CreateClusterRouteTable",
        tke.CLUSTER_ROUTE_TABLE,
        lambda ids: CRT | {"routeTableName": "mine", "routeTableCidrBlock": "172.16.0.0/12", "vpcId": "vpc-1"},
        r"\(InvalidParameter.CidrConflictWithVpcGlobalRoute\); set podNetwork.ignoreVpcRouteConflict: true",
        before=(
            (vpc.ROUTE_TABLE, {"vpcId": "vpc-1"}),
            (vpc.ROUTE_ENTRY, {"routeTableId": "rtb-x", "destinationCidrBlock": "172.16.3.0/24"}),
        ),
        wire=({"RouteTableName": "mine", "RouteTableCidrBlock": "172.16.0.0/12", "VpcId": "vpc-1"},),
        code=tke.CIDR_CONFLICT_WITH_VPC_GLOBAL_ROUTE,
        arrange=lambda emulator: emulator.tke.vpc_routes.setdefault("vpc-1", []).append("172.16.3.0/24"),
    ),
]
CASES += [
    Case(
        monitor.alarm_policy_name,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY | {"policyName": "p" * 61},
        r"PolicyName 'p{61}' must be 1..60 characters \(InvalidParameterValue\)",
        wire=(POLICY_WIRE | {"PolicyName": "p" * 61},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_remark,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY | {"policyName": "p", "remark": "node CPU: high"},
        r"Remark 'node CPU: high' may hold only letters, digits, _ and - \(InvalidParameterValue\)",
        wire=(POLICY_WIRE | {"PolicyName": "p", "Remark": "node CPU: high"},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_rules,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        POLICY
        | {
            "policyName": "p",
            "conditions": {
                "isUnionRule": 0,
                "rules": [{"metricName": "CpuUsage", "operator": ">=", "value": "90", "period": 60}],
            },
        },
        r"conditions.rules\[0\].Operator '>=' is not one of eq, ge, gt, le, lt, ne \(InvalidParameterValue\)",
        wire=(
            POLICY_WIRE
            | {
                "PolicyName": "p",
                "Condition": {
                    "IsUnionRule": 0,
                    "Rules": [{"MetricName": "CpuUsage", "Operator": ">=", "Value": "90", "Period": 60}],
                },
            },
        ),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.alarm_policy_project,
        "CreateAlarmPolicy",
        monitor.ALARM_POLICY,
        {"monitorType": "MT_QCE", "namespace": "cvm_device", "policyName": "p"},
        r"ProjectId: a cvm_device policy needs a project other than -1 \(InvalidParameterValue\)$",
        wire=({"Module": "monitor", "MonitorType": "MT_QCE", "Namespace": "cvm_device", "PolicyName": "p"},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.tmp_required,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        TMP | {"subnetId": ""},
        r"CreatePrometheusMultiTenantInstancePostPayMode needs SubnetId \(MissingParameter\)$",
        wire=(TMP_WIRE | {"SubnetId": ""},),
        code=monitor.MISSING_PARAMETER,
    ),
    Case(
        monitor.tmp_retention,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        TMP | {"dataRetentionTime": 20},
        r"DataRetentionTime 20 is not one of 15, 30, 45, 90, 180, 365, 730 days \(InvalidParameterValue\)$",
        wire=(TMP_WIRE | {"DataRetentionTime": 20},),
        code=monitor.INVALID_PARAMETER_VALUE,
    ),
    Case(
        monitor.tmp_subnet,
        "CreatePrometheusMultiTenantInstancePostPayMode",
        monitor.TMP_INSTANCE,
        lambda ids: TMP | {"subnetId": ids[0], "zone": "ap-guangzhou-4"},
        r"SubnetId \S+ is in ap-guangzhou-3, not Zone ap-guangzhou-4 \(InvalidParameterValue\)$",
        before=((vpc.SUBNET, {"vpcId": "vpc-1", "availabilityZone": "ap-guangzhou-3", "cidrBlock": "10.0.0.0/24"}),),
        wire=(TMP_WIRE | {"Zone": "ap-guangzhou-4"},),
        code=monitor.INVALID_PARAMETER_VALUE,
        arrange=lambda emulator: emulator.vpc.add_subnet("subnet-1", "vpc-1", "ap-guangzhou-3"),
    ),
]
IDS = [c.rule.__name__ for c in CASES]


def settled_clb(emulator: Emulator) -> str:
    """An internal CLB (lb-00000001) whose creation has ended, and writes to it that need no awaiting: a case's
    requests then meet the rule, not FailedOperation.ResourceInOperating."""
    lb_id = emulator.clb.CreateLoadBalancer({"LoadBalancerType": "INTERNAL"})["LoadBalancerIds"][0]
    emulator.clb.busy.clear()
    emulator.clb.settle = True
    return lb_id


def answered_on_the_wire(case: Case) -> bool:
    """Whether the emulator answers the rule's action (its service emulated, and that action of it)."""
    if case.provider_side:
        return False
    service = services.service_of(case.type).SERVICE
    return any(cls.name == service and case.action in cls.parameters for cls in EMULATED)


def test_every_rule_of_the_model_has_a_case():
    rules = {r for table in (services.CREATE_RULES, services.DELETE_RULES) for rs in table.values() for r in rs}
    assert rules == {c.rule for c in CASES}
    for c in CASES:
        applied = (*services.CREATE_RULES.get(c.type, ()), *services.DELETE_RULES.get(c.type, ()))
        assert c.rule in applied, f"{c.rule.__name__} is not a rule of {c.type}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_offline_plan_refuses_what_the_rule_refuses(case):
    cloud = sim.SimulatedCloud()
    ids = [
        cloud.new_resource(MockResourceArgs(t, f"before-{i}", dict(inputs), custom=True))[0]
        for i, (t, inputs) in enumerate(case.before)
    ]
    inputs = case.inputs(ids) if callable(case.inputs) else case.inputs
    if case.rule in services.DELETE_RULES.get(case.type, ()):
        # A delete goes through the replay: the old plan holds the resource, the new one does not.
        cloud.new_resource(MockResourceArgs(case.type, "x", dict(inputs), custom=True))  # created: nothing refuses it
        old = {"resources": [{"urn": "urn:x", "type": case.type, "id": "x-1", "inputs": inputs}]}
        problems = replay(old, {"resources": []}, SimpleNamespace(replacements=[], added=[]))
        assert len(problems) == 1 and re.search(case.refused, problems[0]), problems
        return
    with pytest.raises(sim.CloudRefusal, match=case.refused):
        cloud.new_resource(MockResourceArgs(case.type, "x", dict(inputs), custom=True))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code(case):
    if not answered_on_the_wire(case):
        assert not case.wire, f"{case.action} is not answered by the emulator: the case has no wire face"
        assert services.service_of(case.type).SERVICE in ("vpc", "cvm", "cbs", "clb", "ssm", "cam", "cos", "monitor")
        return
    assert case.wire and case.code, f"the emulator answers {case.action}: give the case its requests and code"
    module = services.service_of(case.type)
    emulator = Emulator()
    if case.arrange is not None:
        case.arrange(emulator)
    with emulator.serve() as url:
        client = common(url, module.SERVICE, module.VERSION)
        action = case.wire_action or case.action
        for params in case.wire[:-1]:
            client.call_json(action, params)
        code, _ = refused(client.call_json, action, case.wire[-1])
    assert code == case.code and case.code in case.refused  # the offline refusal names the same code


# --- Refusals of the API the load-balancer controller calls, which only the wire faces -------------------------
# (kubecvm/planning/tencent/clb.py and cvm.py, second halves: no Pulumi resource of kubecvm's makes these calls, so
# the simulated cloud has nothing to refuse.) Each: the service, its requests in order (the last one refused), the
# code, and the account arranged first.
INTERNAL = {"LoadBalancerType": "INTERNAL", "VpcId": "vpc-1", "SubnetId": "subnet-1"}
LB = "lb-00000001"


def with_instance(emulator: Emulator) -> None:
    settled_clb(emulator)
    emulator.cvm.add_instance("ins-0000000a")


def with_subnet(emulator: Emulator) -> None:
    emulator.vpc.add_subnet("subnet-1", "vpc-1", "ap-guangzhou-3")


WIRE_CASES = {
    "create_lb_refusal: network type": (
        clb,
        [("CreateLoadBalancer", {"LoadBalancerType": "PUBLIC"})],
        "InvalidParameterValue",
        None,
    ),
    "create_lb_refusal: internal without subnet": (
        clb,
        [("CreateLoadBalancer", {"LoadBalancerType": "INTERNAL", "VpcId": "vpc-1"})],
        "InvalidParameter",
        None,
    ),
    "create_lb_refusal: internet on internal": (
        clb,
        [("CreateLoadBalancer", INTERNAL | {"InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"}})],
        clb.INVALID_PARAMETER_COMBINATION,
        None,
    ),
    "create_lb_refusal: bandwidth": (
        clb,
        [
            (
                "CreateLoadBalancer",
                {
                    "LoadBalancerType": "OPEN",
                    "InternetAccessible": {
                        "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                        "InternetMaxBandwidthOut": 4096,
                    },
                },
            )
        ],
        clb.VALUE_RANGE,
        None,
    ),
    "health_check_refusal: HTTP on UDP": (
        clb,
        [
            (
                "CreateListener",
                {
                    "LoadBalancerId": LB,
                    "Ports": [53],
                    "Protocol": "UDP",
                    "HealthCheck": {"CheckType": "HTTP", "HttpCheckPath": "/healthz"},
                },
            )
        ],
        clb.PROTOCOL_CHECK_FAILED,
        settled_clb,
    ),
    "targets_refusal: not a CVM of the account": (
        clb,
        [
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000b", "Port": 30080}],
                },
            ),
        ],
        "InvalidParameter",
        with_instance,
    ),
    "register: a target twice": (
        clb,
        [
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000a", "Port": 30080}],
                },
            ),
            (
                "RegisterTargets",
                {
                    "LoadBalancerId": LB,
                    "ListenerId": "lbl-00000002",
                    "Targets": [{"InstanceId": "ins-0000000a", "Port": 30080}],
                },
            ),
        ],
        clb.VALUE_DUPLICATE,
        with_instance,
    ),
    "busy_refusal: a write before the last task ended": (
        clb,
        [
            ("CreateLoadBalancer", INTERNAL),
            ("CreateListener", {"LoadBalancerId": LB, "Ports": [80], "Protocol": "TCP"}),
        ],
        clb.RESOURCE_IN_OPERATING,
        None,
    ),
    "no such CLB": (clb, [("DescribeListeners", {"LoadBalancerId": "lb-0000dead"})], clb.LB_ID_NOT_FOUND, None),
    "no such listener": (
        clb,
        [("DeleteListener", {"LoadBalancerId": LB, "ListenerId": "lbl-0000dead"})],
        clb.LISTENER_ID_NOT_FOUND,
        settled_clb,
    ),
    "tmp_describe_refusal: over 100 ids": (
        monitor,
        [("DescribePrometheusInstances", {"InstanceIds": [f"prom-{i:08x}" for i in range(101)]})],
        monitor.INVALID_PARAMETER_VALUE,
        None,
    ),
    "tmp_not_found: terminating an unknown instance": (
        monitor,
        [("TerminatePrometheusInstances", {"InstanceIds": ["prom-0000dead"]})],
        monitor.PROM_INSTANCE_NOT_FOUND,
        None,
    ),
    "tmp_destroy_refusal: destroyed before it is terminated": (
        monitor,
        [
            ("CreatePrometheusMultiTenantInstancePostPayMode", TMP_WIRE),
            ("DestroyPrometheusInstance", {"InstanceId": "prom-00000001"}),
        ],
        monitor.FAILED_OPERATION,
        with_subnet,
    ),
    "describe_instances_refusal: malformed id": (
        cvm,
        [("DescribeInstances", {"InstanceIds": ["ins-1122"]})],
        cvm.INSTANCE_ID_MALFORMED,
        None,
    ),
    "describe_instances_refusal: over 100 ids": (
        cvm,
        [("DescribeInstances", {"InstanceIds": [f"ins-{i:08x}" for i in range(101)]})],
        cvm.VALUE_LIMIT_EXCEEDED,
        None,
    ),
    "describe_groups_refusal: ids and filters": (
        vpc,
        [
            (
                "DescribeSecurityGroups",
                {"SecurityGroupIds": ["sg-1"], "Filters": [{"Name": "tag-key", "Values": ["kubecvm/cluster"]}]},
            )
        ],
        vpc.VALUE_COMBINATION,
        None,
    ),
    "describe_groups_refusal: limit over 100": (
        vpc,
        [("DescribeSecurityGroups", {"Limit": "101"})],
        common_codes.INVALID_PARAMETER_VALUE,
        None,
    ),
}


@pytest.mark.parametrize("name", list(WIRE_CASES))
def test_the_controllers_calls_are_refused_on_the_wire_with_tencents_codes(name):
    module, requests, code, arrange = WIRE_CASES[name]
    emulator = Emulator()
    if arrange is not None:
        arrange(emulator)
    with emulator.serve() as url:
        client = common(url, module.SERVICE, module.VERSION)
        for action, params in requests[:-1]:
            client.call_json(action, params)
        got, _ = refused(client.call_json, *requests[-1])
    assert got == code
    if name == "busy_refusal: a write before the last task ended":  # awaiting the task lifts it
        with emulator.serve() as url:
            client = common(url, "clb", clb.VERSION)
            task = emulator.clb.busy[LB]
            assert [
                client.call_json("DescribeTaskStatus", {"TaskId": task})["Response"]["Status"] for _ in range(2)
            ] == [clb.TASK_RUNNING, clb.TASK_SUCCEEDED]
            assert client.call_json(*requests[-1])["Response"]["ListenerIds"] == ["lbl-00000002"]
