"""Test hooks: endpoints the suite uses to arrange or read a scenario that the contract does not require
of every implementation (docs/test-hooks.md). The reference stack has them all; another implementation
may not. Each is probed once per run, the first time a scenario needs it, without changing anything; a
scenario tagged ``@use.with_hook.<name>=yes`` is skipped with the hook's reason when the stack lacks it
(harness.skips).

The gateway's policy endpoint (``GET /api/v1/policy``) is a hook too, but needs no tag: without it the
suite falls back to the documented defaults (harness.policy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hello_dd.harness.http import HttpClient
from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider
from hello_dd.topology import INVENTORY, PRICING

#: The product every probe asks about: one the seed catalogue has (docs/contract.md's ids).
PROBE_PRODUCT = "123"


@dataclass(frozen=True)
class Hook:
    name: str  # the active tag is use.with_hook.<name>=yes, its words joined by _
    service: str
    endpoint: str
    purpose: str

    @property
    def category(self) -> str:
        """The hook's category in behave's active tags (``@use.with_<category>=yes``)."""
        return f"hook.{self.name.replace('-', '_')}"

    @property
    def tag(self) -> str:
        """The tag of a scenario that uses the hook."""
        return f"use.with_{self.category}=yes"

    def skip_reason(self, why: str) -> str:
        return f"needs {self.service}'s {self.endpoint} {self.purpose} (a test hook, docs/test-hooks.md): {why}"


READ_STOCK = Hook("read-stock", INVENTORY.name, "GET /inventory/{productId}", "to read a product's stock")
SET_STOCK = Hook("set-stock", INVENTORY.name, "PUT /inventory/{productId}/stock", "to set a product's stock")
LIST_STOCK = Hook("list-stock", INVENTORY.name, "GET /inventory?limit=N", "to list the catalogue")
READ_PRICE = Hook("read-price", PRICING.name, "GET /prices/{productId}", "to read a product's price")
SIMULATE_CRASH = Hook(
    "simulate-crash", INVENTORY.name, "GET /simulate/crash", "to make a request fail with an unexpected exception"
)
HOOKS = {hook.category: hook for hook in (READ_STOCK, SET_STOCK, LIST_STOCK, READ_PRICE, SIMULATE_CRASH)}


def _is_stock_item(body: object) -> bool:
    return isinstance(body, dict) and isinstance(body.get("available"), int) and isinstance(body.get("reserved"), int)


def _read_stock(http: HttpClient) -> str | None:
    answer = http.get(f"/inventory/{PROBE_PRODUCT}")
    if answer.status == 200 and _is_stock_item(answer.body):
        return None
    return f"GET /inventory/{PROBE_PRODUCT} answered {answer.status}, not a stock item"


def _set_stock(http: HttpClient) -> str | None:
    """Writes the stock it has just read back unchanged: no scenario runs while hooks are probed."""
    if why := _read_stock(http):
        return f"its stock cannot be read back ({why})"
    units = http.get(f"/inventory/{PROBE_PRODUCT}").body["available"]
    answer = http.call("PUT", f"/inventory/{PROBE_PRODUCT}/stock", json={"available": units})
    if answer.status == 200 and _is_stock_item(answer.body) and answer.body["available"] == units:
        return None
    return f"PUT /inventory/{PROBE_PRODUCT}/stock answered {answer.status}"


def _list_stock(http: HttpClient) -> str | None:
    answer = http.get("/inventory", params={"limit": 1})
    body = answer.body
    if answer.status == 200 and isinstance(body, dict) and isinstance(body.get("items"), list) and "total" in body:
        return None
    return f"GET /inventory?limit=1 answered {answer.status}, not a page of the catalogue"


def _read_price(http: HttpClient) -> str | None:
    answer = http.get(f"/prices/{PROBE_PRODUCT}", params={"currency": "USD"})
    if answer.status == 200 and isinstance(answer.body, dict) and "finalPrice" in answer.body:
        return None
    return f"GET /prices/{PROBE_PRODUCT} answered {answer.status}, not a price"


def _simulate_crash(http: HttpClient) -> str | None:
    """Asks with a method the endpoint does not take, so nothing fails: 404 means it is not there."""
    answer = http.call("POST", "/simulate/crash")
    if answer.status != 404:
        return None
    return "/simulate/crash answered 404 (the reference stack mounts it only with SIMULATE_ENDPOINTS=true)"


PROBES: dict[str, Callable[[HttpClient], str | None]] = {
    READ_STOCK.category: _read_stock,
    SET_STOCK.category: _set_stock,
    LIST_STOCK.category: _list_stock,
    READ_PRICE.category: _read_price,
    SIMULATE_CRASH.category: _simulate_crash,
}


class HookProbe:
    """Which hooks the stack has, each probed once, the first time it is asked about."""

    def __init__(self, provider: StackProvider):
        self.provider = provider
        self._missing: dict[str, str | None] = {}

    def missing(self, category: str) -> str | None:
        """Why the hook of ``category`` cannot be used (a skip reason naming it), or None when the stack has it."""
        if category not in self._missing:
            hook = HOOKS[category]
            try:
                http = HttpClient(self.provider.urls.service(hook.service))
            except StackControlUnavailable as exc:
                self._missing[category] = hook.skip_reason(str(exc))
            else:
                try:
                    why = PROBES[category](http)
                except OSError as exc:
                    why = f"{hook.service} did not answer: {exc}"
                finally:
                    http.close()
                self._missing[category] = hook.skip_reason(why) if why else None
        return self._missing[category]

    def has(self, category: str) -> bool:
        return self.missing(category) is None
