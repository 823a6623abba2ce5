"""Shared by the browser tests of the viewer page: Debian's Chromium through playwright (never `playwright install`),
a watch on console errors and requests leaving 127.0.0.1, and helpers that wait for and read the rendered page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None


CHROMIUM = Path("/usr/bin/chromium")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


LOCAL_HOSTS = {"127.0.0.1", "localhost"}

BROWSER_TESTS = [  # the marks of every browser test: skipped, saying why, where Chromium or playwright is missing
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.skipif(
        sync_playwright is None, reason="the playwright Python package is not installed (pip install playwright)"
    ),
]


class PageWatch:
    """Console errors, page errors, failed requests and requests to other hosts seen by a page."""

    def __init__(self, page):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.external_requests: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed_requests.append(f"{r.url} {r.failure}"))
        page.on("request", lambda r: self._check_host(r.url))

    def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.external_requests.append(url)


@pytest.fixture
def chromium_browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def wait_until_ready(page) -> None:
    # predicates are functions, not expression strings: the page's CSP (no 'unsafe-eval') rejects the latter
    page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=20_000)


def each_sheet(page):
    """Open every sheet tab of the dashboard on the page in turn: (index, sheet id, visual states) once it is drawn."""
    sheet_ids = page.eval_on_selector_all(".tab", "els => els.map(e => e.dataset.sheetId)")
    for index, sheet_id in enumerate(sheet_ids):
        page.click(f".tab[data-sheet-id='{sheet_id}']")
        wait_until_ready(page)
        yield index, sheet_id, visual_states(page)


def kpi_text(page, visual_id: str) -> str:
    return page.inner_text(f"#visual-{visual_id} .kpi-value").strip()


def visual_states(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        ".visual", "els => Object.fromEntries(els.map(e => [e.dataset.visualId, e.dataset.state]))"
    )


def screenshot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, (path, len(data))


def assert_clean(watch: PageWatch) -> None:
    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.failed_requests == []
    assert watch.external_requests == []


def count(page, selector: str) -> int:
    return page.locator(selector).count()
