"""The add-on's objects, its pip lock, the CAM statements, and the facts the shipped program keeps of its own."""

from __future__ import annotations

import json

from kubecvm.planning import addons, bootstrap, build_plan
from kubecvm.planning.addons import lb_controller
from kubecvm.planning.addons.programs.lb_controller import model, tencent
from kubecvm.planning.tencent import clb, common, cvm, vpc
from tests.bootstrap import test_node_pip_lock as lock
from tests.conftest import make_spec


def settings(**spec):
    return addons.settings_from_plan(build_plan(make_spec("prod", spec)))


def objects(**spec) -> dict:
    return {(o["kind"], o["metadata"]["name"]): o for o in lb_controller.lb_controller_objects(settings(**spec))}


def test_rbac_is_what_the_controller_calls_and_no_wildcard():
    objs = objects()
    assert sorted(objs) == [
        ("ClusterRole", "kubecvm-lb-controller"),
        ("ClusterRoleBinding", "kubecvm-lb-controller"),
        ("ConfigMap", "kubecvm-lb-controller"),
        ("Deployment", "kubecvm-lb-controller"),
        ("Role", "kubecvm-lb-controller-lease"),
        ("RoleBinding", "kubecvm-lb-controller-lease"),
        ("ServiceAccount", "kubecvm-lb-controller"),
    ]
    assert [
        (r["apiGroups"], r["resources"], r["verbs"]) for r in objs["ClusterRole", "kubecvm-lb-controller"]["rules"]
    ] == [
        ([""], ["services"], ["get", "list", "watch", "patch"]),
        ([""], ["services/status"], ["patch"]),
        ([""], ["nodes"], ["get", "list", "watch", "patch", "delete"]),
        ([""], ["events"], ["create", "patch"]),
        (["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
    ]
    assert objs["Role", "kubecvm-lb-controller-lease"]["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["kubecvm-lb-controller"],
            "verbs": ["get", "update"],
        },
    ]
    text = repr([o.get("rules") for o in objs.values()])
    assert "'*'" not in text


def test_two_replicas_on_the_masters_install_the_lock_then_run_the_shipped_package():
    objs = objects()
    pod = objs["Deployment", "kubecvm-lb-controller"]["spec"]["template"]["spec"]
    assert objs["Deployment", "kubecvm-lb-controller"]["spec"]["replicas"] == 2
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""} and pod["hostNetwork"] is True
    (install,), (run,) = pod["initContainers"], pod["containers"]
    assert install["command"][:3] == ["python3", "-m", "pip"] and "--require-hashes" in install["command"]
    assert install["command"][-2:] == ["-r", "/opt/lb-controller/program/requirements.txt"]
    index = install["command"][install["command"].index("--index-url") + 1]
    assert index == f"{settings().mirrors.packages}/pypi/simple"
    assert run["command"] == ["python3", "-m", "lb_controller"]
    data = objs["ConfigMap", "kubecvm-lb-controller"]["data"]
    items = pod["volumes"][0]["configMap"]["items"]
    assert {i["key"] for i in items} == set(data)
    shipped = {i["path"]: data[i["key"]] for i in items}
    assert shipped["lb_controller/__main__.py"] == (lb_controller.PROGRAM / "__main__.py").read_text()
    assert sorted(p for p in shipped if p.startswith("lb_controller/")) == sorted(
        f"lb_controller/{p.name}" for p in lb_controller.PROGRAM.glob("*.py")
    )
    assert shipped["requirements.txt"] == lb_controller.pip_requirements()
    assert objects(addons={"loadBalancerController": False}) == {}


def test_the_lock_holds_the_pins_and_their_closure_each_file_by_hash():
    roots, requires, pins = lock.parse(lb_controller.PIP_LOCK)
    assert roots == lb_controller.pip_roots()
    for root in roots:
        name, version = root.split("==")
        assert pins[name][0] == version
    assert all(hashes and all(lock.HASH.fullmatch(h) for h in hashes) for _, hashes in pins.values())
    assert lock.closure(roots, requires) == set(pins) == set(requires)


