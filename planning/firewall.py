"""What a Tencent security group does with a packet: a small pure evaluator over the plan's ordered rules.

    firewall.verdict(plan.security_group("worker").ingress, "10.2.32.5", "TCP", 10250)  -> "DROP"

Semantics (terraform-provider-tencentcloud v1.82.42, website/docs/r/security_group_rule_set.html.markdown): the
`ingress`/`egress` blocks are ordered and "the first rule has the highest priority"; `port` is `ALL`, a port,
`a-b` or `a,b`; with protocol `ALL` the port must be `ALL`. A packet takes the action of the first rule whose CIDR,
protocol and port match it; Tencent refuses what no rule matches, and kubecvm's rule sets end with an explicit
`DROP ALL 0.0.0.0/0` so that reading them needs no knowledge of the platform default. Security groups are stateful
(answers to accepted traffic return), so only the initiating direction is evaluated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable
from typing import Protocol

PROTOCOLS = ("TCP", "UDP", "ICMP", "ALL")
DEFAULT = "DROP"  # what Tencent does with a packet no rule matches


class RuleLike(Protocol):
    action: str
    protocol: str
    port: str
    cidr: str  # "" when source_group names the source
    source_group: str | None


def port_ranges(port: str) -> tuple[tuple[int, int], ...]:
    """Tencent port syntax -> inclusive ranges: "ALL", "22", "2379-2380", "10250,10257,10259"."""
    text = port.strip().upper()
    if text == "ALL":
        return ((1, 65535),)
    out = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"{port!r} is not a Tencent port: ALL, 22, 80-90 or 80,443")
        first, last = int(lo), int(hi or lo)
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"{port!r}: ports are 1..65535, low before high")
        out.append((first, last))
    return tuple(out)


def rule_problem(rule: RuleLike) -> str | None:
    """What the provider would refuse in one rule, or None."""
    if rule.action not in ("ACCEPT", "DROP"):
        return f"action {rule.action!r} is not ACCEPT or DROP"
    if rule.protocol not in PROTOCOLS:
        return f"protocol {rule.protocol!r} is not one of {', '.join(PROTOCOLS)}"
    if rule.protocol in ("ALL", "ICMP") and rule.port.upper() != "ALL":
        return f"protocol {rule.protocol} takes port ALL, not {rule.port!r}"
    if bool(rule.cidr) == bool(rule.source_group):
        return (
            "a rule has a CIDR or a source security group, exactly one (cidr_block conflicts with source_security_id)"
        )
    try:
        port_ranges(rule.port)
        if rule.cidr:
            ipaddress.IPv4Network(rule.cidr)
    except ValueError as error:
        return str(error)
    return None


def matches(rule: RuleLike, source: str, protocol: str, port: int | None, groups: Collection[str] = ()) -> bool:
    if rule.source_group is not None:
        if rule.source_group not in groups:
            return False
    elif ipaddress.IPv4Address(source) not in ipaddress.IPv4Network(rule.cidr):
        return False
    if rule.protocol != "ALL" and rule.protocol != protocol:
        return False
    if port is None or rule.port.upper() == "ALL":
        return True
    return any(lo <= port <= hi for lo, hi in port_ranges(rule.port))


def first_match(
    rules: Iterable[RuleLike], source: str, protocol: str, port: int | None = None, groups: Collection[str] = ()
) -> RuleLike | None:
    return next((r for r in rules if matches(r, source, protocol, port, groups)), None)


def verdict(
    rules: Iterable[RuleLike], source: str, protocol: str, port: int | None = None, groups: Collection[str] = ()
) -> str:
    """ACCEPT or DROP for a packet from `source` (protocol TCP|UDP|ICMP, port None for ICMP). `groups`: the roles
    whose security group the source CVM is in (a CVM's packets match a rule naming its group), () for others."""
    if protocol not in ("TCP", "UDP", "ICMP"):
        raise ValueError(f"a packet's protocol is TCP, UDP or ICMP, not {protocol!r}")
    rule = first_match(rules, source, protocol, port, groups)
    return rule.action if rule else DEFAULT
