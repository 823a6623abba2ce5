"""The viewer's newer visuals (pivot, combo, scatter, heat map, maps), filter controls, every filter type, the
thumbnail, and the shared exported logistics Definition through the local QuickSight backend.

The "gallery" Definition is written by hand in botocore's shapes (validated below); the catalog reuses the
8 service requests of the conftest's ROWS plus a small `processed.sites` table with coordinates.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import boto3
import pytest
from botocore.validate import ParamValidator

from qs_platform_tests.local.viewer.conftest import (
    ACCOUNT,
    GALLERY_ID,
    LOGISTICS_ID,
    MISSING_COLUMN,
    REGION,
    ROWS,
    SITES,
    TOTAL_COST,
    FakeQuickSight,
    build_gallery_catalog,
    catalog_quicksight,
    datasets,
    gallery_client,
    gallery_datasets,
    gallery_definition,
    kpi,
    load_logistics,
    measure,
    start_viewer,
)

# ---- catalog and datasets ---------------------------------------------------------------------------------


# ---- the gallery Definition -------------------------------------------------------------------------------


@pytest.fixture
def gallery(tmp_path):
    server, running = start_viewer(build_gallery_catalog(tmp_path / "catalog.duckdb"), gallery_client())
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def visual(viewer, visual_id: str, **body) -> dict:
    status, payload = viewer.request("POST", f"/api/dashboards/{GALLERY_ID}/visuals/{visual_id}", body)
    assert status == 200, payload
    return payload


def by_well(payload: dict) -> list[str]:
    return [f["well"] for f in payload["fields"]]


# ---- shapes -----------------------------------------------------------------------------------------------


def test_gallery_definition_validates_against_botocore():
    model = boto3.client("quicksight", region_name=REGION).meta.service_model
    report = ParamValidator().validate(
        {
            "AwsAccountId": ACCOUNT,
            "DashboardId": GALLERY_ID,
            "Name": "Visual gallery",
            "Definition": gallery_definition(),
        },
        model.operation_model("CreateDashboard").input_shape,
    )
    assert not report.has_errors(), report.generate_report()
    sites = gallery_datasets()["sites"]
    request = {k: sites[k] for k in ("DataSetId", "Name", "PhysicalTableMap", "LogicalTableMap", "ImportMode")}
    report = ParamValidator().validate(
        {"AwsAccountId": ACCOUNT, **request}, model.operation_model("CreateDataSet").input_shape
    )
    assert not report.has_errors(), report.generate_report()


# ---- new visual types -------------------------------------------------------------------------------------


def test_pivot_table_groups_rows_and_columns(gallery):
    payload = visual(gallery, "pivot")
    assert by_well(payload) == ["row", "column", "value", "value"]
    cells = {(r[0], r[1]): (r[2], r[3]) for r in payload["rows"]}
    assert cells[("Water", "FAIL")] == (1200.0, 1) and cells[("Roads", "PASS")] == (1400.0, 2)
    assert sum(c for c, _ in cells.values()) == pytest.approx(TOTAL_COST)
    summary = gallery.get(f"/api/dashboards/{GALLERY_ID}")[1]
    pivot = next(v for v in summary["sheets"][0]["visuals"] if v["visual_id"] == "pivot")
    assert pivot["options"] == {"row_totals": True, "column_totals": True} and pivot["supported"]


def test_combo_chart_has_bar_and_line_measures(gallery):
    payload = visual(gallery, "combo")
    assert by_well(payload) == ["category", "bar", "line"]
    assert payload["rows"] == [["2024-01-01", 1550.5, 3], ["2024-02-01", 1400.0, 2], ["2024-03-01", 550.25, 3]]


def test_scatter_plot_aggregates_per_category(gallery):
    payload = visual(gallery, "scatter")
    assert by_well(payload) == ["category", "x", "y", "size"]
    assert sorted(payload["rows"]) == [
        ["Parks", 2, 350.5, 3.0],
        ["Roads", 3, 1450.25, pytest.approx(17 / 3)],
        ["Water", 3, 1700.0, pytest.approx(17 / 3)],
    ]


def test_kpi_with_target_and_trend_groups(gallery):
    payload = visual(gallery, "kpi-trend", sheet_id="more")
    assert by_well(payload) == ["trend", "value", "target"]
    assert payload["rows"] == [
        ["2024-01-01", 1550.5, 1200.0],
        ["2024-02-01", 1400.0, 1000.0],
        ["2024-03-01", 550.25, 300.0],
    ]


def test_row_level_scatter_plot(gallery):
    payload = visual(gallery, "scatter-rows", sheet_id="more")
    assert by_well(payload) == ["x", "y", "category"]
    assert sorted(payload["rows"]) == sorted(
        [[days, float(cost), division] for _, division, _, _, _, cost, days in ROWS]
    )


def test_heat_map_cells(gallery):
    payload = visual(gallery, "heat")
    assert by_well(payload) == ["row", "column", "value"]
    assert {(r[0], r[1]): r[2] for r in payload["rows"]} == {
        ("Parks", 1): 2,
        ("Roads", 2): 2,
        ("Roads", 3): 1,
        ("Water", 1): 1,
        ("Water", 3): 2,
    }


def test_geospatial_map_points_and_filled_map_regions(gallery):
    points = visual(gallery, "geo")
    assert by_well(points) == ["geo", "geo", "color", "value"]
    assert [(f["column"], f["geographic_role"]) for f in points["fields"][:2]] == [
        ("latitude", "LATITUDE"),
        ("longitude", "LONGITUDE"),
    ]
    assert sorted((r[0], r[1]) for r in points["rows"]) == sorted((s[2], s[3]) for s in SITES)
    regions = visual(gallery, "filled")
    assert regions["rows"] == [["South", 260], ["North", 200], ["Central", 150]]  # largest first


def test_unsupported_visual_is_a_readable_error_and_inline_for_the_page(gallery):
    status, payload = gallery.request("POST", f"/api/dashboards/{GALLERY_ID}/visuals/cloud", {})
    assert status == 422 and payload["error"].startswith("unsupported visual: PluginVisual")
    inline = visual(gallery, "cloud", inline_errors=True)
    assert inline["error"].startswith("unsupported visual: PluginVisual") and inline["error_status"] == 422
    summary = gallery.get(f"/api/dashboards/{GALLERY_ID}")[1]
    assert [v["visual_id"] for v in summary["sheets"][0]["visuals"] if not v["supported"]] == ["cloud"]


def test_a_column_missing_from_the_dataset_is_named(tmp_path):
    body = gallery_definition()
    body["Sheets"][0]["Visuals"].append(kpi("kpi-missing", "Missing", measure("m-x", "no_such_column", "SUM")))
    server, running = start_viewer(
        build_gallery_catalog(tmp_path / "c.duckdb"), FakeQuickSight({GALLERY_ID: ("g", body)}, gallery_datasets())
    )
    try:
        payload = visual(running, "kpi-missing", inline_errors=True)
        assert (
            "column 'no_such_column' is neither in dataset 'service_requests' nor a calculated field"
            in payload["error"]
        )
    finally:
        server.shutdown()
        server.server_close()


# ---- parameters and filter controls -----------------------------------------------------------------------


def kpi_value(viewer, visual_id: str, **body) -> float:
    return visual(viewer, visual_id, **body)["rows"][0][0]


def test_sheet_summary_lists_filter_controls_and_resolves_cross_sheet_ones(gallery):
    sheet = gallery.get(f"/api/dashboards/{GALLERY_ID}")[1]["sheets"][0]
    controls = {c["control_id"]: c for c in sheet["filter_controls"]}
    assert (
        controls["division-filter"]["kind"],
        controls["division-filter"]["linked"],
        controls["division-filter"]["multi"],
    ) == ("Dropdown", True, True)
    assert (controls["cost-filter"]["kind"], controls["cost-filter"]["range"], controls["cost-filter"]["default"]) == (
        "Slider",
        True,
        [0.0, 1500.0],
    )
    assert controls["dates-filter"]["default"][0].startswith("2024-01-01")
    assert (
        controls["result-filter"]["kind"],
        controls["result-filter"]["title"],
        controls["result-filter"]["values"],
    ) == ("Dropdown", "Result", ["PASS", "FAIL"])
    assert [c["kind"] for c in sheet["controls"]] == ["Slider", "DateTimePicker", "TextField"]


def test_filter_control_values_come_from_the_filter_column_or_the_static_list(gallery):
    assert gallery.get(f"/api/dashboards/{GALLERY_ID}/controls/division-filter/values")[1]["values"] == [
        "Parks",
        "Roads",
        "Water",
    ]
    assert gallery.get(f"/api/dashboards/{GALLERY_ID}/controls/result-filter/values")[1]["values"] == ["PASS", "FAIL"]
    assert gallery.get(f"/api/dashboards/{GALLERY_ID}/controls/nope/values")[0] == 404


def test_filter_control_values_replace_the_filters_values(gallery):
    assert kpi_value(gallery, "kpi-filtered") == 8
    assert kpi_value(gallery, "kpi-filtered", filters={"f-division": ["Roads", "Water"]}) == 6
    assert kpi_value(gallery, "kpi-filtered", filters={"f-division": []}) == 8  # nothing chosen: every value
    assert (
        kpi_value(gallery, "kpi-filtered", filters={"f-division": ["Park"]}) == 0
    )  # a list means membership, not substring
    assert kpi_value(gallery, "kpi-filtered", filters={"f-cost": [200, 1000]}) == 5
    assert kpi_value(gallery, "kpi-filtered", filters={"f-dates": ["2024-02-01", "2024-02-29"]}) == 2
    assert kpi_value(gallery, "kpi-filtered", filters={"f-result": ["FAIL"]}) == 3  # cross-sheet control, all sheets
    assert kpi_value(gallery, "kpi-projected", filters={"f-result": ["FAIL"]}) == pytest.approx(1500.75)
    # the division filter is scoped to kpi-filtered and pivot only
    assert kpi_value(gallery, "kpi-projected", filters={"f-division": ["Parks"]}) == pytest.approx(TOTAL_COST)
    pivot = visual(gallery, "pivot", filters={"f-division": ["Parks"]})
    assert {r[0] for r in pivot["rows"]} == {"Parks"}
    status, payload = gallery.request(
        "POST", f"/api/dashboards/{GALLERY_ID}/visuals/kpi-filtered", {"filters": {"f-cost": "cheap"}}
    )
    assert status == 422 and "needs [min, max]" in payload["error"]


def test_parameter_controls_slider_date_picker_and_text_field(gallery):
    assert kpi_value(gallery, "kpi-projected", parameters={"CostGrowthPct": 10}) == pytest.approx(TOTAL_COST * 1.1)
    assert kpi_value(gallery, "kpi-filtered", parameters={"Since": "2024-03-01"}) == 3
    assert kpi_value(gallery, "kpi-filtered", parameters={"Search": "ark"}) == 2


def test_top_bottom_relative_dates_and_nested_filters(gallery):
    top = visual(gallery, "top-divisions", sheet_id="more")
    assert sorted(r[0] for r in top["rows"]) == ["Roads", "Water"]
    assert kpi_value(gallery, "kpi-relative", sheet_id="more") == 2  # February 2024, the month before 2024-03-15
    assert kpi_value(gallery, "kpi-relative", sheet_id="more", parameters={"Anchor": "2024-02-10"}) == 3  # January
    assert kpi_value(gallery, "kpi-nested", sheet_id="more") == 3  # ward 1: requests 1, 2 (Parks) and 8 (Water)
    status, payload = gallery.request(
        "POST", f"/api/dashboards/{GALLERY_ID}/visuals/kpi-nested", {"sheet_id": "more", "filters": {"f-nested": 1}}
    )
    assert status == 422 and payload["error"] == "a filter control cannot set a NestedFilter"


# ---- thumbnail --------------------------------------------------------------------------------------------


def test_thumbnail_is_a_small_svg_of_the_first_sheet(gallery):
    request = gallery.url + f"/dashboards/{GALLERY_ID}/thumbnail.svg"
    import urllib.request

    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/svg+xml"
        svg = response.read().decode()
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and int(root.get("width")) == 480
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Cost by division and result" in texts and "123" in texts and "unsupported" in texts
    assert len(svg) < 40_000
    assert gallery.get("/dashboards/missing/thumbnail.svg")[0] == 404
    assert (
        f'<img class="thumb" src="/dashboards/{GALLERY_ID}/thumbnail.svg"' in gallery.get("/")[1]
    )  # the index shows them


# ---- the shared exported logistics Definition -------------------------------------------------------------


@pytest.fixture
def logistics(tmp_path):
    catalog, client, definition = load_logistics(tmp_path)
    server, running = start_viewer(catalog, client)
    try:
        yield running, definition
    finally:
        server.shutdown()
        server.server_close()


def test_the_exported_logistics_definition_renders_visual_by_visual(logistics):
    viewer, definition = logistics
    summary = viewer.get(f"/api/dashboards/{LOGISTICS_ID}")[1]
    kinds = {v["type"] for s in summary["sheets"] for v in s["visuals"]}
    assert kinds == {"TableVisual", "PivotTableVisual", "ComboChartVisual", "BarChartVisual", "KPIVisual"}
    assert all(v["supported"] for s in summary["sheets"] for v in s["visuals"])
    rendered, errors = 0, {}
    for sheet in summary["sheets"]:
        for v in sheet["visuals"]:
            status, payload = viewer.request(
                "POST",
                f"/api/dashboards/{LOGISTICS_ID}/visuals/{v['visual_id']}",
                {"sheet_id": sheet["sheet_id"], "inline_errors": True},
            )
            assert status == 200, payload
            if "error" in payload:
                errors[v["visual_id"]] = payload["error"]
            else:
                rendered += 1
    total = sum(len(s["visuals"]) for s in summary["sheets"])
    # only the visuals that need the column left out of the catalog fail, and they name it
    assert errors and all(MISSING_COLUMN[1] in message for message in errors.values()), errors
    needing_it = {
        visual_id
        for visual_id, wrapper in (
            (next(iter(w.values()))["VisualId"], w) for s in definition["Sheets"] for w in s["Visuals"]
        )
        if f'"ColumnName": "{MISSING_COLUMN[1]}"' in json.dumps(wrapper)
    }
    assert set(errors) == needing_it and rendered == total - len(needing_it) > 50
    slider = summary["sheets"][1]["controls"][0]
    assert (slider["kind"], slider["parameter"]) == ("Slider", "startDay")
    cross_sheet = [c for s in summary["sheets"] for c in s["filter_controls"]]
    assert {c["kind"] for c in cross_sheet} == {"Dropdown"} and len(cross_sheet) == 2


def test_the_logistics_thumbnail(logistics):
    viewer, _ = logistics
    status, svg = viewer.get(f"/dashboards/{LOGISTICS_ID}/thumbnail.svg")
    assert status == 200 and svg.count("<rect") > 8 and "Summary" in svg


# ---- the dashboard asset links to the viewer and shows the thumbnail ---------------------------------------


def test_dashboard_asset_metadata_links_the_viewer_and_its_thumbnail(tmp_path, instance):
    import dagster as dg

    from qs_platform.config.models import Dashboard
    from qs_platform.orchestration.quicksight import build_dashboard_asset
    from qs_platform.orchestration.resources import QuickSightResource

    store = tmp_path / "quicksight.sqlite"
    client = catalog_quicksight(store)
    kpis = datasets()["division_kpis"]
    client.create_data_set(
        AwsAccountId=ACCOUNT,
        DataSetId="division_kpis",
        Name="Division KPIs",
        ImportMode="DIRECT_QUERY",
        PhysicalTableMap=kpis["PhysicalTableMap"],
    )
    dashboard = Dashboard.model_validate(
        {
            "id": "mini",
            "name": "Mini",
            "datasets": ["division_kpis"],
            "sheets": [
                {
                    "id": "main",
                    "title": "Main",
                    "visuals": [
                        {
                            "id": "kpi-requests",
                            "type": "kpi",
                            "title": "Requests",
                            "dataset": "division_kpis",
                            "values": [{"column": "requests"}],
                        },
                    ],
                }
            ],
        }
    )
    viewer_url = "http://127.0.0.1:8050"
    quicksight = QuickSightResource(account_id=ACCOUNT, region=REGION, local_store=str(store), viewer_url=viewer_url)
    result = dg.materialize(
        [build_dashboard_asset(dashboard, None)], resources={"quicksight": quicksight}, instance=instance
    )
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["viewer"].value == f"{viewer_url}/dashboards/mini"
    assert (
        metadata["thumbnail"].value
        == f"[![Mini]({viewer_url}/dashboards/mini/thumbnail.svg)]({viewer_url}/dashboards/mini)"
    )
