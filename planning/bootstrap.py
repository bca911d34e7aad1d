"""How a CVM becomes a Kubernetes node: cloud-init user data, secret and role plans. Pure (no pulumi).

The user data carries only the NAMES of the SSM secrets a node needs (PKI files, bootstrap token). The boot script
(planning/templates/kubecvm-boot) reads them at first boot with the instance's CAM role, so nothing secret is
visible through the metadata service. The CA certificate hash in the join configuration is public by design
(kubeadm prints it); it pins the CA for workers that do not hold it.

Which changes roll nodes: none. user_data_replace_on_change is False on every CVM, so a change to anything
rendered here (Kubernetes version, mirror, scripts, CA hash) is an in-place update of the instance's user data
that only machines created later run (cloud-init runs once per instance). Replacing masters or workers together
would lose etcd quorum or every workload at once; roll them one at a time (`pulumi up --replace <urn>`) or with
`kubeadm upgrade`. See docs/concepts/boot.md.
"""

from __future__ import annotations

import base64
import email
import functools
import gzip
import hashlib
import json
import re
import shlex
import weakref
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
import yaml

from . import backups, cam, mirrors, names, validation
from .addons import CAM_ACTIONS as CSI_CONTROLLER_ACTIONS
from .addons import METADATA_IP
from .addons import NODE_CAM_ACTIONS as CSI_NODE_ACTIONS
from .addons import lb_controller
from .plan import API_PORT, CLUSTER_DOMAIN, TAG_CLUSTER, TAG_ROLE, ClusterPlan, MachinePlan

USER_DATA_LIMIT = 16 * 1024  # CVM: bytes of user data after base64
TCCLI_VERSION = "3.1.189.1"  # tccli from PyPI, for SSM and CBS calls with the CVM role (--use-cvm-role)
# What every node's pip installs (tccli, the COS SDK, all they import), each file by its sha256: written by
# tools/node_pip_lock.py from TCCLI_VERSION and backups.COS_SDK_VERSION (docs/concepts/boot.md, "What is pinned").
PIP_LOCK = Path(__file__).with_name("node-pip.lock")
# The signing key of the Kubernetes apt repository (pkgs.k8s.io, "isv:kubernetes OBS Project
# <isv:kubernetes@build.opensuse.org>", rsa2048 of 2022-08-25, one primary key without subkeys): the key every
# core:/stable:/v1.<minor>/deb/Release.key serves (kubernetes/kubernetes issue 128609 lists it for v1.26 and v1.27;
# kubernetes/release issue 3818: its expiry of 2024-11-02 was extended on the same key, so the fingerprint stays).
# The boot script fetches the key over the package mirror (plain http for Tencent's in-VPC one) and refuses a key
# file that is not exactly this one key.
KUBERNETES_APT_KEY_FINGERPRINT = "DE15B14486CD377B9E876E1A234654DA9A296436"
SECRET_VERSION = "current"  # the one SSM version id; rotation updates its value in place
TOKEN_PLACEHOLDER = "__BOOTSTRAP_TOKEN__"  # replaced on the node by the token read from SSM
INSTANCE_PLACEHOLDER = "__INSTANCE_ID__"  # replaced on the node by its instance id (metadata service)
TOKEN_PATTERN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")  # kubeadm's bootstrap token format
TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH = 6, 16
CA_HASH_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
# Every config document rendered here (kubeadm v1beta3, KubeletConfiguration, audit Policy, Admission- and
# EncryptionConfiguration) is checked against JSON Schemas read from the upstream Go types, and every component
# flag against the file that registers it: tests/bootstrap/config_schemas/ (sources and commits in each file).
KUBEADM_API = "kubeadm.k8s.io/v1beta3"
PKI_DIR = "/etc/kubernetes/pki"
ETCD_DIR = "/var/lib/etcd"
TEMPLATES = Path(__file__).parent / "templates"
JOIN_STAGGER_SECONDS = 45
# containerd reads per-registry mirrors from config_path (containerd docs/hosts.md); kubecvm-boot points it here.
CERTS_D = "/etc/containerd/certs.d"
DOCKER_HUB_HOSTS = f"{CERTS_D}/docker.io/hosts.toml"

# (item, file under PKI_DIR): what kubeadm expects to find when it is handed an existing PKI.
PKI_FILES = (
    ("ca-crt", "ca.crt"),
    ("ca-key", "ca.key"),
    ("etcd-ca-crt", "etcd/ca.crt"),
    ("etcd-ca-key", "etcd/ca.key"),
    ("front-proxy-ca-crt", "front-proxy-ca.crt"),
    ("front-proxy-ca-key", "front-proxy-ca.key"),
    ("sa-key", "sa.key"),
    ("sa-pub", "sa.pub"),
)
TOKEN_ITEM = "bootstrap-token"
# The certificate authorities kubeadm is handed (item, common name, the files they fill) and the admin client.
CERTIFICATE_AUTHORITIES = (("ca", "kubernetes"), ("etcd-ca", "etcd-ca"), ("front-proxy-ca", "front-proxy-ca"))
CA_VALIDITY_HOURS = 10 * 365 * 24  # kubeadm's CA lifetime
CA_USES = ("cert_signing", "crl_signing", "digital_signature", "key_encipherment")
KEY_ALGORITHM, RSA_BITS = "RSA", 2048  # what kubeadm generates itself
ADMIN_ITEM = "admin"
# system:masters: the kubeconfig output works even when RBAC is broken (break-glass); keep it secret.
ADMIN_SUBJECT = {"common_name": "kubecvm-admin", "organization": "system:masters"}
ADMIN_VALIDITY_HOURS, ADMIN_RENEW_HOURS = 365 * 24, 30 * 24  # `pulumi up` in the last month renews it
ADMIN_USES = ("digital_signature", "key_encipherment", "client_auth")


