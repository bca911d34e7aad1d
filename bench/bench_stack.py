"""The benchmark's synthetic stack and its pure helpers (tested in tests/bench/test_bench_helpers.py): the
stack config of a cluster of N workers, SDK class lookup, kwargs conversion, the critical path. No timings here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REGION = "ap-guangzhou"
ZONES = tuple(f"{REGION}-{n}" for n in range(1, 8))  # zone numbers 1..7: seven of the planner's eight zone slots
MASTERS = 3
# Kubernetes counts masters as nodes: 5000 nodes at most, so the "5000" cluster has 5000 - MASTERS workers.
MAX_WORKERS = 5000 - MASTERS
# Beyond the sizing table (200 workers) `auto` refuses to size masters, so every size names a type explicitly.
MASTER_TYPE = "S5.8XLARGE128"
# 5000 nodes x 30 pods = 150000, the Kubernetes pod limit; a /25 per node holds them (126 addresses).
MAX_PODS, NODE_POD_MASK = 30, 25


def plan_args(stack_file: object, out: object, stack: str | None = None) -> list[str]:
    """The `kubecvm` arguments every measured plan runs with: plan the stack file (as `stack` when given) to JSON
    in `out`."""
    return [
        "plan",
        *([stack] if stack else []),
        "--config-file",
        str(stack_file),
        "--format",
        "json",
        "--out",
        str(out),
    ]


def pools_for(workers: int, zones: Sequence[str] = ZONES) -> list[dict]:
    """Node pools (distinct slots) that place exactly `workers` nodes over `zones`.

    Two pools share the whole-zone part; the remainder goes to a third pool over the first zones, one node each.
    """
    per_zone, rest = divmod(workers, len(zones))
    general, compute = (per_zone + 1) // 2, per_zone // 2
    pools = []
    if general:
        pools.append({"name": "general", "slot": 1, "instanceType": "S5.2XLARGE16", "countPerZone": general})
    if compute:
        pools.append({"name": "compute", "slot": 2, "instanceType": "S5.4XLARGE32", "countPerZone": compute})
    if rest:
        pools.append(
            {"name": "rest", "slot": 3, "instanceType": "S5.LARGE8", "countPerZone": 1, "zones": list(zones[:rest])}
        )
    return pools


def bench_config(workers: int, pod_network: str = "vpcRoutes") -> dict[str, Any]:
    """A stack file's `config:` mapping for a synthetic prod cluster of `workers` workers and 3 masters.

    vpcCidr /12 gives /18 blocks per (zone, pool): 16384 addresses. podCidr /8 with /25 node blocks gives
    2^(25-8-6) = 2048 nodes per (zone, pool). The route quota is raised to hold one route per node plus NAT.
    `pod_network` globalRouter: one TKE cluster route table instead, whose CIDR the API takes only as /10../24, so
    podCidr is 10.0.0.0/10 (512 nodes per zone and pool) and the route quota stays at its default.
    """
    nodes = workers + MASTERS
    if pod_network == "globalRouter":
        config = bench_config(workers)
        cluster = config["kubecvm:cluster"]
        cluster.update(podCidr="10.0.0.0/10", podNetwork={"mode": "globalRouter"})
        del cluster["quotas"]
        return config
    return {
        "tencentcloud:region": REGION,
        "kubecvm:preset": "prod",
        "kubecvm:cluster": {
            "name": "bench",
            "zones": list(ZONES),
            "vpcCidr": "172.16.0.0/12",
            "podCidr": "10.0.0.0/8",
            "serviceCidr": "192.168.0.0/16",
            "nodePodMask": NODE_POD_MASK,
            "maxPodsPerNode": MAX_PODS,
            "controlPlane": {"count": MASTERS, "instanceType": MASTER_TYPE},
            "nodePools": pools_for(workers),
            "quotas": {"routeEntriesPerTable": max(50, nodes + 1)},
            # The ingress CLB takes at most 100 workers (a listener's target limit) and its cost does not grow
            # with the node count, so the bench leaves it out rather than pick a pool for it.
            "ingress": {"enabled": False},
        },
    }


def snake(name: str) -> str:
    """Engine (camelCase) property name -> the SDK's Python keyword: `instanceType` -> `instance_type`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def sdk_kwargs(inputs: Mapping[str, Any], type_token: str = "") -> dict[str, Any]:
    """A registration's camelCase inputs as keyword arguments for the SDK class: `instanceType` -> `instance_type`.

    Only the top level is renamed. Nested values stay as recorded: the SDK translates a nested key with
    `py_name_to_pulumi_name.get(key) or key`, so an engine name passes unchanged, and a map (`tags`, labels)
    keeps its keys, which are data. A provider's boolean inputs are recorded as the JSON its class sends
    (pulumi_kubernetes' Provider applies `pulumi.runtime.to_json` to `enable_config_map_mutable` and the like), so
    they go back as booleans and the class encodes them once. The floor checks that it registered exactly the
    plan's inputs.
    """
    provider = type_token.startswith("pulumi:providers:")
    return {snake(k): (v == "true" if provider and v in ("true", "false") else v) for k, v in inputs.items()}


