"""A simulated Tencent Cloud for the Pulumi SDK's mock runtime: resource outputs and data-source answers.

Deterministic: ids are derived from type and name, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`, through kubecvm.offline.runner) and by the test suite.

Tencent's facts (type tokens, id prefixes, what Tencent refuses) are the service modules' in
kubecvm/planning/tencent/; this module shapes the answers (outputs per type, data sources); offline/replay.py
replays diffs with the same account and rules. The data sources' catalogue is offline/simulated_catalogue.py,
the tls and random providers' answers offline/simulated_pki.py and the derived ids, addresses and secret wrapping
offline/simulated_values.py; every name of theirs stays importable from here.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from dataclasses import dataclass, field

from pulumi.runtime import mocks as pulumi_mocks

from kubecvm.offline import simulated_kubernetes
from kubecvm.planning.tencent import account, cam, clb, cos, cvm, monitor, ssm, tke, vpc

# The modules split from this one; their names are re-exported for the callers and tests that read them here.
from kubecvm.offline.simulated_catalogue import (
    INSTANCE_TYPES_TOKEN,
    PUBLIC_IMAGES,
    cbs_configs,
    offered_types,
    public_images,
    sold_shape,
)
from kubecvm.offline.simulated_pki import (
    _NOT_BEFORE,
    _cert,
    _fake_key,
    _load_key,
    _random_string,
    _subject,
    _tls_state,
)
from kubecvm.offline.simulated_values import _digest, _plain, _plain_all, _private_ip, _public_ip, _secret

# What Tencent refuses lives in the service modules (kubecvm/planning/tencent/), each rule with its source; the
# names below are re-exported for the callers and tests that read them here.
from kubecvm.planning.tencent.account import CloudRefusal, Live
from kubecvm.planning.tencent.cam import policy_name_free, role_name_free
from kubecvm.planning.tencent.cbs import SIZES as CBS_SIZES
from kubecvm.planning.tencent.cbs import cbs_size, disk_detached
from kubecvm.planning.tencent.clb import clb_internet, clb_name_unique, listener_port_free
from kubecvm.planning.tencent.cos import cos_bucket_name
from kubecvm.planning.tencent.cvm import (
    data_disk_sizes,
    data_disks_go_with_postpaid_only,
    instance_type_sold,
    prepaid_needs_its_term,
    private_ip_in_subnet,
    system_disk_sold,
    termination_protection,
)
from kubecvm.planning.tencent.services import CREATE_RULES, DELETE_RULES, ID_PREFIX
from kubecvm.planning.tencent.ssm import secret_name_free, secret_version_free
from kubecvm.planning.tencent.tke import CLUSTER_ROUTE_TABLE, cluster_route_tables_disjoint
from kubecvm.planning.tencent.vpc import PORT_RE, route_destination_free, rule_ports, rules_distinct, rules_within_limit

FAKE_UIN = "100000000001"
FAKE_APPID = "1250000000"  # COS bucket names end in the account's 10-digit AppID
# Outputs the engine returns as secrets: the providers' own additional_secret_outputs plus those kubecvm adds
# (components/pki.py). The real engine honours the request's list; the SDK's mock monitor does not, so we do.
SECRET_OUTPUTS = {
    "tls:index/privateKey:PrivateKey": (
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
        "publicKeyPem",
        "publicKeyOpenssh",
    ),
    "tls:index/selfSignedCert:SelfSignedCert": ("certPem", "privateKeyPem"),
    "tls:index/certRequest:CertRequest": ("certRequestPem", "privateKeyPem"),
    "tls:index/locallySignedCert:LocallySignedCert": ("certPem", "caPrivateKeyPem"),
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "random:index/randomBytes:RandomBytes": ("base64", "hex"),
}
ROUTE_TABLE_QUOTA_DEFAULT = 50


def tmp_write_address(ip: str) -> str:
    """A TMP instance's remote_write, in the simulated account: http://<its address>:9090/api/v1/prom/write."""
    return monitor.tmp_addresses(ip)["RemoteWrite"]