@dataclass(frozen=True)
class SecretPlan:
    name: str  # SSM secret name (also the Pulumi resource name)
    version: str  # Pulumi resource name of its SecretVersion
    item: str  # PKI item or TOKEN_ITEM
    path: str | None  # where masters write it; None for the token
    readers: tuple[str, ...]  # roles allowed to read it
    former: str  # the earlier name (`kubecvm-<cluster>-<item>`): the alias of the renamed resources


@dataclass(frozen=True)
class RolePlan:
    role: str  # master | worker
    name: str
    policy: str
    attachment: str
    trust_document: str  # JSON
    policy_document: str  # JSON


@dataclass(frozen=True)
class BootPlan:
    secrets: tuple[SecretPlan, ...]
    roles: tuple[RolePlan, ...]
    secret_version: str
    recovery_window_days: int  # SSM keeps a deleted secret this long; 0 lets a dev stack be rebuilt at once

    def secret(self, item: str) -> SecretPlan:
        return next(s for s in self.secrets if s.item == item)

    def role(self, role: str) -> RolePlan:
        return next(r for r in self.roles if r.role == role)


def _json(doc: object) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


# CBS scoping. Disks are found or created at run time, so their ids cannot be listed: reads stay on "*" (they change
# nothing), every call that changes a disk is allowed only on this cluster's resources (its kubecvm/cluster tag;
# disks the CSI driver creates carry it through the StorageClass's disktags, and CreateDisks must ask for it), and
# never on the etcd disks (kubecvm/role=storage), which nothing in the cluster may detach, resize or delete.
# CAM's spelling of CBS actions and tag conditions, and which actions take a condition at all: planning/cam.py.
CBS_MUTATING = frozenset(cam.cbs(a) for a in ("AttachDisks", "DetachDisks", "ResizeDisk", "TerminateDisks"))
CBS_CREATE = frozenset({cam.cbs("CreateDisks")})


def cbs_statements(cluster: str, actions: set[str]) -> list[dict]:
    reads = sorted(actions - CBS_MUTATING - CBS_CREATE)
    mutating = cam.require_resource_level(sorted(actions & CBS_MUTATING))
    create = cam.require_resource_level(sorted(actions & CBS_CREATE))
    out = [{"effect": "allow", "action": reads, "resource": ["*"]}] if reads else []
    if mutating:
        out.append(
            {
                "effect": "allow",
                "action": mutating,
                "resource": ["*"],
                "condition": cam.tag_condition(cam.RESOURCE_TAG, TAG_CLUSTER, cluster),
            }
        )
        out.append(
            {
                "effect": "deny",
                "action": [a for a in mutating if a != cam.cbs("AttachDisks")],
                "resource": ["*"],
                "condition": cam.tag_condition(cam.RESOURCE_TAG, TAG_ROLE, "storage"),
            }
        )
    if create:
        out.append(
            {
                "effect": "allow",
                "action": create,
                "resource": ["*"],
                "condition": cam.tag_condition(cam.REQUEST_TAG, TAG_CLUSTER, cluster),
            }
        )
    return out


# id(plan) -> (a weak reference to that plan, its BootPlan); an entry leaves with its plan.
_BOOT_PLANS: dict[int, tuple[weakref.ref, BootPlan]] = {}


def boot_plan(plan: ClusterPlan) -> BootPlan:
    """The SSM secrets (masters read the PKI and the token, workers only the token) and the CAM roles.

    Once per plan object: a plan is frozen, and every machine's boot.env reads this, which walks all workers (for
    their data disks): rebuilt per machine, it was 7% of a 5000-node plan (bench/RESULTS.md). A plan's fields
    include dicts, so it cannot be a cache key itself; the entry is keyed by identity and dropped with the plan."""
    key = id(plan)
    hit = _BOOT_PLANS.get(key)
    if hit is not None and hit[0]() is plan:
        return hit[1]
    boot = _boot_plan(plan)
    _BOOT_PLANS[key] = (weakref.ref(plan, lambda _gone, key=key: _BOOT_PLANS.pop(key, None)), boot)
    return boot


