"""Sending bytes no well-behaved HTTP client would send (header line breaks and the like), to check
that the server refuses them or neutralises them."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawAnswer:
    status: int | None  # None when the server closed the connection without an answer
    headers: dict[str, str]
    text: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def __str__(self) -> str:
        return f"{self.status} {self.headers} {self.text[:300]!r}"


def send_raw(base_url: str, method: str, path: str, header_lines: list[bytes], timeout: float = 10.0) -> RawAnswer:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = b"\r\n".join(
        [
            f"{method} {path} HTTP/1.1".encode(),
            f"Host: {host}:{port}".encode(),
            b"Connection: close",
            *header_lines,
            b"",
            b"",
        ]
    )
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return _parse(b"".join(chunks))


def _parse(data: bytes) -> RawAnswer:
    if not data:
        return RawAnswer(None, {}, "")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if len(lines[0].split()) > 1 else None
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return RawAnswer(status, headers, body.decode("utf-8", "replace"))
