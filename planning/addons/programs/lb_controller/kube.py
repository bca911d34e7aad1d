"""The Kubernetes side, through the official client (kubernetes): lists and watches as plain dicts (the API's own
camelCase JSON, not the client's models: the logic in model.py reads what the API serves), merge patches, Node
deletion, and Events. The RBAC this needs, and nothing more: the add-on's ClusterRole (services and services/status,
nodes, endpointslices, events; leases for the election, in kube-system).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timezone

from kubernetes import client, watch

MERGE = "application/merge-patch+json"  # RFC 7386: a list (finalizers, taints, ingress) is replaced whole
COMPONENT = "kubecvm-lb-controller"
KINDS = ("services", "nodes", "endpointslices")


class Kube:
    def __init__(self, api_client: client.ApiClient):
        self.api = api_client
        self.core = client.CoreV1Api(api_client)
        self.discovery = client.DiscoveryV1Api(api_client)
        self.host = os.environ.get("NODE_NAME") or socket.gethostname()

    def _lister(self, kind: str):
        return {"services": self.core.list_service_for_all_namespaces, "nodes": self.core.list_node,
                "endpointslices": self.discovery.list_endpoint_slice_for_all_namespaces}[kind]

    def list(self, kind: str) -> tuple[list[dict], str]:
        """Every object of the kind, and the list's resourceVersion (a watch starts from it)."""
        doc = json.loads(self._lister(kind)(_preload_content=False).data)
        return doc.get("items") or [], doc["metadata"].get("resourceVersion", "")

    def watch(self, kind: str, resource_version: str, timeout: int = 300) -> Iterator[tuple[str, dict]]:
        """(ADDED | MODIFIED | DELETED, object) from resource_version on, until the server ends the watch."""
        for event in watch.Watch().stream(self._lister(kind), resource_version=resource_version,
                                          timeout_seconds=timeout, allow_watch_bookmarks=False):
            if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                yield event["type"], event["raw_object"]
            elif event["type"] == "ERROR":  # 410 Gone and the like: the caller lists again
                raise WatchExpired(str(event["raw_object"]))

    def service(self, namespace: str, name: str) -> dict | None:
        try:
            return json.loads(self.core.read_namespaced_service(name, namespace, _preload_content=False).data)
        except client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def patch_service(self, svc: dict, patch: dict, status: bool = False) -> dict:
        meta = svc["metadata"]
        call = self.core.patch_namespaced_service_status if status else self.core.patch_namespaced_service
        return json.loads(call(meta["name"], meta["namespace"], patch, _content_type=MERGE, _preload_content=False).data)

    def patch_node(self, name: str, patch: dict) -> None:
        self.core.patch_node(name, patch, _content_type=MERGE)

    def delete_node(self, name: str) -> None:
        try:
            self.core.delete_node(name)
        except client.ApiException as exc:
            if exc.status != 404:
                raise

    def event(self, obj: dict, kind: str, type_: str, reason: str, message: str) -> None:
        """A core/v1 Event on the object (a Node's go to the default namespace, as the kubelet's do)."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": namespace},
            "involvedObject": {"apiVersion": "v1", "kind": kind, "name": meta["name"], "uid": meta.get("uid"),
                               **({"namespace": meta["namespace"]} if meta.get("namespace") else {})},
            "type": type_, "reason": reason, "message": message[:1024], "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "source": {"component": COMPONENT, "host": self.host},
            "reportingComponent": COMPONENT, "reportingInstance": self.host,
        }
        try:
            self.api.call_api(*self.api.param_serialize("POST", f"/api/v1/namespaces/{namespace}/events",
                                                        body=body, header_params={"Content-Type": "application/json"},
                                                        auth_settings=["BearerToken"])).read()
        except client.ApiException:
            pass  # an Event is best effort, as client-go's recorder makes it


class WatchExpired(Exception):
    pass