def _boot_plan(plan: ClusterPlan) -> BootPlan:
    c = plan.name

    def secret(item: str, path: str | None, readers: tuple[str, ...]) -> SecretPlan:
        name = names.ssm_secret(c, item)
        return SecretPlan(
            name, names.ssm_secret_version(name), item, path, readers, names.ssm_secret_before_issue_11(c, item)
        )

    secrets = (
        *(secret(item, f"{PKI_DIR}/{path}", ("master",)) for item, path in PKI_FILES),
        secret(TOKEN_ITEM, None, ("master", "worker")),
        secret(ENCRYPTION_ITEM, None, ("master",)),  # CIS hardening: the API server's key for Secrets at rest
    )
    trust = _json(
        {
            "version": "2.0",
            "statement": [
                {"action": "name/sts:AssumeRole", "effect": "allow", "principal": {"service": ["cvm.qcloud.com"]}},
            ],
        }
    )
    roles = []
    for role in ("master", "worker"):
        readable = [f"qcs::ssm:{plan.region}::secret/creatorUin/*/{s.name}" for s in secrets if role in s.readers]
        statements = [{"effect": "allow", "action": ["ssm:GetSecretValue"], "resource": readable}]
        actions = set(CSI_NODE_ACTIONS) if plan.spec.addons.cbs_csi else set()  # the node plugin runs everywhere
        if role == "master" or any(w.data_disk for w in plan.workers):
            actions.add(cam.cbs("DescribeDisks"))  # the boot script finds its etcd or data disk (disks.sh)
        if role == "master" and plan.spec.addons.cbs_csi:  # the CSI controller runs on masters only
            actions |= set(CSI_CONTROLLER_ACTIONS)
        lb = role == "master" and plan.spec.addons.load_balancer_controller  # it runs on masters only
        if lb:
            actions |= set(lb_controller.CVM_READS)  # a read, with the CBS reads on "*"
        statements += cbs_statements(c, actions)
        if lb:
            statements += lb_controller.clb_statements(c, TAG_CLUSTER)
        roles.append(
            RolePlan(
                role=role,
                name=names.cam_role(c, role),
                policy=names.cam_policy(c, role),
                attachment=names.cam_attachment(c, role),
                trust_document=trust,
                policy_document=_json({"version": "2.0", "statement": statements}),
            )
        )
    return BootPlan(
        secrets=secrets,
        roles=tuple(roles),
        secret_version=SECRET_VERSION,
        recovery_window_days=7 if plan.protect else 0,
    )


# --- the bootstrap token and the CA hash --------------------------------------------------------------------


def is_bootstrap_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(value))


def ca_cert_hash(ca_pem: str) -> str:
    """kubeadm's discovery hash: sha256 over the DER SubjectPublicKeyInfo of the CA certificate."""
    cert = x509.load_pem_x509_certificate(ca_pem.encode())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def api_host(plan: ClusterPlan) -> str:
    """The address nodes join and kubeadm's controlPlaneEndpoint host: the internal API VIP.

    A public CLB's address is assigned by Tencent after the masters exist, and nodes without egress could not
    reach it anyway, so with public exposure nodes use the first master's address (not highly available; the
    public endpoint is still in the certificate SANs through the kubeconfig output's server).
    """
    return plan.api.vip or plan.masters[0].private_ip


def kubeconfig(cluster: str, server: str, ca_pem: str, cert_pem: str, key_pem: str) -> str:
    """An admin kubeconfig for `server` (host:port; the caller keeps it secret: it embeds a private key).

    The API server certificate always names "kubernetes" (kubeadm adds it), but not a public CLB address that
    Tencent assigns after the masters boot: verifying against that name works for every endpoint.
    """
    b64 = lambda text: base64.b64encode(text.encode()).decode()  # noqa: E731
    user = f"{cluster}-admin"
    return _yaml(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": f"https://{server}",
                        "certificate-authority-data": b64(ca_pem),
                        "tls-server-name": "kubernetes",
                    },
                }
            ],
            "users": [
                {"name": user, "user": {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}}
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
        }
    )


