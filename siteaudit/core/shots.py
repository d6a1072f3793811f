"""Screenshots of elements' regions in headless Chromium, taken from the replayed archive (so the picture shows the
bytes the crawl received, not the site as it is now), bounded in number, area, bytes and time."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

from siteaudit.core.browser import BoundedBrowserError, BrowserPaths, bounded_driver

MARGIN = 8                      # CSS px around the element
MAX_WIDTH, MAX_HEIGHT = 1280, 800   # the region shot at most (a larger element: its top-left part)
MEMORY_MB = 1024
PAGE_SECONDS = 15
# The element's box in page coordinates after scrolling it into view; null when the selector matches nothing.
LOCATE = """
let el = null;
try { el = document.querySelector(arguments[0]); } catch (e) { return null; }
if (!el) return null;
el.scrollIntoView({block: 'center', inline: 'nearest'});
const r = el.getBoundingClientRect();
return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height,
        pageWidth: document.documentElement.scrollWidth, pageHeight: document.documentElement.scrollHeight};
"""


@dataclass
class Wanted:
    """The elements to shoot on one page: its address on the replay server, and their CSS selectors."""
    address: str
    page: str
    selectors: list[str]


@dataclass
class Shot:
    page: str
    selector: str
    image: bytes
    mime: str
    width: int
    height: int


def clip_of(box: dict[str, float]) -> dict[str, float] | None:
    """The region to shoot around an element's box: a margin added, kept on the page, at most MAX_WIDTH × MAX_HEIGHT;
    None for an element with no area."""
    if box["width"] <= 0 or box["height"] <= 0:
        return None
    x = max(0.0, box["x"] - MARGIN)
    y = max(0.0, box["y"] - MARGIN)
    right = min(max(box["pageWidth"], box["x"] + box["width"]), box["x"] + box["width"] + MARGIN)
    bottom = min(max(box["pageHeight"], box["y"] + box["height"]), box["y"] + box["height"] + MARGIN)
    width, height = min(MAX_WIDTH, right - x), min(MAX_HEIGHT, bottom - y)
    if width < 1 or height < 1:
        return None
    return {"x": x, "y": y, "width": width, "height": height, "scale": 1}


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its IHDR chunk, (0, 0) if it is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return 0, 0
    return struct.unpack(">II", data[16:24])


def capture(driver: Any, clip: dict[str, float], max_bytes: int) -> tuple[bytes, str] | None:
    """The region as PNG, else (too large) as JPEG, else at half scale; None when none fits in max_bytes."""
    for fmt, extra in (("png", {}), ("jpeg", {"quality": 70}), ("jpeg", {"quality": 60, "half": True})):
        region = {**clip, "scale": 0.5} if extra.pop("half", False) else clip
        shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                      {"format": fmt, "clip": region, "captureBeyondViewport": True, **extra})
        data = base64.b64decode(shot["data"])
        if len(data) <= max_bytes:
            return data, f"image/{fmt}"
    return None


def shoot(driver: Any, page: str, selector: str, max_bytes: int, problems: list[str]) -> Shot | None:
    """One element's screenshot on the loaded page, or None with the reason added to `problems`."""
    box = driver.execute_script(LOCATE, selector)
    clip = clip_of(box) if isinstance(box, dict) else None
    if clip is None:
        why = "has no area (hidden or empty)" if isinstance(box, dict) else "is not found"
        problems.append(f"{page}: {selector} {why} on the archived page")
        return None
    image = capture(driver, clip, max_bytes)
    if image is None:
        problems.append(f"{page}: {selector}: screenshot larger than {max_bytes} bytes")
        return None
    width, height = png_size(image[0]) if image[1] == "image/png" else (int(clip["width"]), int(clip["height"]))
    return Shot(page, selector, image[0], image[1], width, height)


def take_screenshots(wanted: list[Wanted], paths: BrowserPaths, max_bytes: int, timeout: float
                     ) -> tuple[list[Shot], list[str]]:
    """Shoot each wanted element; (the shots, one line per element or page that could not be shot). The whole
    run is bounded by `timeout` seconds (the browser is then stopped) and each page by PAGE_SECONDS."""
    shots: list[Shot] = []
    problems: list[str] = []
    try:
        with bounded_driver(paths, timeout, MEMORY_MB, "siteaudit-shots-",
                            lambda options: options.set_capability("unhandledPromptBehavior", "dismiss")
                            ) as (driver, deadline):   # an alert() on a replayed page must not stop the shots
            driver.set_page_load_timeout(PAGE_SECONDS)
            driver.set_script_timeout(PAGE_SECONDS)
            for want in wanted:
                deadline.check()
                try:
                    driver.get(want.address)
                except Exception as exc:  # a page that does not load in time: its elements are not shot
                    problems.append(f"{want.page}: the archived page did not load ({type(exc).__name__})")
                    continue
                for selector in want.selectors:
                    deadline.check()
                    shot = shoot(driver, want.page, selector, max_bytes, problems)
                    if shot is not None:
                        shots.append(shot)
    except BoundedBrowserError as exc:  # the browser failed or the deadline stopped it: what was shot is kept
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc.cause).__name__
        problems.append(f"screenshots stopped: {'time limit reached' if exc.deadline.fired else text}")
    return shots, problems
