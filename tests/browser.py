"""A real headless Chromium driven by selenium, for the dashboard tests and the render benchmark.

Chrome's performance log records every network request (to prove nothing leaves 127.0.0.1) and its
browser log the console (to fail on errors). Screenshots go to `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
LOCAL_HOSTS = frozenset({"127.0.0.1"})
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--window-size=1400,1800",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-GB",
]  # fmt: skip


class Browser:
    """One Chromium session: navigate, wait for the dashboard, read logs, take screenshots."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.requests: list[str] = []
        self.console: list[dict[str, Any]] = []

    def open(self, fragment: str = "") -> None:
        """Load the dashboard at `#<fragment>` and wait until its view is drawn."""
        self.driver.get("about:blank")  # else a change of fragment only would not load the page again
        self.driver.get(f"{self.base_url}/#{fragment}")
        self.wait_ready()

    def go(self, fragment: str) -> None:
        """Switch view inside the loaded page (a hash change) and wait until it is drawn."""
        self.driver.execute_script(
            """if (decodeURIComponent(location.hash) !== '#' + arguments[0]) {
                 document.getElementById('view').dataset.state = 'leaving';
                 location.hash = arguments[0];
               }""",
            fragment,
        )
        self.wait_ready()

    def click(self, css: str) -> None:
        """Click a link or button that switches view, and wait until the new view is drawn."""
        self.driver.execute_script("document.getElementById('view').dataset.state = 'leaving'")
        self.find(css).click()
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the view says it finished (`data-state` ready); fail on its error state."""
        state = self.wait_for(
            lambda: (
                self.driver.execute_script("return document.getElementById('view')?.dataset.state")
                in ("ready", "error")
            ),
            timeout,
        )
        assert state
        if self.driver.execute_script("return document.getElementById('view').dataset.state") == "error":
            raise AssertionError("The view failed: " + self.text("#view"))

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30) -> Any:
        """Poll `condition` until it is truthy or the deadline passes (then fail)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(0.05)

    def find(self, css: str) -> WebElement:
        """The element matching `css`."""
        return self.driver.find_element("css selector", css)

    def text(self, css: str) -> str:
        """All text under the elements matching `css` (SVG labels included)."""
        return str(self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent).join('\\n')", css
        ))  # fmt: skip

    def chart(self, css: str) -> dict[str, Any]:
        """What the ECharts chart in `css` draws: its series (name, type, data) and its axes' categories."""
        return dict(self.driver.execute_script(
            """const chart = echarts.getInstanceByDom(document.querySelector(arguments[0]));
               const o = chart.getOption();
               return JSON.parse(JSON.stringify({
                 series: o.series.map((s) => ({ name: s.name, type: s.type, data: s.data })),
                 x: o.xAxis?.[0]?.data ?? null, y: o.yAxis?.[0]?.data ?? null }));""",
            css,
        ))  # fmt: skip

    def screenshot(self, name: str) -> Path:
        """Save the page as `test-artifacts/screenshots/<name>.png` and return the path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    def collect_logs(self) -> None:
        """Move the browser's console and network logs into `console` and `requests`."""
        for entry in self.driver.get_log("browser"):
            self.console.append(entry)
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def console_errors(self) -> list[dict[str, Any]]:
        """Console messages at error level so far."""
        self.collect_logs()
        return [e for e in self.console if e["level"] == "SEVERE"]

    def expect_console_error(self, fragment: str) -> None:
        """Take out the console errors a test caused on purpose (they must exist)."""
        self.collect_logs()
        expected = [e for e in self.console if e["level"] == "SEVERE" and fragment in e["message"]]
        assert expected, f"no console error mentioning {fragment!r}"
        self.console = [e for e in self.console if e not in expected]

    def foreign_requests(self) -> list[str]:
        """Network requests so far to anywhere but 127.0.0.1 (data:, blob: and the browser's own chrome://
        pages never touch the network)."""
        self.collect_logs()
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme not in NETWORK_SCHEMES:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


@contextmanager
def chromium(base_url: str, downloads: Path | None = None, timezone: str = "Europe/Berlin") -> Iterator[Browser]:
    """A headless Chromium with a fresh profile, in `timezone`; closed afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="aw-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if downloads is not None:
        options.add_experimental_option(
            "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        )
    service = Service(CHROMEDRIVER, env={**os.environ, "TZ": timezone})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_script_timeout(30)
        yield Browser(driver, base_url)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
