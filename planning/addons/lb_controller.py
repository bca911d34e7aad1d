"""The load-balancer controller: `type: LoadBalancer` Services on CLB and the node lifecycle
(programs/lb_controller/, docs/load-balancer-services.md). Its RBAC, its program and pip lock in a ConfigMap, its
Deployment (two replicas on the masters, one leading through a Lease), and what the masters' CAM role must allow.
Pure.

The program runs on Tencent's copy of python:slim like the CSR approver, but needs the official Kubernetes client and
Tencent's CLB, CVM and VPC SDKs: an init container installs them with `pip install --require-hashes --no-deps` from the
region's package mirror (planning/mirrors.py, in the VPC), the way every node installs tccli (planning/node-pip.lock):
pip refuses any file whose sha256 planning/lb-controller-pip.lock does not list, so the mirror can serve nothing
else. tools/node_pip_lock.py --lb-controller writes the lock from the pins below.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import cam
from ..mirrors import host_of
from .cbs_csi_facts import INTERNAL_API_IP, METADATA_HOST, METADATA_IP
from .common import LOCKED_DOWN, PART_OF, deployment, image, meta, on_masters, rbac, rule

if TYPE_CHECKING:
    from .settings import AddonSettings

NAME = "kubecvm-lb-controller"
PROGRAM = Path(__file__).parent / "programs" / "lb_controller"
PIP_LOCK = Path(__file__).parents[1] / "lb-controller-pip.lock"
# The libraries' pins (the dev environment's too: requirements.lock), the roots of the lock.
KUBERNETES_CLIENT, CLB_SDK, CVM_SDK, VPC_SDK, COMMON_SDK = "37.0.2", "3.1.194", "3.1.178", "3.1.193", "3.1.195"
ROOT_DIR, SITE_DIR = "/opt/lb-controller", "/opt/lb-controller/site"
PROGRAM_DIR = f"{ROOT_DIR}/program"
LOCK_KEY = "requirements.txt"

# The CLB, VPC and CVM calls the controller makes (programs/lb_controller/tencent.py, services.py, security.py), and
# how CAM may scope them: CLB and VPC support authorization by tag ("CLB 实例支持配置标签和使用标签鉴权",
# tencentyun/intlcloud-documents yehe_doc/网络与CDN/负载均衡/访问管理/策略示例_intl_zh.md; VPC: planning/cam.py vpc), so
# a CLB or security group is created only with the cluster's tag and changed or deleted only when it carries it;
# reads stay on "*" (list queries take no condition: planning/cam.py).
CLB_READS = tuple(
    cam.clb(a) for a in ("DescribeLoadBalancers", "DescribeListeners", "DescribeTargets", "DescribeTaskStatus")
)
CLB_CREATE = (cam.clb("CreateLoadBalancer"),)
CLB_WRITES = tuple(
    cam.clb(a)
    for a in (
        "DeleteLoadBalancer",
        "CreateListener",
        "ModifyListener",
        "DeleteListener",
        "RegisterTargets",
        "DeregisterTargets",
        "SetLoadBalancerSecurityGroups",
        "ModifyLoadBalancerAttributes",  # LoadBalancerPassToTarget back on when someone turned it off
    )
)
# spec.loadBalancerSourceRanges: the Service's security group (programs/lb_controller/security.py).
VPC_READS = tuple(cam.vpc(a) for a in ("DescribeSecurityGroups", "DescribeSecurityGroupPolicies"))
VPC_CREATE = (cam.vpc("CreateSecurityGroup"),)
VPC_WRITES = tuple(cam.vpc(a) for a in ("ModifySecurityGroupPolicies", "DeleteSecurityGroup"))
CVM_READS = ("cvm:DescribeInstances",)  # the node lifecycle
CAM_ACTIONS = (*CLB_READS, *CLB_CREATE, *CLB_WRITES, *VPC_READS, *VPC_CREATE, *VPC_WRITES, *CVM_READS)


def pip_roots() -> list[str]:
    return [
        f"kubernetes=={KUBERNETES_CLIENT}",
        f"tencentcloud-sdk-python-clb=={CLB_SDK}",
        f"tencentcloud-sdk-python-cvm=={CVM_SDK}",
        f"tencentcloud-sdk-python-vpc=={VPC_SDK}",
        f"tencentcloud-sdk-python-common=={COMMON_SDK}",
    ]


def pip_requirements() -> str:
    """The lock without its comments: what the init container hands pip."""
    return "".join(line + "\n" for line in PIP_LOCK.read_text().splitlines() if line and not line.startswith("#"))


def clb_statements(cluster: str, tag_key: str) -> list[dict[str, Any]]:
    """The masters' CAM statements for the CLB and VPC calls (the CVM read joins the CBS reads: bootstrap.py)."""
    return [
        {"effect": "allow", "action": [*CLB_READS, *VPC_READS], "resource": ["*"]},
        {
            "effect": "allow",
            "action": [*CLB_CREATE, *VPC_CREATE],
            "resource": ["*"],
            "condition": cam.tag_condition(cam.REQUEST_TAG, tag_key, cluster),
        },
        {
            "effect": "allow",
            "action": [*CLB_WRITES, *VPC_WRITES],
            "resource": ["*"],
            "condition": cam.tag_condition(cam.RESOURCE_TAG, tag_key, cluster),
        },
    ]


