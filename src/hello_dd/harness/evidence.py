"""Evidence for the Allure report: every HTTP exchange is attached to the step that made it, with the
correlation id it carried, and notes (what was injected, which log lines matched) as the scenario goes.

Attachments must be made while a step runs: allure-behave has nowhere to put them in after_scenario.
When no Allure formatter is active (``behave -f plain``), attaching does nothing."""

from __future__ import annotations

from pathlib import Path

import allure

from hello_dd.harness.exchange import Exchange


class Evidence:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.correlation_ids: list[str] = []

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        cid = exchange.correlation_id
        if cid and cid not in self.correlation_ids:
            # Attached on first sight, to find this request in the logs and traces.
            self.correlation_ids.append(cid)
            self.note("correlation id", cid)
        allure.attach(
            exchange.describe(),
            name=f"{exchange.method} {exchange.url.split('//', 1)[-1].split('/', 1)[-1][:80]} -> {exchange.status}",
            attachment_type=allure.attachment_type.TEXT,
        )

    def note(self, name: str, text: str) -> None:
        allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)

    def file(self, name: str, path: Path) -> None:
        """A file as it is: PNG and SVG pictures are shown as pictures, JSON as JSON."""
        kinds = {".png": allure.attachment_type.PNG, ".svg": allure.attachment_type.SVG, ".json": allure.attachment_type.JSON}
        allure.attach.file(str(path), name=name, attachment_type=kinds.get(path.suffix, allure.attachment_type.TEXT))

    @property
    def last(self) -> Exchange:
        if not self.exchanges:
            raise AssertionError("no request has been made in this scenario yet")
        return self.exchanges[-1]
