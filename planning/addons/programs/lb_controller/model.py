"""What a Service and the cluster's Nodes ask of a CLB: pure functions over the objects as the API serves them
(camelCase dicts). The semantics are upstream's service controller and node lifecycle controller
(kubernetes/cloud-provider controllers/service/controller.go and controllers/nodelifecycle/
node_lifecycle_controller.go); the annotations are TKE's documented ones where the meaning is the same
(tencentyun/qcloud-documents product/计算与网络/容器服务/控制台指南（新版）/Service管理/ServiceAnnotation说明.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# --- upstream's names ---------------------------------------------------------------------------------------
# controllers/service/controller.go: the finalizer that holds a Service until its load balancer is gone.
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
# k8s.io/api/core/v1 well_known_labels.go LabelNodeExcludeBalancers; controller.go nodeIncludedPredicate.
EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
# controller.go: ToBeDeletedTaint, the taint the cluster autoscaler puts on a node it is removing.
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"
# cloud-provider api/well_known_taints.go TaintNodeShutdown: the node lifecycle's taint for a stopped instance.
SHUTDOWN_TAINT = {"key": "node.cloudprovider.kubernetes.io/shutdown", "effect": "NoSchedule"}
# The Event reasons upstream's service controller records (controller.go), kept so dashboards read the same.
ENSURING, ENSURED, SYNC_FAILED = "EnsuringLoadBalancer", "EnsuredLoadBalancer", "SyncLoadBalancerFailed"
DELETING, DELETED, DELETE_FAILED = "DeletingLoadBalancer", "DeletedLoadBalancer", "DeleteLoadBalancerFailed"
UNAVAILABLE = "UnAvailableLoadBalancer"
# This controller's own loadBalancerClass: a Service naming it (or none) is ours; any other class is another's.
LOAD_BALANCER_CLASS = "kubecvm.io/clb"

# --- TKE's annotations (the documentation page above) --------------------------------------------------------
INTERNAL_SUBNET = "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"
EXISTING_LB = "service.kubernetes.io/tke-existed-lbid"
CHARGE_TYPE = "kubernetes.io/service.internetChargeType"
BANDWIDTH = "kubernetes.io/service.internetMaxBandwidthOut"
LB_ID = "service.kubernetes.io/loadbalance-id"  # read-only there: the CLB the Service uses, written by us
# Upstream's legacy source-range annotation (k8s.io/api/core/v1 AnnotationLoadBalancerSourceRangesKey), read only
# when spec.loadBalancerSourceRanges is empty (k8s.io/cloud-provider service/helpers GetLoadBalancerSourceRanges).
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
ALLOW_ALL = "0.0.0.0/0"  # helpers.IsAllowAll: a list holding it restricts nothing
# The charge types TKE documents for kubernetes.io/service.internetChargeType, and its bandwidth range (Mbps).
CHARGE_TYPES = ("TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR")
BANDWIDTH_RANGE = (1, 2048)

# --- ownership: the tags kubecvm puts on the CLBs it creates --------------------------------------------------
TAG_CLUSTER = "kubecvm/cluster"  # the same key the stack's resources carry (planning/plan.py TAG_CLUSTER)
TAG_NAMESPACE, TAG_NAME = "kubecvm/service-namespace", "kubecvm/service-name"
LISTENER_PREFIX = "kubecvm"  # a listener this controller made is named kubecvm-<protocol>-<port>
HEALTH_PATH = "/healthz"  # kube-proxy's health check server on healthCheckNodePort (pkg/proxy/healthcheck)


class SpecError(ValueError):
    """The Service asks for something this controller cannot do: an Event, never a crash."""


@dataclass(frozen=True)
class Listener:
    protocol: str
    port: int
    node_port: int
    health: tuple[tuple[str, object], ...]  # the HealthCheck members, sorted

    @property
    def name(self) -> str:
        return f"{LISTENER_PREFIX}-{self.protocol.lower()}-{self.port}"


@dataclass(frozen=True)
class Desired:
    network: str  # INTERNAL | OPEN
    subnet: str
    charge: str | None
    bandwidth: int | None
    existing: str | None  # tke-existed-lbid: adopted, never created nor deleted
    listeners: tuple[Listener, ...]
    targets: tuple[str, ...]  # instance ids, sorted
    # None: open to every client (no ranges, or 0.0.0.0/0 among them); else the IPv4 ranges admitted, normalised and
    # sorted (empty when only IPv6 ranges were given: the CLB is IPv4, so no client of it is admitted).
    source_ranges: tuple[str, ...] | None = None


def key(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def is_ours(svc: dict) -> bool:
    """controller.go wantsLoadBalancer, with loadBalancerClass: a class other than ours belongs to another
    controller (upstream skips any Service with a class)."""
    spec = svc.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") in (None, LOAD_BALANCER_CLASS)


def has_finalizer(svc: dict) -> bool:
    return FINALIZER in (svc["metadata"].get("finalizers") or [])


def needs_cleanup(svc: dict) -> bool:
    """controller.go needsCleanup: ours by the finalizer, and deleted or no longer a load balancer of ours."""
    return has_finalizer(svc) and (bool(svc["metadata"].get("deletionTimestamp")) or not is_ours(svc))


def ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def has_taint(node: dict, taint_key: str) -> bool:
    return any(t.get("key") == taint_key for t in (node.get("spec") or {}).get("taints") or [])


def instance_id(node: dict) -> str | None:
    """The CVM behind a Node: the last segment of its providerID (qcloud:///<zone>/ins-..., which kubecvm's boot
    script sets as the kubelet's --provider-id)."""
    provider_id = (node.get("spec") or {}).get("providerID") or ""
    last = provider_id.rsplit("/", 1)[-1]
    return last if provider_id.startswith("qcloud://") and last.startswith("ins-") else None


def eligible(node: dict) -> bool:
    """controller.go's node predicates: not excluded by label, not being removed by the cluster autoscaler, and
    Ready (upstream kept NotReady nodes from 1.27 with StableLoadBalancerNodeSet and let the health check drop
    them; a CLB target that cannot serve only costs health checks here, and Ready keeps the set the one the
    scheduler sees); and a CVM to point at."""
    labels = node["metadata"].get("labels") or {}
    return (EXCLUDE_LABEL not in labels and not has_taint(node, TO_BE_DELETED_TAINT) and ready(node)
            and instance_id(node) is not None)


def endpoint_nodes(slices: list[dict]) -> set[str]:
    """The nodes with a ready endpoint of the Service (discovery.k8s.io/v1 EndpointSlice endpoints[].nodeName,
    conditions.ready: unset counts as ready, per the API's documentation)."""
    return {e["nodeName"] for s in slices for e in s.get("endpoints") or []
            if e.get("nodeName") and (e.get("conditions") or {}).get("ready", True) is not False}


def _annotation(svc: dict, name: str) -> str | None:
    value = (svc["metadata"].get("annotations") or {}).get(name)
    return None if value is None else str(value).strip()


def desired(svc: dict, nodes: list[dict], slices: list[dict], default_subnet: str) -> Desired:
    """What the Service asks for, or SpecError naming the field. Internal in the cluster's subnet by default; public
    when it asks for a charge type (TKE's annotation, meaningful for a public CLB only)."""
    spec = svc.get("spec") or {}
    subnet = _annotation(svc, INTERNAL_SUBNET)
    charge = _annotation(svc, CHARGE_TYPE)
    bandwidth_text = _annotation(svc, BANDWIDTH)
    if subnet is not None and not subnet.startswith("subnet-"):
        raise SpecError(f"annotation {INTERNAL_SUBNET}: {subnet!r} is not a subnet id (subnet-...)")
    if charge is not None and charge not in CHARGE_TYPES:
        raise SpecError(f"annotation {CHARGE_TYPE}: {charge!r} is not one of {', '.join(CHARGE_TYPES)}")
    if subnet is not None and charge is not None:
        raise SpecError(f"annotations {INTERNAL_SUBNET} (an internal CLB) and {CHARGE_TYPE} (a public one) conflict")
    bandwidth = None
    if bandwidth_text is not None:
        lo, hi = BANDWIDTH_RANGE
        if not bandwidth_text.isdigit() or not lo <= int(bandwidth_text) <= hi:
            raise SpecError(f"annotation {BANDWIDTH}: {bandwidth_text!r} is not a whole number of Mbps in {lo}..{hi}")
        if charge is None:
            raise SpecError(f"annotation {BANDWIDTH} needs {CHARGE_TYPE} (a public CLB)")
        bandwidth = int(bandwidth_text)
    existing = _annotation(svc, EXISTING_LB)
    if existing is not None and not existing.startswith("lb-"):
        raise SpecError(f"annotation {EXISTING_LB}: {existing!r} is not a CLB id (lb-...)")
    ranges = source_ranges(svc)
    local = spec.get("externalTrafficPolicy") == "Local"
    listeners = []
    for i, p in enumerate(spec.get("ports") or []):
        protocol = p.get("protocol", "TCP")
        if protocol not in ("TCP", "UDP"):
            raise SpecError(f"spec.ports[{i}].protocol: {protocol} (a CLB listener here is TCP or UDP)")
        if not p.get("nodePort"):
            raise SpecError(f"spec.ports[{i}].nodePort: none (allocateLoadBalancerNodePorts: false is not supported)")
        listeners.append(Listener(protocol, int(p["port"]), int(p["nodePort"]),
                                  health_check(protocol, local, spec.get("healthCheckNodePort"))))
    chosen = [n for n in nodes if eligible(n)]
    if local:
        wanted = endpoint_nodes(slices)
        chosen = [n for n in chosen if n["metadata"]["name"] in wanted]
    targets = tuple(sorted({instance_id(n) for n in chosen}))  # type: ignore[misc]
    return Desired("OPEN" if charge else "INTERNAL", subnet or default_subnet, charge, bandwidth, existing,
                   tuple(listeners), targets, ranges)


def source_ranges(svc: dict) -> tuple[str, ...] | None:
    """k8s.io/cloud-provider service/helpers GetLoadBalancerSourceRanges: spec.loadBalancerSourceRanges if it has
    any, else the comma-separated annotation; each range trimmed and parsed as a CIDR, host bits dropped
    (k8s.io/utils/net ParseIPNets: ParseCIDRSloppy, then ipnet.String()), duplicates merged; an invalid one fails the
    whole Service (upstream's error, here a SpecError: an Event, and nothing is changed in the cloud). Neither: allow
    all, as is any list holding 0.0.0.0/0 (IsAllowAll). Upstream's leading-zero tolerance (ParseCIDRSloppy) is not
    copied: such a range is an Event."""
    spec = svc.get("spec") or {}
    given = [str(r) for r in spec.get("loadBalancerSourceRanges") or []]
    where = "spec.loadBalancerSourceRanges"
    if not given:
        text = _annotation(svc, SOURCE_RANGES) or ""
        given, where = ([r for r in text.split(",")] if text else []), f"annotation {SOURCE_RANGES}"
    nets = set()
    for r in given:
        try:
            nets.add(ipaddress.ip_network(r.strip(), strict=False))
        except ValueError:
            raise SpecError(f"{where}: {r.strip()!r} is not a CIDR (for example 10.0.0.0/24)") from None
    if not nets or ipaddress.ip_network(ALLOW_ALL) in nets:
        return None
    return tuple(str(n) for n in sorted(n for n in nets if n.version == 4))


def security_policies(want: Desired) -> list[dict]:
    """The inbound rules of the Service's security group, in order (Tencent matches them top down: CLB security
    group page, product/计算与网络/负载均衡/负载均衡实例/配置负载均衡安全组.md): ACCEPT each admitted range on each
    listener's protocol and port, then DROP everything else. One rule per range and port: ModifySecurityGroupPolicies
    takes a single port or a range lo-hi, not a list (vpc_client.py docstring). Empty when the Service is open."""
    if want.source_ranges is None:
        return []
    accept = [{"Protocol": x.protocol, "Port": str(x.port), "CidrBlock": cidr, "Action": "ACCEPT"}
              for cidr in want.source_ranges for x in sorted(want.listeners, key=lambda x: (x.port, x.protocol))]
    return [*accept, {"Protocol": "ALL", "CidrBlock": ALLOW_ALL, "Action": "DROP"}]


def health_check(protocol: str, local: bool, health_node_port: object) -> tuple[tuple[str, object], ...]:
    """Cluster: the CLB checks the NodePort itself (a TCP connect; UDP has no connection, so a ping). Local: kube-proxy
    answers on healthCheckNodePort with 200 only where the Service has a local endpoint (HTTP /healthz), so a node
    without one leaves the CLB's rotation; a UDP listener cannot run an HTTP check (clb.health_check_refusal), so it
    pings, and the target set (endpoint nodes only) does the work."""
    # SourceIpType 1: probes come from 100.64.0.0/10, which the workers' security group admits on the NodePorts.
    check: dict[str, object] = {"HealthSwitch": 1, "IntervalTime": 5, "HealthNum": 2, "UnHealthNum": 2, "TimeOut": 2,
                                "SourceIpType": 1}
    if protocol == "UDP":
        check["CheckType"] = "PING"
    elif local and health_node_port:
        check |= {"CheckType": "HTTP", "CheckPort": int(health_node_port), "HttpCheckPath": HEALTH_PATH,
                  "HttpCheckMethod": "GET", "HttpCode": 2}  # HttpCode 2: 2xx is healthy (models.HealthCheck)
    else:
        check["CheckType"] = "TCP"
    return tuple(sorted(check.items()))


def ingress(lb: dict) -> list[dict]:
    """status.loadBalancer.ingress: the CLB's VIPs, or its domain when it has no VIP (a domain-based CLB)."""
    vips = [v for v in lb.get("LoadBalancerVips") or [] if v]
    if vips:
        return [{"ip": v} for v in vips]
    domain = lb.get("LoadBalancerDomain") or lb.get("Domain")
    return [{"hostname": domain}] if domain else []


def owner_tags(cluster: str, svc: dict) -> dict[str, str]:
    return {TAG_CLUSTER: cluster, TAG_NAMESPACE: svc["metadata"]["namespace"], TAG_NAME: svc["metadata"]["name"]}


def owned_by(lb: dict, tags: dict[str, str]) -> bool:
    have = {t.get("TagKey"): t.get("TagValue") for t in lb.get("Tags") or []}
    return all(have.get(k) == v for k, v in tags.items())


def lb_name(cluster: str, svc: dict) -> str:
    """LoadBalancerName: at most 60 characters (api/214/30692); the tags, not the name, say whose it is."""
    return f"{cluster}-{svc['metadata']['namespace']}-{svc['metadata']['name']}"[:60]
