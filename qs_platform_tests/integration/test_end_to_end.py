"""The whole path on the local default: the real CSV lands, `sync` runs, numbers are checked independently."""

import csv
import datetime as dt
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config
from qs_platform.local.quicksight import LocalQuickSightBackend, local_quicksight_client
from qs_platform.project import build_definitions
from qs_platform.quicksight.dashboards import validate_request
from qs_platform_tests.conftest import HEADER, SERVICE_REQUESTS_CSV, land


def expected_division_kpis(paths) -> dict[str, tuple]:
    """Computed from the CSV text alone (csv, re, numpy), newest delivery of an id winning."""
    by_id = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                by_id[row["id"]] = row
    groups = defaultdict(list)
    for row in by_id.values():
        start = dt.datetime.strptime(row["start_date"], "%m/%d/%Y").date()
        end = dt.datetime.strptime(row["end_date"], "%m/%d/%Y").date()
        division = re.sub(r"\band\b", "&", row["service_division_owner"].strip())
        groups[division].append((int(np.busday_count(start, end)), int(row["estimated_cost"])))
    result = {}
    for division, items in groups.items():
        avg_days = sum(d for d, _ in items) / len(items)
        total = sum(c for _, c in items)
        result[division] = (len(items), avg_days, total, total / avg_days)
    return result


def catalog_rows(settings, sql):
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def service_requests_only(config):
    """The shipped service-requests system alone: what these tests land feeds nothing else."""
    return lineage_config(config, ["service_requests"])


@pytest.fixture
def platform(settings, config, instance, lake):
    defs = build_definitions(settings, service_requests_only(config))
    return lambda: Syncer(defs, instance).sync()