# --- CIS hardening --------------------------------------------------------------------------------------------
# The CIS Kubernetes benchmark items that apply to a kubeadm cluster; docs/concepts/security.md lists each, done or declined.
# Flag names: kube-apiserver staging/src/k8s.io/apiserver/pkg/server/options/{feature.go (profiling), audit.go
# (audit-policy-file, audit-log-path/-maxage/-maxbackup/-maxsize), etcd.go (encryption-provider-config),
# admission.go (admission-control-config-file)}; kube-controller-manager cmd/controller-manager/app/options/
# debugging.go (profiling); kube-scheduler cmd/kube-scheduler/app/options/deprecated.go (profiling: honoured because
# kubeadm runs the scheduler without --config). kubeadm v1beta3 (cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go):
# ControlPlaneComponent.extraArgs (map) and extraVolumes (HostPathMount name/hostPath/mountPath/readOnly/pathType).
HARDENING_DIR = "/etc/kubernetes/kubecvm"  # what the API server reads, mounted read-only into its static pod
AUDIT_POLICY = f"{HARDENING_DIR}/audit-policy.yaml"
ADMISSION_CONFIG = f"{HARDENING_DIR}/admission.yaml"
ENCRYPTION_CONFIG = f"{HARDENING_DIR}/encryption.yaml"  # written at boot from SSM: it holds the key (0600)
AUDIT_LOG_DIR = "/var/log/kubernetes/audit"
AUDIT_ROTATION = {"audit-log-maxage": "30", "audit-log-maxbackup": "10", "audit-log-maxsize": "100"}  # days, files, MB
ENCRYPTION_ITEM = "encryption-key"
ENCRYPTION_KEY_BYTES = 32  # secretbox takes a 32-byte key (k8s.io/apiserver/pkg/apis/apiserver/validation)
ENCRYPTION_PLACEHOLDER = "__ENCRYPTION_KEY__"  # replaced on the master by the key read from SSM
# A key's name is stored with every value it encrypts (k8s:enc:secretbox:v1:<name>:), so every master must give a
# key the same name, and two keys never one: the boot script names it kubecvm-<first 12 hex of its sha256>.
ENCRYPTION_KEY_NAME_PLACEHOLDER = "__ENCRYPTION_KEY_NAME__"
# Pod Security admission: the system namespace runs the control plane add-ons (CBS CSI node plugin: privileged,
# hostNetwork), which no profile but privileged admits.
POD_SECURITY_EXEMPT_NAMESPACES = ("kube-system",)
# With protectKernelDefaults the kubelet refuses to start unless these hold (it no longer sets them itself):
# pkg/kubelet/cm/container_manager_linux.go setupKernelTunables, values from
# staging/src/k8s.io/component-helpers/node/util/sysctl/sysctl.go.
KERNEL_DEFAULTS = {
    "vm.overcommit_memory": 1,
    "vm.panic_on_oom": 0,
    "kernel.panic": 10,
    "kernel.panic_on_oops": 1,
    "kernel.keys.root_maxkeys": 1000000,
    "kernel.keys.root_maxbytes": 25000000,
}
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


def audit_policy() -> dict:
    """audit.k8s.io/v1 Policy (first matching rule wins): metadata for every request, never a body, so no Secret
    value, token or key can reach the log; health checks and the steady lease/event traffic are not logged."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
            {
                "level": "None",
                "verbs": ["get", "update"],
                "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}],
            },
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
            {"level": "Metadata"},
        ],
    }


def admission_config() -> dict:
    """apiserver.config.k8s.io/v1 AdmissionConfiguration with the PodSecurity plugin's defaults
    (pod-security.admission.config.k8s.io/v1): baseline enforced, restricted warned and audited."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    # The *-version fields default to "latest" (the running Kubernetes' own profile definitions).
                    "defaults": {"enforce": "baseline", "audit": "restricted", "warn": "restricted"},
                    "exemptions": {"namespaces": list(POD_SECURITY_EXEMPT_NAMESPACES)},
                },
            }
        ],
    }


def encryption_config() -> dict:
    """apiserver.config.k8s.io/v1 EncryptionConfiguration: Secrets written with secretbox (XSalsa20-Poly1305) under
    the SSM-held key; `identity` last so Secrets written before encryption was on stay readable until rewritten."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {
                        "secretbox": {
                            "keys": [{"name": ENCRYPTION_KEY_NAME_PLACEHOLDER, "secret": ENCRYPTION_PLACEHOLDER}]
                        }
                    },
                    {"identity": {}},
                ],
            }
        ],
    }


def kernel_sysctls() -> str:
    return "".join(f"{k} = {v}\n" for k, v in KERNEL_DEFAULTS.items())


# --- user data ------------------------------------------------------------------------------------------------


class UserDataTooLarge(ValueError):
    pass


# What the CVM receives: text. terraform-provider-tencentcloud v1.82.42, tencentcloud/services/cvm/
# resource_tc_instance.go: create sends `user_data` to RunInstances.UserData as given ("Must be base64 encoded and
# up to 16 KB"); resourceTencentCloudInstanceRead then reads it back (DescribeInstancesAttributes, Attributes
# ["UserData"]) and sets `user_data_raw` to string(its base64 decoding). Pulumi carries that state over gRPC, whose
# string fields must be valid UTF-8: with a binary user data (gzip's bytes, as kubecvm shipped before) the bridge
# cannot marshal the create response, and the CVM, already created, is lost to the state (pulumi-terraform-bridge,
# "CreateResponse fails to marshal"). So the decoded user data must be text. A plain #cloud-config does not fit (a
# first master's is 24 KB, 32 KB in base64), nor one whose files each use cloud-init's write_files
# `encoding: gz+b64` (files compressed one by one: 23 KB as shipped). What ships is a one-part MIME message whose
# part is the gzipped #cloud-config in base64: cloud-init parses user data holding "MIME-Version:" as MIME, decodes
# a part by its Content-Transfer-Encoding, gunzips a part of a gzip type and reads the #cloud-config it holds
# (cloud-init docs, "User data formats": MIME multi-part archive, gzip compressed content; cloudinit/user_data.py
# convert_string, UserDataProcessor._process_msg, DECOMP_TYPES). The gzip still sees the whole document at once;
# the second base64 costs a third more (each preset's sizes: docs/concepts/boot.md's table, held to the plan by a test). The
# part's base64 is one line: RFC 2045 asks for lines of 76 characters, but cloud-init parses with Python's email
# package, which decodes lines of any length, and wrapping would cost 1.3% more (tests/bootstrap/test_render.py runs
# Debian's cloud-init on what ships).
# mtime=0: the same text always encodes to the same bytes, so nothing shows as changed in a diff.
USER_DATA_MIME_HEAD = "MIME-Version: 1.0\nContent-Type: application/gzip\nContent-Transfer-Encoding: base64\n\n"
# The part types cloud-init gunzips (cloudinit/user_data.py DECOMP_TYPES).
GZIP_TYPES = frozenset(
    {
        "application/gzip",
        "application/gzip-compressed",
        "application/gzipped",
        "application/x-compress",
        "application/x-compressed",
        "application/x-gunzip",
        "application/x-gzip",
        "application/x-gzip-compressed",
    }
)
_GZIP_MAGIC = b"\x1f\x8b"
_OWN_HEAD = USER_DATA_MIME_HEAD.encode()
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}\n?")


def encode_user_data(user_data: str) -> str:
    """The CVM's `user_data`: base64 of a MIME message (ASCII) whose one part is the gzipped #cloud-config."""
    if not user_data.isascii():
        # cloud-init hands a gunzipped part on as text that Python's email package turns back into bytes with
        # raw-unicode-escape (Message.get_payload): an "é" would reach the node as a lone surrogate, a "中" as the
        # six characters \u4e2d. _yaml escapes every other character (PyYAML's allow_unicode is off), so what
        # render_user_data returns is ASCII.
        raise ValueError("user data must be ASCII: cloud-init garbles other characters of a gzipped MIME part")
    part = base64.b64encode(gzip.compress(user_data.encode(), mtime=0)).decode()
    return base64.b64encode(f"{USER_DATA_MIME_HEAD}{part}\n".encode()).decode()


