"""A simulated Tencent Cloud for the Pulumi SDK's mock runtime: resource outputs and data-source answers.

Deterministic: ids are derived from type and name, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`, through kubecvm.offline.runner) and by the test suite.

Tencent's facts (type tokens, id prefixes, what Tencent refuses) are the service modules' in
kubecvm/planning/tencent/; this module shapes the answers (outputs per type, data sources); offline/replay.py
replays diffs with the same account and rules.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import string
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from pulumi.runtime import mocks as pulumi_mocks

from kubecvm import sdk
from kubecvm.offline import instance_types, simulated_kubernetes
from kubecvm.planning import disks, sizing, validation
from kubecvm.planning.tencent import account, cam, clb, cos, cvm, monitor, ssm, tke, vpc

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
_NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
ROUTE_TABLE_QUOTA_DEFAULT = 50


def _digest(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _public_ip(seed: str) -> str:
    """A stable address in TEST-NET-3 (RFC 5737), never a real host."""
    return str(ipaddress.IPv4Address("203.0.113.0") + int(_digest(seed, 4), 16) % 254 + 1)


def _plain(value):
    """An input as the provider would see it: secrets unwrapped."""
    if isinstance(value, dict) and sdk.is_secret(value):
        return value.get("value")
    return value


def _secret(value):
    """An output the engine would return as a secret."""
    return value if sdk.is_special(value) else sdk.as_secret(value)


# Fake-but-valid PKI: Ed25519 keys derived from the resource name and deterministic Ed25519 signatures, so every
# run gives byte-identical PEMs and the CA hash is computed exactly as on a real stack (whatever key algorithm
# was asked for).
def _fake_key(seed: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _load_key(pem: str) -> ed25519.Ed25519PrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _subject(subject: dict | None) -> x509.Name:
    subject = _plain(subject) or {}
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, subject.get("commonName") or "fake")]
    if subject.get("organization"):
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject["organization"]))
    return x509.Name(attrs)


def _cert(subject: x509.Name, issuer: x509.Name, public_key, signer, *, ca: bool, hours: float, seed: str) -> str:
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(int(_digest(seed, 16), 16))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + datetime.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _tls_state(typ: str, key: str, state: dict) -> dict:
    if typ == "tls:index/privateKey:PrivateKey":
        k = _fake_key(key)
        pem = k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        pub = k.public_key()
        return {
            "privateKeyPem": pem,
            "privateKeyPemPkcs8": pem,
            "privateKeyOpenssh": k.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            ).decode(),
            "publicKeyPem": pub.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
            "publicKeyOpenssh": pub.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            ).decode()
            + "\n",
        }
    if typ == "tls:index/selfSignedCert:SelfSignedCert":
        k = _load_key(_plain(state["privateKeyPem"]))
        name = _subject(state.get("subject"))
        return {
            "certPem": _cert(
                name,
                name,
                k.public_key(),
                k,
                ca=bool(state.get("isCaCertificate")),
                hours=state["validityPeriodHours"],
                seed=key,
            )
        }
    if typ == "tls:index/certRequest:CertRequest":
        k = _load_key(_plain(state["privateKeyPem"]))
        csr = x509.CertificateSigningRequestBuilder().subject_name(_subject(state.get("subject"))).sign(k, None)
        return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}
    if typ == "tls:index/locallySignedCert:LocallySignedCert":
        csr = x509.load_pem_x509_csr(_plain(state["certRequestPem"]).encode())
        ca = x509.load_pem_x509_certificate(_plain(state["caCertPem"]).encode())
        signer = _load_key(_plain(state["caPrivateKeyPem"]))
        return {
            "certPem": _cert(
                csr.subject,
                ca.subject,
                csr.public_key(),
                signer,
                ca=False,
                hours=state["validityPeriodHours"],
                seed=key,
            )
        }
    return {}


def _random_string(key: str, state: dict) -> str:
    alphabet = "".join(
        chars
        for flag, chars in (
            ("lower", string.ascii_lowercase),
            ("upper", string.ascii_uppercase),
            ("numeric", string.digits),
            ("special", "!@#$%&*()-_=+[]{}<>:?"),
        )
        if state.get(flag, True)
    )
    stream = hashlib.sha256(key.encode()).digest() * 8
    return "".join(alphabet[b % len(alphabet)] for b in stream[: int(state["length"])])


def _private_ip(seed: str) -> str:
    """A stable address in 10.0.0.0/24, for an instance the stack did not create (an existing TMP instance)."""
    return str(ipaddress.IPv4Address("10.0.0.0") + int(_digest(seed, 4), 16) % 250 + 4)


def tmp_write_address(ip: str) -> str:
    """A TMP instance's remote_write, in the simulated account: http://<its address>:9090/api/v1/prom/write."""
    return monitor.tmp_addresses(ip)["RemoteWrite"]


