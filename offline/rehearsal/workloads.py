"""The add-ons scenario's workloads as kube-controller-manager makes Pods of them: each Deployment's and DaemonSet's
Pods go through the API server's admission (PodSecurity at the namespace's level, the ServiceAccount admission, the
priority class), which applying the objects themselves never does. No Pod runs: there is no kubelet or scheduler.

The Nodes are registered here as a kubelet would register them (the labels kubecvm's kubelets carry), so that the
DaemonSets have somewhere to put a Pod.
"""

from __future__ import annotations

import time
from pathlib import Path

from kubernetes import client, config

from kubecvm.planning.ingress import POOL_LABEL

SETTLE_SECONDS = 90  # the controllers' informers start, then each workload's Pods are created
POD_SECURITY = "violates PodSecurity"  # the PodSecurity admission's refusal (k8s.io/pod-security-admission)


def api(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig))


def register_node(kubeconfig: Path, name: str, pool: str) -> None:
    """A worker's Node object, as its kubelet registers it (kubernetes.io/os and the pool label kubecvm sets)."""
    client.CoreV1Api(api(kubeconfig)).create_node(
        {
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/os": "linux", "kubernetes.io/hostname": name, POOL_LABEL: pool},
            }
        }
    )


def pending(apps: client.AppsV1Api) -> list[str]:
    """The workloads whose Pods are not all created yet: a Deployment with fewer Pods than replicas, a DaemonSet with
    fewer than its matching Nodes."""
    out = [
        f"Deployment {d.metadata.namespace}/{d.metadata.name}"
        for d in apps.list_deployment_for_all_namespaces().items
        if (d.status.replicas or 0) < (d.spec.replicas or 0) or d.status.observed_generation != d.metadata.generation
    ]
    out += [
        f"DaemonSet {d.metadata.namespace}/{d.metadata.name}"
        for d in apps.list_daemon_set_for_all_namespaces().items
        if d.status.observed_generation != d.metadata.generation
        or (d.status.current_number_scheduled or 0) < (d.status.desired_number_scheduled or 0)
    ]
    return out


def refusals(core: client.CoreV1Api) -> list[str]:
    """What the controllers could not create, as their FailedCreate Events say (the admission's message)."""
    events = core.list_event_for_all_namespaces(field_selector="reason=FailedCreate").items
    return sorted(
        {
            f"{e.involved_object.kind} {e.involved_object.namespace}/{e.involved_object.name}: {e.message}"
            for e in events
        }
    )


def check(kubeconfig: Path) -> str | None:
    """None once every workload's Pods exist; else why not. A PodSecurity refusal never passes, so it fails at once;
    another refusal may be a race the controller retries (the engine creates objects in parallel, so a ReplicaSet
    can ask for a Pod before its ServiceAccount exists), so it counts only if the workload is still without its
    Pods at the deadline."""
    a = api(kubeconfig)
    apps, core = client.AppsV1Api(a), client.CoreV1Api(a)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        refused = refusals(core)
        if any(POD_SECURITY in r for r in refused):
            return "Pods refused: " + "; ".join(r for r in refused if POD_SECURITY in r)[:1500]
        waiting = pending(apps)
        if not waiting:
            return None
        if time.monotonic() > deadline:
            return f"no Pods within {SETTLE_SECONDS} s for " + ", ".join(waiting) + "".join(f"; {r}" for r in refused)
        time.sleep(1)


def created(kubeconfig: Path) -> int:
    """How many Pods the controllers created over the scenario (their SuccessfulCreate Events; the Pods themselves
    are gone with the destroy)."""
    core = client.CoreV1Api(api(kubeconfig))
    return sum(e.count or 1 for e in core.list_event_for_all_namespaces(field_selector="reason=SuccessfulCreate").items)
