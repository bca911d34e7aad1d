"""A simulated Tencent Cloud for the Pulumi SDK's mock runtime: resource outputs and data-source answers.

Deterministic: ids are derived from type and name, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`, through kubecvm.offline.runner) and by the test suite.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import re
import string
import threading
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from pulumi.runtime import mocks as pulumi_mocks

from kubecvm import sdk
from kubecvm.offline import instance_types, simulated_kubernetes
from kubecvm.planning import disks, limits, sizing, validation
from kubecvm.planning.spec import PREPAID_PERIODS
from kubecvm.planning.tencent import tke

# Tencent's id prefixes by resource type.
ID_PREFIX = {
    "tencentcloud:Vpc/instance:Instance": "vpc",
    "tencentcloud:Subnet/instance:Instance": "subnet",
    "tencentcloud:Route/table:Table": "rtb",
    "tencentcloud:Route/tableEntry:TableEntry": "rtb-entry",
    "tencentcloud:Instance/instance:Instance": "ins",
    "tencentcloud:Cbs/storage:Storage": "disk",
    "tencentcloud:Cbs/storageAttachment:StorageAttachment": "disk-attach",
    "tencentcloud:Clb/instance:Instance": "lb",
    "tencentcloud:Clb/listener:Listener": "lbl",
    "tencentcloud:Clb/attachment:Attachment": "lb-attach",
    "tencentcloud:Security/group:Group": "sg",
    "tencentcloud:Security/groupRuleSet:GroupRuleSet": "sg-rules",
    "tencentcloud:Placement/group:Group": "ps",
    "tencentcloud:Eip/instance:Instance": "eip",
    "tencentcloud:Nat/gateway:Gateway": "nat",
    "tencentcloud:Ssm/secret:Secret": "ssm",
    "tencentcloud:Ssm/secretVersion:SecretVersion": "ssm-version",
    "tencentcloud:Cam/role:Role": "role",
    "tencentcloud:Cam/policy:Policy": "policy",
    "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment": "role-attach",
    "tencentcloud:Cos/bucket:Bucket": "cos",
}
# The GlobalRouter table (components/global_router.py), a dynamic resource: its id is its RouteTableName.
CLUSTER_ROUTE_TABLE = "pulumi-python:dynamic/kubecvm:ClusterRouteTable"
FAKE_UIN = "100000000001"
FAKE_APPID = "1250000000"  # COS bucket names end in the account's 10-digit AppID
# Outputs the engine returns as secrets: the providers' own additional_secret_outputs plus those kubecvm adds
# (components/pki.py). The real engine honours the request's list; the SDK's mock monitor does not, so we do.
SECRET_OUTPUTS = {
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh"),
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
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(int(_digest(seed, 16), 16)).not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + datetime.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _tls_state(typ: str, key: str, state: dict) -> dict:
    if typ == "tls:index/privateKey:PrivateKey":
        k = _fake_key(key)
        pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        pub = k.public_key()
        return {
            "privateKeyPem": pem, "privateKeyPemPkcs8": pem,
            "privateKeyOpenssh": k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode(),
            "publicKeyPem": pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            "publicKeyOpenssh": pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + "\n",
        }
    if typ == "tls:index/selfSignedCert:SelfSignedCert":
        k = _load_key(_plain(state["privateKeyPem"]))
        name = _subject(state.get("subject"))
        return {"certPem": _cert(name, name, k.public_key(), k, ca=bool(state.get("isCaCertificate")),
                                 hours=state["validityPeriodHours"], seed=key)}
    if typ == "tls:index/certRequest:CertRequest":
        k = _load_key(_plain(state["privateKeyPem"]))
        csr = x509.CertificateSigningRequestBuilder().subject_name(_subject(state.get("subject"))).sign(k, None)
        return {"certRequestPem": csr.public_bytes(serialization.Encoding.PEM).decode()}
    if typ == "tls:index/locallySignedCert:LocallySignedCert":
        csr = x509.load_pem_x509_csr(_plain(state["certRequestPem"]).encode())
        ca = x509.load_pem_x509_certificate(_plain(state["caCertPem"]).encode())
        signer = _load_key(_plain(state["caPrivateKeyPem"]))
        return {"certPem": _cert(csr.subject, ca.subject, csr.public_key(), signer, ca=False,
                                 hours=state["validityPeriodHours"], seed=key)}
    return {}


def _random_string(key: str, state: dict) -> str:
    alphabet = "".join(chars for flag, chars in (
        ("lower", string.ascii_lowercase), ("upper", string.ascii_uppercase), ("numeric", string.digits),
        ("special", "!@#$%&*()-_=+[]{}<>:?"),
    ) if state.get(flag, True))
    stream = hashlib.sha256(key.encode()).digest() * 8
    return "".join(alphabet[b % len(alphabet)] for b in stream[: int(state["length"])])


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
INSTANCE_TYPES_TOKEN = "tencentcloud:Instance/getTypes:getTypes"


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
            if (wanted and t not in wanted) or args.get("cpuCoreCount") not in (None, cpu) \
                    or args.get("memorySize") not in (None, memory):
                continue
            out.append({"availabilityZone": zone, "instanceType": t, "family": instance_types.family_of(t),
                        "cpuCoreCount": cpu, "memorySize": memory, "gpuCoreCount": 0,
                        "instanceChargeType": "POSTPAID_BY_HOUR", "status": "SELL",
                        "cbsConfigs": cbs_configs(cbs, zone, instance_types.family_of(t)) if cbs else []})
    return out


def cbs_configs(cbs_filter: dict, zone: str, family: str) -> list[dict]:
    """The data source's `cbs_configs` for one listed type when given a cbs_filter (DescribeDiskConfigQuota,
    cvm/data_source_tc_instance_types.go): here the system disks planning/disks.py says the family is sold with,
    20..1024 GiB; data disks are not modelled (none is asked for)."""
    if cbs_filter.get("diskUsage") != "SYSTEM_DISK":
        return []
    asked = set(cbs_filter.get("diskTypes") or ())
    return [{"available": True, "deviceClass": "", "diskChargeType": cbs_filter.get("diskChargeType") or "POSTPAID_BY_HOUR",
             "diskType": t, "diskUsage": "SYSTEM_DISK", "extraPerformanceRanges": [], "instanceFamily": family,
             "maxDiskSize": 1024, "minDiskSize": 20, "stepSize": 1, "zone": zone}
            for t in disks.system_disk_types(family) if not asked or t in asked]


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
        if args.typ == "tencentcloud:Instance/instance:Instance":
            # The documented shape (SA2.22XLARGE224 has 90 vCPU); an unsold type is refused below.
            cpu, memory = sold_shape(str(state["instanceType"])) or (0, 0)
            state |= {"cpu": cpu, "memory": memory, "instanceStatus": "RUNNING"}
        elif args.typ == "tencentcloud:Clb/instance:Instance":
            vip = state.get("vip") or _public_ip(key)
            state |= {"clbVips": [vip], "vip": vip}
        elif args.typ == "tencentcloud:Clb/listener:Listener":
            state |= {"listenerId": rid}
            rid = f"{state['clbId']}#{rid}"  # Tencent's listener resource id is clbId#listenerId
        elif args.typ == "tencentcloud:Eip/instance:Instance":
            state |= {"publicIp": _public_ip(key)}
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
        elif args.typ == "tencentcloud:Ssm/secret:Secret":
            rid = state["secretName"]  # the provider's id is the secret's name
            state |= {"status": "Enabled"}
        elif args.typ == "tencentcloud:Ssm/secretVersion:SecretVersion":
            rid = f"{_plain(state['secretName'])}#{state['versionId']}"
        elif args.typ == "tencentcloud:Cam/role:Role":
            rid = str(int(_digest(key, 10), 16))[:10]
            state |= {"roleArn": f"qcs::cam::uin/{FAKE_UIN}:roleName/{state['name']}"}
        elif args.typ == "tencentcloud:Cam/policy:Policy":
            rid = str(int(_digest(key, 10), 16))[:9]
            state |= {"type": 1}
        elif args.typ == "tencentcloud:Cos/bucket:Bucket":
            rid = _plain(state["bucket"])  # cos/resource_tc_cos_bucket.go: d.SetId(bucket)
        elif args.typ == CLUSTER_ROUTE_TABLE:
            # What the dynamic provider's check() would refuse in a real preview (the TKE API's own refusals).
            from kubecvm.components.global_router import check_problems

            if problems := check_problems(state):
                raise ValueError(f"{args.name}: " + "; ".join(f"{k}: {v}" for k, v in problems))
            rid = state["routeTableName"]
        elif args.typ == "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment":
            rid = f"{_plain(state['roleId'])}#{_plain(state['policyId'])}"
        for name in SECRET_OUTPUTS.get(args.typ, ()):
            if name in state:
                state[name] = _secret(state[name])
        self.account.create(key, args.typ, rid, dict(args.inputs))  # raises CloudRefusal as Tencent would refuse
        if args.typ == simulated_kubernetes.PROVIDER:
            self.kubernetes.provider_created(rid, args.inputs)
        return rid, state

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        token = args.token
        if token == "tencentcloud:Images/getInstance:getInstance":
            pattern = str(args.args.get("imageNameRegex") or "")
            return {"id": "images", "images": [
                {"imageId": "img-" + _digest(pattern), "imageName": name, "osName": name, "imageType": "PUBLIC_IMAGE",
                 "supportCloudInit": True}
                for name in public_images(pattern)
            ]}
        if token == INSTANCE_TYPES_TOKEN:
            return {"id": "instance-types", "instanceTypes": offered_types(args.args, self.sells)}
        if token == "tencentcloud:User/getInfo:getInfo":
            return {"id": "user", "appId": FAKE_APPID, "uin": FAKE_UIN, "ownerUin": FAKE_UIN, "name": "kubecvm"}
        if token == "tencentcloud:Vpc/getLimits:getLimits":
            return {"id": "limits", "vpcLimitSets": [{"limitType": "route-table-max-policies", "limitValue": self.route_table_quota}]}
        if token.startswith("kubernetes:") and (answer := self.kubernetes.call(token, args.args)) is not None:
            return answer
        return {}


# --- What Tencent refuses ------------------------------------------------------------------------------------
# One function per rule, each citing its source (terraform-provider-tencentcloud v1.82.42, tencentcloud/services/,
# or the Tencent documentation page). A rule sees the account as it stands (`CloudState`) and the request, and
# returns why Tencent would refuse it, or None. The plan's creations and `kubecvm diff --replay` both go through
# them, so a program that asks for what Tencent refuses fails offline, not in production.

class CloudRefusal(Exception):
    """Tencent would refuse this request; the message says which rule and why."""

    refused_by = "Tencent Cloud"


class KubernetesRefused(CloudRefusal):
    refused_by = "the Kubernetes API server"


INSTANCE_T, SUBNET_T = "tencentcloud:Instance/instance:Instance", "tencentcloud:Subnet/instance:Instance"
CBS_SIZES = {t: (least, limits.CBS_MAX_GIB) for t, least in limits.CBS_MIN_GIB_BY_TYPE.items()}


@dataclass
class Live:
    type: str
    id: str
    inputs: dict


@dataclass
class CloudState:
    """The account as the rules see it: live resources by key, and names Tencent still holds after a delete."""

    live: dict[str, Live] = field(default_factory=dict)
    held_secret_names: set[str] = field(default_factory=set)
    # The SDK registers resources from several threads at once: a rule's check and the insert it guards are one
    # step (as Tencent allocates an address once), and the indexes keep a 5000-node plan's checks linear.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _ids: dict = field(default_factory=dict, repr=False, compare=False)
    _types: dict = field(default_factory=dict, repr=False, compare=False)

    def by_id(self, rid) -> Live | None:
        return self._ids.get(rid)

    def of_type(self, type_: str) -> list[Live]:
        return list(self._types.get(type_, {}).values())

    def create(self, key: str, type_: str, rid: str, inputs: dict) -> None:
        with self.lock:
            for rule in CREATE_RULES.get(type_, ()):
                if problem := rule(self, _plain_all(inputs)):
                    raise CloudRefusal(f"{key}: {problem}")
            self._put(key, Live(type_, rid, _plain_all(inputs)))

    def _put(self, key: str, r: Live) -> None:
        self.live[key] = r
        self._ids.setdefault(r.id, r)  # the first holder of an id, as the scan it replaces found
        self._types.setdefault(r.type, {})[key] = r

    def delete(self, key: str) -> None:
        with self.lock:
            self._delete(key)

    def rename(self, old: str, new: str) -> None:
        with self.lock:
            r = self.live.pop(old)
            self._types[r.type].pop(old)
            self.live[new] = self._types[r.type][new] = r

    def _delete(self, key: str) -> None:
        r = self.live.get(key)
        if r is None:
            return
        for rule in DELETE_RULES.get(r.type, ()):
            if problem := rule(self, r):
                raise CloudRefusal(f"{key}: {problem}")
        del self.live[key]
        self._types.get(r.type, {}).pop(key, None)
        if self._ids.get(r.id) is r:
            del self._ids[r.id]
            other = next((o for o in self.live.values() if o.id == r.id), None)
            if other is not None:
                self._ids[r.id] = other
        if r.type == "tencentcloud:Ssm/secret:Secret" and int(r.inputs.get("recoveryWindowInDays") or 0) > 0:
            self.held_secret_names.add(r.inputs.get("secretName"))


def _plain_all(value):
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _plain_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_all(v) for v in value]
    return value


def private_ip_in_subnet(state: CloudState, inputs: dict) -> str | None:
    """cvm/resource_tc_instance.go private_ip: "must be in the provided subnet and available"."""
    ip, subnet = inputs.get("privateIp"), state.by_id(inputs.get("subnetId"))
    if not ip or subnet is None:
        return None
    if ipaddress.ip_address(ip) not in ipaddress.ip_network(subnet.inputs["cidrBlock"]):
        return f"privateIp {ip} is outside subnet {subnet.inputs['cidrBlock']} (InvalidParameterValue)"
    holder = next((r for r in state.of_type(INSTANCE_T)
                   if r.inputs.get("privateIp") == ip and r.inputs.get("subnetId") == inputs.get("subnetId")), None)
    if holder:
        return f"privateIp {ip} is already used in its subnet (by {holder.id}): an address is not available until released"
    return None


def instance_type_sold(state: CloudState, inputs: dict) -> str | None:
    """RunInstances refuses a type Tencent does not sell: InvalidParameterValue.InstanceTypeNotFound ("指定机型不存在",
    tencentcloud-sdk-go cvm/v20170312/errors.go). What it sells: offline/instance_types.py (Tencent's instance-type
    pages); any size of a family they name without sizes is taken as sold (never a false refusal)."""
    instance_type = inputs.get("instanceType")  # optional: RunInstances then picks its default type
    if instance_type is not None and sold_shape(str(instance_type)) is None:
        return f"instanceType {instance_type!r} is not a type Tencent sells (InvalidParameterValue.InstanceTypeNotFound)"
    return None


def data_disks_go_with_postpaid_only(state: CloudState, inputs: dict) -> str | None:
    """cvm/resource_tc_instance.go (create): "param `delete_with_instance` only can be true when
    `instance_charge_type` is POSTPAID_BY_HOUR" (its default is true)."""
    charge = inputs.get("instanceChargeType") or "POSTPAID_BY_HOUR"
    for i, disk in enumerate(inputs.get("dataDisks") or []):
        if charge != "POSTPAID_BY_HOUR" and disk.get("deleteWithInstance", True):
            return f"dataDisks[{i}].deleteWithInstance may be true only on POSTPAID_BY_HOUR instances, not {charge}"
    return None


