"""A Kubernetes API server on 127.0.0.1 for the load-balancer controller's tests: what the official Python client
calls, with the API's semantics where the controller depends on them.

- Services, Nodes, EndpointSlices, Events, Leases as JSON dicts; one resourceVersion counter for everything.
- list (GET collection) with metadata.resourceVersion; watch (?watch=true&resourceVersion=N) streams every change
  after N as JSON lines {"type", "object"} until timeoutSeconds or the server stops; a resourceVersion older than
  the kept history answers an ERROR event with 410 Gone, as the API server does.
- merge patch (RFC 7386) on services, services/status and nodes; a Service with finalizers is only marked deleted
  (metadata.deletionTimestamp) and goes when its last finalizer is removed (the API server's graceful deletion).
- Leases: create (409 AlreadyExists), replace with resourceVersion (409 Conflict when stale), read (404).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from kubernetes import client

PATHS = [  # (regex, plural, namespaced item?)
    (r"^/api/v1/services$", "services", None),
    (r"^/api/v1/nodes$", "nodes", None),
    (r"^/apis/discovery.k8s.io/v1/endpointslices$", "endpointslices", None),
    (r"^/api/v1/namespaces/(?P<ns>[^/]+)/services/(?P<name>[^/]+)(?P<sub>/status)?$", "services", True),
    (r"^/api/v1/nodes/(?P<name>[^/]+)$", "nodes", False),
    (r"^/api/v1/namespaces/(?P<ns>[^/]+)/events$", "events", None),
    (r"^/apis/coordination.k8s.io/v1/namespaces/(?P<ns>[^/]+)/leases(/(?P<name>[^/]+))?$", "leases", True),
]
KINDS = {
    "services": "Service",
    "nodes": "Node",
    "endpointslices": "EndpointSlice",
    "events": "Event",
    "leases": "Lease",
}


def merge_patch(target: object, patch: object) -> object:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class FakeKube:
    def __init__(self, history: int = 100000):
        self.objects: dict[str, dict[str, dict]] = {k: {} for k in KINDS}
        self.log: list[tuple[int, str, str, dict]] = []  # (rv, plural, type, object)
        self.rv = 0
        self.history = history
        self.cond = threading.Condition()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.stopping = False

    # --- the store ------------------------------------------------------------------------------------------
    @staticmethod
    def key(obj: dict) -> str:
        meta = obj["metadata"]
        return f"{meta.get('namespace', '')}/{meta['name']}"

    def _record(self, plural: str, type_: str, obj: dict) -> dict:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.log.append((self.rv, plural, type_, copy.deepcopy(obj)))
        del self.log[: -self.history]
        self.cond.notify_all()
        return obj

    def put(self, plural: str, obj: dict) -> dict:
        """Create or replace (a test's arrangement, or a controller's write): ADDED or MODIFIED."""
        with self.cond:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            meta.setdefault("uid", str(uuid.uuid4()))
            if plural in ("services", "endpointslices", "events", "leases"):
                meta.setdefault("namespace", "default")
            if plural == "events" and "name" not in meta:
                meta["name"] = meta.get("generateName", "event.") + uuid.uuid4().hex[:10]
            key = self.key(obj)
            type_ = "MODIFIED" if key in self.objects[plural] else "ADDED"
            self.objects[plural][key] = obj
            return copy.deepcopy(self._record(plural, type_, obj))

    def get(self, plural: str, name: str, namespace: str = "") -> dict | None:
        with self.cond:
            obj = self.objects[plural].get(f"{namespace}/{name}")
            return copy.deepcopy(obj)

    def delete(self, plural: str, name: str, namespace: str = "") -> None:
        """A user's delete: a Service with finalizers is only marked deleted until they are gone."""
        with self.cond:
            key = f"{namespace}/{name}"
            obj = self.objects[plural].get(key)
            if obj is None:
                return
            if obj["metadata"].get("finalizers"):
                obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
                self._record(plural, "MODIFIED", obj)
            else:
                del self.objects[plural][key]
                self._record(plural, "DELETED", obj)

    def patch(self, plural: str, name: str, namespace: str, patch: dict, status: bool) -> dict | None:
        with self.cond:
            key = f"{namespace}/{name}"
            obj = self.objects[plural].get(key)
            if obj is None:
                return None
            if status:  # the status subresource changes status only
                patch = {"status": patch.get("status")} if "status" in patch else {}
            else:
                patch = {k: v for k, v in patch.items() if k != "status"}
            new = merge_patch(obj, patch)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                del self.objects[plural][key]
                self._record(plural, "DELETED", new)
                return copy.deepcopy(new)
            self.objects[plural][key] = new
            return copy.deepcopy(self._record(plural, "MODIFIED", new))

    def events(self, namespace: str | None = None) -> list[tuple[str, str, str]]:
        """(reason, type, message) of the Events recorded, in order."""
        with self.cond:
            rows = sorted(self.objects["events"].values(), key=lambda e: int(e["metadata"]["resourceVersion"]))
            return [
                (e["reason"], e["type"], e["message"])
                for e in rows
                if namespace is None or e["metadata"]["namespace"] == namespace
            ]

    # --- HTTP -----------------------------------------------------------------------------------------------
    def route(self, path: str):
        for pattern, plural, item in PATHS:
            if m := re.match(pattern, path):
                return plural, item, m.groupdict()
        return None, None, {}

    def stream(self, plural: str, since: int, timeout: float) -> Iterator[dict]:
        with self.cond:
            if self.log and since < self.log[0][0] - 1:
                yield {
                    "type": "ERROR",
                    "object": {
                        "kind": "Status",
                        "code": 410,
                        "reason": "Expired",
                        "message": f"too old resource version: {since}",
                    },
                }
                return
        sent = since
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while not deadline.is_set() and not self.stopping:
                with self.cond:
                    pending = [(rv, t, o) for rv, p, t, o in self.log if rv > sent and p == plural]
                    if not pending:
                        self.cond.wait(0.05)
                        continue
                for rv, type_, obj in pending:
                    sent = rv
                    yield {"type": type_, "object": obj}
        finally:
            timer.cancel()

    @contextlib.contextmanager
    def serve(self) -> Iterator[client.ApiClient]:
        """Serve on 127.0.0.1 while the block runs; yields an ApiClient of the official client pointed at it."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        conf = client.Configuration(host=f"http://127.0.0.1:{server.server_address[1]}")
        api = client.ApiClient(conf)
        try:
            yield api
        finally:
            self.stopping = True
            with self.cond:
                self.cond.notify_all()
            server.shutdown()
            server.server_close()
            api.close()


def _handler(fake: FakeKube):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args) -> None:
            pass

        def _send(self, code: int, doc: dict) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _status(self, code: int, reason: str) -> None:
            self._send(
                code,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "code": code,
                    "reason": reason,
                    "message": reason,
                },
            )

        def _body(self) -> dict:
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"{}")

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("GET", url.path))
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            plural, item, g = fake.route(url.path)
            if plural is None:
                return self._status(404, "NotFound")
            if item is None or (plural == "leases" and not g.get("name")):
                if q.get("watch") == "true":
                    return self._watch(plural, int(q.get("resourceVersion") or 0), float(q.get("timeoutSeconds") or 5))
                with fake.cond:
                    items = [copy.deepcopy(o) for o in fake.objects[plural].values()]
                    rv = str(fake.rv)
                return self._send(
                    200,
                    {
                        "kind": KINDS[plural] + "List",
                        "apiVersion": "v1",
                        "metadata": {"resourceVersion": rv},
                        "items": items,
                    },
                )
            obj = fake.get(plural, g["name"], g.get("ns") or "")
            return self._send(200, obj) if obj else self._status(404, "NotFound")

        def _watch(self, plural: str, since: int, timeout: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for event in fake.stream(plural, since, timeout):
                    line = json.dumps(event).encode() + b"\n"
                    self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def do_PATCH(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("PATCH", url.path))
            plural, _, g = fake.route(url.path)
            if self.headers.get("Content-Type") != "application/merge-patch+json":
                return self._status(415, "UnsupportedMediaType")
            obj = fake.patch(plural, g["name"], g.get("ns") or "", self._body(), bool(g.get("sub")))
            return self._send(200, obj) if obj else self._status(404, "NotFound")

        def do_DELETE(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("DELETE", url.path))
            plural, _, g = fake.route(url.path)
            if fake.get(plural, g["name"], g.get("ns") or "") is None:
                return self._status(404, "NotFound")
            fake.delete(plural, g["name"], g.get("ns") or "")
            return self._send(200, {"kind": "Status", "status": "Success"})

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("POST", url.path))
            plural, _, g = fake.route(url.path)
            body = self._body()
            body.setdefault("metadata", {})["namespace"] = g["ns"]
            if plural == "leases" and fake.get("leases", body["metadata"]["name"], g["ns"]):
                return self._status(409, "AlreadyExists")
            return self._send(201, fake.put(plural, body))

        def do_PUT(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            fake.requests.append(("PUT", url.path))
            plural, _, g = fake.route(url.path)
            body = self._body()
            with fake.cond:
                current = fake.get(plural, g["name"], g["ns"])
                if current is None:
                    return self._status(404, "NotFound")
                if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                    return self._status(409, "Conflict")
                body["metadata"]["namespace"] = g["ns"]
                return self._send(200, fake.put(plural, body))

    return Handler
