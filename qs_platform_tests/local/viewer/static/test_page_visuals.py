"""The newer visuals, filter controls and the exported logistics Definition in headless Chromium: every page
loads without console errors, each new visual type draws its SVG/HTML marks, a what-if slider changes a KPI,
a filter dropdown changes a chart, and one screenshot per dashboard (per sheet for logistics) is saved.

    pytest -m browser qs_platform_tests/local/viewer/static/test_page_visuals.py
"""

from __future__ import annotations

import pytest

from qs_platform_tests.local.viewer.conftest import (
    GALLERY_ID,
    LOGISTICS_DEFINITION,
    LOGISTICS_ID,
    MISSING_COLUMN,
    build_gallery_catalog,
    gallery_client,
    load_logistics,
    project_dashboards,
    start_viewer,
)
from qs_platform_tests.local.viewer.static.conftest import (
    BROWSER_TESTS,
    PageWatch,
    assert_clean,
    count,
    each_sheet,
    kpi_text,
    screenshot,
    visual_states,
    wait_until_ready,
)

pytestmark = BROWSER_TESTS


@pytest.fixture
def gallery(tmp_path):
    server, running = start_viewer(build_gallery_catalog(tmp_path / "catalog.duckdb"), gallery_client())
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def test_gallery_draws_every_new_visual_and_reacts_to_controls(gallery, chromium_browser, tmp_path):
    page = chromium_browser.new_page(viewport={"width": 1440, "height": 1500})
    watch = PageWatch(page)
    page.goto(f"{gallery.url}/dashboards/{GALLERY_ID}")
    wait_until_ready(page)

    states = visual_states(page)
    assert states.pop("cloud") == "unsupported"
    assert set(states.values()) == {"ready"}, states
    assert page.inner_text("#visual-cloud .unsupported").startswith(
        "unsupported visual: PluginVisual (third-party plugin code"
    )

    # each new type draws its marks
    assert count(page, "#visual-pivot table.pivot-table tbody tr") == 4  # 3 divisions + the totals row
    assert page.eval_on_selector_all("#visual-pivot th.pivot-column", "els => els.map(e => e.textContent)") == [
        "FAIL",
        "PASS",
        "Total",
    ]
    assert (
        count(page, "#visual-combo svg.chart rect.bar") == 3 and count(page, "#visual-combo svg.chart path.line") == 1
    )
    assert count(page, "#visual-scatter svg.chart circle.point") == 3
    assert count(page, "#visual-heat svg.chart rect.cell") == 5
    assert count(page, "#visual-geo svg.chart circle.map-point") == 5
    assert count(page, "#visual-filled svg.chart rect.region") == 3
    # Madrid (40.4N) is drawn below Oslo (59.9N) and left of Berlin (13.4E)
    points = page.eval_on_selector_all(
        "#visual-geo circle.map-point",
        "els => els.map(e => [Number(e.getAttribute('cx')), Number(e.getAttribute('cy'))])",
    )
    by_y = sorted(points, key=lambda p: p[1])
    assert by_y[0][1] < by_y[-1][1] and len({round(p[0]) for p in points}) == 5

    # parameter controls: slider, date picker, text field; filter controls: dropdown, range slider, date range, cross-sheet
    assert page.eval_on_selector_all(".control .control-title", "els => els.map(e => e.textContent)") == [
        "What-if: cost growth (%)",
        "Since",
        "Division contains",
        "Division",
        "Estimated cost",
        "Start date",
        "Result",
    ]
    before = kpi_text(page, "kpi-projected")
    page.eval_on_selector(
        "#control-growth",
        "el => { el.value = '10'; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    page.wait_for_function(
        "b => document.querySelector('#visual-kpi-projected .kpi-value').textContent !== b", arg=before, timeout=10_000
    )
    assert kpi_text(page, "kpi-projected") == "3,850.83"

    def kpi_becomes(visual_id: str, text: str) -> None:
        page.wait_for_function(
            "([id, text]) => document.querySelector(`#visual-${id} .kpi-value`).textContent === text",
            arg=[visual_id, text],
            timeout=10_000,
        )

    page.fill("#control-since", "2024-03-01")  # date picker -> ${Since} -> a time range filter on kpi-filtered
    page.dispatch_event("#control-since", "change")
    kpi_becomes("kpi-filtered", "3")
    page.fill("#control-since", "")
    page.dispatch_event("#control-since", "change")
    kpi_becomes("kpi-filtered", "8")
    page.fill("#control-search", "oad")  # text field -> ${Search} -> a CONTAINS category filter
    page.dispatch_event("#control-search", "change")
    kpi_becomes("kpi-filtered", "3")
    page.fill("#control-search", "")
    page.dispatch_event("#control-search", "change")
    kpi_becomes("kpi-filtered", "8")

    page.wait_for_function(
        "() => document.querySelectorAll('#control-division-filter option').length === 3", timeout=10_000
    )
    page.select_option("#control-division-filter", ["Parks"])
    page.wait_for_function("() => document.querySelectorAll('#visual-pivot tbody tr').length === 2", timeout=10_000)
    wait_until_ready(page)
    assert kpi_text(page, "kpi-filtered") == "2"
    assert page.inner_text("#visual-pivot tbody tr th.pivot-row") == "Parks"

    page.select_option("#control-result-filter", "FAIL")  # cross-sheet control: every visual of the requests dataset
    page.wait_for_function(
        "() => document.querySelector('#visual-kpi-filtered .kpi-value').textContent === '1'", timeout=10_000
    )
    wait_until_ready(page)
    assert count(page, "#visual-heat svg.chart rect.cell") == 3

    screenshot(page, tmp_path / "gallery.png")

    page.select_option(
        "#control-result-filter", ""
    )  # back to every result: cross-sheet filters follow to the next sheet
    page.wait_for_function(
        "() => document.querySelector('#visual-kpi-filtered .kpi-value').textContent === '2'", timeout=10_000
    )
    page.click(".tab[data-sheet-id='more']")
    wait_until_ready(page)
    assert kpi_text(page, "kpi-trend") == "550.25"  # the last month, compared with its target and the month before
    assert page.eval_on_selector_all("#visual-kpi-trend .kpi-comparison", "els => els.map(e => e.textContent)") == [
        "target 300 (+83.42%)",
        "previous 1,400 (-60.7%)",
    ]
    assert count(page, "#visual-scatter-rows svg.chart circle.point") == 8
    screenshot(page, tmp_path / "gallery-more.png")

    page.goto(gallery.url + "/")  # the index shows each dashboard's thumbnail
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth === 480)", timeout=10_000
    )
    assert page.locator("img.thumb").count() == 1
    assert_clean(watch)


