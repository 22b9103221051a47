"""Headless Chromium driven over the DevTools protocol, for tests that look at a rendered page: open a
URL, wait for what a reader would see, click, take a screenshot. One page per browser.

Chromium is started as the other render tests start it (headless, no sandbox, nothing fetched in the
background), with ``--remote-debugging-port=0``: it writes the port it chose into
``DevToolsActivePort`` in its profile directory, and the page is driven through a websocket (aiohttp).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the report (apt-get install chromium)")
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
START_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 30.0


class BrowserError(AssertionError):
    """The page did not show what was waited for, or Chromium did not answer; says what was last seen."""


class Page:
    def __init__(self, profile: Path, *, width: int = 1400, height: int = 1000):
        self.profile = profile
        self.size = (width, height)
        self.process: subprocess.Popen | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def __aenter__(self) -> Page:
        if CHROMIUM is None:
            raise BrowserError("no Chromium on the PATH")
        home = self.profile
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
        command = [
            CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={home / 'profile'}", "--remote-debugging-port=0",
            f"--window-size={self.size[0]},{self.size[1]}", "about:blank",
        ]  # fmt: skip
        port_file = home / "profile" / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # left by an earlier browser on this profile
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            port = await self._devtools_port(port_file)
            self._session = aiohttp.ClientSession()
            async with self._session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = await answer.json()
            page = next(t for t in targets if t.get("type") == "page")
            self._socket = await self._session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=64 * 2**20)
            await self.send("Page.enable")
            size = {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1, "mobile": False}
            await self.send("Emulation.setDeviceMetricsOverride", **size)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._session is not None:
            await self._session.close()
        if self.process is not None:
            # Chromium's helpers (zygotes, crash handler) are in the session it was started in.
            for signum, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signum)
                try:
                    self.process.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue

    async def _devtools_port(self, path: Path) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BrowserError(f"Chromium exited with {self.process.returncode} before it listened")
            if path.is_file() and (lines := path.read_text().splitlines()):
                return int(lines[0])
            await asyncio.sleep(0.1)
        raise BrowserError(f"Chromium wrote no {path.name} within {START_TIMEOUT_S:.0f} s")

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command and its result (events in between are ignored)."""
        assert self._socket is not None
        message_id = next(self._ids)
        await self._socket.send_str(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while time.monotonic() < deadline:
            message = await self._socket.receive(timeout=COMMAND_TIMEOUT_S)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise BrowserError(f"the DevTools connection ended during {method}: {message.type}")
            data = json.loads(message.data)
            if data.get("id") == message_id:
                if "error" in data:
                    raise BrowserError(f"{method} failed: {data['error']}")
                return data.get("result", {})
        raise BrowserError(f"Chromium did not answer {method} within {COMMAND_TIMEOUT_S:.0f} s")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} raised: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def wait_for(self, expression: str, what: str, *, timeout: float = 30.0) -> Any:
        """Polls a JavaScript expression until it is truthy; fails with the page's visible text."""
        guarded = f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(guarded)
            if value:
                return value
            await asyncio.sleep(0.2)
        text = await self.evaluate("document.body ? document.body.innerText.slice(0, 1500) : '(no page)'")
        raise BrowserError(f"the page did not show {what} within {timeout:.0f} s; it shows:\n{text}")

    async def text(self) -> str:
        return await self.evaluate("document.body.innerText")

    async def click_text(self, text: str, *, selector: str = "*") -> None:
        """Clicks the innermost element matching ``selector`` whose visible text is exactly ``text``."""
        script = f"""(() => {{
            const wanted = {json.dumps(text)};
            const found = [...document.querySelectorAll({json.dumps(selector)})]
                .filter((e) => e.innerText && e.innerText.trim() === wanted)
                .filter((e) => ![...e.children].some((c) => c.innerText && c.innerText.trim() === wanted));
            if (!found.length) return false;
            found[0].scrollIntoView({{block: "center"}});
            found[0].click();
            return true;
        }})()"""
        if not await self.evaluate(script):
            raise BrowserError(f"nothing on the page reads {text!r}")

    async def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = await self.send("Page.getLayoutMetrics")
            size = metrics["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            params["captureBeyondViewport"] = True
        data = await self.send("Page.captureScreenshot", **params)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path
