"""The dashboard page in headless Chromium: every visual drawn, no console errors, nothing fetched off-host,
and the what-if slider changes the KPI. Uses Debian's /usr/bin/chromium (never `playwright install`).

    pytest -m browser qs_platform_tests/local/viewer/static/test_page.py
"""

from __future__ import annotations

import pytest

from qs_platform_tests.local.viewer.conftest import (
    BROKEN_DASHBOARD_ID,
    DASHBOARD_ID,
    build_catalog,
    fake_client,
    start_viewer,
)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None
from qs_platform_tests.local.viewer.static.conftest import (
    BROWSER_TESTS,
    PageWatch,
    kpi_text,
    visual_states,
    wait_until_ready,
)

pytestmark = BROWSER_TESTS


@pytest.fixture
def viewer(tmp_path):
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), fake_client())
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def test_dashboard_renders_and_the_slider_changes_the_kpi(viewer, chromium_browser, tmp_path):
    page = chromium_browser.new_page(viewport={"width": 1440, "height": 1400})
    watch = PageWatch(page)
    page.goto(f"{viewer.url}/dashboards/{DASHBOARD_ID}")
    wait_until_ready(page)

    assert page.inner_text("#dashboard-name") == "Service requests overview"
    assert page.eval_on_selector_all(".tab", "els => els.map(e => e.textContent)") == ["Overview", "Details"]
    assert visual_states(page) == {
        "kpi-requests": "ready",
        "kpi-total-cost": "ready",
        "kpi-projected": "ready",
        "kpi-result": "ready",
        "bar-division": "ready",
        "pie-result": "ready",
        "line-month": "ready",
        "bar-division-result": "ready",
        "table-by-ward": "ready",
    }
    assert page.inner_text("#visual-kpi-projected .visual-title") == "Projected cost (what-if)"

    # KPIs: readable numbers
    assert kpi_text(page, "kpi-requests") == "8"
    assert kpi_text(page, "kpi-total-cost") == "$3,500.75"
    assert kpi_text(page, "kpi-projected") == "3,500.75"
    assert kpi_text(page, "kpi-result") == "5"

    # charts are inline SVG with one mark per data point
    assert page.locator("#visual-bar-division svg.chart rect.bar").count() == 3
    assert page.locator("#visual-bar-division-result svg.chart rect.bar").count() == 6
    assert page.locator("#visual-pie-result svg.chart path.slice").count() == 2
    assert page.locator("#visual-line-month svg.chart path.line").count() == 1
    assert page.locator("#visual-line-month svg.chart circle.point").count() == 3
    assert "Jan 2024" in page.text_content("#visual-line-month svg")
    assert page.eval_on_selector_all("#visual-table-by-ward th", "els => els.map(e => e.textContent)") == [
        "Ward",
        "Requests",
        "business_days (Average)",
        "estimated_cost (Sum)",
    ]
    assert page.eval_on_selector_all(
        "#visual-table-by-ward tbody tr", "rows => rows.map(r => r.innerText.split('\\t'))"
    ) == [
        ["1", "1", "12", "$1,200.00"],
        ["2", "2", "8", "$1,400.00"],
        ["3", "3", "2", "$550.25"],
    ]

    # the grid layout places visuals side by side
    bar_box = page.locator("#visual-bar-division").bounding_box()
    pie_box = page.locator("#visual-pie-result").bounding_box()
    assert abs(bar_box["y"] - pie_box["y"]) < 1 and pie_box["x"] > bar_box["x"] + bar_box["width"] - 1

    # what-if slider: set the value and fire input + change, like a user dragging it
    before = kpi_text(page, "kpi-projected")
    page.eval_on_selector(
        "#control-growth-slider",
        "el => { el.value = '20'; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    page.wait_for_function(
        "before => document.querySelector('#visual-kpi-projected .kpi-value').textContent !== before",
        arg=before,
        timeout=10_000,
    )
    wait_until_ready(page)
    assert kpi_text(page, "kpi-projected") == "4,200.9"
    assert kpi_text(page, "kpi-requests") == "8"  # does not use the parameter
    assert page.inner_text(".control[data-parameter='CostGrowthPct'] output") == "20"

    # a dropdown drives a filter scoped to one KPI
    page.select_option("#control-result-dropdown", "FAIL")
    page.wait_for_function(
        "() => document.querySelector('#visual-kpi-result .kpi-value').textContent === '3'", timeout=10_000
    )
    wait_until_ready(page)

    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000

    # second sheet: unaggregated table with a time filter, and a dropdown filled from the dataset column
    page.click(".tab[data-sheet-id='details']")
    wait_until_ready(page)
    assert page.locator("#visual-table-rows tbody tr").count() == 2
    page.wait_for_function("() => document.querySelectorAll('#control-division-dropdown option').length === 4")
    assert page.eval_on_selector_all("#control-division-dropdown option", "os => os.map(o => o.value)") == [
        "",
        "Parks",
        "Roads",
        "Water",
    ]
    page.select_option("#control-division-dropdown", "Water")
    page.wait_for_function("() => document.querySelector('#visual-table-rows .empty-rows') !== null", timeout=10_000)
    page.screenshot(path=str(tmp_path / "details.png"), full_page=True)

    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.failed_requests == []
    assert watch.external_requests == []


def test_a_broken_visual_shows_a_readable_error_in_its_card(viewer, chromium_browser):
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 1000})
    watch = PageWatch(page)
    page.goto(f"{viewer.url}/dashboards/{BROKEN_DASHBOARD_ID}")
    wait_until_ready(page)
    states = visual_states(page)
    assert states.pop("kpi-broken") == "error"
    assert set(states.values()) == {"ready"}
    message = page.inner_text("#visual-kpi-broken .visual-error")
    assert "Can't show this visual" in message and "periodToDatePercentile() is not supported" in message
    # the page asks for inline errors (200 + {error}), so the broken visual leaves no console error either
    assert watch.page_errors == [] and watch.external_requests == [] and watch.console_errors == []


def test_unknown_dashboard_page(viewer, chromium_browser):
    page = chromium_browser.new_page()
    response = page.goto(f"{viewer.url}/dashboards/missing")
    assert response.status == 404
    assert "not found" in page.inner_text("main")
