"""A real browser for checking HTML outputs as a phone shows them: headless Chromium through
selenium and Debian's chromedriver, with device emulation over the DevTools protocol.

Headless Chromium's window alone does not go below 500 px; `Emulation.setDeviceMetricsOverride`
gives the page a phone's viewport (320–414 px, touch, device pixel ratio 2), and
`Emulation.setEmulatedMedia` its `prefers-color-scheme`. Nothing is downloaded: the browser
and driver are the installed ones (`apt-get install chromium chromium-driver`), found on
PATH, and the page loads no network resource (a file:// URL with a local chart).

`missing_browser()` says why the check cannot run here (for pytest's skip), or "".
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PHONE_WIDTHS = (320, 375, 414)
DESKTOP = (1280, 900)


def _binaries() -> tuple[str | None, str | None]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return browser, driver


def missing_browser() -> str:
    """Why no browser check can run here ("" when it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    browser, driver = _binaries()
    if browser is None:
        return "no Chromium on PATH (apt-get install chromium chromium-driver)"
    if driver is None:
        return "no chromedriver on PATH (apt-get install chromium-driver)"
    return ""


@dataclass
class Layout:
    """How a page laid out in one viewport."""

    viewport: int
    scroll_width: int
    overflowing: list[str]
    """Elements reaching past the viewport's right edge (tag, class and text start)."""
    images: list[tuple[float, float]]
    """Each image's rendered (width, right edge)."""


class Browser:
    """One headless Chromium, driven through selenium."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        browser, driver = _binaries()
        options = webdriver.ChromeOptions()
        options.binary_location = browser or ""
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)

    def close(self) -> None:
        self.driver.quit()

    def _cdp(self, command: str, params: dict) -> dict:
        return self.driver.execute_cdp_cmd(command, params)

    def open(self, url: str, width: int, *, dark: bool = False, mobile: bool = True) -> None:
        """Load `url` in a viewport `width` px wide (a phone when `mobile`), light or dark."""
        self._cdp(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": 800,
                "deviceScaleFactor": 2 if mobile else 1,
                "mobile": mobile,
            },
        )
        self._cdp(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
        )
        self.driver.get(url)

    def layout(self) -> Layout:
        """Where the page's content ends against the viewport."""
        found = self.driver.execute_script(
            """
            const width = window.innerWidth;
            const overflowing = [];
            for (const element of document.body.querySelectorAll('*')) {
              const box = element.getBoundingClientRect();
              if (box.width > 0 && box.right > width + 0.5) {
                const text = (element.textContent || '').trim().slice(0, 40);
                overflowing.push(`${element.tagName.toLowerCase()}.${element.className} ${text}`);
              }
            }
            const images = [...document.images].map(i => {
              const box = i.getBoundingClientRect();
              return [box.width, box.right];
            });
            return [width, document.documentElement.scrollWidth, overflowing, images];
            """
        )
        viewport, scroll_width, overflowing, images = found
        return Layout(int(viewport), int(scroll_width), overflowing, [tuple(i) for i in images])

    def colours(self, selector: str) -> tuple[str, str]:
        """The computed (color, background-color) of the first element matching `selector`."""
        return tuple(
            self.driver.execute_script(
                "const s = getComputedStyle(document.querySelector(arguments[0]));"
                "return [s.color, s.backgroundColor];",
                selector,
            )
        )

    def screenshot(self, path: Path) -> Path:
        """The whole page (not only the viewport) as a PNG at `path`."""
        metrics = self._cdp("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self._cdp(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": size["height"],
                    "scale": 1,
                },
            },
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextmanager
def browser() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    opened = Browser()
    try:
        yield opened
    finally:
        opened.close()


def rgb(value: str) -> tuple[float, float, float, float]:
    """`rgb(1, 2, 3)` / `rgba(1, 2, 3, 0.5)` as numbers (alpha 1 when absent)."""
    inside = value[value.index("(") + 1 : value.rindex(")")]
    parts = [float(part) for part in inside.replace("/", ",").replace(" ", ",").split(",") if part]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two computed colours (1 to 21)."""

    def luminance(colour: str) -> float:
        def channel(value: float) -> float:
            value /= 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        red, green, blue, _ = rgb(colour)
        return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
