"""Browser console errors on real exported QuickSight Definitions (issue 14): a measurement, not a test.

Each Definition `render_coverage` measures (the CID exports in the mirror and the logistics seed template) is
deployed the same way, over synthetic rows, and its page is opened in headless Chromium (Debian's, through
playwright, as the browser tests do); every sheet tab is clicked until the page says it is ready. Counted per
dashboard: console errors, page errors, failed requests, sheets that never became ready, and the visuals' states.

    .venv/bin/python -m benchmarks.render_console [PATH ...]

Prints a line per dashboard and the total; writes benchmarks/render_console.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.render_coverage import default_sources, read_definition, serve
from qs_platform_tests.local.viewer.static.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageWatch,
    sync_playwright,
    visual_states,
    wait_until_ready,
)

RESULTS = Path(__file__).with_name("render_console.json")


def watch_page(browser, url: str) -> dict:
    page = browser.new_page(viewport={"width": 1440, "height": 1200})
    watch = PageWatch(page)
    states, stuck = Counter(), []
    try:
        page.goto(url)
        wait_until_ready(page)
        for sheet_id in page.eval_on_selector_all(".tab", "els => els.map(e => e.dataset.sheetId)"):
            page.click(f".tab[data-sheet-id='{sheet_id}']")
            try:
                wait_until_ready(page)
            except Exception:  # playwright's TimeoutError: the sheet is reported, the others still opened
                stuck.append(sheet_id)
            states.update(visual_states(page).values())
        page.wait_for_timeout(500)  # late console messages
    finally:
        page.close()
    return {
        "console_errors": watch.console_errors,
        "page_errors": watch.page_errors,
        "failed_requests": watch.failed_requests,
        "sheets_not_ready": stuck,
        "visual_states": dict(states),
    }


def main(paths: list[str]) -> int:
    sources = [(p, Path(p).read_text()) for p in paths] or default_sources()
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        for name, text in sources:
            with tempfile.TemporaryDirectory() as tmp:
                server, url = serve(name, read_definition(name, text), Path(tmp))
                try:
                    results[name] = watch_page(browser, url)
                finally:
                    server.shutdown()
                    server.server_close()
            r = results[name]
            print(
                f"{name:<70} console {len(r['console_errors'])}  page {len(r['page_errors'])}  "
                f"failed {len(r['failed_requests'])}  not ready {len(r['sheets_not_ready'])}  {r['visual_states']}",
                flush=True,
            )
        browser.close()
    totals = {
        key: sum(len(r[key]) for r in results.values())
        for key in ("console_errors", "page_errors", "failed_requests", "sheets_not_ready")
    }
    print(f"\n{len(results)} dashboards: {totals}")
    RESULTS.write_text(json.dumps({"totals": totals, "dashboards": results}, indent=2) + "\n")
    return 0 if not any(totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