def user_data_parts(data: bytes) -> list[bytes]:
    """The payloads cloud-init reads from user data bytes, as it reads them (cloudinit/user_data.py convert_string,
    then UserDataProcessor._process_msg): the whole, gunzipped if it is gzip; when that is a MIME message (cloud-init
    looks for "mime-version:" in its first 4096 bytes and decodes it as UTF-8), each part that is not a multipart
    container, decoded by its Content-Transfer-Encoding and gunzipped when its type is a gzip one."""
    if (own := _own_part(data)) is not None:
        return [own]
    return mime_parts(data)


def _own_part(data: bytes) -> bytes | None:
    """The one part of user data exactly as encode_user_data ships it (its MIME head, then one line of strict base64),
    without the email parser (a policy reads every CVM's user data: the parser was most of that rule's time); None for
    anything else. mime_parts reads such data to the same one part (tests/bootstrap/test_render.py)."""
    if not data.startswith(_OWN_HEAD) or not _BASE64_LINE.fullmatch(data, len(_OWN_HEAD)):
        return None
    try:
        payload = base64.b64decode(data[len(_OWN_HEAD) :].rstrip(b"\n"), validate=True)
    except ValueError:  # binascii.Error: bad padding
        return None
    return gzip.decompress(payload)


def mime_parts(data: bytes) -> list[bytes]:
    """user_data_parts through the email parser, as cloud-init reads any user data."""
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    if b"mime-version:" not in data[:4096].lower():
        return [data]
    parts = []
    for part in email.message_from_string(data.decode("utf-8")).walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        parts.append(gzip.decompress(payload) if part.get_content_type() in GZIP_TYPES else payload)
    return parts


def decode_user_data(encoded: str) -> str:
    """The #cloud-config text of a CVM's `user_data` (as shipped, or gzip or plain text), as cloud-init reads it."""
    parts = user_data_parts(base64.b64decode(encoded, validate=True))
    if len(parts) != 1:
        raise ValueError(f"user data holds {len(parts)} parts, not one")
    return parts[0].decode()


def user_data_size(user_data: str) -> int:
    """Bytes as CVM counts them: what is shipped, after base64."""
    return len(encode_user_data(user_data))


class Literal(str):
    """A string emitted as a YAML block scalar (`|`), so scripts and configs stay readable in user data."""


# libyaml's emitter: every node's user data is rendered on each plan, and the pure-Python one cost 7 s per 1000
# machines (bench/RESULTS.md).
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


_Dumper.add_representer(
    Literal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")
)


def _yaml(*docs: object) -> str:
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096)


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


# The CNI below (bridge + host-local, with portmap) moves packets only: nothing on the node watches NetworkPolicy
# objects, so the API server stores them and no one applies them (containernetworking/plugins: bridge, host-local
# and portmap implement no policy). Said in the offline plan's summary and docs/concepts/security.md; enforcement is a later issue.
NETWORK_POLICY = {
    "enforced": False,
    "cni": "bridge + host-local",
    "note": "NetworkPolicy objects are accepted but not enforced: every pod can reach every pod",
}


