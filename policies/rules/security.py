"""Security rules: exposure to the internet, secrets in user data, SSH login, the API endpoint."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import zlib
from collections.abc import Iterator, Mapping, Sequence

from kubecvm.planning import bootstrap

from .. import patterns
from ..registry import CLB, CVM, RULE_SET, Context, Finding, rule

SECRET_MARKER = "[secret]"  # how a Pulumi secret reaches us: its value is not ours to inspect
ALL = (1, 65535)


def port_ranges(port: str) -> list[tuple[int, int]]:
    """Tencent port syntax: "ALL", "22", "2379-2380", "10250,10257,10259"."""
    text = str(port or "").strip().upper()
    if text in ("", "ALL"):
        return [ALL]
    out = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            out.append((int(lo), int(hi or lo)))
        except ValueError:
            continue  # not a port: the provider rejects the rule set, and it opens nothing meanwhile
    return out


def _covers(rule_ranges: list[tuple[int, int]], target: tuple[int, int]) -> bool:
    return any(lo <= target[0] and target[1] <= hi for lo, hi in rule_ranges)


def _touches(rule_ranges: list[tuple[int, int]], target: tuple[int, int]) -> bool:
    return any(lo <= target[1] and target[0] <= hi for lo, hi in rule_ranges)


def world_open(ingresses: Sequence[Mapping], target: str, world: Sequence[str]) -> Mapping | None:
    """The first-matching ACCEPT that lets `world` sources reach `target` ports over TCP, or None.

    Tencent evaluates rules in order and the first match wins, so a DROP from the world covering the whole
    target before any ACCEPT closes it. Rules from narrower CIDRs neither open nor close it for the world.
    For target "ALL" only a rule open on all ports counts: one open port is not "all ports open".
    """
    want = port_ranges(target)[0] if target.upper() == "ALL" else None
    for t in port_ranges(target) if want is None else [want]:
        for r in ingresses:
            if str(r.get("cidrBlock")) not in world or str(r.get("protocol", "ALL")).upper() not in ("TCP", "ALL"):
                continue
            ranges = port_ranges(r.get("port", "ALL"))
            action = str(r.get("action", "")).upper()
            if action == "DROP" and _covers(ranges, t):
                break
            if action == "ACCEPT" and (_covers(ranges, t) if want else _touches(ranges, t)):
                return r
    return None


def public_api_allowed(ctx: Context) -> bool:
    """The config's allowPublicApi when set, else whether the stack asks for a public endpoint."""
    if ctx.params.get("allowPublicApi") is not None:
        return bool(ctx.params["allowPublicApi"])
    return ctx.cluster.get("apiExposure") == "public"


@rule(
    "kubecvm-security-no-public-ip",
    severity="critical",
    scope=(CVM,),
    per_resource=True,
    description="No CVM gets a public IP: nodes reach the internet through the NAT gateway, users through the API CLB.",
    remediation="Set allocate_public_ip=False (kubecvm always does); use egress: nat for outbound traffic.",
)
def no_public_ip(ctx: Context) -> Iterator[Finding]:
    for c in ctx.cvms():
        if c.props.get("allocatePublicIp"):
            yield c.urn, f"{c.name} allocates a public IP"


@rule(
    "kubecvm-security-open-ports",
    severity="critical",
    scope=(RULE_SET,),
    per_resource=True,
    defaults={"ports": ["22", "2379-2380", "10250", "10257", "10259", "ALL"], "worldCidrs": ["0.0.0.0/0"]},
    description="No security group accepts ingress from 0.0.0.0/0 to SSH, etcd, the kubelet, the controller "
    "manager, the scheduler or all ports (rules are ordered: a DROP from the world first is fine).",
    remediation="Restrict sshAllowedCidrs to your admin network (a bastion or VPN range), never 0.0.0.0/0.",
)
def open_ports(ctx: Context) -> Iterator[Finding]:
    for rs in ctx.of_type(RULE_SET):
        for target in ctx.params["ports"]:
            if (r := world_open(rs.props.get("ingresses") or [], str(target), ctx.params["worldCidrs"])) is not None:
                yield (
                    rs.urn,
                    (
                        f"{rs.name} accepts {r.get('protocol')} port {target} from {r.get('cidrBlock')} "
                        f"(rule {r.get('description') or r.get('port')!r})"
                    ),
                )


@rule(
    "kubecvm-security-api-public",
    severity="high",
    scope=(RULE_SET,),
    per_resource=True,
    defaults={"apiPort": "6443", "worldCidrs": ["0.0.0.0/0"], "allowPublicApi": None},
    description="The API port is open to 0.0.0.0/0 only when a public endpoint is allowed (allowPublicApi; else "
    "the stack's apiEndpoint.exposure).",
    remediation="List your networks in apiEndpoint.allowedCidrs instead of 0.0.0.0/0, or allow a public endpoint.",
)
def api_public(ctx: Context) -> Iterator[Finding]:
    if public_api_allowed(ctx):
        return
    for rs in ctx.of_type(RULE_SET):
        if world_open(rs.props.get("ingresses") or [], str(ctx.params["apiPort"]), ctx.params["worldCidrs"]):
            yield (
                rs.urn,
                f"{rs.name} opens the API port {ctx.params['apiPort']} to the world but no public endpoint is allowed",
            )


# --- a world-open API -------------------------------------------------------------------------------------
# kubecvm-security-api-public and -clb-internal accept what the stack itself asks for (apiExposure: public). This
# rule does not: whatever the stack says, an API server any internet address may reach is a finding, waived only by
# an exemption with a reason and an expiry (or the rule's level in the config file).


