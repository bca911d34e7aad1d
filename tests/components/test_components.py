"""The components under the recording mock runtime: child types, parents and exact inputs of the machines, their
disks, outputs, and what each waits for (the network's resources: test_components_network.py)."""

from __future__ import annotations

from collections import Counter

from kubecvm.offline.runner import run_program
from tests.conftest import stack_config

INSTANCE = "tencentcloud:Instance/instance:Instance"
ROUTE = "tencentcloud:Route/tableEntry:TableEntry"


def parent_type(rec, reg) -> str:
    return (
        next(r.type for r in rec.resources if r.urn == reg.parent)
        if reg.parent and "::pulumi:pulumi:Stack::" not in reg.parent
        else "stack"
    )


def test_children_types_per_component(prod):
    layout = Counter((parent_type(prod, r), r.type) for r in prod.resources)
    assert layout == Counter(
        {
            ("stack", "kubecvm:index:Cluster"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:Network"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:SecurityGroups"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:ControlPlane"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:NodePool"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:CloudMonitoring"): 1,
            ("kubecvm:index:CloudMonitoring", "tencentcloud:Monitor/alarmPolicy:AlarmPolicy"): 3,
            ("kubecvm:index:Cluster", "kubecvm:index:PodRoutes"): 1,
            ("kubecvm:index:Network", "tencentcloud:Vpc/instance:Instance"): 1,
            ("kubecvm:index:Network", "tencentcloud:Route/table:Table"): 1,
            ("kubecvm:index:Network", "tencentcloud:Subnet/instance:Instance"): 3,
            ("kubecvm:index:Network", "tencentcloud:Eip/instance:Instance"): 1,
            ("kubecvm:index:Network", "tencentcloud:Nat/gateway:Gateway"): 1,
            ("kubecvm:index:Network", ROUTE): 1,
            ("kubecvm:index:SecurityGroups", "tencentcloud:Security/group:Group"): 4,  # master, worker, lb, ingress
            ("kubecvm:index:SecurityGroups", "tencentcloud:Security/groupRuleSet:GroupRuleSet"): 4,
            ("kubecvm:index:ControlPlane", "tencentcloud:Placement/group:Group"): 1,
            ("kubecvm:index:ControlPlane", INSTANCE): 3,
            ("kubecvm:index:ControlPlane", "tencentcloud:Cbs/storage:Storage"): 3,
            ("kubecvm:index:ControlPlane", "tencentcloud:Cbs/storageAttachment:StorageAttachment"): 3,
            ("kubecvm:index:ControlPlane", "tencentcloud:Clb/instance:Instance"): 1,
            ("kubecvm:index:ControlPlane", "tencentcloud:Clb/listener:Listener"): 1,
            ("kubecvm:index:ControlPlane", "tencentcloud:Clb/attachment:Attachment"): 1,
            ("kubecvm:index:NodePool", INSTANCE): 6,
            ("kubecvm:index:PodRoutes", ROUTE): 9,
            ("kubecvm:index:Cluster", "kubecvm:index:IngressLoadBalancer"): 1,
            ("kubecvm:index:IngressLoadBalancer", "tencentcloud:Clb/instance:Instance"): 1,
            ("kubecvm:index:IngressLoadBalancer", "tencentcloud:Clb/listener:Listener"): 2,  # http, https
            ("kubecvm:index:IngressLoadBalancer", "tencentcloud:Clb/attachment:Attachment"): 2,
            ("kubecvm:index:Cluster", "kubecvm:index:Pki"): 1,
            ("kubecvm:index:Pki", "tls:index/privateKey:PrivateKey"): 5,  # 3 CAs, service accounts, admin
            ("kubecvm:index:Pki", "tls:index/selfSignedCert:SelfSignedCert"): 3,
            ("kubecvm:index:Pki", "tls:index/certRequest:CertRequest"): 1,
            ("kubecvm:index:Pki", "tls:index/locallySignedCert:LocallySignedCert"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:Boot"): 1,
            ("kubecvm:index:Boot", "random:index/randomPassword:RandomPassword"): 2,  # token id and secret
            ("kubecvm:index:Boot", "random:index/randomBytes:RandomBytes"): 1,  # the key for Secrets at rest
            ("kubecvm:index:Boot", "tencentcloud:Ssm/secret:Secret"): 10,  # 8 PKI files, the token, the encryption key
            ("kubecvm:index:Boot", "tencentcloud:Ssm/secretVersion:SecretVersion"): 10,
            ("kubecvm:index:Boot", "tencentcloud:Cam/role:Role"): 2,
            ("kubecvm:index:Boot", "tencentcloud:Cam/policy:Policy"): 2,
            ("kubecvm:index:Boot", "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment"): 2,
            ("kubecvm:index:Cluster", "pulumi-python:dynamic:Resource"): 1,  # the API-ready gate
            ("kubecvm:index:Cluster", "kubecvm:index:ClusterAddons"): 1,
            ("kubecvm:index:Cluster", "kubecvm:index:EtcdBackups"): 1,
            ("kubecvm:index:EtcdBackups", "tencentcloud:Cos/bucket:Bucket"): 1,
            ("kubecvm:index:EtcdBackups", "tencentcloud:Cam/policy:Policy"): 1,
            ("kubecvm:index:EtcdBackups", "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment"): 1,
            ("kubecvm:index:ClusterAddons", "pulumi:providers:kubernetes"): 1,
            # the CSR approver, CBS CSI, metrics-server, the load-balancer controller (+1 ServiceAccount, ConfigMap,
            # ClusterRole(Binding), Role, RoleBinding, Deployment) and the CoreDNS patch behind its gate
            # (planning/addons/), then ingress-nginx (planning/addons/ingress_nginx.py: +1 ServiceAccount, ConfigMap, ClusterRole(Binding),
            # RoleBinding, DaemonSet, +2 Services, and its Namespace, Secret, Role, IngressClass, webhook)
            ("kubecvm:index:ClusterAddons", "kubernetes:core/v1:ServiceAccount"): 6,
            ("kubecvm:index:ClusterAddons", "kubernetes:core/v1:ConfigMap"): 4,
            ("kubecvm:index:ClusterAddons", "kubernetes:core/v1:Service"): 3,
            ("kubecvm:index:ClusterAddons", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"): 7,
            ("kubecvm:index:ClusterAddons", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"): 7,
            ("kubecvm:index:ClusterAddons", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"): 3,
            ("kubecvm:index:ClusterAddons", "kubernetes:apiregistration.k8s.io/v1:APIService"): 1,
            ("kubecvm:index:ClusterAddons", "kubernetes:storage.k8s.io/v1:CSIDriver"): 1,
            ("kubecvm:index:ClusterAddons", "kubernetes:storage.k8s.io/v1:StorageClass"): 1,
            ("kubecvm:index:ClusterAddons", "kubernetes:apps/v1:Deployment"): 4,
            ("kubecvm:index:ClusterAddons", "kubernetes:apps/v1:DaemonSet"): 2,
            ("kubecvm:index:ClusterAddons", "kubernetes:apps/v1:DeploymentPatch"): 1,
            ("kubecvm:index:ClusterAddons", "pulumi-python:dynamic:Resource"): 2,  # CoreDNS gate, CLB cleanup
            ("kubecvm:index:ClusterAddons", "kubernetes:core/v1:Namespace"): 1,
            ("kubecvm:index:ClusterAddons", "kubernetes:core/v1:Secret"): 2,  # admission webhook and metrics-server TLS
            ("kubecvm:index:ClusterAddons", "kubernetes:rbac.authorization.k8s.io/v1:Role"): 2,
            ("kubecvm:index:ClusterAddons", "kubernetes:networking.k8s.io/v1:IngressClass"): 1,
            (
                "kubecvm:index:ClusterAddons",
                "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
            ): 1,
            # The admission webhook's and metrics-server's certificates: each a CA of its own and a serving certificate.
            ("kubecvm:index:ClusterAddons", "tls:index/privateKey:PrivateKey"): 4,
            ("kubecvm:index:ClusterAddons", "tls:index/selfSignedCert:SelfSignedCert"): 2,
            ("kubecvm:index:ClusterAddons", "tls:index/certRequest:CertRequest"): 2,
            ("kubecvm:index:ClusterAddons", "tls:index/locallySignedCert:LocallySignedCert"): 2,
        }
    )


def test_master_inputs_exact(prod):
    master = prod.by_name("demo-master-0")
    ids = {r.name: r.id for r in prod.resources}
    assert master.inputs == {
        "allocatePublicIp": False,
        "availabilityZone": "ap-guangzhou-3",
        "camRoleName": "kubecvm-demo-master",
        "disableApiTermination": True,
        "disableMonitorService": False,
        "hostname": "demo-master-0",
        "imageId": master.inputs["imageId"],
        "instanceChargeType": "POSTPAID_BY_HOUR",
        "instanceName": "demo-master-0",
        "instanceType": "S5.LARGE16",
        "keyIds": ["skey-abcd1234"],
        "orderlySecurityGroups": [ids["demo-sg-master"]],
        "placementGroupId": ids["demo-masters-spread"],
        "privateIp": "10.0.64.4",
        "subnetId": ids["demo-subnet-z3"],
        "systemDiskSize": 50,
        "systemDiskType": "CLOUD_SSD",
        "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "master"},
        "userData": master.inputs["userData"],  # rendered and checked in tests/bootstrap
        "userDataReplaceOnChange": False,
        "vpcId": ids["demo-vpc"],
    }
    assert "userDataRaw" not in master.inputs
    # What the CVM gets is exactly the renderer's text, encoded (cloud-init decodes it on the node).
    from kubecvm.planning import bootstrap

    text = bootstrap.decode_user_data(master.inputs["userData"])
    assert text.startswith("#cloud-config\n")
    assert master.inputs["userData"] == bootstrap.encode_user_data(text)
    assert master.inputs["imageId"].startswith("img-")  # looked up by name, as no imageId was given


def test_worker_inputs_exact(prod):
    worker = prod.by_name("demo-general-z6-1")
    assert {k: worker.inputs[k] for k in ("availabilityZone", "privateIp", "instanceType", "dataDisks", "tags")} == {
        "availabilityZone": "ap-guangzhou-6",
        "privateIp": "10.0.164.1",
        "instanceType": "S5.2XLARGE32",
        "dataDisks": [{"dataDiskSize": 200, "dataDiskType": "CLOUD_SSD", "deleteWithInstance": True, "encrypt": True}],
        "tags": {"kubecvm/cluster": "demo", "kubecvm/pool": "general", "kubecvm/role": "worker"},
    }
    assert "placementGroupId" not in worker.inputs and worker.inputs["disableApiTermination"] is False


def test_etcd_disks_are_separate_encrypted_ssd_and_protected_in_prod(prod, dev):
    disk = prod.by_name("demo-master-1-etcd")
    assert (disk.inputs, disk.protect) == (
        {
            "availabilityZone": "ap-guangzhou-4",
            "encrypt": True,
            "storageName": "demo-master-1-etcd",
            "storageSize": 200,
            "storageType": "CLOUD_SSD",
            "tags": {"kubecvm/cluster": "demo", "kubecvm/role": "storage"},
        },
        True,
    )
    attach = prod.by_name("demo-master-1-etcd-attach")
    assert attach.inputs == {"instanceId": prod.by_name("demo-master-1").id, "storageId": disk.id}
    assert [d.protect for d in dev.of_type("tencentcloud:Cbs/storage:Storage")] == [False]
    assert prod.by_name("demo-vpc").protect and not dev.by_name("demo-vpc").protect


def test_outputs(prod):
    assert prod.outputs["apiEndpoint"] == "10.0.64.11:6443"
    assert prod.outputs["masterIps"] == {
        "demo-master-0": "10.0.64.4",
        "demo-master-1": "10.0.96.4",
        "demo-master-2": "10.0.160.4",
    }
    assert prod.outputs["podCidrs"]["demo-general-z3-1"] == "172.20.65.0/24"
    assert prod.outputs["capacity"]["routeEntriesUsed"] == 10
    assert set(prod.outputs["subnetIds"]) == {"ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"}


def test_bad_config_registers_nothing():
    import pulumi

    rec_error = None
    try:
        run_program(stack_config("prod", vpcCidr="10.0.0.1/16"), stack="bad")
    except pulumi.RunError as exc:
        rec_error = str(exc)
    assert rec_error is not None and "vpcCidr: '10.0.0.1/16' is not canonical" in rec_error


def test_nodes_wait_only_for_the_boot_secrets_their_role_reads(prod):
    def boot_deps(name: str) -> list[str]:
        names = {r.urn: r.name for r in prod.resources}
        return sorted(
            n for d in prod.by_name(name).dependencies if (n := names[d]).startswith(("kubecvm-demo-", "kubecvm_demo_"))
        )

    assert boot_deps("demo-general-z3-0") == [
        "kubecvm-demo-worker",
        "kubecvm-demo-worker-boot-attach",
        "kubecvm_demo_bootstrap-token-value",
    ]
    assert boot_deps("demo-master-0") == sorted(
        [
            *(
                f"kubecvm_demo_{item}-value"
                for item in (
                    "bootstrap-token",
                    "ca-crt",
                    "ca-key",
                    "encryption-key",
                    "etcd-ca-crt",
                    "etcd-ca-key",
                    "front-proxy-ca-crt",
                    "front-proxy-ca-key",
                    "sa-key",
                    "sa-pub",
                )
            ),
            "kubecvm-demo-master",
            "kubecvm-demo-master-boot-attach",
        ]
    )


def test_waits_for_lists_whole_pools_and_the_rest_one_by_one():
    from types import SimpleNamespace

    from kubecvm.components.pod_routes import waits_for

    a, b, c, m = object(), object(), object(), object()
    whole, partial = SimpleNamespace(nodes={"a": a, "b": b}), SimpleNamespace(nodes={"c": c, "x": object()})
    empty = SimpleNamespace(nodes={})
    # A pool with an instance outside `instances` would make the table wait for it too: its instances go one by one.
    assert waits_for({"m": m, "a": a, "b": b, "c": c}, [whole, partial, empty]) == [whole, m, c]
