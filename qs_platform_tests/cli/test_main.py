"""The qs-platform command, as a user runs it: environment variables choose the lake."""

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from qs_platform.cli.main import app
from qs_platform.quicksight.dashboards import validate_request
from qs_platform_tests.conftest import CONFIG_DIR, HEADER, SERVICE_REQUESTS_CSV, lineage_config_dir

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake")}
    for name in ("DAGSTER_HOME", "QS_CATALOG_PATH", "QS_QUICKSIGHT_STORE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_validate_ok_and_broken(env, tmp_path, monkeypatch):
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0 and re.search(
        r"OK — 22 sources, \d+ tables, \d+ datasets, \d+ dashboards", result.output
    )
    broken = tmp_path / "broken"
    shutil.copytree(CONFIG_DIR, broken)
    (broken / "sources" / "service_requests.yaml").write_text(
        (CONFIG_DIR / "sources" / "service_requests.yaml").read_text().replace("type: bigint", "type: bigint_")
    )
    monkeypatch.setenv("QS_CONFIG_DIR", str(broken))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "service_requests.yaml: sources.0.columns.0.type" in result.output


def only(monkeypatch, tmp_path, config, *sources: str) -> None:
    """Run the command on the shipped configuration of these sources' systems alone (a smaller graph to sync)."""
    monkeypatch.setenv("QS_CONFIG_DIR", str(lineage_config_dir(tmp_path / "config", config, list(sources))))


def test_sync_in_an_empty_lake_then_export(env, tmp_path, monkeypatch, config):
    only(monkeypatch, tmp_path, config, "service_requests")
    landing = tmp_path / "lake" / "landing" / "service_requests"
    landing.mkdir(parents=True)
    shutil.copy(SERVICE_REQUESTS_CSV, landing)
    (landing / "bad.csv").write_text("id;start\n1;2\n")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert "materialized quicksight/dashboard/service-division: created" in result.output
    assert "quarantined: landing/service_requests/bad.csv: header (line 1): missing required columns" in result.output
    assert (tmp_path / "lake" / "_dagster_home").is_dir(), "a lake of its own gets a Dagster home of its own"

    again = runner.invoke(app, ["sync"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "everything is accounted for" in status.output, status.output
    assert (
        "service_requests: 2 landed = 1 loaded + 0 archives + 1 quarantined; rows 19325 = 19324 loaded + 1 rejected"
        in status.output
    )
    (landing / "late.csv").write_text((landing / SERVICE_REQUESTS_CSV.name).read_text())
    pending = runner.invoke(app, ["status"])
    assert pending.exit_code == 1 and "1 PENDING (oldest landing/service_requests/late.csv" in pending.output

    listed = runner.invoke(app, ["dashboards", "list"])
    assert "service-division\tService requests by division\tversion 1" in listed.output.splitlines()
    exported = runner.invoke(app, ["dashboards", "export", "service-division"])
    definition = json.loads(exported.output)
    validate_request(
        "CreateDashboard",
        {"AwsAccountId": "111122223333", "DashboardId": "service-division", "Name": "x", "Definition": definition},
    )

    missing = runner.invoke(app, ["dashboards", "export", "nope"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_sync_exits_non_zero_when_a_run_fails(env, tmp_path, monkeypatch, config):
    config = lineage_config_dir(tmp_path / "config", config, ["service_requests"])
    (config / "explodes.yaml").write_text(
        "tables:\n  - name: explodes\n    sql: select error('boom') as x from processed.division_kpis\n"
    )
    monkeypatch.setenv("QS_CONFIG_DIR", str(config))
    landing = tmp_path / "lake" / "landing" / "service_requests"
    landing.mkdir(parents=True)
    (landing / "a.csv").write_text(HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 1
    assert "FAILED" in result.output and "boom" in result.output


def test_seed_copies_examples_once(env, tmp_path):
    first = runner.invoke(app, ["seed"])
    assert (
        first.exit_code == 0 and "5 example files copied" in first.output and "generated files landed" in first.output
    )
    assert (
        tmp_path / "lake" / "landing" / "service_requests" / "division_data_24-12-23.csv"
    ).stat().st_size == SERVICE_REQUESTS_CSV.stat().st_size
    second = runner.invoke(app, ["seed"])
    assert "seeded before" in second.output


def test_rebuild_recomputes_every_partition_then_what_is_downstream(env, tmp_path, monkeypatch, config):
    import datetime as dt

    only(monkeypatch, tmp_path, config, "sales")
    from qs_platform.examples.generators import generate_sales

    generate_sales(
        tmp_path / "lake" / "landing",
        stores=["DEL-A"],
        days=[dt.date(2024, 3, 1), dt.date(2024, 3, 2)],
        rows_per_file=10,
        seed=3,
    )
    assert runner.invoke(app, ["sync"]).exit_code == 0
    partitions = sorted(p.name for p in (tmp_path / "lake" / "processed" / "sales_daily").glob("transaction_date=*"))
    assert partitions[-2:] == ["transaction_date=2024-03-01", "transaction_date=2024-03-02"]

    result = runner.invoke(app, ["rebuild", "sales_daily"])

    assert result.exit_code == 0, result.output
    assert re.search(
        rf"materialized processed/sales_daily: \d+ rows, {len(partitions)} of {len(partitions)} partitions rewritten "
        r"\(full rebuild requested\)",
        result.output,
    )
    assert "materialized catalog/processed/sales_daily" in result.output, "downstream follows the rebuilt table"
    unknown = runner.invoke(app, ["rebuild", "no_such_table"])
    assert unknown.exit_code == 2 and "not a processed table: no_such_table" in unknown.output


def test_validate_refuses_an_athena_table_whose_sql_athena_would_misread(env, tmp_path, monkeypatch):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / "tables" / "on_athena.yaml").write_text(
        "tables:\n  - name: on_athena\n    engine: athena\n    sql: select division, count(*) as n from processed.service_requests group by all\n"
    )
    monkeypatch.setenv("QS_CONFIG_DIR", str(folder))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert re.search(r"engine athena: .*on_athena.*GROUP BY ALL", result.output, re.I), result.output
