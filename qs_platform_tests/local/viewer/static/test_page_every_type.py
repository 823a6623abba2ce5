"""The every-visual-type Definition in headless Chromium: no page-level error, no console error, each supported type
draws its marks, the three unsupported ones name themselves, the title follows ${Growth}, the text box shows its text.

    pytest -m browser qs_platform_tests/local/viewer/static/test_page_every_type.py
"""

from __future__ import annotations

from qs_platform_tests.local.viewer.conftest import EVERY_ID, build_catalog, every_type_client, start_viewer
from qs_platform_tests.local.viewer.static.conftest import (
    BROWSER_TESTS,
    PageWatch,
    assert_clean,
    count,
    screenshot,
    visual_states,
    wait_until_ready,
)

pytestmark = BROWSER_TESTS

MARKS = {
    "gauge": "path.gauge-value",
    "tree": "rect.tile",
    "funnel": "rect.funnel",
    "box": "rect.box",
    "waterfall": "rect.step",
    "histogram": "rect.bar",
    "cloud": "span.word",
    "sankey": "path.flow",
    "radar": "polygon.radar",
    "insight": ".insight p",
}


def test_every_visual_type_page_is_clean(tmp_path, chromium_browser):
    server, viewer = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), every_type_client(tmp_path / "qs.sqlite"))
    try:
        page = chromium_browser.new_page(viewport={"width": 1440, "height": 2400})
        watch = PageWatch(page)
        page.goto(f"{viewer.url}/dashboards/{EVERY_ID}")
        wait_until_ready(page)
        assert page.locator("#page-error").is_hidden()
        states = visual_states(page)
        assert {vid for vid, state in states.items() if state == "unsupported"} == {"layers", "custom", "plugin"}
        assert {vid for vid, state in states.items() if state not in ("ready", "unsupported")} == set(), states
        for visual_id, selector in MARKS.items():
            assert count(page, f"#visual-{visual_id} {selector}") > 0, visual_id
        assert page.inner_text("#visual-plugin .unsupported").startswith("unsupported visual: PluginVisual (")
        assert page.inner_text("#visual-kpi .visual-title") == "Cost at 10% growth"
        assert "Total cost: 3,500.75" in page.inner_text("#visual-insight")
        assert [line for line in page.inner_text(".text-box").split("\n") if line.strip()][:2] == [
            "About",
            "• first point",
        ]
        screenshot(page, tmp_path / "every-type.png")
        assert_clean(watch)
    finally:
        server.shutdown()
        server.server_close()
