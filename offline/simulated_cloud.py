"""A simulated Tencent Cloud for the Pulumi SDK's mock runtime: resource outputs and data-source answers.

Deterministic: ids are derived from type and name, so the same inputs always give byte-identical plans.
Used by the offline plan (`kubecvm plan`, through kubecvm.offline.runner) and by the test suite.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import string

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from kubecvm.planning import validation
from kubecvm.planning.sizing import parse_instance_type

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
}
FAKE_UIN = "100000000001"
# Outputs the engine returns as secrets: the providers' own additional_secret_outputs plus those kubecvm adds
# (components/pki.py). The real engine honours the request's list; the SDK's mock monitor does not, so we do.
SECRET_OUTPUTS = {
    "tls:index/privateKey:PrivateKey": ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh"),
    "tls:index/selfSignedCert:SelfSignedCert": ("certPem", "privateKeyPem"),
    "tls:index/certRequest:CertRequest": ("certRequestPem", "privateKeyPem"),
    "tls:index/locallySignedCert:LocallySignedCert": ("certPem", "caPrivateKeyPem"),
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
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
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value.get("value")
    return value


def _secret(value):
    """An output the engine would return as a secret."""
    return value if isinstance(value, dict) and rpc._special_sig_key in value else {
        rpc._special_sig_key: rpc._special_secret_sig, "value": value}


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


class SimulatedCloud(pulumi_mocks.Mocks):
    """Answers resource creation and data-source calls as Tencent Cloud would, deterministically."""

    def __init__(self, route_table_quota: int = ROUTE_TABLE_QUOTA_DEFAULT):
        self.route_table_quota = route_table_quota

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            return None, {}
        key = f"{args.typ}::{args.name}"
        prefix = ID_PREFIX.get(args.typ, args.typ.rsplit(":", 1)[-1].lower())
        rid = f"{prefix}-{_digest(key)}"
        state = dict(args.inputs)
        if args.typ == "tencentcloud:Instance/instance:Instance":
            shape = parse_instance_type(state["instanceType"])
            state |= {"cpu": shape.cpu, "memory": shape.memory_gib, "instanceStatus": "RUNNING"}
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
        elif args.typ == "tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment":
            rid = f"{_plain(state['roleId'])}#{_plain(state['policyId'])}"
        for name in SECRET_OUTPUTS.get(args.typ, ()):
            if name in state:
                state[name] = _secret(state[name])
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
        if token == "tencentcloud:Vpc/getLimits:getLimits":
            return {"id": "limits", "vpcLimitSets": [{"limitType": "route-table-max-policies", "limitValue": self.route_table_quota}]}
        return {}
