"""engine: athena — the Athena SQL generated for every shipped table, and a run against moto (S3, Glue, Athena)."""

import re
import uuid

import boto3
import duckdb
import pytest
import requests
import sqlglot
from sqlglot import exp

from qs_platform.catalog.athena import Athena
from qs_platform.catalog.glue import GlueCatalog, GlueTarget
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.config.settings import AwsSettings
from qs_platform.lake import S3Lake
from qs_platform.transform.athena import (
    MAX_PARTITIONS_PER_STATEMENT,
    PARTITION_COLUMN,
    NotPortable,
    Staging,
    portability_problems,
    run_athena_transform,
    statements,
    translate,
    unportable_constructs,
)

DATABASES = {"raw": "qs_raw", "processed": "qs_processed", "quarantine": "qs_quarantine"}
STAGING = Staging("qs_processed", "t__stage_x", "s3://lake/_athena/staging/t/x/", "_athena/staging/t/x/")
ACCOUNT = "123456789012"


def athena_tables(sql: str) -> set[str]:
    return {f"{t.db}.{t.name}" for t in sqlglot.parse_one(sql, read="athena").find_all(exp.Table)}


def test_every_shipped_table_translates_to_athena_sql_that_parses(config):
    raw_columns = {
        name: ["id", "_source_key", "_content_hash"] for name in config.catalog_tables if name.startswith("raw.")
    }
    translated, refused = {}, {}
    for table in config.tables:
        try:
            translated[table.name] = translate(table, config, DATABASES, raw_columns)
        except NotPortable as error:
            refused[table.name] = str(error)
    sales = {t.name for t in config.tables if "raw.sales" in t.sql}  # batched: the DuckDB engine releases the batches
    assert set(refused) == sales | {"clickstream_hourly", "clickstream_elements"}, refused
    assert len(sales) >= 5 and all("raw.sales is batched" in refused[name] for name in sales)
    assert "raw.sales is batched" in refused["sales_daily"]
    assert "exact percentiles" in refused["clickstream_hourly"], (
        "median() would become PERCENTILE_CONT, unknown to Athena"
    )
    for name, sql in translated.items():
        tree = sqlglot.parse_one(sql, read="athena")
        assert not list(tree.find_all(exp.Anonymous)), f"{name}: every function is one sqlglot knows for Athena"
        assert all(t.db in DATABASES.values() or not t.db for t in tree.find_all(exp.Table)), (
            f"{name}: only Glue databases"
        )
        assert "qualify" not in sql.lower() and "group by all" not in sql.lower(), name
        for statement in statements(config.table(name), sql, STAGING, ["2024-01-01"]):
            assert isinstance(sqlglot.parse_one(statement, read="athena"), (exp.Create, exp.Insert)), name
    assert "qs_processed.service_requests" in athena_tables(translated["division_kpis"])
    assert "_qs_copy_rank = 1" in translated["service_requests"], "raw rows counted once per content, as in DuckDB"
    assert (
        "REGEXP_REPLACE(TRIM(service_division_owner), '\\band\\b', '&') AS division" in translated["service_requests"]
    ), "no 'g' for Trino"


@pytest.mark.parametrize(
    "sql, construct",
    [
        ("select division, count(*) from processed.t group by all", "GROUP BY ALL"),
        ("select * exclude (notes) from processed.t", "* EXCLUDE"),
        ("pivot processed.t on division using sum(cost)", "PIVOT"),
        ("select cast(x as int) from processed.t qualify row_number() over (partition by y) = 1", "QUALIFY"),
        ("select median(cost) as m from processed.t", "exact percentiles"),
        (
            "with l as (select * from processed.t qualify row_number() over (partition by id) = 1) select * from l",
            "select * … QUALIFY",
        ),
        (
            "select regexp_replace(division, ' and ', ' & ') as d from processed.t",
            "regexp_replace without the 'g' option",
        ),
    ],
)
def test_constructs_sqlglot_mistranslates_are_refused_with_a_hint(config, sql, construct):
    assert any(construct in problem for problem in unportable_constructs(sql))
    with pytest.raises(NotPortable, match=re.escape(construct)):
        translate(Table(name="t2", sql=sql, engine="athena"), config, DATABASES)


def test_integer_division_keeps_duckdb_semantics(config):
    sql = translate(
        Table(name="t2", sql="select requests / wards as r, 7 / 2 as h from processed.t"), config, DATABASES
    )
    assert "CAST(requests AS DOUBLE) / wards" in sql and "CAST(7 AS DOUBLE) / 2" in sql


