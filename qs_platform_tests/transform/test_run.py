"""Processed layer: the shipped SQL against independent computations, on small crafted inputs."""

import datetime as dt
import random

import duckdb
import numpy as np
import pytest
from dagster_aws.s3 import S3Resource

from qs_platform.sql.dependencies import SqlError, sql_dependencies
from qs_platform.transform.run import run_transform
from qs_platform_tests.conftest import HEADER, ingest, land


def test_business_days_match_numpy_busday_count(config):
    sql = config.table("service_requests").sql
    rng = random.Random(7)
    pairs = []
    for _ in range(3000):
        start = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000))
        pairs.append((start, start + dt.timedelta(days=rng.randrange(-30, 400))))
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.service_requests (id bigint, start_date date, end_date date, service_division_owner varchar, "
        "service_result varchar, ward_id bigint, estimated_cost decimal(18,2), notes varchar, _source_key varchar, "
        "_ingested_at timestamp, _line_number bigint)"
    )
    con.executemany(
        "insert into raw.service_requests values (?, ?, ?, 'X', 'PASS', 1, 1, null, 'k', now()::timestamp, 1)",
        [(i, s, e) for i, (s, e) in enumerate(pairs)],
    )
    got = dict(con.execute(f"select id, business_days_to_completion from ({sql})").fetchall())
    expected = np.busday_count([s for s, _ in pairs], [e for _, e in pairs])
    assert [got[i] for i in range(len(pairs))] == expected.tolist()


def test_division_names_normalised_on_whole_words(lake, config):
    rows = [
        "1,1/3/2000,1/10/2000,Parks, Forestry and Recreation,PASS,1,10,",
        "2,1/3/2000,1/10/2000,Municipal Licensing and Standards,PASS,1,10,",
        "3,1/3/2000,1/10/2000,Municipal Licensing & Standards,FAIL,1,10,",
    ]
    # the division contains a comma, so it must be quoted in CSV
    text = (
        HEADER
        + "\n".join(r.replace("Parks, Forestry and Recreation", '"Parks, Forestry and Recreation"') for r in rows)
        + "\n"
    )
    land(lake, "landing/service_requests/a.csv", text)
    ingest(lake, config.source("service_requests"), "landing/service_requests/a.csv")
    run_transform(lake, config, config.table("service_requests"))
    result = run_transform(lake, config, config.table("division_kpis"))
    assert sorted(r[0] for r in duckdb.sql(f"select division from '{lake.uri(result.key)}'").fetchall()) == [
        "Municipal Licensing & Standards",
        "Parks, Forestry & Recreation",
    ]


def test_the_newest_delivery_of_a_request_wins(lake, config):
    source = config.source("service_requests")
    land(lake, "landing/service_requests/day1.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,FAIL,1,10,\n")
    ingest(lake, source, "landing/service_requests/day1.csv", ingested_at=dt.datetime(2024, 1, 1))
    land(lake, "landing/service_requests/day2.csv", HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,1,10,\n")
    ingest(lake, source, "landing/service_requests/day2.csv", ingested_at=dt.datetime(2024, 1, 2))
    result = run_transform(lake, config, config.table("service_requests"))
    assert duckdb.sql(f"select id, service_result from '{lake.uri(result.key)}'").fetchall() == [(1, "PASS")]


def test_a_source_without_files_gives_an_empty_typed_table(lake, config):
    result = run_transform(lake, config, config.table("service_requests"))
    assert result.row_count == 0 and ("business_days_to_completion", "BIGINT") in result.columns


def test_dependencies_come_from_the_sql():
    sql = "with x as (select * from raw.a) select * from x join processed.b using (id) join raw.a using (id)"
    assert sql_dependencies(sql) == ["processed.b", "raw.a"]
    with pytest.raises(SqlError):
        sql_dependencies("select from (")


def test_an_athena_table_runs_on_duckdb_under_the_local_profile(lake, config):
    from types import SimpleNamespace

    from qs_platform.orchestration.processed import execute
    from qs_platform.orchestration.resources import LakeResource, LocalCatalogResource

    table = config.table("sales_daily").model_copy(update={"engine": "athena"})
    messages = []
    log = SimpleNamespace(info=messages.append)
    result = execute(
        table,
        config,
        LakeResource(url=str(lake.root), s3=S3Resource()),
        LocalCatalogResource(path=str(lake.root / "c.duckdb")),
        False,
        log,
    )
    assert result.published and result.partitions.mode == "full"
    assert messages == ["processed.sales_daily: engine athena runs on DuckDB under the local profile"]
