"""Every resource and machine name kubecvm makes, from stable keys only.

A name never depends on a position in a list: zones are keyed by their number, pools by their name,
nodes by (pool, zone number, ordinal). Renaming anything here replaces resources: ship an alias with it.
"""

from __future__ import annotations


def zone_number(zone: str) -> int:
    """`ap-guangzhou-3` -> 3: the zone's stable key."""
    return int(zone.rsplit("-", 1)[1])


def vpc(cluster: str) -> str:
    return f"{cluster}-vpc"


def subnet(cluster: str, zone: str) -> str:
    return f"{cluster}-subnet-z{zone_number(zone)}"


def route_table(cluster: str) -> str:
    return f"{cluster}-rtb"


def cluster_route_table(cluster: str) -> str:
    """The TKE cluster route table (podNetwork globalRouter): its logical name, and its RouteTableName in the
    region, which is account-wide (hence the kubecvm- prefix, as for SSM and CAM names)."""
    return f"kubecvm-{cluster}-pods"


def nat_gateway(cluster: str) -> str:
    return f"{cluster}-nat"


def nat_eip(cluster: str) -> str:
    return f"{cluster}-nat-eip"


def nat_route(cluster: str) -> str:
    return f"{cluster}-route-default"


def security_group(cluster: str, role: str) -> str:
    return f"{cluster}-sg-{role}"


def placement_group(cluster: str) -> str:
    return f"{cluster}-masters-spread"


def master(cluster: str, ordinal: int) -> str:
    return f"{cluster}-master-{ordinal}"


def worker(cluster: str, pool: str, zone: str, ordinal: int) -> str:
    return f"{worker_prefix(cluster, pool, zone_number(zone))}{ordinal}"


def worker_prefix(cluster: str, pool: str, zone_number: int) -> str:
    """What every worker name of one pool in one zone starts with; the ordinal follows."""
    return f"{cluster}-{pool}-z{zone_number}-"


def etcd_disk(machine: str) -> str:
    return f"{machine}-etcd"


def data_disk(machine: str) -> str:
    return f"{machine}-data"


def disk_attachment(disk: str) -> str:
    return f"{disk}-attach"


def security_rules(group: str) -> str:
    return f"{group}-rules"


def pod_route(machine: str) -> str:
    return f"{machine}-pods"


def api_lb(cluster: str) -> str:
    return f"{cluster}-apiserver"


def api_listener(cluster: str) -> str:
    return f"{cluster}-apiserver-6443"


def api_targets(cluster: str) -> str:
    return f"{cluster}-apiserver-targets"


# The ingress CLB: keyed by the listener's role ("http" | "https"), never by its port, so changing
# ingress.ports replaces only the listener whose port changed (the port is ForceNew), under the same name.
def ingress_lb(cluster: str) -> str:
    return f"{cluster}-ingress"


def ingress_listener(cluster: str, key: str) -> str:
    return f"{cluster}-ingress-{key}"


def ingress_targets(cluster: str, key: str) -> str:
    return f"{cluster}-ingress-{key}-targets"


def metrics_server_tls(cluster: str, part: str) -> str:
    """metrics-server's serving-certificate resources: part "ca-key", "ca-cert", "key", "csr", "cert"."""
    return f"{cluster}-metrics-server-tls-{part}"


def ingress_webhook(cluster: str, part: str) -> str:
    """The admission webhook's certificate resources: part "ca-key", "ca-cert", "key", "csr", "cert"."""
    return f"{cluster}-ingress-webhook-{part}"


# Component (logical) names: the parents in every URN.
def network_component(cluster: str) -> str:
    return f"{cluster}-network"


def security_component(cluster: str) -> str:
    return f"{cluster}-security"


def control_plane_component(cluster: str) -> str:
    return f"{cluster}-control-plane"


def ingress_component(cluster: str) -> str:
    return f"{cluster}-ingress-lb"


def pool_component(cluster: str, pool: str) -> str:
    return f"{cluster}-pool-{pool}"


def routes_component(cluster: str) -> str:
    return f"{cluster}-pod-routes"


