"""What the fault-proxy tests share: a small real HTTP service to put behind a proxy, and a client."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONNECTION_LOST = (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)


class TinyService(BaseHTTPRequestHandler):
    """Answers GET with {"ok": true} and POST with {"written": true}, remembering each POST body."""

    protocol_version = "HTTP/1.1"
    writes: list[str] = []

    def do_GET(self) -> None:
        self._answer(b'{"ok": true}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).writes.append(body.decode())
        self._answer(b'{"written": true}')

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.wfile.write(body)  # head and body in separate writes: two chunks on the wire

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def tiny_service() -> Iterator[ThreadingHTTPServer]:
    TinyService.writes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TinyService)
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]  # resets are the point here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def request(port: int, method: str = "GET", path: str = "/thing", body: str | None = None) -> tuple[int, bytes, float]:
    """One request through ``port``: status, body and seconds taken."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        conn.close()