class SimulatedCloud(pulumi_mocks.Mocks):
    """Answers resource creation and data-source calls as Tencent Cloud would, deterministically."""

    def __init__(self, route_table_quota: int = ROUTE_TABLE_QUOTA_DEFAULT, sells: tuple[str, ...] = ()):
        self.route_table_quota = route_table_quota
        # Types of families Tencent's pages name without sizes (instance_types.DOCUMENTED_WITHOUT_SIZES) that the
        # instance-types look-up lists too: the offline plan passes the stack's own, never refusing them.
        self.sells = tuple(sells)
        self.account = CloudState()  # what this run created, for the refusal rules below
        # Kubernetes objects (offline/simulated_kubernetes.py); `plans` are the run's kubecvm clusters, which the
        # offline runner fills as the program builds them (a Service's clusterIP is in its cluster's serviceCidr).
        self.plans: list = []
        self.kubernetes = simulated_kubernetes.SimulatedKubernetes(plans=lambda: self.plans)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            return None, {}
        if simulated_kubernetes.answers(args.typ):
            try:
                return self.kubernetes.new_resource(args.typ, args.name, dict(args.inputs), args.provider)
            except simulated_kubernetes.KubernetesRefusal as exc:
                raise KubernetesRefused(str(exc)) from None
        key = f"{args.typ}::{args.name}"
        prefix = ID_PREFIX.get(args.typ, args.typ.rsplit(":", 1)[-1].lower())
        rid = f"{prefix}-{_digest(key)}"
        state = dict(args.inputs)
        if args.typ == cvm.INSTANCE:
            # The documented shape (SA2.22XLARGE224 has 90 vCPU); an unsold type is refused below.
            cpu, memory = sold_shape(str(state["instanceType"])) or (0, 0)
            state |= {"cpu": cpu, "memory": memory, "instanceStatus": cvm.RUNNING}
        elif args.typ == clb.INSTANCE:
            vip = state.get("vip") or _public_ip(key)
            state |= {"clbVips": [vip], "vip": vip}
        elif args.typ == clb.LISTENER:
            state |= {"listenerId": rid}
            rid = f"{state['clbId']}{clb.LISTENER_ID_SEPARATOR}{rid}"  # Tencent's listener resource id is clbId#listenerId
        elif args.typ == vpc.EIP:
            state |= {"publicIp": _public_ip(key)}
        elif args.typ == monitor.TMP_INSTANCE:
            ip = self._address_in(state.get("subnetId"), key)
            state |= {"ipv4Address": ip, "remoteWrite": tmp_write_address(ip)}
        elif args.typ.startswith("tls:index/"):
            state |= _tls_state(args.typ, key, state)
        elif args.typ in ("random:index/randomString:RandomString", "random:index/randomPassword:RandomPassword"):
            state |= {"result": _random_string(key, state)}
            # RandomString's real id is its value (never secret): kubecvm uses RandomPassword, whose id is "none".
            rid = "none"
        elif args.typ == "random:index/randomBytes:RandomBytes":
            raw = hashlib.sha256(f"bytes:{key}".encode()).digest() * (int(state["length"]) // 32 + 1)
            raw = raw[: int(state["length"])]
            state |= {"base64": base64.b64encode(raw).decode(), "hex": raw.hex()}
            rid = "none"  # terraform-provider-random random_bytes: the id is "none", the value only in its outputs
        elif args.typ == ssm.SECRET:
            rid = state["secretName"]  # the provider's id is the secret's name
            state |= {"status": ssm.ENABLED}
        elif args.typ == ssm.SECRET_VERSION:
            rid = f"{_plain(state['secretName'])}#{state['versionId']}"
        elif args.typ == cam.ROLE:
            rid = str(int(_digest(key, 10), 16))[:10]
            state |= {"roleArn": cam.role_arn(FAKE_UIN, state["name"])}
        elif args.typ == cam.POLICY:
            rid = str(int(_digest(key, 10), 16))[:9]
            state |= {"type": cam.CUSTOM_POLICY}
        elif args.typ == cos.BUCKET:
            rid = _plain(state["bucket"])  # cos/resource_tc_cos_bucket.go: d.SetId(bucket)
        elif args.typ == tke.CLUSTER_ROUTE_TABLE:
            # What the dynamic provider's check() would refuse in a real preview (the TKE API's own refusals).
            from kubecvm.components.global_router import check_problems

            if problems := check_problems(state):
                raise ValueError(f"{args.name}: " + "; ".join(f"{k}: {v}" for k, v in problems))
            rid = state["routeTableName"]
        elif args.typ == cam.ROLE_POLICY_ATTACHMENT:
            rid = f"{_plain(state['roleId'])}#{_plain(state['policyId'])}"
        for name in SECRET_OUTPUTS.get(args.typ, ()):
            if name in state:
                state[name] = _secret(state[name])
        self.account.create(key, args.typ, rid, dict(args.inputs))  # raises CloudRefusal as Tencent would refuse
        if args.typ == simulated_kubernetes.PROVIDER:
            self.kubernetes.provider_created(rid, args.inputs)
        return rid, state

    def _address_in(self, subnet_id: object, seed: str) -> str:
        """A stable address near the top of a subnet the run created (the pool blocks start at its bottom)."""
        subnet = self.account.by_id(subnet_id)
        if subnet is None or not subnet.inputs.get("cidrBlock"):
            return _private_ip(seed)
        net = ipaddress.IPv4Network(str(subnet.inputs["cidrBlock"]))
        return str(net.broadcast_address - 2 - int(_digest(seed, 2), 16) % 16)

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        token = args.token
        if token == cvm.IMAGES:
            pattern = str(args.args.get("imageNameRegex") or "")
            return {
                "id": "images",
                "images": [
                    {
                        "imageId": "img-" + _digest(pattern),
                        "imageName": name,
                        "osName": name,
                        "imageType": "PUBLIC_IMAGE",
                        "supportCloudInit": True,
                    }
                    for name in public_images(pattern)
                ],
            }
        if token == INSTANCE_TYPES_TOKEN:
            return {"id": "instance-types", "instanceTypes": offered_types(args.args, self.sells)}
        if token == cam.USER_INFO:
            return {"id": "user", "appId": FAKE_APPID, "uin": FAKE_UIN, "ownerUin": FAKE_UIN, "name": "kubecvm"}
        if token == monitor.TMP_INSTANCES:  # an existing instance: asked for by id, in the VPC's first block
            return {
                "id": "tmp-instances",
                "instanceSets": [
                    {
                        "instanceId": i,
                        "instanceName": i,
                        "ipv4Address": (ip := _private_ip(i)),
                        "remoteWrite": tmp_write_address(ip),
                    }
                    for i in args.args.get("instanceIds") or []
                ],
            }
        if token == vpc.LIMITS:
            return {
                "id": "limits",
                "vpcLimitSets": [{"limitType": vpc.ROUTE_TABLE_QUOTA, "limitValue": self.route_table_quota}],
            }
        if token.startswith("kubernetes:") and (answer := self.kubernetes.call(token, args.args)) is not None:
            return answer
        return {}


# --- What Tencent refuses ------------------------------------------------------------------------------------
# The rules are the service modules' (kubecvm/planning/tencent/<service>.py, each citing its source: terraform-
# provider-tencentcloud v1.82.42 tencentcloud/services/, or the Tencent documentation page), applied by the account
# (kubecvm/planning/tencent/account.py). The plan's creations and `kubecvm diff --replay` both go through them, so a
# program that asks for what Tencent refuses fails offline, not in production.


class KubernetesRefused(CloudRefusal):
    refused_by = "the Kubernetes API server"


@dataclass
class CloudState(account.CloudState):
    """The simulated account: it sells the catalogue of offline/instance_types.py (sold_shape), and takes inputs as
    the engine sends them (secrets wrapped), as the provider sees them (unwrapped)."""

    catalogue: account.Catalogue | None = field(default=sold_shape, repr=False, compare=False)

    def create(self, key: str, type_: str, rid: str, inputs: dict) -> None:
        super().create(key, type_, rid, _plain_all(inputs))