@pytest.mark.skipif(not LOGISTICS_DEFINITION.exists(), reason=f"{LOGISTICS_DEFINITION} is not there")
def test_the_exported_logistics_dashboard_renders_every_sheet(tmp_path, chromium_browser):
    catalog, client, definition = load_logistics(tmp_path)
    server, viewer = start_viewer(catalog, client)
    try:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 1200})
        watch = PageWatch(page)
        page.goto(f"{viewer.url}/dashboards/{LOGISTICS_ID}")
        wait_until_ready(page)
        sheet_ids, errors = [], {}
        for index, sheet_id, states in each_sheet(page):
            sheet_ids.append(sheet_id)
            assert states and set(states.values()) <= {"ready", "error"}, (sheet_id, states)
            for visual_id, state in states.items():
                if state == "error":
                    errors[visual_id] = page.inner_text(f"#visual-{visual_id} .visual-error")
            screenshot(page, tmp_path / f"logistics-{index:02d}.png")
        assert len(sheet_ids) == len(definition["Sheets"])
        assert errors and all(
            MISSING_COLUMN[1] in text and "Can't show this visual" in text for text in errors.values()
        ), errors
        # the Force Flow sheet's slider drives ${startDay}
        page.click(f".tab[data-sheet-id='{sheet_ids[1]}']")
        wait_until_ready(page)
        assert page.locator(".control[data-parameter='startDay'] input[type=range]").count() == 1
        assert page.locator("svg.chart rect.bar, svg.chart path.line").count() > 0
        assert_clean(watch)
    finally:
        server.shutdown()
        server.server_close()


def test_every_project_dashboard_page_loads_cleanly(tmp_path, chromium_browser):
    catalog, client, dashboards, _ = project_dashboards(tmp_path)
    server, viewer = start_viewer(catalog, client)
    try:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 1200})
        watch = PageWatch(page)
        for dashboard_id, (_, definition) in dashboards.items():
            page.goto(f"{viewer.url}/dashboards/{dashboard_id}")
            wait_until_ready(page)
            states = visual_states(page)
            assert len(states) == len(definition["Sheets"][0]["Visuals"]) and set(states.values()) == {"ready"}, (
                dashboard_id,
                states,
            )
            screenshot(page, tmp_path / f"{dashboard_id}.png")
        assert_clean(watch)
    finally:
        server.shutdown()
        server.server_close()
