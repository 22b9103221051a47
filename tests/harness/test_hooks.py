"""Test hooks probed against a real reference stack: found where the stack has them (and the probe that
writes changes nothing), reported missing with a reason naming the hook where it has not."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from hello_dd.harness.hooks import HOOKS, LIST_STOCK, READ_PRICE, READ_STOCK, SET_STOCK, SIMULATE_CRASH, HookProbe
from hello_dd.harness.providers.base import StackUrls
from hello_dd.harness.providers.external import ExternalStack
from hello_dd.stack import LocalStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def stack(shared_stack: LocalStack) -> LocalStack:
    """A stack without /simulate/* (SIMULATE_ENDPOINTS off, as hello-dd up runs it)."""
    return shared_stack


def _external(stack: LocalStack, **services: str | None) -> ExternalStack:
    urls = {"inventory": stack.urls["inventory-service"], "pricing": stack.urls["pricing-service"], **services}
    return ExternalStack(StackUrls(gateway=stack.urls["api-gateway"], **urls))


def _stock(stack: LocalStack) -> dict:
    return requests.get(f"{stack.urls['inventory-service']}/inventory/123", timeout=10).json()


def test_the_reference_stack_has_the_stock_and_price_hooks_and_probing_them_changes_nothing(stack):
    before = _stock(stack)
    probe = HookProbe(_external(stack))
    hooks = (READ_STOCK, SET_STOCK, LIST_STOCK, READ_PRICE)
    assert {hook.category: probe.missing(hook.category) for hook in hooks} == {
        READ_STOCK.category: None,
        SET_STOCK.category: None,
        LIST_STOCK.category: None,
        READ_PRICE.category: None,
    }
    assert _stock(stack) == before


def test_a_stack_without_simulate_endpoints_lacks_the_crash_hook(stack):
    reason = HookProbe(_external(stack)).missing(SIMULATE_CRASH.category)
    assert reason is not None and "GET /simulate/crash" in reason and "inventory-service" in reason


def test_services_that_do_not_have_the_endpoints_lack_every_hook(stack):
    # Each downstream URL pointed at the other service: both answer, neither has the other's endpoints.
    swapped = _external(stack, inventory=stack.urls["pricing-service"], pricing=stack.urls["inventory-service"])
    probe = HookProbe(swapped)
    for hook in (READ_STOCK, SET_STOCK, LIST_STOCK, READ_PRICE):
        reason = probe.missing(hook.category)
        assert reason is not None and reason.startswith(f"needs {hook.service}'s {hook.endpoint}"), reason


def test_without_a_service_url_its_hooks_are_missing_and_the_reason_says_which_option_gives_it(stack):
    probe = HookProbe(_external(stack, inventory=None))
    reason = probe.missing(SET_STOCK.category)
    assert reason is not None and "-D inventory_url=" in reason and "PUT /inventory/{productId}/stock" in reason
    assert probe.has(READ_PRICE.category)


def test_every_hook_tag_is_documented():
    documented = (Path(__file__).parents[2] / "docs" / "test-hooks.md").read_text(encoding="utf-8")
    legend = (Path(__file__).parents[2] / "features" / "README.md").read_text(encoding="utf-8")
    for hook in HOOKS.values():
        assert f"`@{hook.tag}`" in documented and f"`@{hook.tag}`" in legend, hook.tag
