"""The kubeadm configuration each node is given (init, join, KubeletConfiguration) and the kubelet's registration.

Pure. Split from planning/bootstrap.py, which re-exports every name here.
"""

from __future__ import annotations

from . import mirrors, validation
from .cloud_config import _yaml
from .hardening import ADMISSION_CONFIG, AUDIT_LOG_DIR, AUDIT_POLICY, AUDIT_ROTATION, ENCRYPTION_CONFIG, HARDENING_DIR
from .plan import API_PORT, CLUSTER_DOMAIN, ClusterPlan, MachinePlan


TOKEN_PLACEHOLDER = "__BOOTSTRAP_TOKEN__"  # replaced on the node by the token read from SSM
INSTANCE_PLACEHOLDER = "__INSTANCE_ID__"  # replaced on the node by its instance id (metadata service)


# Every config document rendered here (kubeadm v1beta3, KubeletConfiguration, audit Policy, Admission- and
# EncryptionConfiguration) is checked against JSON Schemas read from the upstream Go types, and every component
# flag against the file that registers it: tests/bootstrap/config_schemas/ (sources and commits in each file).
KUBEADM_API = "kubeadm.k8s.io/v1beta3"
PKI_DIR = "/etc/kubernetes/pki"
ETCD_DIR = "/var/lib/etcd"


# A finite bootstrap token: each master's kubecvm-token-sync timer (every 15 min) pushes its expiry TTL ahead, so it
# lives while the cluster runs and a rotated-away token dies by itself within the TTL.
TOKEN_TTL_SECONDS = 2 * 3600


# kube-apiserver verifies the kubelets' serving certificates (logs, exec, attach, port-forward, node proxy) against
# the cluster CA. kubeadm does not set the flag (cmd/kubeadm/app/phases/controlplane/manifests.go getAPIServerCommand,
# kubernetes/kubernetes@ad7cb45bb24a21d7f391c10985d0af850471f426) but mounts CertificatesDir into the static pod; the
# CA is CertificatesDir/CACertName = PKI_DIR/ca.crt (cmd/kubeadm/app/constants/constants.go CACertName "ca.crt",
# @00886ac01fec1c8432967e8bb597828f46a9ba8b), the same file kubeadm gives kube-controller-manager as
# --cluster-signing-cert-file (getControllerManagerCommand), with which it signs kubernetes.io/kubelet-serving CSRs.
# The kubelets' certificates come from those CSRs (serverTLSBootstrap below, approved by planning/addons/programs/csr_approver.py)
# and name the node's InternalIP, the first of kubeadm's --kubelet-preferred-address-types=InternalIP,ExternalIP,
# Hostname, so the address the API server dials is in the certificate. Until a node's CSR is approved (seconds after
# it registers) only apiserver->kubelet calls to that node fail: nothing in the boot or the add-on gates makes one.
KUBELET_CA = f"{PKI_DIR}/ca.crt"


def api_server_args() -> dict[str, str]:
    return {
        "profiling": "false",
        "audit-policy-file": AUDIT_POLICY,
        "audit-log-path": f"{AUDIT_LOG_DIR}/audit.log",
        **AUDIT_ROTATION,
        "encryption-provider-config": ENCRYPTION_CONFIG,
        "admission-control-config-file": ADMISSION_CONFIG,
        "kubelet-certificate-authority": KUBELET_CA,
    }


def api_server_volumes() -> list[dict]:
    return [
        {
            "name": "kubecvm-config",
            "hostPath": HARDENING_DIR,
            "mountPath": HARDENING_DIR,
            "readOnly": True,
            "pathType": "DirectoryOrCreate",
        },
        {
            "name": "audit-log",
            "hostPath": AUDIT_LOG_DIR,
            "mountPath": AUDIT_LOG_DIR,
            "readOnly": False,
            "pathType": "DirectoryOrCreate",
        },
    ]


def provider_id(m: MachinePlan) -> str:
    """The kubelet's --provider-id in the form TKE's nodes carry (qcloud:///<zone>/<instance id>), filled in at boot.

    No cloud controller runs here to set spec.providerID, and the CBS CSI node plugin reads the instance id from
    it (driver/cbs/node.go getInstanceIdFromProviderID: scheme qcloud, last path element starting "ins-"). The
    kubelet sets it itself when given (kubernetes pkg/kubelet/kubelet_node_status.go initialNode).
    """
    return f"qcloud:///{m.zone}/{INSTANCE_PLACEHOLDER}"


# No cloud controller runs here, so the kubelet labels its node with the plan's topology. The NodeRestriction
# admission plugin lets a kubelet set exactly these well-known labels on itself
# (kubernetes/kubernetes staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go, kubeletLabels).
ZONE_LABEL, REGION_LABEL = "topology.kubernetes.io/zone", "topology.kubernetes.io/region"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