def cni_config(m: MachinePlan) -> tuple[str, str]:
    """(bridge conflist, loopback conf): host-local hands out exactly the node's planned pod CIDR."""
    bridge = {
        "cniVersion": "1.0.0",
        "name": "kubecvm",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": m.pod_cidr}]], "routes": [{"dst": "0.0.0.0/0"}]},
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    loopback = {"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}
    return json.dumps(bridge) + "\n", json.dumps(loopback) + "\n"


def boot_env(plan: ClusterPlan, m: MachinePlan, *, host: str) -> str:
    spec, boot, mirror = plan.spec, boot_plan(plan), mirrors.from_spec(plan.spec)
    master = m.role == "master"
    ordinal = [x.name for x in plan.masters].index(m.name) if master else 0
    minor = spec.kubernetes.version.rsplit(".", 1)[0]
    values = {
        "NODE_NAME": m.name,
        "ROLE": m.role,
        "NODE_IP": m.private_ip,
        "POD_CIDR": m.pod_cidr,
        "FIRST_MASTER": "1" if master and ordinal == 0 else "0",
        "JOIN_DELAY": str(ordinal * JOIN_STAGGER_SECONDS),
        "CLUSTER_POD_CIDR": plan.pod_cidr,
        "VPC_CIDR": plan.vpc_cidr,
        "API_HOST": host,
        "METADATA_IP": METADATA_IP,
        # Masters only look for a peer among the others; a worker never reads it, so moving a master leaves every
        # worker's user data unchanged.
        "MASTER_IPS": " ".join(x.private_ip for x in plan.masters) if master else "",
        "REGION": plan.region,
        "K8S_VERSION": spec.kubernetes.version,
        "MIRROR": mirror.packages,
        "K8S_KEY_FPR": KUBERNETES_APT_KEY_FINGERPRINT,
        "SANDBOX_IMAGE": mirror.sandbox_image(minor),
        "API_DOMAIN": mirror.api_domain,
        "SECRET_VERSION": boot.secret_version,
        "TOKEN_SECRET": boot.secret(TOKEN_ITEM).name,
        "TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
        "ENCRYPTION_SECRET": boot.secret(ENCRYPTION_ITEM).name if master else "",
        # secret=file under PKI_DIR, for masters only: workers never hold a CA key.
        "PKI_FILES": " ".join(f"{s.name}={s.path.removeprefix(PKI_DIR + '/')}" for s in boot.secrets if s.path)
        if master
        else "",
        "ETCD_DISK": m.etcd_disk.name if m.etcd_disk else "",
        # A worker's data disk is found by type among its own data disks (planning/templates/data-disk.sh).
        "DATA_DISK_TYPE": m.data_disk.type if m.data_disk and not master else "",
    }
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())


# --- disks: what the kubelet and containerd wait for --------------------------------------------------------
KUBELET_MOUNTS = "/etc/systemd/system/kubelet.service.d/20-kubecvm-mounts.conf"
CONTAINERD_MOUNTS = "/etc/systemd/system/containerd.service.d/20-kubecvm-mounts.conf"
DATA_DIRS = ("/var/lib/containerd", "/var/lib/kubelet")  # bound from the worker's data disk (data-disk.sh)


def kubelet_mounts(m: MachinePlan) -> tuple[str, ...]:
    """The directories the kubelet must find mounted: a master's etcd disk (else after a slow reboot the kubelet
    starts etcd on the empty root-disk directory and master-0 could found a new one-member cluster), a worker's
    data disk."""
    if m.role == "master" and m.etcd_disk:
        return (ETCD_DIR,)
    return DATA_DIRS if m.data_disk else ()


def mount_dropin(paths: tuple[str, ...]) -> str:
    # systemd.unit(5) RequiresMountsFor=: Requires= and After= on the mount units of these paths; the unit fails to
    # start when a mount fails, instead of running on the directory underneath.
    return f"[Unit]\nRequiresMountsFor={' '.join(paths)}\n"


_SYSCTL = "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n"
_NET_UNIT = """[Unit]
Description=kubecvm pod egress NAT and local API VIP
Wants=network-online.target
After=network-online.target
Before=kubelet.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubecvm-net
[Install]
WantedBy=multi-user.target
"""
_SYNC_UNIT = "[Unit]\nDescription=kubecvm bootstrap token from SSM\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/kubecvm-token-sync\n"
_SYNC_TIMER = "[Timer]\nOnBootSec=5min\nOnUnitActiveSec=15min\n[Install]\nWantedBy=timers.target\n"
# etcd snapshots to COS and certificate renewal on masters (planning/backups.py, the two templates).
_BACKUP_UNIT = """[Unit]
Description=kubecvm: etcd snapshot to COS
[Service]
Type=oneshot
Environment=BACKUP_BUCKET={prefix} CONTAINER_RUNTIME_ENDPOINT=unix:///run/containerd/containerd.sock
ExecStart=/usr/local/sbin/kubecvm-etcd-backup
"""
_BACKUP_TIMER = "[Timer]\nOnBootSec=30min\nOnUnitActiveSec={hours}h\n[Install]\nWantedBy=timers.target\n"
_RENEW_UNIT = """[Unit]
Description=kubecvm: renew kubeadm certificates before they expire
[Service]
Type=oneshot
Environment=RENEW_WITHIN_DAYS={days} CONTAINER_RUNTIME_ENDPOINT=unix:///run/containerd/containerd.sock
ExecStart=/usr/local/sbin/kubecvm-cert-renew
"""
_RENEW_TIMER = "[Timer]\nOnCalendar=Sun *-*-* {hour:02d}:30:00\nPersistent=true\n[Install]\nWantedBy=timers.target\n"
COS_PUT = Path(__file__).with_name("cos_put.py")  # the uploader the backup script runs (planning/cos_put.py)


# The document is assembled from per-file YAML fragments: the files every node shares are emitted once per plan,
# not once per node. `- ` items at the left margin are what PyYAML emits for a list inside a mapping, so the
# result is the same text as dumping the whole document (the snapshots in tests/bootstrap hold it to that).
_RUNCMD = _yaml({"runcmd": [["systemctl", "daemon-reload"], ["/usr/local/sbin/kubecvm-boot"]]})


@functools.lru_cache(maxsize=256)
def _entry(path: str, mode: str, content: str, encoding: str | None = None) -> str:
    if isinstance(content, Literal) and _PLAIN_BLOCK.fullmatch(content):
        head, indent = _literal_head(path, mode, encoding)
        return head + "".join(f"{indent}{line}\n" if line else "\n" for line in content[:-1].split("\n"))
    return _dumped_entry(path, mode, content, encoding)


def _dumped_entry(path: str, mode: str, content: str, encoding: str | None = None) -> str:
    entry = {"path": path, "permissions": mode, **({"encoding": encoding} if encoding else {}), "content": content}
    return _yaml([entry])


# Text that YAML's emitter writes as a plain `|` block (PyYAML emitter.py analyze_scalar, libyaml emitter.c
# yaml_emitter_analyze_scalar): printable ASCII lines, none ending in a space (else it quotes the whole), not
# starting with a space or a blank line (an indentation indicator), one final line break (no chomping indicator).
# Such text is each line indented, blank lines bare: written here, the per-node files cost a string join instead
# of an emitter run each (tests/bootstrap/test_render.py holds it to what the emitter writes).
_PLAIN_BLOCK = re.compile(r"(?![ \n])(?:[\x20-\x7e]*[\x21-\x7e])?(?:\n(?:[\x20-\x7e]*[\x21-\x7e])?)*(?<=[^\n]\n)")


@functools.lru_cache(maxsize=64)
def _literal_head(path: str, mode: str, encoding: str | None) -> tuple[str, str]:
    """An entry's text up to its content's first line, and that content's indentation, as the emitter writes them."""
    head, _, indent = _dumped_entry(path, mode, Literal("x\n"), encoding).rpartition("x\n")[0].rpartition("\n")
    return head + "\n", indent


@functools.cache
def _hardening_files() -> tuple[tuple[str, str], ...]:
    """(path, content) of the static CIS hardening files every master writes, rendered once."""
    return (
        (AUDIT_POLICY, _yaml(audit_policy())),
        (ADMISSION_CONFIG, _yaml(admission_config())),
        ("/etc/kubecvm/encryption.yaml", _yaml(encryption_config())),
    )


def _strip_comments(text: str) -> str:
    """Comment-only lines dropped (the 16 KB budget): shell templates and planning/cos_put.py alike."""
    lines = text.splitlines()
    return "\n".join(line for i, line in enumerate(lines) if i == 0 or not line.lstrip().startswith("#")) + "\n"


@functools.cache
def _template(name: str) -> str:
    """A script from planning/templates with its comment-only lines dropped (the 16 KB budget)."""
    return _strip_comments((TEMPLATES / name).read_text())


@functools.cache
def _pip_lock() -> str:
    """The lock as pip reads it, its comment lines dropped (the 16 KB budget)."""
    return "".join(line + "\n" for line in PIP_LOCK.read_text().splitlines() if not line.startswith("#"))


def render_user_data(plan: ClusterPlan, m: MachinePlan, *, ca_hash: str, host: str | None = None) -> str:
    """The #cloud-config for one planned machine. Raises UserDataTooLarge past the CVM limit."""
    return _rendered(plan, m, ca_hash=ca_hash, host=host)[0]


def cvm_user_data(plan: ClusterPlan, m: MachinePlan, *, ca_hash: str, host: str | None = None) -> str:
    """What the machine's CVM `user_data` gets: its #cloud-config as encode_user_data ships it. Raises
    UserDataTooLarge past the CVM limit. Rendered and encoded once: the size checked is that of this very text, and
    the #cloud-config is not kept (the plan holds 5000 of these)."""
    return _rendered(plan, m, ca_hash=ca_hash, host=host)[1]


def _rendered(plan: ClusterPlan, m: MachinePlan, *, ca_hash: str, host: str | None) -> tuple[str, str]:
    """(the #cloud-config, its encoding for the CVM), once the encoding is known to fit the CVM limit."""
    if not CA_HASH_PATTERN.fullmatch(ca_hash):
        raise ValueError(f"ca_hash {ca_hash!r} is not sha256:<64 hex digits>")
    host = host or api_host(plan)
    master = m.role == "master"
    bridge, loopback = cni_config(m)

    def file(path: str, content: str, mode: str = "0644") -> str:
        return _entry(path, mode, Literal(content))  # owner: root

    def script(path: str, template: str) -> str:
        # In clear: the whole user data is gzipped at once (encode_user_data), and plain scripts compress together
        # with the configs they share words with; each gzipped and base64-encoded on its own cost 20% more when it
        # shipped as bare gzip (a first master's 9.9 KB against 8.0 KB).
        return _entry(path, "0755", Literal(_template(template)))

    files = [
        file("/etc/kubecvm/boot.env", boot_env(plan, m, host=host), "0600"),
        file("/etc/modules-load.d/kubecvm.conf", "overlay\nbr_netfilter\n"),
        file("/etc/sysctl.d/90-kubecvm.conf", _SYSCTL + kernel_sysctls()),
        file("/etc/cni/net.d/10-kubecvm.conflist", bridge),
        file("/etc/cni/net.d/99-loopback.conf", loopback),
        *([file(DOCKER_HUB_HOSTS, hosts)] if (hosts := mirrors.hosts_toml(mirrors.from_spec(plan.spec))) else []),
        script("/usr/local/lib/kubecvm/lib.sh", "lib.sh"),
        script("/usr/local/lib/kubecvm/disks.sh", "disks.sh"),
        file("/etc/kubecvm/pip.lock", _pip_lock()),
        # Only a worker with a data disk finds and binds it (the user data budget: masters do without).
        *([script("/usr/local/lib/kubecvm/data-disk.sh", "data-disk.sh")] if m.data_disk and not master else []),
        *([file(KUBELET_MOUNTS, mount_dropin(mounts))] if (mounts := kubelet_mounts(m)) else []),
        *([file(CONTAINERD_MOUNTS, mount_dropin(DATA_DIRS[:1]))] if m.data_disk and not master else []),
        script("/usr/local/sbin/kubecvm-net", "kubecvm-net"),
        file("/etc/systemd/system/kubecvm-net.service", _NET_UNIT),
        script("/usr/local/sbin/kubecvm-boot", "kubecvm-boot"),
        file("/etc/kubecvm/kubeadm-join.yaml", kubeadm_join_config(plan, m, host=host, ca_hash=ca_hash), "0600"),
    ]
    if master:
        files += [
            script("/usr/local/sbin/kubecvm-token-sync", "kubecvm-token-sync"),
            file("/etc/systemd/system/kubecvm-token-sync.service", _SYNC_UNIT),
            file("/etc/systemd/system/kubecvm-token-sync.timer", _SYNC_TIMER),
            # CIS hardening: what the API server reads (the encryption config gets its key from SSM at boot).
            *(file(path, content, "0600") for path, content in _hardening_files()),
            script("/usr/local/sbin/kubecvm-cert-renew", "kubecvm-cert-renew"),
            file("/etc/systemd/system/kubecvm-cert-renew.service", _RENEW_UNIT.format(days=backups.RENEW_WITHIN_DAYS)),
            file(
                "/etc/systemd/system/kubecvm-cert-renew.timer",
                _RENEW_TIMER.format(hour=backups.cert_renew_hour([x.name for x in plan.masters].index(m.name))),
            ),
        ]
        bp = backups.backup_plan(plan)
        if bp:
            files += [
                script("/usr/local/sbin/kubecvm-etcd-backup", "kubecvm-etcd-backup"),
                file("/usr/local/lib/kubecvm/cos_put.py", _strip_comments(COS_PUT.read_text()), "0755"),
                file("/etc/systemd/system/kubecvm-etcd-backup.service", _BACKUP_UNIT.format(prefix=bp.bucket_prefix)),
                file("/etc/systemd/system/kubecvm-etcd-backup.timer", _BACKUP_TIMER.format(hours=bp.interval_hours)),
            ]
    if m.name == plan.masters[0].name:
        files.append(file("/etc/kubecvm/kubeadm-init.yaml", kubeadm_init_config(plan, m, host=host), "0600"))
    user_data = "#cloud-config\nwrite_files:\n" + "".join(files) + _RUNCMD
    encoded = encode_user_data(user_data)
    if len(encoded) > USER_DATA_LIMIT:  # user_data_size: bytes as CVM counts them, after base64
        raise UserDataTooLarge(
            f"{m.name}: user data is {len(encoded)} bytes after gzip and base64, over the CVM limit of {USER_DATA_LIMIT}"
        )
    return user_data, encoded


def expand_user_data(user_data: str) -> str:
    """The user data with every gz+b64 file decoded, as the node will write it: for review and checks."""
    doc = yaml.load(user_data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for f in doc.get("write_files", []):
        if f.get("encoding") == "gz+b64":
            f["content"] = Literal(gzip.decompress(base64.b64decode(f["content"])).decode())
            del f["encoding"]
        else:
            f["content"] = Literal(f["content"])
    return "#cloud-config\n" + _yaml(doc)
