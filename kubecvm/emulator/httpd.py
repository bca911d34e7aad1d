"""The emulator's HTTP server: POSTs (and the harness paths) handed to an Emulator, its JSON answers written back.

Apart from kubecvm/emulator/server.py (the API 3.0 gateway's checks, the routing and the answer shape) because
serving HTTP is its own concern; every name stays importable from server.py. Not Tencent's: GET /_emulator/summary
and POST /_emulator/reset, for test harnesses (docs/emulator.md).
"""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from kubecvm.emulator.service import ApiError
from kubecvm.planning.tencent import common

if TYPE_CHECKING:
    from kubecvm.emulator.server import Emulator

SUMMARY_PATH = "/_emulator/summary"
RESET_PATH = "/_emulator/reset"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        if self.path == SUMMARY_PATH:
            self._send(200, self.server.emulator.summary())
        elif self.path.startswith("/_emulator/"):
            self._send(404 if self.path != RESET_PATH else 405, {"error": f"GET {SUMMARY_PATH} or POST {RESET_PATH}"})
        else:
            self._send(200, self.server.emulator.answer("GET", self.path, dict(self.headers.items()), b""))

    def do_POST(self) -> None:  # noqa: N802
        emulator = self.server.emulator
        if self.path == RESET_PATH:
            emulator.reset()
            self._send(200, emulator.summary())
            return
        if self.path.startswith("/_emulator/"):
            self._send(404 if self.path != SUMMARY_PATH else 405, {"error": f"GET {SUMMARY_PATH} or POST {RESET_PATH}"})
            return
        headers = dict(self.headers.items())
        length = int(self.headers.get("Content-Length") or 0)
        if length > common.MAX_BODY_BYTES:
            self.close_connection = True  # the body is left unread
            self._send(
                200,
                emulator.refuse(
                    headers,
                    ApiError(
                        common.REQUEST_SIZE_LIMIT_EXCEEDED,
                        f"the body is {length} bytes, more than {common.MAX_BODY_BYTES}",
                    ),
                ),
            )
            return
        self._send(200, emulator.answer("POST", self.path, headers, self.rfile.read(length)))

    def _other(self) -> None:
        self._send(
            200,
            self.server.emulator.refuse(
                dict(self.headers.items()), ApiError(common.UNSUPPORTED_PROTOCOL, f"{self.command} is not GET or POST")
            ),
        )

    do_PUT = do_DELETE = do_PATCH = do_HEAD = _other  # noqa: N815

    def _send(self, status: int, doc: dict) -> None:
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        pass  # quiet: the summary is the record


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: Emulator, address: tuple[str, int], family: socket.AddressFamily):
        self.address_family = family
        self.emulator = emulator
        super().__init__(address, _Handler)


def make_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A bound server (port 0: a free one) that answers for `emulator`; run its serve_forever() yourself."""
    return _Server(emulator, (host, port), socket.AF_INET6 if ":" in host else socket.AF_INET)


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"
