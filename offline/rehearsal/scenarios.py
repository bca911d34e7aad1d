"""The rehearsal's scenarios: what runs through the real CLI here, and what cannot, with the reason.

Each runnable scenario is a sequence of stack states; every step is predicted by `kubecvm diff` of the offline plans
and compared with the engine's own events (run.py). The last step destroys everything, after which the emulator
must hold nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import yaml

from kubecvm.planning.tencent.tke import CLUSTER_ROUTE_TABLE

PROGRAMS = Path(__file__).resolve().parent / "programs"
GLOBAL_ROUTER = PROGRAMS / "global_router.py"
ADDONS = PROGRAMS / "addons.py"
ADDONS_BINARIES = (
    "kubernetes",
    "kube-apiserver",
    "kube-controller-manager",
    "etcd",
)  # gobuild.BINARIES: built from the Go module proxy
FULL = ("tencentcloud", "random", "tls", "kubernetes")  # the plugins a whole cluster needs


@dataclass(frozen=True)
class State:
    """One stack state and the commands run on it, in order."""

    label: str
    config: dict
    commands: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    stack: str
    program: Path | None
    states: tuple[State, ...] = ()
    needs: tuple[str, ...] = ()  # binaries or plugins it needs (engine.WANTED names)
    about: str = ""
    stack_files: tuple[Path, ...] = ()  # the read-back check: the stacks whose CVMs' user data it carries
    env: tuple[tuple[str, str], ...] = ()  # more environment for the CLI (and so the providers it starts)
    callers: tuple[str, ...] = ()  # when set, the only identities the emulator may see signing the TKE calls
    cluster: bool = False  # runs against a real kube-apiserver (offline/rehearsal/apiserver.py) started for it
    lb_controller: bool = False  # the LoadBalancer controller in this process, not a program (lb_controller.py)
    controller_manager: bool = False  # with `cluster`: kube-controller-manager too, and the workloads' Pods checked


def _with(config: dict, **cluster) -> dict:
    out = copy.deepcopy(config)
    out.setdefault("kubecvm:cluster", {}).update(copy.deepcopy(cluster))
    return out


def stack_config(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text()) or {}
    return dict(doc.get("config") or {})


def lifecycle(config: dict, *changes: tuple[str, dict]) -> tuple[State, ...]:
    """Preview and up a stack, refresh and preview it (both must find nothing to change), apply each change, then
    destroy it."""
    states = [State("create", config, ("preview", "up", "refresh", "preview"))]
    for label, cluster in changes:
        config = _with(config, **cluster)
        states.append(State(label, config, ("up", "refresh")))
    states.append(State("destroy", config, ("destroy",)))
    return tuple(states)


# The prod preset's pool (stacks/presets.py), spelled out where a scenario changes the pools.
PROD_POOL = {
    "name": "general",
    "instanceType": "S5.2XLARGE32",
    "countPerZone": 2,
    "dataDisk": {"type": "CLOUD_SSD", "size": 200},
}


def global_router(prod_stack: Path) -> Scenario:
    """The prod stack with podNetwork globalRouter: its cluster route table through kubecvm's dynamic provider and
    Tencent's SDK, against the emulator's TKE."""
    base = _with(stack_config(prod_stack), podNetwork={"mode": "globalRouter"})
    pools = copy.deepcopy(base["kubecvm:cluster"].get("nodePools")) or [dict(PROD_POOL)]
    scaled = [dict(pools[0], countPerZone=int(pools[0].get("countPerZone", 2)) + 1), *pools[1:]]
    return Scenario(
        "global-router",
        "prod",
        GLOBAL_ROUTER,
        lifecycle(base, ("a pool scaled", {"nodePools": scaled}), ("podCidr changed", {"podCidr": "172.20.0.0/14"})),
        about="prod's GlobalRouter pod network (ClusterRouteTable) against the emulator's TKE",
    )


# A role of the emulated account (kubecvm.emulator ACCOUNT_UIN) the assumed-role scenario deploys as.
DEPLOYER_ROLE = "kubecvm-deployer"
DEPLOYER_ARN = f"qcs::cam::uin/100000000001:roleName/{DEPLOYER_ROLE}"


def global_router_assumed_role(prod_stack: Path) -> Scenario:
    """The same table deployed as a role: TENCENTCLOUD_ASSUME_ROLE_ARN/_SESSION_NAME, as the Tencent provider takes
    them (provider.go, providerConfigure): every TKE call must be signed by the role's temporary credentials."""
    base = _with(stack_config(prod_stack), podNetwork={"mode": "globalRouter"})
    return Scenario(
        "global-router as a role",
        "prod",
        GLOBAL_ROUTER,
        lifecycle(base),
        env=(
            ("TENCENTCLOUD_ASSUME_ROLE_ARN", DEPLOYER_ARN),
            ("TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME", "kubecvm-rehearsal"),
        ),
        callers=(DEPLOYER_ARN,),
        about="the prod cluster route table deployed through STS AssumeRole (TENCENTCLOUD_ASSUME_ROLE_ARN)",
    )


# monitoring.prometheus writing to a URL of the user's (nothing listens there: no agent runs without nodes); the
# digests have the form the setting requires, and the mainland region's kube-state-metrics repository is required.
PROMETHEUS = {
    "prometheus": {
        "mode": "remoteWrite",
        "url": "https://prometheus.rehearsal.internal/api/v1/write",
        "digests": {"prometheus": "sha256:" + "1" * 64, "nodeExporter": "sha256:" + "2" * 64},
        "imageRepository": "ccr.ccs.tencentyun.com/kubecvm-rehearsal",
    }
}