def system_disk_sold(state: CloudState, inputs: dict) -> str | None:
    """RunInstances refuses a system disk type Tencent does not sell with the instance's family (what
    DescribeDiskConfigQuota lists as its SYSTEM_DISK configurations); which ones it does: planning/disks.py, with its
    sources (Tencent's CBS use limits: Enhanced and Tremendous SSDs are never system disks)."""
    disk_type, instance_type = inputs.get("systemDiskType"), inputs.get("instanceType")
    if disk_type is None or instance_type is None:  # optional: RunInstances then picks what is in stock
        return None
    if problem := disks.system_disk_problem(str(disk_type), sizing.instance_family(str(instance_type))):
        return f"systemDiskType: {problem}"
    return None


def prepaid_needs_its_term(state: CloudState, inputs: dict) -> str | None:
    """RunInstances' InstanceChargePrepaid "若指定实例的付费模式为预付费则该参数必传" (required for a PREPAID instance;
    cloud.tencent.com/document/api/213/15730), which the provider fills from instance_charge_type_prepaid_period
    (cvm/resource_tc_instance.go, one of CVM_PREPAID_PERIOD in cvm/extension_cvm.go)."""
    if inputs.get("instanceChargeType") != "PREPAID":
        return None
    period = inputs.get("instanceChargeTypePrepaidPeriod")
    if period is None:
        return "a PREPAID instance needs instanceChargeTypePrepaidPeriod (InstanceChargePrepaid.Period)"
    if int(period) not in PREPAID_PERIODS:
        return f"instanceChargeTypePrepaidPeriod {period} is not one of {', '.join(map(str, PREPAID_PERIODS))}"
    return None


