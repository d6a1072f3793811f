"""Screenshots of elements' regions in headless Chromium, taken from the replayed archive (so the picture shows the
bytes the crawl received, not the site as it is now), bounded in number, area, bytes and time."""

from __future__ import annotations

import base64
import os
import struct
import tempfile
from dataclasses import dataclass

from siteaudit.core.browser import (
    BrowserPaths,
    Deadline,
    adopting_orphans,
    chromedriver_service,
    chromium_options,
    close_printer,
    memory_cap,
    process_tree,
)

SCREENSHOT_URN = "urn:siteaudit:element-screenshot:"   # + the id of the finding whose element it shows
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


def capture(driver: object, clip: dict[str, float], max_bytes: int) -> tuple[bytes, str] | None:
    """The region as PNG, else (too large) as JPEG, else at half scale; None when none fits in max_bytes."""
    for fmt, extra in (("png", {}), ("jpeg", {"quality": 70}), ("jpeg", {"quality": 60, "half": True})):
        region = {**clip, "scale": 0.5} if extra.pop("half", False) else clip
        shot = driver.execute_cdp_cmd("Page.captureScreenshot",  # type: ignore[attr-defined]
                                      {"format": fmt, "clip": region, "captureBeyondViewport": True, **extra})
        data = base64.b64decode(shot["data"])
        if len(data) <= max_bytes:
            return data, f"image/{fmt}"
    return None


def take_screenshots(wanted: list[Wanted], paths: BrowserPaths, max_bytes: int, timeout: float
                     ) -> tuple[list[Shot], list[str]]:
    """Shoot each wanted element; (the shots, one line per element or page that could not be shot). The whole
    run is bounded by `timeout` seconds (the browser is then stopped) and each page by PAGE_SECONDS."""
    from selenium import webdriver

    shots: list[Shot] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="siteaudit-shots-") as profile, adopting_orphans():
        ours_before = set(process_tree(os.getpid()))
        service = chromedriver_service(paths, profile, memory_cap(MEMORY_MB))
        deadline = Deadline(timeout, service)
        driver = None
        failed = True
        try:
            options = chromium_options(paths)
            options.set_capability("unhandledPromptBehavior", "dismiss")  # an alert() must not stop the shots
            driver = webdriver.Chrome(service=service, options=options)
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
                    box = driver.execute_script(LOCATE, selector)
                    clip = clip_of(box) if isinstance(box, dict) else None
                    if clip is None:
                        why = "has no area (hidden or empty)" if isinstance(box, dict) else "is not found"
                        problems.append(f"{want.page}: {selector} {why} on the archived page")
                        continue
                    image = capture(driver, clip, max_bytes)
                    if image is None:
                        problems.append(f"{want.page}: {selector}: screenshot larger than {max_bytes} bytes")
                        continue
                    width, height = png_size(image[0]) if image[1] == "image/png" else (int(clip["width"]),
                                                                                       int(clip["height"]))
                    shots.append(Shot(want.page, selector, image[0], image[1], width, height))
            failed = False
        except Exception as exc:  # the browser failed or the deadline stopped it: what was shot is kept
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            problems.append(f"screenshots stopped: {'time limit reached' if deadline.fired else text}")
        finally:
            deadline.cancel()
            close_printer(driver, service, failed, deadline.killed, ours_before)
    return shots, problems
