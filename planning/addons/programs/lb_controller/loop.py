"""Watches, the work queue and the resyncs: client-go's informer and rate-limited queue pattern, small.

Each kind (services, nodes, endpointslices) is listed, then watched from the list's resourceVersion; a watch that
ends or expires lists again. A change enqueues what it affects: a Service (when its spec, annotations, finalizers
or deletion changed, not its status), every Service of ours when the set of eligible Nodes changed (not on each
kubelet heartbeat: upstream's nodeSyncLoop does the same), the Service of an EndpointSlice. Keys are worked one at a
time per worker; a failure comes back after an exponential delay (1 s doubling to 5 min, client-go's
ItemExponentialFailureRateLimiter shape). Every `resync` seconds every Service is enqueued again, and the node
lifecycle runs every `node_period` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from . import model
from .kube import KINDS, Kube
from .nodes import NodeLifecycle, Outcome
from .services import ServiceController
from .tencent import Cloud, CloudError

log = logging.getLogger("lb-controller")
SERVICE_NAME_LABEL = "kubernetes.io/service-name"  # an EndpointSlice's Service (discovery.k8s.io/v1)


def _fingerprint(svc: dict) -> tuple:
    meta = svc["metadata"]
    return (repr(svc.get("spec")), repr(meta.get("annotations")), repr(meta.get("finalizers")),
            meta.get("deletionTimestamp"))


class Controller:
    def __init__(self, kube: Kube, cloud: Cloud, cluster: str, vpc: str, subnet: str, *, workers: int = 2,
                 resync: float = 600, node_period: float = 30, first_retry: float = 1, most_retry: float = 300,
                 clock: Callable[[], float] = time.monotonic):
        self.kube, self.cloud = kube, cloud
        self.services = ServiceController(kube, cloud, cluster, vpc, subnet)
        self.lifecycle = NodeLifecycle(kube, cloud)
        self.workers, self.resync, self.node_period = workers, resync, node_period
        self.first_retry, self.most_retry, self.clock = first_retry, most_retry, clock
        self.cache: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.due: dict[str, float] = {}  # key -> when it may be worked
        self.failures: dict[str, int] = {}
        self.working: set[str] = set()
        self.cond = threading.Condition()
        self._node_set: dict[str, tuple] = {}

    # --- the cache ------------------------------------------------------------------------------------------
    def slices_of(self, svc: dict) -> list[dict]:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        return [s for s in self.cache["endpointslices"].values() if s["metadata"].get("namespace") == ns
                and (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name]

    def load(self) -> dict[str, str]:
        """List every kind into the cache; the resourceVersions to watch from."""
        versions = {}
        for kind in KINDS:
            items, versions[kind] = self.kube.list(kind)
            with self.cond:
                self.cache[kind] = {model.key(o): o for o in items}
        self._node_set = self._eligible_nodes()
        return versions

    def _eligible_nodes(self) -> dict[str, tuple]:
        return {k: (model.instance_id(n),) for k, n in self.cache["nodes"].items() if model.eligible(n)}

    def relevant(self) -> list[str]:
        return sorted(k for k, s in self.cache["services"].items() if model.is_ours(s) or model.has_finalizer(s))

    # --- one pass (the tests and the benchmark drive this; the loop below does the same piece by piece) --------
    def sync_key(self, key: str):
        svc = self.cache["services"].get(key)
        if svc is None:
            return None
        return self.services.sync(svc, list(self.cache["nodes"].values()), self.slices_of(svc))

    def reconcile_all(self) -> tuple[dict[str, str], Outcome]:
        """List everything, sync every Service of ours, run the node lifecycle once: {key: "ok" | error}."""
        self.load()
        results = {}
        for key in self.relevant():
            try:
                self.sync_key(key)
                results[key] = "ok"
            except CloudError as exc:
                results[key] = f"{exc.action}: {exc.code}"
        return results, self.lifecycle.sync(list(self.cache["nodes"].values()))

    # --- the queue ------------------------------------------------------------------------------------------
    def enqueue(self, key: str, delay: float = 0) -> None:
        with self.cond:
            when = self.clock() + delay
            self.due[key] = min(self.due.get(key, when), when)
            self.cond.notify()

    def _take(self, stop: threading.Event) -> str | None:
        with self.cond:
            while not stop.is_set():
                now = self.clock()
                ready = sorted((t, k) for k, t in self.due.items() if t <= now and k not in self.working)
                if ready:
                    key = ready[0][1]
                    del self.due[key]
                    self.working.add(key)
                    return key
                waits = [t - now for k, t in self.due.items() if k not in self.working]
                self.cond.wait(min([1.0, *waits]))
        return None

    def work(self, stop: threading.Event) -> None:
        while (key := self._take(stop)) is not None:
            try:
                self.sync_key(key)
                self.failures.pop(key, None)
            except CloudError as exc:
                n = self.failures[key] = self.failures.get(key, 0) + 1
                log.warning("%s: %s (retry %d)", key, exc, n)
                self.enqueue(key, min(self.first_retry * 2 ** (n - 1), self.most_retry))
            except Exception:  # noqa: BLE001 (a Kubernetes error, a bug: the key is retried, the loop lives)
                log.exception("%s", key)
                self.enqueue(key, self.most_retry)
            finally:
                with self.cond:
                    self.working.discard(key)

    # --- the watches ----------------------------------------------------------------------------------------
    def changed(self, kind: str, type_: str, obj: dict) -> None:
        key = model.key(obj)
        with self.cond:
            old = self.cache[kind].get(key)
            if type_ == "DELETED":
                self.cache[kind].pop(key, None)
            else:
                self.cache[kind][key] = obj
        if kind == "services":
            if type_ != "DELETED" and (old is None or _fingerprint(old) != _fingerprint(obj)):
                self.enqueue(key)
        elif kind == "nodes":
            now = self._eligible_nodes()
            if now != self._node_set:
                self._node_set = now
                for k in self.relevant():
                    self.enqueue(k)
        else:
            name = (obj["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
            if name:
                self.enqueue(f"{obj['metadata']['namespace']}/{name}")

    def watch(self, kind: str, stop: threading.Event, version: str) -> None:
        while not stop.is_set():
            try:
                for type_, obj in self.kube.watch(kind, version, timeout=300):
                    version = obj["metadata"].get("resourceVersion", version)
                    self.changed(kind, type_, obj)
                    if stop.is_set():
                        return
            except Exception as exc:  # noqa: BLE001 (expired, a dropped connection: list again)
                log.info("watch %s: %s; listing again", kind, exc)
                stop.wait(1)
                if stop.is_set():
                    return
                items, version = self.kube.list(kind)
                for obj in items:
                    self.changed(kind, "MODIFIED", obj)

    def run(self, stop: threading.Event) -> None:
        """Until `stop`: the watches, the workers, the resync and the node lifecycle."""
        versions = self.load()
        threads = [threading.Thread(target=self.watch, args=(k, stop, versions[k]), daemon=True) for k in KINDS]
        threads += [threading.Thread(target=self.work, args=(stop,), daemon=True) for _ in range(self.workers)]
        for t in threads:
            t.start()
        next_resync = next_nodes = self.clock()
        while not stop.is_set():
            now = self.clock()
            if now >= next_resync:
                for key in self.relevant():
                    self.enqueue(key)
                next_resync = now + self.resync
            if now >= next_nodes:
                outcome = self.lifecycle.sync(list(self.cache["nodes"].values()))
                if outcome.error:
                    log.warning("node lifecycle: DescribeInstances failed (%s): nothing deleted", outcome.error)
                next_nodes = now + self.node_period
            stop.wait(min(1.0, max(0.05, min(next_resync, next_nodes) - self.clock())))
        with self.cond:
            self.cond.notify_all()
