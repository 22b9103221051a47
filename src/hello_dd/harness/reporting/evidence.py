"""Evidence for the Allure report: every HTTP exchange is attached to the step that made it, named so
a reader knows what it is without opening it (``GET /api/v1/products/123 → 200 OK``, with the
correlation id to find it in the logs and traces), and notes (what was injected, which log lines
matched) as the scenario goes.

Attachments must be made while a step runs: allure-behave puts each on the step running at the time
and has nowhere to put them in after_scenario. When no Allure formatter is active
(``behave -f plain``), attaching does nothing."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import allure

from hello_dd.harness.exchange import Exchange

_SHOWN_TARGET_CHARS = 80


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def exchange_title(exchange: Exchange) -> str:
    """``GET /api/v1/products/123 → 200 OK · correlation id 4f1c...``: what a reader looks for."""
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if len(target) > _SHOWN_TARGET_CHARS:
        target = target[: _SHOWN_TARGET_CHARS - 1] + "…"
    title = f"{exchange.method} {target} → {exchange.status} {_reason(exchange.status)}".rstrip()
    return f"{title} · correlation id {exchange.correlation_id}" if exchange.correlation_id else title


def _sentence_case(name: str) -> str:
    return name[:1].upper() + name[1:]


class Evidence:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.correlation_ids: list[str] = []

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        cid = exchange.correlation_id
        if cid and cid not in self.correlation_ids:
            self.correlation_ids.append(cid)
        allure.attach(exchange.describe(), name=exchange_title(exchange), attachment_type=allure.attachment_type.TEXT)

    def note(self, name: str, text: str) -> None:
        allure.attach(text, name=_sentence_case(name), attachment_type=allure.attachment_type.TEXT)

    def file(self, name: str, path: Path) -> None:
        """A file as it is: PNG and SVG pictures are shown as pictures, JSON as JSON."""
        kinds = {
            ".png": allure.attachment_type.PNG,
            ".svg": allure.attachment_type.SVG,
            ".json": allure.attachment_type.JSON,
        }
        kind = kinds.get(path.suffix, allure.attachment_type.TEXT)
        allure.attach.file(str(path), name=_sentence_case(name), attachment_type=kind)

    @property
    def last(self) -> Exchange:
        if not self.exchanges:
            raise AssertionError("no request has been made in this scenario yet")
        return self.exchanges[-1]