def test_at_most_100_partitions_per_statement_with_the_partition_column_last():
    table = Table(
        name="t", sql="select 1", partition_by={"column": "day", "grain": "day", "input": "raw.x"}, engine="athena"
    )
    values = [f"v{i:03d}" for i in range(250)]
    generated = statements(table, 'SELECT "day", n FROM "qs_processed"."x"', STAGING, values)
    assert [s.split()[0] for s in generated] == ["create", "insert", "insert"]
    create = sqlglot.parse_one(generated[0], read="athena")
    assert create.find(exp.Property) is not None and "partitioned_by = ARRAY['_qs_partition']" in generated[0]
    assert (
        "external_location = 's3://lake/_athena/staging/t/x/'" in generated[0] and "format = 'PARQUET'" in generated[0]
    )
    for statement in generated:
        tree = sqlglot.parse_one(statement, read="athena")
        inner = next(s for s in tree.find_all(exp.Select) if s.selects and s.selects[-1].alias == PARTITION_COLUMN)
        assert inner.selects[-1].alias == PARTITION_COLUMN, "partition column last"
        assert len(tree.find(exp.In).expressions) <= MAX_PARTITIONS_PER_STATEMENT
    assert sum(len(sqlglot.parse_one(s, read="athena").find(exp.In).expressions) for s in generated) == 250


# ---- a run against moto: Athena executes nothing there, so a botocore hook plays Athena writing the CTAS output ----


@pytest.fixture
def session(aws_env, monkeypatch):
    session = boto3.Session()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    return session


def parquet(tmp_path, sql: str) -> bytes:
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    duckdb.execute(f"copy ({sql}) to '{path}' (format parquet)")
    return path.read_bytes()


def test_run_stages_with_ctas_and_inserts_checks_publishes_and_cleans_up(session, tmp_path):
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    session.client("s3").create_bucket(Bucket=bucket)
    lake = S3Lake(f"s3://{bucket}/root", cache_dir=tmp_path / "cache")
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    aws = AwsSettings(region="us-east-1", lake_url=lake.url, quicksight_account_id=ACCOUNT, glue_database_prefix=prefix)
    table = Table(
        name="daily",
        sql="select day, sum(n) as n from processed.events group by day",
        engine="athena",
        partition_by={"column": "day", "grain": "day", "input": "processed.events"},
        checks=[{"name": "positive", "kind": "sql", "sql": "select * from {table} where n <= 0", "blocking": True}],
    )
    config = ProjectConfig(tables=[table])
    catalog = GlueCatalog(lake, config, GlueTarget.of(aws))
    lake.put_bytes(
        "processed/daily/data.parquet", parquet(tmp_path, "select date '2000-01-01' as day, 1 as n")
    )  # older layout
    lake.put_bytes("processed/events/data.parquet", parquet(tmp_path, "select date '2023-01-01' as day, 2 as n"))
    days = [
        d[0].isoformat()
        for d in duckdb.execute(
            "select unnest(range(date '2023-01-01', date '2023-05-01', interval 1 day))::date"
        ).fetchall()
    ]
    assert len(days) > MAX_PARTITIONS_PER_STATEMENT
    distinct = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "results": [
            {
                "rows": [{"Data": [{"VarCharValue": "v"}]}] + [{"Data": [{"VarCharValue": d}]} for d in days],
                "column_info": [{"Name": "v", "Type": "varchar"}],
            }
        ],
    }
    assert (
        requests.post(
            f"{session.client('s3').meta.endpoint_url}/moto-api/static/athena/query-results", json=distinct, timeout=10
        ).status_code
        == 201
    )
    executed = []

    def play_athena(params, **_):
        sql = params["QueryString"]
        executed.append(sql)
        if sql.startswith(("create table", "insert into")):
            for day in re.findall(r"'(\d{4}-\d\d-\d\d)'", sql.split(" where ")[-1]):
                lake.put_bytes(
                    f"_athena/staging/daily/{sql_token(sql)}/{PARTITION_COLUMN}={day}/{uuid.uuid4().hex}",
                    parquet(tmp_path, f"select date '{day}' as day, 2 as n"),
                )

    session.events.register("before-parameter-build.athena.StartQueryExecution", play_athena)
    athena = Athena(region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05)

    result = run_athena_transform(athena, catalog, config, table)

    assert executed[0].startswith("select distinct") and [s.split()[0] for s in executed[1:]] == ["create", "insert"]
    assert result.published and result.row_count == len(days) and all(c.passed for c in result.checks)
    keys = [o.key for o in lake.list("processed/daily/")]
    assert len(keys) == len(days) and all(
        re.match(r"processed/daily/day=\d{4}-\d\d-\d\d/part-\w+-\d{5}\.parquet$", k) for k in keys
    )
    assert list(lake.list("_athena/staging/")) == [], "staged files removed"
    assert duckdb.execute(f"select count(*), sum(n) from {lake.parquet_scan('processed/daily/')}").fetchone() == (
        len(days),
        2 * len(days),
    )
    registered = catalog.register("processed.daily")
    assert registered.columns[-1] == ("day", "DATE") and registered.row_count == len(days)