# Python package of each provider the program uses; the rest of a type token names the module and class.
SDK_PACKAGES = {
    "tencentcloud": "tencentcloud_iac_pulumi",
    "tls": "pulumi_tls",
    "random": "pulumi_random",
    "kubernetes": "pulumi_kubernetes",
}


def sdk_module_and_class(type_token: str) -> tuple[str, str] | None:
    """Where the SDK class of a type token lives, or None when no SDK class exists (a dynamic resource):

    `tencentcloud:Route/tableEntry:TableEntry` -> (`tencentcloud_iac_pulumi.route`, `TableEntry`),
    `tls:index/privateKey:PrivateKey` -> (`pulumi_tls`, `PrivateKey`),
    `kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` -> (`pulumi_kubernetes.rbac.v1`, `ClusterRole`),
    `pulumi:providers:kubernetes` -> (`pulumi_kubernetes`, `Provider`).
    """
    package, module_path, cls = type_token.split(":")
    if package == "pulumi" and module_path == "providers" and cls in SDK_PACKAGES:
        return SDK_PACKAGES[cls], "Provider"
    if package not in SDK_PACKAGES:
        return None
    root = SDK_PACKAGES[package]
    if module_path.split("/")[0] == "index":
        return root, cls
    if package == "kubernetes":  # API group (first DNS label) and version are subpackages
        group, version = module_path.split("/")
        return f"{root}.{group.split('.')[0]}.{version}", cls
    module = module_path.split("/")[0]  # tencentcloud: Route/tableEntry -> module route
    return f"{root}.{module[0].lower()}{module[1:]}", cls


def critical_path(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """The longest dependency chain, as the URNs of its custom resources in creation order.

    `resources` are registrations ({"urn", "custom", "dependencies"}). A chain's length counts custom resources
    only: a component is created instantly, but the engine still waits on what it waits on. Dependencies on URNs
    outside the set (the stack, providers) are ignored. Ties go to the smallest URN, so the answer is stable.
    """
    by_urn = {r["urn"]: r for r in resources}
    best: dict[str, tuple[int, list[str]]] = {}

    for start in sorted(by_urn):
        # Iterative depth-first walk: chains are short, but a deep recursion would be a trap at 10k resources.
        stack = [(start, False)]
        while stack:
            urn, expanded = stack.pop()
            if urn in best:
                continue
            deps = sorted(d for d in by_urn[urn]["dependencies"] if d in by_urn)
            if not expanded:
                stack.append((urn, True))
                stack.extend((d, False) for d in deps if d not in best)
                continue
            length, chain = 0, []
            for d in deps:
                if best[d][0] > length:
                    length, chain = best[d]
            me = by_urn[urn]
            best[urn] = (length + 1, [*chain, urn]) if me["custom"] else (length, chain)
    if not best:
        return []
    return max(sorted(best.items()), key=lambda kv: kv[1][0])[1][1]


def growth(times: Mapping[int, float], big: int, small: int) -> float | None:
    return times[big] / times[small] if big in times and small in times and times[small] else None