def node_labels(m: MachinePlan) -> dict[str, str]:
    """The planned topology labels, then the pool's own labels (which may not override them)."""
    topology = {ZONE_LABEL: m.zone, REGION_LABEL: m.zone.rsplit("-", 1)[0], INSTANCE_TYPE_LABEL: m.instance_type}
    return {**{k: v for k, v in m.labels.items() if k not in topology}, **topology}


def _checked_flags(m: MachinePlan) -> None:
    """Labels and taints checked again where they are rendered, whatever built the plan.

    kubeadm writes kubeletExtraArgs into /var/lib/kubelet/kubeadm-flags.env as one KUBELET_KUBEADM_ARGS string,
    which systemd splits at whitespace into kubelet arguments (kubeadm's 10-kubeadm.conf drop-in runs
    `kubelet ... $KUBELET_KUBEADM_ARGS`): no quoting survives that, so a label value with a space would become
    extra kubelet flags (`team: "x --authorization-mode=AlwaysAllow"`). Only values Kubernetes accepts, which
    never hold whitespace, a comma or an '=', may reach it.
    """
    for key, value in node_labels(m).items():
        if problem := validation.node_label_problem(key, value):
            raise ValueError(f"{m.name}: node label {problem}")
    for t in m.taints:
        if problem := validation.taint_problem(t.get("key", ""), t.get("value", "")):
            raise ValueError(f"{m.name}: taint {problem}")


def _registration(m: MachinePlan) -> dict:
    _checked_flags(m)
    args = {"node-ip": m.private_ip, "provider-id": provider_id(m)}
    args["node-labels"] = ",".join(f"{k}={v}" for k, v in sorted(node_labels(m).items()))
    taints = [{k: t[k] for k in ("key", "value", "effect") if t.get(k)} for t in m.taints]
    return {
        "name": m.name,
        "criSocket": "unix:///run/containerd/containerd.sock",
        "kubeletExtraArgs": args,
        "taints": taints,
    }


def kubeadm_init_config(plan: ClusterPlan, m: MachinePlan, *, host: str) -> str:
    spec = plan.spec
    return _yaml(
        {
            "apiVersion": KUBEADM_API,
            "kind": "InitConfiguration",
            # Finite (CIS): the masters' token-sync timer keeps pushing its expiry ahead while the cluster runs.
            "bootstrapTokens": [
                {
                    "token": TOKEN_PLACEHOLDER,
                    "ttl": f"{TOKEN_TTL_SECONDS}s",
                    "usages": ["signing", "authentication"],
                    "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                }
            ],
            "localAPIEndpoint": {"advertiseAddress": m.private_ip, "bindPort": int(API_PORT)},
            "nodeRegistration": _registration(m),
        },
        {
            "apiVersion": KUBEADM_API,
            "kind": "ClusterConfiguration",
            "kubernetesVersion": f"v{spec.kubernetes.version}",
            "clusterName": plan.name,
            "controlPlaneEndpoint": f"{host}:{API_PORT}",
            "imageRepository": mirrors.from_spec(spec).control_plane,
            "certificatesDir": PKI_DIR,
            "networking": {"podSubnet": plan.pod_cidr, "serviceSubnet": plan.service_cidr, "dnsDomain": CLUSTER_DOMAIN},
            "apiServer": {
                "certSANs": list(dict.fromkeys([host, *(x.private_ip for x in plan.masters)])),
                "extraArgs": api_server_args(),
                "extraVolumes": api_server_volumes(),
            },
            # The VPC route table owns each node's pod CIDR (planned); the controller manager must not hand out others.
            "controllerManager": {"extraArgs": {"allocate-node-cidrs": "false", "profiling": "false"}},
            "scheduler": {"extraArgs": {"profiling": "false"}},
            "etcd": {"local": {"dataDir": ETCD_DIR}},
        },
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "cgroupDriver": "systemd",
            "maxPods": spec.max_pods_per_node,
            # Serving certificates signed by the cluster CA (signer kubernetes.io/kubelet-serving; approved by the
            # add-on in planning/addons/programs/csr_approver.py, rotated by the kubelet), so metrics-server verifies kubelets
            # instead of skipping TLS checks. kubeadm uploads this document to the kubelet-config ConfigMap, so
            # every joining node gets it too.
            "serverTLSBootstrap": True,
            "protectKernelDefaults": True,  # CIS: the sysctls it then requires are set at boot (KERNEL_DEFAULTS)
        },
    )


def kubeadm_join_config(plan: ClusterPlan, m: MachinePlan, *, host: str, ca_hash: str) -> str:
    doc = {
        "apiVersion": KUBEADM_API,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": f"{host}:{API_PORT}",
                "token": TOKEN_PLACEHOLDER,
                "caCertHashes": [ca_hash],
            }
        },
        "nodeRegistration": _registration(m),
    }
    if m.role == "master":
        doc["controlPlane"] = {"localAPIEndpoint": {"advertiseAddress": m.private_ip, "bindPort": int(API_PORT)}}
    return _yaml(doc)