def test_the_masters_may_call_exactly_the_controllers_clb_and_vpc_actions_scoped_by_the_clusters_tag():
    plan = build_plan(make_spec("prod"))
    master = bootstrap.boot_plan(plan).role("master").policy_document
    statements = json.loads(master)["statement"]
    clb_statements = [s for s in statements if s["action"][0].startswith("clb:")]
    assert clb_statements == [
        {
            "effect": "allow",
            "action": [
                "clb:DescribeLoadBalancers",
                "clb:DescribeListeners",
                "clb:DescribeTargets",
                "clb:DescribeTaskStatus",
                "vpc:DescribeSecurityGroups",
                "vpc:DescribeSecurityGroupPolicies",
            ],
            "resource": ["*"],
        },
        {
            "effect": "allow",
            "action": ["clb:CreateLoadBalancer", "vpc:CreateSecurityGroup"],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:request_tag": ["kubecvm/cluster&demo"]}},
        },
        {
            "effect": "allow",
            "action": [
                "clb:DeleteLoadBalancer",
                "clb:CreateListener",
                "clb:ModifyListener",
                "clb:DeleteListener",
                "clb:RegisterTargets",
                "clb:DeregisterTargets",
                "clb:SetLoadBalancerSecurityGroups",
                "clb:ModifyLoadBalancerAttributes",
                "vpc:ModifySecurityGroupPolicies",
                "vpc:DeleteSecurityGroup",
            ],
            "resource": ["*"],
            "condition": {"for_any_value:string_equal": {"qcs:resource_tag": ["kubecvm/cluster&demo"]}},
        },
    ]
    assert not [a for s in statements for a in s["action"] if a.startswith("vpc:") and s not in clb_statements]
    assert any("cvm:DescribeInstances" in s["action"] and s["resource"] == ["*"] for s in statements)
    worker = json.loads(bootstrap.boot_plan(plan).role("worker").policy_document)["statement"]
    assert not [a for s in worker for a in s["action"] if a.startswith(("clb:", "vpc:"))]
    off = build_plan(make_spec("prod", {"addons": {"loadBalancerController": False}}))
    assert "clb:" not in bootstrap.boot_plan(off).role("master").policy_document
    assert "vpc:" not in bootstrap.boot_plan(off).role("master").policy_document


def test_workers_admit_clb_health_checks_only_with_the_controller():
    def rules(**spec):
        return [
            (r.protocol, r.port, r.cidr)
            for r in build_plan(make_spec("prod", spec)).security_group("worker").ingress
            if r.cidr == "100.64.0.0/10"
        ]

    # (the first rule is the ingress CLB's, on its own NodePorts)
    assert rules() == [
        ("TCP", "30080,30081", "100.64.0.0/10"),
        ("TCP", "30000-32767", "100.64.0.0/10"),
        ("ICMP", "ALL", "100.64.0.0/10"),
    ]
    assert rules(addons={"loadBalancerController": False}) == [("TCP", "30080,30081", "100.64.0.0/10")]


def test_the_shipped_program_keeps_tencents_facts_as_the_model_states_them():
    """The program cannot import kubecvm (the cluster gets it alone): its copies of the codes and limits are these."""
    assert tencent.IN_OPERATING == clb.RESOURCE_IN_OPERATING
    assert tencent.RATE_LIMITED == common.REQUEST_LIMIT_EXCEEDED
    assert (tencent.TASK_SUCCEEDED, tencent.TASK_FAILED, tencent.TASK_RUNNING) == (
        clb.TASK_SUCCEEDED,
        clb.TASK_FAILED,
        clb.TASK_RUNNING,
    )
    assert tencent.DESCRIBE_LIMIT == clb.DESCRIBE_LIMIT == cvm.DESCRIBE_LIMIT
    assert {tencent.IN_OPERATING, tencent.RATE_LIMITED} == clb.RETRYABLE
    assert model.BANDWIDTH_RANGE == (1, 2048) and set(model.CHARGE_TYPES) <= set(clb.CHARGE_TYPES)
    assert model.SHUTDOWN_TAINT == {"key": "node.cloudprovider.kubernetes.io/shutdown", "effect": "NoSchedule"}
    assert model.TAG_CLUSTER == "kubecvm/cluster"
    # The controller's calls are exactly those the masters' CAM role allows.
    called = {
        "DescribeLoadBalancers",
        "DescribeListeners",
        "DescribeTargets",
        "DescribeTaskStatus",
        "CreateLoadBalancer",
        "DeleteLoadBalancer",
        "CreateListener",
        "ModifyListener",
        "DeleteListener",
        "RegisterTargets",
        "DeregisterTargets",
        "SetLoadBalancerSecurityGroups",
        "ModifyLoadBalancerAttributes",
    }
    assert {a.split(":")[1] for a in lb_controller.CAM_ACTIONS if a.startswith("clb:")} == called
    assert called <= set(clb.PARAMETERS)
    called_vpc = {
        "DescribeSecurityGroups",
        "DescribeSecurityGroupPolicies",
        "CreateSecurityGroup",
        "ModifySecurityGroupPolicies",
        "DeleteSecurityGroup",
    }
    assert {a.split(":")[1] for a in lb_controller.CAM_ACTIONS if a.startswith("vpc:")} == called_vpc
    assert called_vpc <= set(vpc.PARAMETERS)
    assert tencent.DESCRIBE_LIMIT == vpc.DESCRIBE_LIMIT
    assert set(tencent.POLICY_KEYS) <= set(vpc.WIRE_KEYS.values())
    assert model.SOURCE_RANGES == "service.beta.kubernetes.io/load-balancer-source-ranges"
