"""The rule registry and what a rule sees: resources as CrossGuard shows them, its merged config, cluster facts.

Pure Python (planning imports only): used by the offline plan, the CrossGuard pack and the tests alike.
A rule is a plain function `rule(ctx) -> Iterable[(urn | None, message)]`, registered with `@rule(...)`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubecvm.planning.plan import TAG_POOL, TAG_ROLE
from kubecvm.planning.tencent import cbs, clb, cvm, monitor, tke, vpc

# Engine type tokens, as the rules (policies/rules/) name them: the service modules' (kubecvm/planning/tencent/).
CVM = cvm.INSTANCE
VPC = vpc.VPC
SUBNET = vpc.SUBNET
ROUTE_TABLE = vpc.ROUTE_TABLE
ROUTE = vpc.ROUTE_ENTRY
CBS = cbs.STORAGE
CLB = clb.INSTANCE
LISTENER = clb.LISTENER
CLB_ATTACHMENT = clb.ATTACHMENT
RULE_SET = vpc.RULE_SET
PLACEMENT_GROUP = cvm.PLACEMENT_GROUP
# podNetwork globalRouter: one dynamic resource holds the TKE cluster route table and its per-node routes
# (components/global_router.py): props routeTableName, routeTableCidrBlock, vpcId, routes {node: {...}}.
CLUSTER_ROUTE_TABLE = tke.CLUSTER_ROUTE_TABLE
ALARM_POLICY = monitor.ALARM_POLICY

SEVERITIES = ("critical", "high", "medium", "low")
LEVELS = ("mandatory", "advisory", "disabled", "remediate")


@dataclass(frozen=True)
class Resource:
    """One resource as the engine would show it to CrossGuard."""

    urn: str
    type: str  # engine type token, e.g. CVM (tencentcloud:Instance/instance:Instance)
    name: str
    props: Mapping[str, Any]  # camelCase inputs
    # URNs of the resources this one depends on (its inputs' and depends_on), as the engine records them; () when
    # unknown. CrossGuard's stack policies and the offline plan have them, per-resource policies do not.
    dependencies: tuple[str, ...] = ()

    @property
    def tags(self) -> Mapping[str, Any]:
        return self.props.get("tags") or {}

    @property
    def role(self) -> str | None:
        return self.tags.get(TAG_ROLE)

    @property
    def pool(self) -> str | None:
        return self.tags.get(TAG_POOL)


@dataclass(frozen=True)
class Context:
    """Everything one rule may read."""

    resources: tuple[Resource, ...]
    params: Mapping[str, Any]  # the rule's defaults merged with its config entry
    cluster: Mapping[str, Any] = field(default_factory=dict)  # facts resources do not show; {} when unknown
    # The resources of each type, in their order: engine.evaluate builds it once for every rule, so a rule's look-up
    # of one type is not a scan of the whole stack (70 scans of 10,000 resources at 5000 nodes). None: scan.
    by_type: Mapping[str, tuple[Resource, ...]] | None = None

    def of_type(self, *types: str) -> list[Resource]:
        if self.by_type is not None and len(types) == 1:
            return list(self.by_type.get(types[0], ()))
        return [r for r in self.resources if r.type in types]

    def cvms(self, role: str | None = None) -> list[Resource]:
        return [r for r in self.of_type(CVM) if role is None or r.role == role]

    @property
    def masters(self) -> list[Resource]:
        return self.cvms("master")

    @property
    def workers(self) -> list[Resource]:
        return self.cvms("worker")

    def pod_routes(self) -> list[Resource]:
        """Routes whose next hop is a CVM: the pod-network underlay (the NAT default route is not one), in either
        representation: VPC route-table entries, or the routes of a TKE cluster route table (cluster_routes)."""
        return [r for r in self.of_type(ROUTE) if r.props.get("nextType") == "NORMAL_CVM"] + self.cluster_routes()

    def cluster_routes(self) -> list[Resource]:
        """Each cluster route as if it were a route entry (destinationCidrBlock, nextHub, routeTableId = the table's
        name), so one rule checks both pod networks; urn is the table's, name `<table>/<node>`."""
        return [
            Resource(
                t.urn,
                t.type,
                f"{t.name}/{node}",
                {
                    "destinationCidrBlock": (route or {}).get("destinationCidrBlock"),
                    "nextHub": (route or {}).get("gatewayIp"),
                    "nextType": "NORMAL_CVM",
                    "routeTableId": t.props.get("routeTableName"),
                },
            )
            for t in self.of_type(CLUSTER_ROUTE_TABLE)
            for node, route in sorted((t.props.get("routes") or {}).items())
        ]

    def setting(self, param: str, cluster_key: str, fallback: str) -> Any:
        """The config's value when set (not null), else the stack's own fact, else the rule's fallback default.

        Used where the stack states a fact the policy may override (its route quota, its API exposure): the
        file can pin a value, and otherwise the stack's declared value is judged against the resources.
        """
        if self.params.get(param) is not None:
            return self.params[param]
        if self.cluster.get(cluster_key) is not None:
            return self.cluster[cluster_key]
        return self.params[fallback]


def by_type(resources: Sequence[Resource]) -> dict[str, tuple[Resource, ...]]:
    """`resources` grouped by type, each group in their order (Context.by_type)."""
    groups: dict[str, list[Resource]] = {}
    for r in resources:
        groups.setdefault(r.type, []).append(r)
    return {t: tuple(group) for t, group in groups.items()}


Finding = tuple[str | None, str]
RuleFn = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    id: str
    group: str
    severity: str
    description: str
    remediation: str
    fn: RuleFn
    defaults: Mapping[str, Any]
    # Types whose every resource counts as one check (JUnit); None: one check for the whole stack.
    scope: tuple[str, ...] | None
    role: str | None  # narrows `scope` to resources with this kubecvm/role tag
    # True when the rule judges each resource of `scope` on its own (a CrossGuard ResourceValidationPolicy).
    per_resource: bool

    def in_scope(self, r: Resource) -> bool:
        return self.scope is not None and r.type in self.scope and (self.role is None or r.role == self.role)


RULES: dict[str, RuleSpec] = {}


def rule(
    id: str,
    *,
    severity: str,
    description: str,
    remediation: str,
    defaults: Mapping[str, Any] | None = None,
    scope: tuple[str, ...] | None = None,
    role: str | None = None,
    per_resource: bool = False,
) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under `kubecvm-<group>-<rule>` with its metadata and config defaults."""
    parts = id.split("-")
    assert parts[0] == "kubecvm" and len(parts) >= 3, f"rule id {id!r} is not kubecvm-<group>-<rule>"
    assert severity in SEVERITIES, severity
    assert not per_resource or scope, f"{id}: a per-resource rule needs a scope"

    def register(fn: RuleFn) -> RuleFn:
        assert id not in RULES, f"rule {id} registered twice"
        RULES[id] = RuleSpec(
            id=id,
            group=parts[1],
            severity=severity,
            description=description,
            remediation=remediation,
            fn=fn,
            defaults=dict(defaults or {}),
            scope=scope,
            role=role,
            per_resource=per_resource,
        )
        return fn

    return register


# Small pure helpers the rule modules share.


def net(cidr: Any) -> ipaddress.IPv4Network | None:
    """A CIDR prop as a network, or None when absent or not a CIDR (another rule or the provider reports that)."""
    try:
        return ipaddress.IPv4Network(str(cidr), strict=False) if cidr else None
    except ValueError:
        return None


def ip(value: Any) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(str(value)) if value else None
    except ValueError:
        return None