def _size_problem(what: str, disk_type: str | None, size) -> str | None:
    lo, hi = CBS_SIZES.get(disk_type or "", (10, 32000))
    if size is not None and not lo <= int(size) <= hi:
        return f"{what} {int(size)} GiB is outside {lo}..{hi} GiB for {disk_type}"
    return None


def data_disk_sizes(state: CloudState, inputs: dict) -> str | None:
    return next((p for i, d in enumerate(inputs.get("dataDisks") or [])
                 if (p := _size_problem(f"dataDisks[{i}].dataDiskSize", d.get("dataDiskType"), d.get("dataDiskSize")))), None)


def cbs_size(state: CloudState, inputs: dict) -> str | None:
    return _size_problem("storageSize", inputs.get("storageType"), inputs.get("storageSize"))


def clb_name_unique(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): checkSameName, "Same CLB name %s exists!"."""
    name = inputs.get("clbName")
    if any(r.inputs.get("clbName") == name for r in state.of_type("tencentcloud:Clb/instance:Instance")):
        return f"Same CLB name {name} exists"
    return None


def clb_internet(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): "INTERNAL network_type do not support internet charge type setting";
    internet_bandwidth_max_out "Valid value ranges is [1, 2048]", and it goes into the InternetAccessible that only
    internet_charge_type creates (set alone, v1.82.42 dereferences a nil InternetAccessible)."""
    charge, bandwidth = inputs.get("internetChargeType"), inputs.get("internetBandwidthMaxOut")
    if charge is not None and inputs.get("networkType") == "INTERNAL":
        return "INTERNAL network_type do not support internet charge type setting"
    if bandwidth is not None:
        lo, hi = limits.CLB_BANDWIDTH_MBPS
        if not lo <= int(bandwidth) <= hi:
            return f"internetBandwidthMaxOut {bandwidth} is outside {lo}..{hi} Mbps"
        if charge is None:
            return "internetBandwidthMaxOut without internetChargeType (the provider has no InternetAccessible to put it in)"
    return None