def _source(rule_: Mapping) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    for key in ("cidrBlock", "ipv6CidrBlock"):
        try:
            return ipaddress.ip_network(str(rule_[key]), strict=False)
        except (KeyError, ValueError):
            continue
    return None


def wide_accepts(ingresses: Sequence[Mapping], port: str, min_prefix: int) -> list[Mapping]:
    """The ACCEPTs of TCP `port` from a source wider than /`min_prefix` that no earlier DROP of a wider-or-equal
    source covering the port shadows (Tencent applies the first matching rule)."""
    target = port_ranges(port)[0]
    drops: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, list[tuple[int, int]]]] = []
    out = []
    for r in ingresses:
        net = _source(r)
        if net is None or str(r.get("protocol", "ALL")).upper() not in ("TCP", "ALL"):
            continue
        ranges, action = port_ranges(r.get("port", "ALL")), str(r.get("action", "")).upper()
        if action == "DROP":
            drops.append((net, ranges))
        elif action == "ACCEPT" and net.prefixlen < min_prefix and _touches(ranges, target):
            shadowed = any(net.version == d.version and net.subnet_of(d) and _covers(dr, target) for d, dr in drops)
            if not shadowed:
                out.append(r)
    return out


@rule(
    "kubecvm-security-api-world-open",
    severity="critical",
    scope=(RULE_SET,),
    per_resource=True,
    defaults={"apiPort": "6443", "minPrefixLength": 8},
    description="No security group lets the whole internet reach the API port: an ACCEPT from a source wider than "
    "/8 (0.0.0.0/0, ::/0, 0.0.0.0/1, ...) is a finding even when the stack asks for a public endpoint.",
    remediation="List the networks that need the API in apiEndpoint.allowedCidrs (office, VPN, CI egress), or "
    "record an exemption with its reason and expiry.",
)
def api_world_open(ctx: Context) -> Iterator[Finding]:
    port, min_prefix = str(ctx.params["apiPort"]), int(ctx.params["minPrefixLength"])
    for rs in ctx.of_type(RULE_SET):
        for r in wide_accepts(rs.props.get("ingresses") or [], port, min_prefix):
            yield (
                rs.urn,
                (
                    f"{rs.name} accepts the API port {port} from {_source(r)} "
                    f"(rule {r.get('description') or r.get('port')!r}): the whole internet can reach it"
                ),
            )


@rule(
    "kubecvm-security-clb-internal",
    severity="high",
    scope=(CLB,),
    per_resource=True,
    defaults={"allowPublicApi": None},
    description="The API load balancer is INTERNAL unless a public endpoint is allowed.",
    remediation="Use apiEndpoint.exposure: internal (reach it through a VPN or peering), or allow a public endpoint.",
)
def clb_internal(ctx: Context) -> Iterator[Finding]:
    if public_api_allowed(ctx):
        return
    for lb in ctx.of_type(CLB):
        if lb.role == "ingress":
            continue  # the ingress CLB has its own rule, kubecvm-security-ingress-public (policies/rules/ingress.py)
        if str(lb.props.get("networkType", "")).upper() != "INTERNAL":
            yield (
                lb.urn,
                f"{lb.name} is a {lb.props.get('networkType') or 'public (default)'} CLB but no public endpoint is allowed",
            )


_SECRET_PATTERNS = {
    "a Tencent Cloud SecretId": r"AKID[0-9A-Za-z]{32}",
    "a Tencent Cloud SecretKey": r"(?i)secret_?key['\"]?\s*[:=]\s*['\"]?[0-9A-Za-z]{32}",
    "a private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
}


def _texts(c) -> Iterator[str]:
    raw = c.props.get("userDataRaw")
    if isinstance(raw, str) and raw != SECRET_MARKER:
        yield raw
    encoded = c.props.get("userData")
    if isinstance(encoded, str) and encoded != SECRET_MARKER:
        # What cloud-init reads: kubecvm ships a MIME message whose part is gzipped (bootstrap.encode_user_data);
        # a search of the base64 alone would find nothing.
        try:
            parts = bootstrap.user_data_parts(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError, OSError, EOFError, zlib.error):
            yield encoded
            return
        for part in parts:
            yield part.decode("utf-8", "replace")


@rule(
    "kubecvm-security-user-data-secrets",
    severity="critical",
    scope=(CVM,),
    per_resource=True,
    defaults={"patterns": _SECRET_PATTERNS},
    description="No Tencent Cloud credentials or private keys appear in CVM user data (it is readable from the "
    "instance metadata and stored in state).",
    remediation="Use a CAM role on the instance for API access and fetch keys at boot from a secret store.",
)
def user_data_secrets(ctx: Context) -> Iterator[Finding]:
    for c in ctx.cvms():
        for text in _texts(c):
            for what, pattern in ctx.params["patterns"].items():
                if patterns.search(pattern, text):  # user-written: compiled with a time limit
                    yield c.urn, f"{c.name}: user data contains {what}"  # never the value itself


@rule(
    "kubecvm-security-ssh-keys",
    severity="medium",
    scope=(CVM,),
    per_resource=True,
    defaults={"requireKeyIds": False},
    description="CVMs log in with SSH key pairs, never passwords (with requireKeyIds, every CVM names a key).",
    remediation="Remove password and set sshKeyIds.",
)
def ssh_keys(ctx: Context) -> Iterator[Finding]:
    for c in ctx.cvms():
        if c.props.get("password"):
            yield c.urn, f"{c.name} sets a login password; use SSH key pairs (keyIds) instead"
        elif ctx.params["requireKeyIds"] and not c.props.get("keyIds"):
            yield c.urn, f"{c.name} names no SSH key pair"