def sql_token(sql: str) -> str:
    return re.search(r"__stage_(\w+)\"", sql).group(1)


def test_a_failing_blocking_check_publishes_nothing_and_still_cleans_up(session, tmp_path):
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    session.client("s3").create_bucket(Bucket=bucket)
    lake = S3Lake(f"s3://{bucket}/root", cache_dir=tmp_path / "cache")
    aws = AwsSettings(
        region="us-east-1",
        lake_url=lake.url,
        quicksight_account_id=ACCOUNT,
        glue_database_prefix=f"t{uuid.uuid4().hex[:6]}_",
    )
    table = Table(
        name="totals",
        sql="select sum(n) as n from processed.events",
        engine="athena",
        checks=[{"name": "positive", "kind": "sql", "sql": "select * from {table} where n <= 0", "blocking": True}],
    )
    config = ProjectConfig(tables=[table])
    lake.put_bytes("processed/totals/data.parquet", parquet(tmp_path, "select 5 as n"))
    lake.put_bytes("processed/events/data.parquet", parquet(tmp_path, "select -1 as n"))
    executed = []

    def play_athena(params, **_):
        executed.append(params["QueryString"])
        lake.put_bytes(
            f"_athena/staging/totals/{sql_token(params['QueryString'])}/part-0", parquet(tmp_path, "select -1 as n")
        )

    session.events.register("before-parameter-build.athena.StartQueryExecution", play_athena)
    athena = Athena(region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05)

    result = run_athena_transform(athena, GlueCatalog(lake, config, GlueTarget.of(aws)), config, table)

    assert len(executed) == 1 and "partitioned_by" not in executed[0]
    assert f'FROM "{aws.glue_databases["processed"]}"."events"' in executed[0], "reads the Glue database of the layer"
    assert not result.published and [c.name for c in result.checks if not c.passed] == ["positive"]
    assert [o.key for o in lake.list("processed/totals/")] == ["processed/totals/data.parquet"], (
        "the previous data stays"
    )
    assert list(lake.list("_athena/")) == []


def test_no_rows_publish_an_empty_file_with_the_columns_athena_registered(session, tmp_path):
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    session.client("s3").create_bucket(Bucket=bucket)
    lake = S3Lake(f"s3://{bucket}/root", cache_dir=tmp_path / "cache")
    aws = AwsSettings(
        region="us-east-1",
        lake_url=lake.url,
        quicksight_account_id=ACCOUNT,
        glue_database_prefix=f"t{uuid.uuid4().hex[:6]}_",
    )
    table = Table(name="none", sql="select division, 1 as n from processed.events where false", engine="athena")
    config = ProjectConfig(tables=[table])
    catalog = GlueCatalog(lake, config, GlueTarget.of(aws))
    lake.put_bytes("processed/events/data.parquet", parquet(tmp_path, "select 'x' as division"))
    glue = session.client("glue")

    def play_athena(params, **_):  # Athena registers the CTAS table in Glue; with no rows it writes no file
        name = f"none__stage_{sql_token(params['QueryString'])}"
        glue.create_table(
            DatabaseName=aws.glue_databases["processed"],
            TableInput={
                "Name": name,
                "StorageDescriptor": {
                    "Columns": [{"Name": "division", "Type": "string"}, {"Name": "n", "Type": "int"}]
                },
            },
        )

    session.events.register("before-parameter-build.athena.StartQueryExecution", play_athena)
    athena = Athena(region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05)

    result = run_athena_transform(athena, catalog, config, table)

    assert result.published and result.row_count == 0 and result.columns == [("division", "VARCHAR"), ("n", "INTEGER")]
    assert [o.key for o in lake.list("processed/none/")] == ["processed/none/_empty.parquet"]
    assert glue.get_tables(DatabaseName=aws.glue_databases["processed"])["TableList"][0]["Name"] == "events", (
        "staging table dropped"
    )


def test_portability_problems_name_only_athena_tables(config):
    tables = [
        Table(name="a", sql="select x, count(*) as n from processed.t group by all", engine="athena"),
        Table(name="b", sql="select x, count(*) as n from processed.t group by all"),
    ]
    problems = portability_problems(ProjectConfig(sources=config.sources, tables=tables))
    assert len(problems) == 1 and problems[0].startswith("processed.a: engine athena") and "GROUP BY ALL" in problems[0]
