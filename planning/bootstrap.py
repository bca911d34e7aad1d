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

This module holds the boot plan (SSM secrets, CAM roles), boot.env and the assembly of each node's user data; the
pieces live beside it, one concern each: planning/credentials.py (bootstrap token, CA hash, admin kubeconfig),
planning/kubeadm.py (kubeadm and kubelet configuration), planning/hardening.py (CIS hardening files),
planning/node_files.py (CNI, mounts, systemd units), planning/cloud_config.py (YAML and write_files entries) and
planning/user_data.py (the MIME/gzip/base64 encoding CVM receives). Every name stays importable from here.
"""

from __future__ import annotations

import json
import shlex
import weakref
from dataclasses import dataclass

from . import backups, cam, mirrors, names
from .addons import CAM_ACTIONS as CSI_CONTROLLER_ACTIONS
from .addons import METADATA_IP
from .addons import NODE_CAM_ACTIONS as CSI_NODE_ACTIONS
from .addons import lb_controller
from .plan import TAG_CLUSTER, TAG_ROLE, ClusterPlan, MachinePlan

# Re-exported: callers and tests read these names here.
from .credentials import TOKEN_PATTERN, TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH, CA_HASH_PATTERN, CERTIFICATE_AUTHORITIES
from .credentials import CA_VALIDITY_HOURS, CA_USES, KEY_ALGORITHM, RSA_BITS, ADMIN_ITEM, ADMIN_SUBJECT
from .credentials import ADMIN_VALIDITY_HOURS, ADMIN_RENEW_HOURS, ADMIN_USES, is_bootstrap_token, ca_cert_hash
from .credentials import kubeconfig
from .hardening import HARDENING_DIR, AUDIT_POLICY, ADMISSION_CONFIG, ENCRYPTION_CONFIG, AUDIT_LOG_DIR, AUDIT_ROTATION
from .hardening import ENCRYPTION_ITEM, ENCRYPTION_KEY_BYTES, ENCRYPTION_PLACEHOLDER, ENCRYPTION_KEY_NAME_PLACEHOLDER
from .hardening import POD_SECURITY_EXEMPT_NAMESPACES, KERNEL_DEFAULTS, audit_policy, admission_config
from .hardening import encryption_config, kernel_sysctls, _hardening_files
from .kubeadm import TOKEN_PLACEHOLDER, INSTANCE_PLACEHOLDER, KUBEADM_API, PKI_DIR, ETCD_DIR, TOKEN_TTL_SECONDS
from .kubeadm import KUBELET_CA, api_server_args, api_server_volumes, provider_id, ZONE_LABEL, REGION_LABEL
from .kubeadm import INSTANCE_TYPE_LABEL, node_labels, _checked_flags, _registration, kubeadm_init_config
from .kubeadm import kubeadm_join_config
from .user_data import UserDataTooLarge, USER_DATA_MIME_HEAD, GZIP_TYPES, _GZIP_MAGIC, _OWN_HEAD, _BASE64_LINE
from .user_data import encode_user_data, user_data_parts, _own_part, mime_parts, decode_user_data, user_data_size
from .cloud_config import PIP_LOCK, TEMPLATES, Literal, _Dumper, _yaml, _RUNCMD, _entry, _dumped_entry, _PLAIN_BLOCK
from .cloud_config import _literal_head, _strip_comments, _template, _pip_lock, expand_user_data
from .node_files import CERTS_D, DOCKER_HUB_HOSTS, NETWORK_POLICY, cni_config, KUBELET_MOUNTS, CONTAINERD_MOUNTS
from .node_files import DATA_DIRS, kubelet_mounts, mount_dropin, _SYSCTL, _NET_UNIT, _SYNC_UNIT, _SYNC_TIMER
from .node_files import _BACKUP_UNIT, _BACKUP_TIMER, _RENEW_UNIT, _RENEW_TIMER, COS_PUT


USER_DATA_LIMIT = 16 * 1024  # CVM: bytes of user data after base64
TCCLI_VERSION = "3.1.189.1"  # tccli from PyPI, for SSM and CBS calls with the CVM role (--use-cvm-role)


# The signing key of the Kubernetes apt repository (pkgs.k8s.io, "isv:kubernetes OBS Project
# <isv:kubernetes@build.opensuse.org>", rsa2048 of 2022-08-25, one primary key without subkeys): the key every
# core:/stable:/v1.<minor>/deb/Release.key serves (kubernetes/kubernetes issue 128609 lists it for v1.26 and v1.27;
# kubernetes/release issue 3818: its expiry of 2024-11-02 was extended on the same key, so the fingerprint stays).
# The boot script fetches the key over the package mirror (plain http for Tencent's in-VPC one) and refuses a key
# file that is not exactly this one key.
KUBERNETES_APT_KEY_FINGERPRINT = "DE15B14486CD377B9E876E1A234654DA9A296436"
SECRET_VERSION = "current"  # the one SSM version id; rotation updates its value in place


JOIN_STAGGER_SECONDS = 45


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


def api_host(plan: ClusterPlan) -> str:
    """The address nodes join and kubeadm's controlPlaneEndpoint host: the internal API VIP.

    A public CLB's address is assigned by Tencent after the masters exist, and nodes without egress could not
    reach it anyway, so with public exposure nodes use the first master's address (not highly available; the
    public endpoint is still in the certificate SANs through the kubeconfig output's server).
    """
    return plan.api.vip or plan.masters[0].private_ip


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
