"""A small Definition with one visual of every type of botocore's `Visual` union, a narrative insight, a text box,
a titled `${Parameter}`, a rolling-date filter, a relative-date filter of type THIS, a sort by a calculated field that
uses a parameter and a datetime parameter default sent as '2024/01/01' -- deployed through the local backend
(what an exported dashboard goes through), then every visual asked of the viewer.

Expected numbers are worked out from the conftest's ROWS (8 service requests, 3 divisions).
"""

from __future__ import annotations

import boto3
import pytest

from qs_platform.local.viewer.visual_types import VISUAL_TYPES
from qs_platform_tests.local.viewer.conftest import (
    EVERY_ID,
    REGION,
    ROWS,
    SHEET,
    TOTAL_COST,
    build_catalog,
    every_type_client,
    every_visual,
    start_viewer,
)


@pytest.fixture
def every(tmp_path):
    server, running = start_viewer(
        build_catalog(tmp_path / "catalog.duckdb"), every_type_client(tmp_path / "qs.sqlite")
    )
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def ask(viewer, visual_id: str, **body) -> dict:
    status, payload = viewer.request(
        "POST", f"/api/dashboards/{EVERY_ID}/visuals/{visual_id}", {"sheet_id": SHEET, **body}
    )
    assert status in (200, 422), payload
    return payload


def test_the_definition_uses_every_type_of_the_botocore_visual_union():
    union = boto3.client("quicksight", region_name=REGION).meta.service_model.shape_for("Visual").members
    assert {next(iter(v)) for v in every_visual()} == set(union) == set(VISUAL_TYPES)


def test_the_page_summary_loads_and_names_what_is_unsupported(every):
    status, summary = every.get(f"/api/dashboards/{EVERY_ID}")
    assert status == 200
    since = next(p for p in summary["parameters"] if p["name"] == "Since")
    assert since["default"].startswith("2024-01-01") and since["problem"] == ""  # a timestamp, as QuickSight answers
    visuals = {v["visual_id"]: v for v in summary["sheets"][0]["visuals"]}
    unsupported = {vid: v["unsupported_reason"] for vid, v in visuals.items() if not v["supported"]}
    assert set(unsupported) == {"layers", "custom", "plugin"} and all(unsupported.values())
    assert visuals["kpi"]["title"] == "Cost at ${Growth}% growth"  # the page fills it with the parameter's value
    assert summary["sheets"][0]["text_boxes"][0]["lines"] == ["About", "• first point", "• second point"]


def test_every_supported_visual_renders_with_rows(every):
    for visual in every_visual():
        kind, body = next(iter(visual.items()))
        payload = ask(every, body["VisualId"])
        if VISUAL_TYPES[kind].status == "unsupported":
            assert payload["error"].startswith(f"unsupported visual: {kind} ({VISUAL_TYPES[kind].how}")
        elif kind == "EmptyVisual":
            assert payload["rows"] == [] and "error" not in payload
        elif kind == "InsightVisual":
            assert payload["narrative"], payload
        else:  # the pie's THIS YEAR filter keeps no 2024 row once 2024 is over: it runs, that is what counts there
            assert "error" not in payload and (payload["rows"] or kind == "PieChartVisual"), (kind, payload)


def test_filters_rolling_dates_this_and_a_sort_by_a_parameterised_field(every):
    assert ask(every, "table")["rows"] == [["Parks", 350.5], ["Roads", 1450.25], ["Water", 1700.0]]  # all of 2024
    bar = ask(every, "bar", parameters={"Growth": 50})  # sorted by `projected`, which binds ${Growth}
    assert [r[0] for r in bar["rows"]] == ["Water", "Roads", "Parks"] and "$p" in bar["sql"].split("ORDER BY")[1]
    pie = ask(every, "pie")  # THIS YEAR relative to now: no 2024 rows unless it is 2024
    assert "error" not in pie, pie


def test_box_plot_waterfall_sankey_gauge_and_histogram_numbers(every):
    box = ask(every, "box")
    assert [f["well"] for f in box["fields"]] == ["category", "min", "q1", "median", "q3", "max"]
    assert box["rows"][0][:2] == ["Parks", 100.0] and box["rows"][0][-1] == 250.5
    assert [r[0] for r in ask(every, "waterfall")["rows"]] == ["Parks", "Roads", "Water"]
    sankey = ask(every, "sankey")
    assert sum(r[2] for r in sankey["rows"]) == pytest.approx(TOTAL_COST)
    assert ask(every, "gauge")["rows"] == [[TOTAL_COST, 40]]
    assert sorted(r[0] for r in ask(every, "histogram")["rows"]) == sorted(float(r[5]) for r in ROWS)


def test_insight_computations_fill_the_narrative(every):
    payload = ask(every, "insight")
    assert payload["narrative"] == ["Total cost: 3,500.75", "• Water (1,700)", "• Roads (1,450.25)", "Growth 10%"]
    assert ask(every, "insight", parameters={"Growth": 25})["narrative"][-1] == "Growth 25%"