def listener_port_free(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_listener.go: CreateListener on a port and protocol the CLB already listens on fails."""
    same = [r for r in state.of_type("tencentcloud:Clb/listener:Listener")
            if (r.inputs.get("clbId"), r.inputs.get("port"), r.inputs.get("protocol"))
            == (inputs.get("clbId"), inputs.get("port"), inputs.get("protocol"))]
    return f"the CLB already listens on {inputs.get('protocol')} {inputs.get('port')}" if same else None


def route_destination_free(state: CloudState, inputs: dict) -> str | None:
    """vpc/resource_tc_route_table_entry.go CreateRoutes: a route table holds one route per destination."""
    same = [r for r in state.of_type("tencentcloud:Route/tableEntry:TableEntry")
            if (r.inputs.get("routeTableId"), r.inputs.get("destinationCidrBlock"))
            == (inputs.get("routeTableId"), inputs.get("destinationCidrBlock"))]
    return f"route table already has a route to {inputs.get('destinationCidrBlock')}" if same else None


def secret_name_free(state: CloudState, inputs: dict) -> str | None:
    """ssm/resource_tc_ssm_secret.go: secret_name "cannot be repeated in the same region"; a deleted one stays
    PendingDelete for recovery_window_in_days."""
    name = inputs.get("secretName")
    if name in state.held_secret_names:
        return f"secret name {name} is held by a deleted secret for its recovery window"
    if any(r.inputs.get("secretName") == name for r in state.of_type("tencentcloud:Ssm/secret:Secret")):
        return f"secret name {name} exists"
    return None


def secret_version_free(state: CloudState, inputs: dict) -> str | None:
    """ssm/resource_tc_ssm_secret_version.go PutSecretValue: a version id once per secret."""
    key = (inputs.get("secretName"), inputs.get("versionId"))
    if any((r.inputs.get("secretName"), r.inputs.get("versionId")) == key
           for r in state.of_type("tencentcloud:Ssm/secretVersion:SecretVersion")):
        return f"secret {key[0]} already has version {key[1]}"
    return None


def _name_free(type_: str, code: str):
    def rule(state: CloudState, inputs: dict) -> str | None:
        if any(r.inputs.get("name") == inputs.get("name") for r in state.of_type(type_)):
            return f"{inputs.get('name')} exists ({code})"
        return None
    return rule


def disk_detached(state: CloudState, inputs: dict) -> str | None:
    """cbs/resource_tc_cbs_storage_attachment.go AttachDisk: a disk attaches to one instance at a time."""
    if any(r.inputs.get("storageId") == inputs.get("storageId")
           for r in state.of_type("tencentcloud:Cbs/storageAttachment:StorageAttachment")):
        return f"disk {inputs.get('storageId')} is already attached"
    return None


PORT_RE = re.compile(r"^(\d+)(-(\d+))?$")


def rule_ports(state: CloudState, inputs: dict) -> str | None:
    """vpc/resource_tc_security_group_rule_set.go: protocol TCP, UDP, ICMP, ICMPv6 or ALL; port "all", a port, a
    range or a comma list; "If the Protocol value is set to ALL, the Port value also needs to be set to all"
    (ICMP carries no ports either)."""
    for side in ("ingresses", "egresses"):
        for i, rule in enumerate(inputs.get(side) or []):
            proto, port = str(rule.get("protocol") or "ALL").upper(), str(rule.get("port") or "ALL")
            where = f"{side}[{i}]"
            if proto not in ("TCP", "UDP", "ICMP", "ICMPV6", "ALL"):
                return f"{where}: protocol {proto} is not TCP, UDP, ICMP, ICMPv6 or ALL"
            if proto in ("ALL", "ICMP", "ICMPV6"):
                if port.upper() != "ALL":
                    return f"{where}: protocol {proto} takes port ALL, not {port}"
                continue
            if port.upper() == "ALL":
                continue
            for part in port.split(","):
                m = PORT_RE.match(part.strip())
                lo, hi = (int(m[1]), int(m[3] or m[1])) if m else (0, 0)
                if not m or not 1 <= lo <= hi <= 65535:
                    return f"{where}: port {port!r} is not a port, a range lo-hi or a list of them within 1..65535"
    return None


def termination_protection(state: CloudState, r: Live) -> str | None:
    """cvm/resource_tc_instance.go disable_api_termination: "this instance can not be deleted by an API action"."""
    if r.inputs.get("disableApiTermination") is True:
        return "termination protection is on (disableApiTermination): TerminateInstances is refused"
    return None


def cos_bucket_name(state: CloudState, inputs: dict) -> str | None:
    """cos/resource_tc_cos_bucket.go bucket: tccommon.ValidateCosBucketName (<name>-<appid>, at most 60
    characters, ^[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}$); and a bucket name is unique (BucketAlreadyExists)."""
    name = str(inputs.get("bucket") or "")
    if len(name) > 60 or not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9]{10}", name):
        return f"bucket {name!r} is not <lower-case name>-<10-digit appid> of at most 60 characters"
    if any(r.inputs.get("bucket") == name for r in state.of_type("tencentcloud:Cos/bucket:Bucket")):
        return f"BucketAlreadyExists: {name}"
    return None


def cluster_route_tables_disjoint(state: CloudState, inputs: dict) -> str | None:
    """TKE refuses a cluster route table whose CIDR overlaps another cluster's table in the same VPC: the shared rule
    kubecvm/planning/tencent/tke.py table_cidr_conflict, which the emulator answers with too. Only that rule: the
    name's uniqueness is left out, since the provider replaces a table delete-first (its diff asks for it), which
    the offline replay does not see."""
    def table(i: dict) -> tke.RouteTable:
        return tke.RouteTable(str(i.get("routeTableName") or ""), str(i.get("routeTableCidrBlock") or ""),
                              str(i.get("vpcId") or ""))
    refusal = tke.table_cidr_conflict(table(inputs), [table(r.inputs) for r in state.of_type(CLUSTER_ROUTE_TABLE)])
    return f"{refusal.message} ({refusal.code})" if refusal else None


CREATE_RULES = {
    CLUSTER_ROUTE_TABLE: (cluster_route_tables_disjoint,),
    INSTANCE_T: (instance_type_sold, system_disk_sold, private_ip_in_subnet, prepaid_needs_its_term,
                 data_disks_go_with_postpaid_only, data_disk_sizes),
    "tencentcloud:Cbs/storage:Storage": (cbs_size,),
    "tencentcloud:Cbs/storageAttachment:StorageAttachment": (disk_detached,),
    "tencentcloud:Clb/instance:Instance": (clb_name_unique, clb_internet),
    "tencentcloud:Clb/listener:Listener": (listener_port_free,),
    "tencentcloud:Route/tableEntry:TableEntry": (route_destination_free,),
    "tencentcloud:Ssm/secret:Secret": (secret_name_free,),
    "tencentcloud:Ssm/secretVersion:SecretVersion": (secret_version_free,),
    "tencentcloud:Cam/role:Role": (_name_free("tencentcloud:Cam/role:Role", "RoleNameInUse"),),
    "tencentcloud:Cam/policy:Policy": (_name_free("tencentcloud:Cam/policy:Policy", "PolicyNameInUse"),),
    "tencentcloud:Security/groupRuleSet:GroupRuleSet": (rule_ports,),
    "tencentcloud:Cos/bucket:Bucket": (cos_bucket_name,),
}
DELETE_RULES = {INSTANCE_T: (termination_protection,)}


# --- Replaying a diff in engine order ------------------------------------------------------------------------

def _topological(resources: dict[str, dict]) -> list[str]:
    """URNs so that each comes after what it depends on (dependsOn, propertyDependencies, parent)."""
    order, seen = [], set()

    def deps(urn: str) -> set[str]:
        o = resources[urn].get("options") or {}
        out = set(o.get("dependsOn") or ())
        for v in (o.get("propertyDependencies") or {}).values():
            out |= set(v)
        return {d for d in out if d in resources}

    def visit(urn: str) -> None:
        if urn in seen:
            return
        seen.add(urn)
        for d in sorted(deps(urn)):
            visit(d)
        order.append(urn)

    for urn in sorted(resources):
        visit(urn)
    return order


def replay(old: dict, new: dict, result) -> list[str]:
    """Apply OLD -> NEW to a simulated account holding OLD, in the engine's order: creations and replacements
    after what they depend on (a create-before-delete replacement creates the new copy, then deletes the old;
    delete-before-replace the other way round), deletions last, dependents first. Returns what Tencent refused.
    """
    state, refused = CloudState(), []
    before = {r["urn"]: r for r in old["resources"] if r.get("custom", True)}
    after = {r["urn"]: r for r in new["resources"] if r.get("custom", True)}
    for urn in _topological(before):
        r = before[urn]
        state.create(urn, r["type"], r.get("id") or urn, r.get("inputs") or {})
    replaced = {c.urn: c for c in result.replacements}
    added = {r["urn"] for r in result.added}

    def attempt(step) -> None:
        try:
            step()
        except CloudRefusal as exc:
            refused.append(str(exc))

    for urn in _topological(after):
        r = after[urn]
        new_id = f"{r.get('id') or urn}~new" if urn in replaced else (r.get("id") or urn)
        inputs = _renamed(r.get("inputs") or {}, before, replaced)
        if urn in added:
            attempt(lambda: state.create(urn, r["type"], new_id, inputs))
        elif urn in replaced:
            if replaced[urn].order == "delete-before-replace":
                attempt(lambda: state.delete(urn))
                attempt(lambda: state.create(urn, r["type"], new_id, inputs))
            else:
                def create_then_delete(urn=urn, r=r, new_id=new_id, inputs=inputs):
                    state.create(urn + "~new", r["type"], new_id, inputs)
                    state.delete(urn)
                    state.rename(urn + "~new", urn)
                attempt(create_then_delete)
        elif urn in state.live:
            state.live[urn].inputs = _plain_all(inputs)
    for urn in reversed(_topological(before)):
        if urn not in after:
            attempt(lambda: state.delete(urn))
    return refused


def _renamed(inputs: dict, before: dict, replaced: dict) -> dict:
    """Inputs with the ids of replaced resources swapped for their new ids, as the engine would pass them."""
    new_ids = {before[u].get("id"): f"{before[u].get('id')}~new" for u in replaced if before.get(u, {}).get("id")}

    def swap(v):
        if isinstance(v, str):
            return new_ids.get(v, v)
        if isinstance(v, list):
            return [swap(x) for x in v]
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        return v
    return swap(inputs)
