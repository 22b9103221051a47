"""Headless Chromium for tests that look at a rendered page, driven by Playwright (the system's
Chromium: Playwright downloads no browser here): open a URL, wait for what a reader would see, click,
take a screenshot.

Chromium runs as the other render tests run it: headless, no sandbox (root in containers), nothing
fetched in the background (the machine has no network but the package registries)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page as PlaywrightPage

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium to render the report (apt-get install chromium)"
)
# Headless and quiet: no sandbox (root in containers), nothing fetched in the background.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserError(AssertionError):
    """The page did not show what was waited for; says what it showed instead."""


class Page:
    """One page in one headless Chromium, for ``async with``."""

    def __init__(self, profile: Path, *, width: int = 1400, height: int = 1000):
        self.profile = profile
        self.size = {"width": width, "height": height}
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: PlaywrightPage | None = None

    async def __aenter__(self) -> Page:
        if CHROMIUM is None:
            raise BrowserError("no Chromium on the PATH")
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS[1:])
            self._page = await self._browser.new_page(viewport=self.size)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

    @property
    def page(self) -> PlaywrightPage:
        if self._page is None:
            raise BrowserError("the browser has not been started (use `async with Page(...)`)")
        return self._page

    async def open(self, url: str) -> None:
        await self.page.goto(url)

    async def evaluate(self, expression: str) -> Any:
        return await self.page.evaluate(expression)

    async def wait_for(self, expression: str, what: str, *, timeout: float = 30.0) -> Any:
        """Waits until a JavaScript expression is truthy; fails with the page's visible text."""
        guarded = f"() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }}"
        try:
            handle = await self.page.wait_for_function(guarded, timeout=timeout * 1000, polling=200)
        except PlaywrightError:
            text = await self.page.evaluate("document.body ? document.body.innerText.slice(0, 1500) : '(no page)'")
            raise BrowserError(f"the page did not show {what} within {timeout:.0f} s; it shows:\n{text}") from None
        return await handle.json_value()

    async def click_text(self, text: str) -> None:
        """Clicks the innermost element whose visible text is exactly ``text``."""
        found = self.page.get_by_text(text, exact=True)
        if await found.count() == 0:
            raise BrowserError(f"nothing on the page reads {text!r}")
        await found.first.click()

    async def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path