def program_key(path: Path) -> str:
    """A module's ConfigMap key: its file name without the dunder underscores (__main__.py -> main.py), which the
    engine reserves in property names; the volume's items put each back at lb_controller/<file name>."""
    return path.name.replace("__", "")


def program_files() -> dict[str, str]:
    """The package's modules: ConfigMap key -> source."""
    return {program_key(p): p.read_text() for p in sorted(PROGRAM.glob("*.py"))}


def program_items() -> list[dict[str, str]]:
    return [
        {"key": LOCK_KEY, "path": LOCK_KEY},
        *({"key": program_key(p), "path": f"lb_controller/{p.name}"} for p in sorted(PROGRAM.glob("*.py"))),
    ]


def _meta(name: str, namespaced: bool = True) -> dict[str, Any]:
    return meta(name, {"app.kubernetes.io/name": NAME, **PART_OF}, namespaced)


def lb_controller_objects(s: AddonSettings) -> list[dict[str, Any]]:
    """RBAC (no wildcards), the program and its lock, the Lease's Role, the Deployment."""
    if not s.lb_controller:
        return []
    rules = [
        rule([""], ["services"], ["get", "list", "watch", "patch"]),
        rule([""], ["services/status"], ["patch"]),
        rule([""], ["nodes"], ["get", "list", "watch", "patch", "delete"]),
        rule([""], ["events"], ["create", "patch"]),
        rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
    ]
    # The Lease: created once, then read and renewed by name only, in kube-system only.
    lease_role = [
        rule(["coordination.k8s.io"], ["leases"], ["create"]),
        rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [NAME]),
    ]
    files = program_files()
    labels = {"app": NAME}
    packages = s.mirrors.packages
    env = [
        {"name": "CLUSTER", "value": s.cluster},
        {"name": "REGION", "value": s.region},
        {"name": "CLB_ENDPOINT", "value": s.mirrors.api_host("clb")},
        {"name": "CVM_ENDPOINT", "value": s.mirrors.api_host("cvm")},
        {"name": "VPC_ENDPOINT", "value": s.mirrors.api_host("vpc")},
        {"name": "LEASE_NAMESPACE", "value": "kube-system"},
        {"name": "LEASE_NAME", "value": NAME},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "PYTHONPATH", "value": f"{PROGRAM_DIR}:{SITE_DIR}"},
    ]
    install = {
        "name": "install",
        "image": image("lb-controller", s),
        "imagePullPolicy": "IfNotPresent",
        "command": [
            "python3",
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "--target",
            SITE_DIR,
            "--index-url",
            f"{packages}/pypi/simple",
            "--trusted-host",
            host_of(packages),
            "-r",
            f"{PROGRAM_DIR}/{LOCK_KEY}",
        ],
        "env": [{"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [
            {"name": "program", "mountPath": PROGRAM_DIR, "readOnly": True},
            {"name": "site", "mountPath": SITE_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        "securityContext": dict(LOCKED_DOWN),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }
    controller = {
        "name": "controller",
        "image": image("lb-controller", s),
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-m", "lb_controller"],
        "env": env,
        "volumeMounts": [
            {"name": "program", "mountPath": PROGRAM_DIR, "readOnly": True},
            {"name": "site", "mountPath": SITE_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        "securityContext": dict(LOCKED_DOWN),
        "resources": {"requests": {"cpu": "20m", "memory": "96Mi"}, "limits": {"memory": "384Mi"}},
    }
    aliases = [{"ip": METADATA_IP, "hostnames": [METADATA_HOST]}]
    # TKE's own load-balancer controller is pinned so: clb.internal and cvm.internal at 169.254.0.95
    # (tencentyun/qcloud-documents, TKE's page "Ingress 错误码", E6006 "Post https://clb.internal.tencentcloudapi.com/:
    # dial tcp: i/o timeout": hostAliases tke/clb/cvm.internal -> 169.254.0.95). No Tencent page or manifest found
    # pins vpc.internal, so it is resolved by the VPC's DNS, as the nodes resolve <service>.internal (mirrors.py).
    if s.mirrors.api_domain.startswith("internal."):
        aliases.append({"ip": INTERNAL_API_IP, "hostnames": [s.mirrors.api_host("clb"), s.mirrors.api_host("cvm")]})
    pod = {
        "serviceAccountName": NAME,
        "priorityClassName": "system-cluster-critical",
        # Host network: the metadata service must see the master to hand out its CAM role's credentials.
        "hostNetwork": True,
        "dnsPolicy": "ClusterFirstWithHostNet",
        "hostAliases": aliases,
        **on_masters(),
        # One replica per master, so a master's loss leaves the other to take the Lease over.
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}
                ]
            }
        },
        "initContainers": [install],
        "containers": [controller],
        "volumes": [
            {"name": "program", "configMap": {"name": NAME, "items": program_items()}},
            {"name": "site", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
        ],
    }
    binding_subject = [{"kind": "ServiceAccount", "name": NAME, "namespace": "kube-system"}]
    return [
        *rbac(NAME, NAME, rules, _meta),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(f"{NAME}-lease"),
            "rules": lease_role,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(f"{NAME}-lease"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{NAME}-lease"},
            "subjects": binding_subject,
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(NAME),
            "data": {**files, LOCK_KEY: pip_requirements()},
        },
        deployment(_meta(NAME), 2, labels, pod),
    ]