# Public image names the simulated account lists (Tencent's public images of these names exist in every region).
PUBLIC_IMAGES = ("Ubuntu Server 22.04 LTS 64bit", "Ubuntu Server 20.04 LTS 64bit", "TencentOS Server 3.1 (TK4)")


def public_images(pattern: str) -> list[str]:
    """The simulated public images an imageNameRegex selects, matched as the provider matches (a search)."""
    return [name for name in PUBLIC_IMAGES if validation.image_regex_matches(pattern, name)]


# tencentcloud.instance.get_types (cvm/data_source_tc_instance_types.go): DescribeZoneInstanceConfigInfos with the
# `filter` name/values pairs as given (`availability_zone` is the `zone` filter), then cpu/gpu/memory and
# exclude_sold_out applied to the answer. The answer here is offline/instance_types.py's catalogue, every type
# sold in every zone (the pages give no per-zone table), postpaid, status SELL. A family the pages name without sizes
# (instance_types.DOCUMENTED_WITHOUT_SIZES) is answered with the account's `sells`: the types a stack asks for.
INSTANCE_TYPES_TOKEN = cvm.INSTANCE_TYPES


def sold_shape(instance_type: str) -> tuple[int, int] | None:
    """(vCPU, memory GiB) of a type the simulated account sells: the catalogue's, or the name's for a type of a family
    documented without sizes; None for a type Tencent does not sell."""
    if (found := instance_types.shape(instance_type)) is not None:
        return found
    if instance_types.sizes_untranscribed(instance_type):
        try:
            named = sizing.parse_instance_type(instance_type)
        except ValueError:
            return None
        return named.cpu, named.memory_gib
    return None


def offered_types(args: dict, sells: tuple[str, ...] = ()) -> list[dict]:
    """The data source's `instance_types` for these arguments, from the catalogue (and `sells`)."""
    filters = {f.get("name"): list(f.get("values") or []) for f in args.get("filters") or []}
    if args.get("availabilityZone"):
        filters["zone"] = [args["availabilityZone"]]
    sold = {family: instance_types.types_of(family) for family in instance_types.CATALOGUE}
    for t in dict.fromkeys(sells):
        if instance_types.sizes_untranscribed(t) and sold_shape(t):
            sold.setdefault(instance_types.family_of(t), []).append(t)
    families = filters.get("instance-family") or list(sold)
    wanted = set(filters.get("instance-type") or ())
    cbs = args.get("cbsFilter")
    out = []
    for zone in filters.get("zone") or ["all"]:
        for t in (t for family in families for t in sold.get(family, ())):
            cpu, memory = sold_shape(t)
            if (
                (wanted and t not in wanted)
                or args.get("cpuCoreCount") not in (None, cpu)
                or args.get("memorySize") not in (None, memory)
            ):
                continue
            out.append(
                {
                    "availabilityZone": zone,
                    "instanceType": t,
                    "family": instance_types.family_of(t),
                    "cpuCoreCount": cpu,
                    "memorySize": memory,
                    "gpuCoreCount": 0,
                    "instanceChargeType": "POSTPAID_BY_HOUR",
                    "status": "SELL",
                    "cbsConfigs": cbs_configs(cbs, zone, instance_types.family_of(t)) if cbs else [],
                }
            )
    return out


def cbs_configs(cbs_filter: dict, zone: str, family: str) -> list[dict]:
    """The data source's `cbs_configs` for one listed type when given a cbs_filter (DescribeDiskConfigQuota,
    cvm/data_source_tc_instance_types.go): here the system disks planning/disks.py says the family is sold with,
    20..1024 GiB; data disks are not modelled (none is asked for)."""
    if cbs_filter.get("diskUsage") != "SYSTEM_DISK":
        return []
    asked = set(cbs_filter.get("diskTypes") or ())
    return [
        {
            "available": True,
            "deviceClass": "",
            "diskChargeType": cbs_filter.get("diskChargeType") or "POSTPAID_BY_HOUR",
            "diskType": t,
            "diskUsage": "SYSTEM_DISK",
            "extraPerformanceRanges": [],
            "instanceFamily": family,
            "maxDiskSize": 1024,
            "minDiskSize": 20,
            "stepSize": 1,
            "zone": zone,
        }
        for t in disks.system_disk_types(family)
        if not asked or t in asked
    ]


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


def _plain_all(value):
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _plain_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_all(v) for v in value]
    return value