# Boot path. SSM secret and CAM role names are account-wide, so they carry a kubecvm prefix too.
# SSM names are `kubecvm_<cluster>_<item>`: SSM allows letters, digits, `_` and `-`, at most 128 bytes
# (terraform-provider-tencentcloud v1.82.42 tencentcloud/services/ssm/resource_tc_ssm_secret.go, secret_name), and a
# cluster name is a DNS label (planning/spec/cluster.py), which never holds `_`. So the name splits back into exactly one
# (cluster, item): with `-` cluster `x`'s `etcd-ca-key` was cluster `x-etcd`'s `ca-key`, and x-etcd's masters could
# read x's etcd CA key.
SSM_SEPARATOR = "_"


def ssm_secret(cluster: str, item: str) -> str:
    """`item` is a PKI file or the token, e.g. "ca-crt", "bootstrap-token"."""
    return f"kubecvm{SSM_SEPARATOR}{cluster}{SSM_SEPARATOR}{item}"


def ssm_secret_before_issue_11(cluster: str, item: str) -> str:
    """The former, ambiguous name: only the Pulumi alias of a renamed secret uses it (components/boot.py)."""
    return f"kubecvm-{cluster}-{item}"


def ssm_secret_version(secret: str) -> str:
    return f"{secret}-value"


def cam_role(cluster: str, role: str) -> str:
    return f"kubecvm-{cluster}-{role}"


def cam_policy(cluster: str, role: str) -> str:
    return f"kubecvm-{cluster}-{role}-boot"


def cam_attachment(cluster: str, role: str) -> str:
    return f"kubecvm-{cluster}-{role}-boot-attach"


def pki_key(cluster: str, item: str) -> str:
    return f"{cluster}-pki-{item}-key"


def pki_cert(cluster: str, item: str) -> str:
    return f"{cluster}-pki-{item}-cert"


def pki_csr(cluster: str, item: str) -> str:
    return f"{cluster}-pki-{item}-csr"


def bootstrap_token(cluster: str, part: str) -> str:
    """`part` is "id" or "secret": kubeadm tokens are <id>.<secret>."""
    return f"{cluster}-bootstrap-token-{part}"


def encryption_key(cluster: str) -> str:
    """The random key that encrypts Secrets at rest (CIS hardening, planning/hardening.py)."""
    return f"{cluster}-encryption-key"


def pki_component(cluster: str) -> str:
    return f"{cluster}-pki"


def boot_component(cluster: str) -> str:
    return f"{cluster}-boot"


def addons_component(cluster: str) -> str:
    return f"{cluster}-addons"


def k8s_provider(cluster: str) -> str:
    """The Cluster's Kubernetes provider when the add-ons (which bring their own) are off."""
    return f"{cluster}-k8s"


def api_ready(cluster: str) -> str:
    return f"{cluster}-api-ready"


# etcd backups (planning/backups.py). The bucket's full name is <this>-<appid> (COS naming); the CAM policy is
# account-wide, so it carries the kubecvm- prefix like the boot roles.
def backup_bucket(cluster: str) -> str:
    return f"kubecvm-{cluster}-etcd"


def backup_policy(cluster: str) -> str:
    return f"kubecvm-{cluster}-etcd-backup"


def backup_attachment(cluster: str) -> str:
    return f"kubecvm-{cluster}-etcd-backup-attach"


def backups_component(cluster: str) -> str:
    return f"{cluster}-backups"


# Cloud Monitor alarm policies (planning/monitoring.py): the Pulumi name is also the PolicyName.
def alarm_policy(cluster: str, key: str) -> str:
    return f"{cluster}-alarm-{key}"


def monitoring_component(cluster: str) -> str:
    return f"{cluster}-monitoring"


# monitoring.prometheus (planning/monitoring.py): the TMP instance's Pulumi name is also its InstanceName.
def tmp_instance(cluster: str) -> str:
    return f"{cluster}-tmp"


def prometheus_component(cluster: str) -> str:
    return f"{cluster}-prometheus"
