"""A small W3C WebDriver client (HTTP + JSON, with requests) for Debian's WebKitWebDriver.

Playwright drives Chromium here but only its own patched WebKit builds, which Debian does not
package; WebKitWebDriver (webkit2gtk-driver) speaks the W3C protocol, and the few commands
the embedded-launch test needs do not justify Selenium. WebKitGTK needs an X display: the
driver's browser runs in an Xvfb started here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import requests

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
T = TypeVar("T")


class WebDriverError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def xvfb() -> Iterator[str]:
    """An Xvfb display (':N'), chosen by the server itself (-displayfd)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise WebDriverError("Xvfb did not start")
        yield ":" + number
    finally:
        proc.terminate()
        proc.wait(5)


@contextmanager
def webkit_driver(display: str) -> Iterator[str]:
    """WebKitWebDriver on a free loopback port; yields its base URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen(
        [shutil.which("WebKitWebDriver") or "WebKitWebDriver", f"--port={port}"],
        env={**os.environ, "DISPLAY": display}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), 10, "WebKitWebDriver did not answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(5)


def _ready(base: str) -> bool:
    try:
        return requests.get(base + "/status", timeout=1).ok
    except requests.ConnectionError:
        return False


def wait_for(check: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `check` until it returns something truthy."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise WebDriverError(f"timed out: {what}")
        time.sleep(0.1)


class Session:
    """One browser session: navigation, frames, windows, scripts, clicks."""

    def __init__(self, base: str, capabilities: dict) -> None:
        r = requests.post(base + "/session", json={"capabilities": {"alwaysMatch": capabilities}},
                          timeout=30)  # fmt: skip
        value = r.json()["value"]
        if not r.ok:
            raise WebDriverError(value)
        self.url = f"{base}/session/{value['sessionId']}"
        self.capabilities = value["capabilities"]

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        r = requests.request(method, self.url + path, json=body, timeout=30)
        value = r.json()["value"]
        if not r.ok:
            raise WebDriverError(f"{path}: {value.get('error')}: {value.get('message')}")
        return value

    def close(self) -> None:
        self._call("DELETE", "")

    def go(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        """The body of a function (`return ...`) run in the current frame."""
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script: str, timeout: float = 10) -> Any:
        """Until `script` returns something truthy (an error, mid-navigation, is a no)."""

        def check() -> Any:
            try:
                return self.run(script)
            except WebDriverError:
                return None

        return wait_for(check, timeout, script)

    def find(self, css: str) -> dict:
        return self._call("POST", "/element", {"using": "css selector", "value": css})

    def click(self, css: str) -> None:
        """A trusted click (a user gesture). In WebKitWebDriver it reaches an element in an
        iframe only when the whole iframe is in the window (else nothing, and no error)."""
        self._call("POST", f"/element/{self.find(css)[ELEMENT]}/click", {})

    def resize(self, width: int, height: int) -> None:
        self._call("POST", "/window/rect", {"width": width, "height": height})

    def frame(self, css: str | None) -> None:
        """Into the iframe `css` of the current frame; None: back to the top."""
        self._call("POST", "/frame", {"id": None if css is None else self.find(css)})

    def windows(self) -> list[str]:
        return self._call("GET", "/window/handles")

    def window(self, handle: str | None = None) -> str:
        if handle is None:
            return self._call("GET", "/window")
        return self._call("POST", "/window", {"handle": handle})