def addons(prod_stack: Path) -> Scenario:
    """The prod stack's in-cluster add-on objects (programs/addons.py) on a real kube-apiserver and etcd, through the
    real pulumi-kubernetes provider. A pool added changes two objects in place (the CSR approver's address rules, the
    ingress controller's node affinity); the volumes' disk type moved to CLOUD_PREMIUM gives a new StorageClass (its
    name is the disk type's) and deletes the old one; Prometheus in agent mode (remoteWrite) adds node-exporter,
    kube-state-metrics and the two agents."""
    base = stack_config(prod_stack)
    general = copy.deepcopy(base["kubecvm:cluster"].get("nodePools") or [PROD_POOL])[0]
    batch = {"name": "batch", "instanceType": "S5.2XLARGE32", "countPerZone": 1, "slot": 2}
    premium = dict(general, dataDisk={**general.get("dataDisk", {}), "type": "CLOUD_PREMIUM"})
    return Scenario(
        "add-ons on a real API server",
        "prod",
        ADDONS,
        lifecycle(
            _with(base, nodePools=[general]),
            ("a pool added", {"nodePools": [general, batch]}),
            ("volumes on CLOUD_PREMIUM", {"nodePools": [premium, batch]}),
            ("Prometheus in agent mode", {"monitoring": PROMETHEUS}),
        ),
        needs=ADDONS_BINARIES,
        cluster=True,
        controller_manager=True,
        about="prod's add-on objects (CSR approver, CBS CSI, metrics-server, ingress-nginx) on kube-apiserver and "
        "etcd on 127.0.0.1, through the pulumi-kubernetes provider",
    )


def pools(sc: Scenario) -> list[str]:
    """The node pools' names over the scenario's states, in order of appearance."""
    names = [p["name"] for st in sc.states for p in st.config.get("kubecvm:cluster", {}).get("nodePools") or []]
    return list(dict.fromkeys(names))


def lb_controller() -> Scenario:
    """The LoadBalancer controller add-on's program, two replicas as its ServiceAccount, against a real kube-apiserver
    and the emulator (lb_controller.py): no Pulumi program, so nothing for `kubecvm diff` to predict."""
    return Scenario(
        "LoadBalancer controller on a real API server",
        "cluster rehearsal",
        None,
        needs=("kube-apiserver", "etcd"),
        lb_controller=True,
        about="the controller's RBAC, a Service's CLB, nodes joining, Local traffic, source ranges, a "
        "CVM gone, a CVM stopped, the leader stopping, the Service deleted",
    )


def readback(*stack_files: Path) -> Scenario:
    """Every CVM's user data of these stacks through the provider's read-back and Pulumi's own marshalling
    (tools/engine/pulumi/readback_test.go): what `pulumi up` returns to the engine after creating the instance."""
    return Scenario(
        "user-data read-back",
        ",".join(f.stem.removeprefix("Pulumi.") for f in stack_files),
        None,
        about="each CVM's user data as the Tencent provider reads it back, marshalled by Pulumi's gRPC code",
        stack_files=stack_files,
    )


def stack_file(path: Path, plan: dict) -> Scenario:
    """`--stack FILE`: the stack's GlobalRouter part up, refreshed, previewed and destroyed when it has one (`plan` is
    the whole stack's offline plan); the whole stack needs the plugins that cannot be built here."""
    stack = path.stem.removeprefix("Pulumi.")
    if not any(r["type"] == CLUSTER_ROUTE_TABLE for r in plan["resources"]):
        return Scenario(f"stack {path.name}", stack, None, needs=FULL, about=f"{path}: preview, up, refresh, destroy")
    return Scenario(
        f"stack {path.name}",
        stack,
        GLOBAL_ROUTER,
        lifecycle(stack_config(path)),
        about=f"{path}: its cluster route table (the rest needs {', '.join(FULL)})",
    )


def blocked() -> tuple[Scenario, ...]:
    """The scenarios that need a binary the proxy does not serve (engine.WANTED): reported, never faked."""
    return (
        Scenario("dev", "dev", None, needs=FULL, about="Pulumi.dev.yaml: preview, up, refresh, destroy"),
        Scenario(
            "prod",
            "prod",
            None,
            needs=FULL,
            about="Pulumi.prod.yaml: preview, up, refresh, destroy (protect and termination protection lifted)",
        ),
        Scenario(
            "prod day 2",
            "prod",
            None,
            needs=FULL,
            about="a pool scaled, a zone added, the masters' type changed, podCidr changed, a master replaced, "
            "vpcRoutes -> globalRouter",
        ),
        Scenario(
            "policy pack",
            "prod",
            None,
            needs=("pulumi-language-python", *FULL),
            about="pulumi preview --policy-pack policies on prod and on a violating stack",
        ),
        Scenario(
            "component package",
            "dev",
            None,
            needs=("pulumi-language-python", *FULL),
            about="a YAML program creating kubecvm:index:Cluster through PulumiPlugin.yaml",
        ),
        Scenario(
            "library quick start",
            "dev",
            None,
            needs=FULL,
            about="examples/quickstart (the README's library program) through the Automation API: a dev "
            "cluster and a Deployment through its provider; preview, up, refresh, destroy",
        ),
    )
