"""Headless Chromium driven over the DevTools protocol on a pipe (no websocket).

Chromium started with ``--remote-debugging-pipe`` reads commands from file
descriptor 3 and writes answers and events to descriptor 4, each message a JSON
text ended by a NUL byte.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


def find_chromium() -> str | None:
    """The Debian chromium binary, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """One headless browser; ``events`` keeps every event it sent."""

    def __init__(self, profile: Path) -> None:
        binary = find_chromium()
        assert binary, "chromium is not installed (deploy/debian-packages.txt)"
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        arguments = [
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        # The shell puts the pipe ends on descriptors 3 and 4, where Chromium
        # looks for them.
        self.process = subprocess.Popen(
            [
                # bash, not sh: dash takes only one-digit descriptors.
                "bash",
                "-c",
                f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
                binary,
                *arguments,
            ],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        """Send one command and return its result (events are kept meanwhile)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        message["params"] = params
        if session:
            message["sessionId"] = session

        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")

                return answer["result"]

    def wait_for(self, event: str) -> dict[str, Any]:
        """Read until an event of this name arrives; return it."""
        for seen in self.events:
            if seen.get("method") == event:
                return seen

        while True:
            message = self._read()
            if message.get("method") == event:
                return message

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")

            self._buffer += chunk

        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self.events.append(message)

        return message

    def open_page(self, width: int, height: int) -> str:
        """A new tab at a phone's viewport; returns its session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)
        sid: str = session["sessionId"]
        self.call("Network.enable", sid)
        self.call("Page.enable", sid)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            sid,
            width=width,
            height=height,
            deviceScaleFactor=2,
            mobile=True,
        )
        return sid

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools, not CSP)."""
        result = self.call(
            "Runtime.evaluate", session, expression=expression, returnByValue=True
        )
        return result["result"]["value"]

    def screenshot(self, session: str, path: Path) -> None:
        """Save a PNG of the viewport."""
        data = self.call("Page.captureScreenshot", session, format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Ask the browser to quit; kill it if it does not."""
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")

        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

        os.close(self._to_browser)
        os.close(self._from_browser)