def test_seed_csv_flows_to_the_dashboard(settings, lake, platform, instance, config, tmp_path):
    land(lake, "landing/service_requests/division_data_24-12-23.csv", SERVICE_REQUESTS_CSV.read_bytes())
    land(lake, "landing/service_requests/broken.csv", HEADER + '1,1/2/2000,1/3/2000,"Toronto Water,PASS,3,1,\n')

    report = platform()

    assert report.ok, report.failed_runs
    assert [q.split(":")[0] for q in report.quarantined] == ["landing/service_requests/broken.csv"]
    assert "unterminated quote" in report.quarantined[0]
    done = {m.asset for m in report.materialized}
    assert done >= {
        "raw/service_requests",
        "processed/service_requests",
        "processed/division_kpis",
        "catalog/raw/service_requests",
        "catalog/processed/service_requests",
        "catalog/processed/division_kpis",
        "quicksight/data_source/lake",
        "quicksight/dataset/service_requests",
        "quicksight/dataset/division_kpis",
        "quicksight/dashboard/service-division",
    }

    # the Columns table of the UI says what the YAML says: a processed table's `columns:`, a source's column descriptions
    for key, declared in [
        (["processed", "division_kpis"], config.table("division_kpis").columns),
        (["catalog", "processed", "division_kpis"], config.table("division_kpis").columns),
        (
            ["catalog", "raw", "service_requests"],
            {c.column_name: c.description for c in config.source("service_requests").columns},
        ),
    ]:
        schema = instance.get_latest_materialization_event(dg.AssetKey(key)).asset_materialization.metadata[
            "dagster/column_schema"
        ]
        shown = {c.name: c.description for c in schema.schema.columns if c.description}
        assert declared and shown == {k: v for k, v in declared.items() if v}, key

    # processed.division_kpis equals an independent computation over the CSV
    expected = expected_division_kpis([SERVICE_REQUESTS_CSV])
    assert len(expected) == 5
    got = {r[0]: r[1:] for r in catalog_rows(settings, "select * from processed.division_kpis")}
    assert set(got) == set(expected)
    for division, (requests, avg_days, total, per_day) in expected.items():
        assert got[division][0] == requests
        assert got[division][1] == pytest.approx(avg_days, rel=1e-12)
        assert got[division][2] == total
        assert got[division][3] == pytest.approx(per_day, rel=1e-12)
    assert "Municipal Licensing & Standards" in got and not any("St&ards" in d for d in got)

    # every layer is a view in the catalog, for anyone with duckdb
    assert catalog_rows(settings, "select count(*) from raw.service_requests") == [(19324,)]
    assert catalog_rows(settings, "select count(*), count(distinct id) from processed.service_requests") == [
        (19324, 19324)
    ]
    assert catalog_rows(
        settings, "select count(*) from information_schema.tables where table_schema = 'quarantine'"
    ) == [(0,)]
    cli = Path(sys.executable).parent / "duckdb"
    if cli.exists():  # the duckdb CLI installed with the project reads the catalog file too
        out = subprocess.run(
            [str(cli), str(settings.catalog_path), "-csv", "-c", "select count(*) from processed.division_kpis"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.split() == ["count_star()", "5"]

    # the dashboard is stored through boto3 and its Definition passes botocore's validation for CreateDashboard
    client = local_quicksight_client(settings.quicksight_store, account_id=settings.aws_account_id)
    described = client.describe_dashboard_definition(
        AwsAccountId=settings.aws_account_id, DashboardId="service-division"
    )
    definition = described["Definition"]
    validate_request(
        "CreateDashboard",
        {
            "AwsAccountId": settings.aws_account_id,
            "DashboardId": "service-division",
            "Name": "x",
            "Definition": definition,
        },
    )
    visuals = [next(iter(v)) for v in definition["Sheets"][0]["Visuals"]]
    assert visuals.count("KPIVisual") >= 4 and {
        "BarChartVisual",
        "LineChartVisual",
        "PieChartVisual",
        "TableVisual",
    } <= set(visuals)
    assert definition["Sheets"][0]["ParameterControls"][0]["Slider"]["SourceParameterName"] == "CostGrowthPct"
    published = client.describe_dashboard(AwsAccountId=settings.aws_account_id, DashboardId="service-division")[
        "Dashboard"
    ]
    assert published["Version"]["Status"] == "CREATION_SUCCESSFUL" and published["Version"]["VersionNumber"] == 1


def test_rerun_is_idempotent_and_new_files_update_everything(settings, lake, platform):
    land(lake, "landing/service_requests/division_data_24-12-23.csv", SERVICE_REQUESTS_CSV.read_bytes())
    assert platform().ok
    backend = LocalQuickSightBackend(settings.quicksight_store, account_id=settings.aws_account_id)
    backend.reset_call_log()

    again = platform()
    assert again.materialized == [] and again.ok
    assert [c for c in backend.call_log() if c["mutating"]] == [], (
        "nothing changed, so nothing is written to QuickSight"
    )

    # the same file delivered again under the same key with identical content: nothing runs
    land(lake, "landing/service_requests/division_data_24-12-23.csv", SERVICE_REQUESTS_CSV.read_bytes())
    assert platform().materialized == []

    # a new delivery: two new requests and a correction of an existing one
    extra = (
        HEADER
        + "900001,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n900002,1/3/2000,1/4/2000,Toronto Water,FAIL,4,500,\n"
    )
    land(lake, "landing/service_requests/day2.csv", extra)
    report = platform()
    assert report.ok
    assert catalog_rows(settings, "select requests from processed.division_kpis where division = 'Toronto Water'") == [
        (3567 + 2,)
    ]
    mutating = {c["operation"] for c in backend.call_log() if c["mutating"]}
    assert "UpdateDashboard" not in mutating and "CreateDashboard" not in mutating, "the dashboard spec did not change"


def test_a_failing_transform_fails_sync_but_not_the_other_files(settings, lake, instance, config, tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(settings.config_dir, folder)
    (folder / "tables" / "explodes.yaml").write_text(
        "tables:\n  - name: explodes\n    sql: select error('boom, this table cannot be computed') as x from processed.division_kpis\n"
    )
    from qs_platform.config.loader import load_config

    defs = build_definitions(settings, service_requests_only(load_config(folder)))
    land(lake, "landing/service_requests/a.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
    report = Syncer(defs, instance).sync()
    assert not report.ok
    assert any("boom, this table cannot be computed" in line for line in report.failed_runs)
    assert catalog_rows(settings, "select count(*) from processed.division_kpis") == [(1,)]


def test_editing_a_dashboard_spec_redeploys_only_the_dashboard(settings, lake, instance, config, tmp_path):
    land(lake, "landing/service_requests/a.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
    assert Syncer(build_definitions(settings, service_requests_only(config)), instance).sync().ok
    folder = tmp_path / "config"
    shutil.copytree(settings.config_dir, folder)
    spec = folder / "quicksight" / "service_division.yaml"
    spec.write_text(spec.read_text().replace("name: Service requests by division", "name: Renamed dashboard"))
    from qs_platform.config.loader import load_config

    report = Syncer(build_definitions(settings, service_requests_only(load_config(folder))), instance).sync()
    assert [(m.asset, m.metadata["action"]) for m in report.materialized] == [
        ("quicksight/dashboard/service-division", "updated")
    ]
    client = local_quicksight_client(settings.quicksight_store, account_id=settings.aws_account_id)
    described = client.describe_dashboard(AwsAccountId=settings.aws_account_id, DashboardId="service-division")[
        "Dashboard"
    ]
    assert described["Name"] == "Renamed dashboard" and described["Version"]["VersionNumber"] == 2


def test_the_same_content_under_two_keys_counts_once(settings, lake, platform):
    delivery = (
        HEADER
        + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n2,1/3/2000,1/4/2000,Solid Waste Management,FAIL,4,500,\n"
    )
    land(lake, "landing/service_requests/monday.csv", delivery)
    land(lake, "landing/service_requests/monday-resent.csv", delivery)
    report = platform()
    assert report.ok
    [catalog_raw] = [m for m in report.materialized if m.asset == "catalog/raw/service_requests"]
    # key order decides which copy counts ("-" sorts before ".")
    assert catalog_raw.metadata["duplicate_files_ignored"] == {
        "landing/service_requests/monday.csv": "landing/service_requests/monday-resent.csv"
    }
    assert catalog_rows(settings, "select count(*) from raw.service_requests") == [(2,)]
    assert catalog_rows(settings, "select sum(total_estimated_cost) from processed.division_kpis") == [(1500,)]
    # the first copy is re-uploaded with other content: the resent copy now counts, the new content too
    land(lake, "landing/service_requests/monday.csv", HEADER + "3,1/3/2000,1/10/2000,Toronto Water,PASS,3,7,\n")
    assert platform().ok
    assert catalog_rows(settings, "select sum(total_estimated_cost) from processed.division_kpis") == [(1507,)]


def test_a_zip_archive_lands_its_members(settings, lake, platform, tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("day1.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
        archive.writestr("more/day2.csv", HEADER + "2,1/3/2000,1/4/2000,Toronto Water,FAIL,4,500,\n")
        archive.writestr("readme.txt", "not data")
        archive.writestr("../escape.csv", "nope")
    land(lake, "landing/service_requests/batch-7.zip", buffer.getvalue())
    land(lake, "landing/service_requests/rejects.csv", HEADER + "9,1/3/2000,1/10/2000,Toronto Water,MAYBE,3,1000,\n")
    report = platform()
    assert report.ok
    assert catalog_rows(settings, "select id, _rules from quarantine.service_requests") == [("9", ["known_result"])]
    [zip_run] = [m for m in report.materialized if "archive_members" in m.metadata]
    members = zip_run.metadata["archive_members"]["landing/service_requests/batch-7.zip"]
    assert members == ["landing/service_requests/batch-7/day1.csv", "landing/service_requests/batch-7/more/day2.csv"]
    assert set(zip_run.metadata["refused_members"]["landing/service_requests/batch-7.zip"]) == {
        "readme.txt",
        "../escape.csv",
    }
    assert any(q.startswith("landing/service_requests/batch-7.zip") for q in report.quarantined), (
        "refused members are reported"
    )
    raw_sources = catalog_rows(settings, "select distinct _source_key from raw.service_requests order by 1")
    assert raw_sources == [
        ("landing/service_requests/batch-7/day1.csv",),
        ("landing/service_requests/batch-7/more/day2.csv",),
    ]
    assert lake.exists("quarantine/service_requests/files/batch-7.zip.refused.json")
    assert platform().materialized == [], "expanding again writes nothing new"


def test_a_blocking_check_keeps_a_wrong_table_out_of_the_dashboards(settings, lake, platform, instance):
    import dagster as dg

    land(lake, "landing/service_requests/a.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
    assert platform().ok
    backend = LocalQuickSightBackend(settings.quicksight_store, account_id=settings.aws_account_id)
    backend.reset_call_log()

    land(lake, "landing/service_requests/b.csv", HEADER + "2,1/3/2000,1/10/2000,Toronto Water,PASS,3,5000000000,\n")
    report = platform()
    assert not report.ok, "a blocked table fails the run: sync exits non-zero"
    assert report.failed_checks == ["processed/service_requests costs_plausible (blocking): 1 violating rows"]
    processed = next(m for m in report.materialized if m.asset == "processed/service_requests")
    assert processed.metadata["published"] is False
    assert catalog_rows(settings, "select sum(total_estimated_cost) from processed.division_kpis") == [(1000,)], (
        "old data stays"
    )
    assert not {"processed/division_kpis", "quicksight/dataset/service_requests"} & {
        m.asset for m in report.materialized
    }
    assert [c["operation"] for c in backend.call_log() if c["mutating"]] == [], (
        "no dataset refresh, no dashboard change"
    )
    check = dg.AssetCheckKey(dg.AssetKey(["processed", "service_requests"]), "costs_plausible")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check])[check]
    assert record.event.dagster_event.event_specific_data.passed is False

    land(
        lake, "landing/service_requests/b.csv", HEADER + "2,1/3/2000,1/10/2000,Toronto Water,PASS,3,5000,\n"
    )  # corrected
    assert platform().ok
    assert catalog_rows(settings, "select sum(total_estimated_cost) from processed.division_kpis") == [(6000,)]
