"""Open pages in headless Debian chromium over the DevTools protocol (``--remote-debugging-pipe``).

For each page: console errors and uncaught exceptions, every image loaded and described
(alt text), the heading levels in order, and a full-page screenshot saved as PNG. No
network, no extra packages: the protocol is JSON messages separated by NUL bytes on file
descriptors 3 (to the browser) and 4 (from it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe", "--hide-scrollbars", "--mute-audio"]
PAGE_CHECK = """(() => {
  const images = [...document.images];
  return JSON.stringify({
    title: document.title,
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 40)),
    missing_alt: images.filter(i => !(i.getAttribute('alt') || '').trim()).length,
    headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1])),
    scripts: document.scripts.length,
    text_length: document.body.innerText.length,
  });
})()"""


@dataclass
class PageReport:
    """What the browser saw on one page."""

    url: str
    title: str = ""
    images: int = 0
    broken: list = field(default_factory=list)
    missing_alt: int = 0
    headings: list = field(default_factory=list)
    scripts: int = 0
    text_length: int = 0
    errors: list = field(default_factory=list)
    screenshot: Path | None = None

    def heading_problems(self) -> list[str]:
        """Headings must start at h1 and never skip a level going down."""
        problems = []
        if not self.headings or self.headings[0] != 1:
            problems.append(f"first heading is h{self.headings[0] if self.headings else '-'}, not h1")
        for before, after in pairwise(self.headings):
            if after > before + 1:
                problems.append(f"h{before} followed by h{after}")
        return problems


class Browser:
    """One headless chromium driven over a pipe; use as a context manager."""

    def __init__(self, profile_dir: Path, width: int = 1100, height: int = 900) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire() -> None:  # runs in the child before exec: the protocol uses fds 3 and 4
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            # single-threaded here: `wire` only moves the pipe ends to fds 3 and 4
            preexec_fn=wire,  # noqa: PLW1509
            pass_fds=(3, 4, to_browser_read, from_browser_write),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        self.width, self.height = width, height

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)

    # --- protocol -------------------------------------------------------------------------

    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            written = os.write(self._to_browser, data)
            data = data[written:]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe: " + (self.process.stderr.read(2000).decode(errors="replace")
                                                                        if self.process.poll() is not None else ""))
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 60) -> dict:
        for i, event in enumerate(self._events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self._events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            event = self._receive(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self._events.append(event)

    # --- one page -----------------------------------------------------------------------

    def check(self, page: Path, screenshot: Path | None = None) -> PageReport:
        """Load `page` in a fresh tab, collect console errors, run PAGE_CHECK, take a screenshot."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height,
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
        self._events.clear()
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        self.wait_for("Page.loadEventFired", session)
        result = self.call("Runtime.evaluate", {"expression": PAGE_CHECK, "returnByValue": True}, session=session)
        report = PageReport(url=page.name, **json.loads(result["result"]["value"]))
        if screenshot is not None:
            metrics = self.call("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {"x": 0, "y": 0, "width": self.width, "height": min(float(size["height"]), 8000), "scale": 1}
            shot = self.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                             session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = screenshot
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                report.errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                report.errors.append(params["entry"].get("text", "log error"))
        self._events.clear()
        self.call("Target.closeTarget", {"targetId": target})
        return report

    def evaluate(self, page: Path, expression: str) -> object:
        """Load `page` in a fresh tab at this browser's width and return the value of a JavaScript `expression`."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            self.call("Page.enable", session=session)
            self.call("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height,
                                                             "deviceScaleFactor": 1, "mobile": False}, session=session)
            self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            self.wait_for("Page.loadEventFired", session)
            result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            return result["result"].get("value")
        finally:
            self._events = [e for e in self._events if e.get("sessionId") != session]
            self.call("Target.closeTarget", {"targetId": target})
