"""Glue catalog (tables from the Parquet schema, idempotent, partitions) and the Athena resource, against moto.server."""

import uuid

import boto3
import duckdb
import pyarrow as pa
import pytest
import requests
from botocore.stub import Stubber

from qs_platform.catalog.athena import Athena, AthenaQueryFailed
from qs_platform.catalog.glue import GlueCatalog, GlueTarget, IncompatibleSchema, UnsupportedType, glue_type, wider_type
from qs_platform.catalog.tables import TableNotMaterialized
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.config.settings import AwsSettings
from qs_platform.lake import S3Lake

ACCOUNT = "123456789012"


@pytest.fixture
def lake(aws_env, tmp_path) -> S3Lake:
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return S3Lake(f"s3://{bucket}/root", cache_dir=tmp_path / "cache")


def aws_settings(lake: S3Lake, **overrides) -> AwsSettings:
    prefix = f"t{uuid.uuid4().hex[:8]}_"  # one moto server serves every test: databases of their own
    return AwsSettings(
        region="us-east-1", lake_url=lake.url, quicksight_account_id=ACCOUNT, glue_database_prefix=prefix, **overrides
    )


class GlueCalls:
    """Records Glue operations (botocore before-call events)."""

    def __init__(self, client):
        self.names: list[str] = []
        client.meta.events.register("before-call.glue.*", lambda model, **_: self.names.append(model.name))

    def writes(self) -> list[str]:
        return [n for n in self.names if not n.startswith("Get")]


def write(lake: S3Lake, key: str, sql: str, tmp_path) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    duckdb.execute(f"copy ({sql}) to '{path}' (format parquet)")
    lake.put_bytes(key, path.read_bytes())


def catalog_for(lake, tables=(), **overrides) -> tuple[GlueCatalog, GlueCalls]:
    glue = boto3.client("glue")
    return GlueCatalog(
        lake, ProjectConfig(tables=list(tables)), GlueTarget.of(aws_settings(lake, **overrides)), glue=glue
    ), GlueCalls(glue)


TYPED = """select 1::bigint as id, 2::integer as small, 12.34::decimal(10,2) as amount, timestamp '2024-01-02 03:04:05' as at,
           date '2024-01-02' as day, [1, 2] as tags, {'city': 'Oslo', 'zip': 150} as address, map {'a': 1} as attrs,
           true as flag, 'x' as name, 1.5::double as ratio"""


def test_table_is_created_from_the_parquet_schema_and_not_written_again(lake, tmp_path):
    write(lake, "processed/kpis/data.parquet", TYPED, tmp_path)
    catalog, calls = catalog_for(
        lake, [Table(name="kpis", sql="select 1", description="KPIs", columns={"ratio": "Share of x"})]
    )

    entry = catalog.register("processed.kpis")

    table = catalog.glue.get_table(DatabaseName=catalog.database("processed"), Name="kpis")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {
        "id": "bigint",
        "small": "int",
        "amount": "decimal(10,2)",
        "at": "timestamp",
        "day": "date",
        "tags": "array<int>",
        "address": "struct<city:string,zip:int>",
        "attrs": "map<string,int>",
        "flag": "boolean",
        "name": "string",
        "ratio": "double",
    }
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert table["StorageDescriptor"]["Location"] == lake.uri("processed/kpis/")
    assert table["Parameters"]["classification"] == "parquet" and table["Description"] == "KPIs"
    comments = {c["Name"]: c["Comment"] for c in table["StorageDescriptor"]["Columns"] if "Comment" in c}
    assert comments == {"ratio": "Share of x"}, "the YAML's column descriptions, nothing where it is silent"
    assert entry.row_count == 1 and ("amount", "DECIMAL(10,2)") in entry.columns
    assert calls.writes() == ["CreateDatabase", "CreateTable"]

    calls.names.clear()
    assert catalog.register("processed.kpis") == entry
    assert calls.writes() == [], "an unchanged table is not written to"
    assert catalog.describe("processed.kpis") == entry


def test_added_columns_update_the_table_and_incompatible_changes_fail_clearly(lake, tmp_path):
    write(lake, "raw/src/a.parquet", "select 1::integer as id, 'x' as name", tmp_path)
    catalog, calls = catalog_for(lake)
    catalog.register("raw.src")

    write(lake, "raw/src/b.parquet", "select 2::bigint as id, 'y' as name, 3.5::double as score", tmp_path)
    entry = catalog.register("raw.src")
    assert entry.columns == [("id", "BIGINT"), ("name", "VARCHAR"), ("score", "DOUBLE")], "widened and added"
    assert entry.row_count == 2
    assert "UpdateTable" in calls.writes()

    write(lake, "raw/src/c.parquet", "select 'three' as id", tmp_path)
    with pytest.raises(
        IncompatibleSchema, match=r"raw.src.id: the Glue table has type bigint but the new data has string"
    ):
        catalog.register("raw.src")


def test_nothing_to_register_is_table_not_materialized(lake):
    catalog, _ = catalog_for(lake)
    with pytest.raises(TableNotMaterialized, match="raw.none has no data"):
        catalog.register("raw.none")
    with pytest.raises(LookupError, match="not registered in the Glue catalog"):
        catalog.describe("raw.none")


def partitioned(name: str, column: str, grain: str) -> Table:
    return Table(name=name, sql="select 1", partition_by={"column": column, "grain": grain, "input": "raw.x"})


def test_day_partitions_of_a_date_column_are_projected(lake, tmp_path):
    for day in ("2024-01-01", "2024-01-03"):
        write(lake, f"processed/daily/d={day}/data.parquet", f"select date '{day}' as d, 1 as n", tmp_path)
    catalog, calls = catalog_for(lake, [partitioned("daily", "d", "day")])

    entry = catalog.register("processed.daily")

    table = catalog.glue.get_table(DatabaseName=catalog.database("processed"), Name="daily")["Table"]
    assert table["PartitionKeys"] == [{"Name": "d", "Type": "date"}]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["n"], "the key replaces the data column"
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true" and parameters["projection.d.range"] == "2024-01-01,2024-01-03"
    assert parameters["storage.location.template"] == lake.uri("processed/daily") + "/d=${d}/"
    assert entry.row_count == 2 and entry.columns[-1] == ("d", "DATE")
    assert "BatchCreatePartition" not in calls.names


def test_day_partitions_of_a_timestamp_keep_the_column_and_value_partitions_are_registered(lake, tmp_path):
    write(
        lake, "processed/hourly/h=2024-01-01/data.parquet", "select timestamp '2024-01-01 10:00' as h, 1 as n", tmp_path
    )
    for folder in ("a", "b"):
        write(lake, f"processed/items/folder={folder}/data.parquet", f"select '{folder}' as folder, 1 as n", tmp_path)
    catalog, calls = catalog_for(lake, [partitioned("hourly", "h", "day"), partitioned("items", "folder", "value")])

    hourly = catalog.register("processed.hourly")
    assert hourly.columns == [("h", "TIMESTAMP"), ("n", "INTEGER"), ("h_day", "DATE")]

    catalog.register("processed.items")
    database = catalog.database("processed")

    def values() -> list[str]:
        return sorted(
            p["Values"][0] for p in catalog.glue.get_partitions(DatabaseName=database, TableName="items")["Partitions"]
        )

    assert values() == ["a", "b"]
    lake.delete("processed/items/folder=b/data.parquet")
    catalog.register("processed.items")
    assert values() == ["a"], "a partition folder gone is deregistered"
    calls.names.clear()
    catalog.register("processed.items")
    assert calls.writes() == []


def test_types_athena_cannot_read_are_refused_with_a_hint():
    with pytest.raises(UnsupportedType, match="t.at: nanosecond"):
        glue_type(pa.timestamp("ns"), "t.at")
    with pytest.raises(UnsupportedType, match="uint64.*cast to bigint"):
        glue_type(pa.uint64(), "t.n")
    assert glue_type(pa.timestamp("us", tz="UTC"), "t.at") == "timestamp"
    assert wider_type("decimal(10,2)", "decimal(12,2)", "t.x") == "decimal(12,2)"
    assert wider_type("struct<a:int>", "struct<a:bigint,b:string>", "t.s") == "struct<a:bigint,b:string>"
    with pytest.raises(IncompatibleSchema):
        wider_type("decimal(10,2)", "decimal(10,3)", "t.x")


# ---- Athena -----------------------------------------------------------------------------------------------


def test_athena_query_returns_moto_static_results_without_the_header(aws_env):
    results = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": "division"}, {"VarCharValue": "n"}]},
                    {"Data": [{"VarCharValue": "Water"}, {"VarCharValue": "3"}]},
                ],
                "column_info": [{"Name": "division", "Type": "varchar"}, {"Name": "n", "Type": "bigint"}],
            }
        ],
    }
    assert requests.post(f"{aws_env}/moto-api/static/athena/query-results", json=results, timeout=10).status_code == 201
    bucket = f"results-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    athena = Athena(region="us-east-1", output_location=f"s3://{bucket}/athena/")
    assert athena.query("select division, count(*) as n from processed.x group by 1", "processed") == [
        {"division": "Water", "n": "3"}
    ]


def test_athena_polls_with_backoff_pages_results_and_reports_failures():
    athena = Athena(region="us-east-1", workgroup="wg", output_location="s3://r/", max_poll_seconds=0.01)
    client = boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        for state in ("QUEUED", "RUNNING", "SUCCEEDED"):
            stub.add_response(
                "get_query_execution", {"QueryExecution": {"QueryExecutionId": "q1", "Status": {"State": state}}}
            )
        assert athena.wait("q1", client=client)["Status"]["State"] == "SUCCEEDED"
        stub.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": "q2",
                    "Query": "select x",
                    "Status": {"State": "FAILED", "StateChangeReason": "COLUMN_NOT_FOUND: x"},
                }
            },
        )
        with pytest.raises(AthenaQueryFailed, match="q2 in workgroup wg FAILED: COLUMN_NOT_FOUND: x"):
            athena.wait("q2", client=client)
    pages = Stubber(client)
    metadata = {"ColumnInfo": [{"Name": "n", "Type": "integer"}]}
    pages.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": [{"Data": [{"VarCharValue": "n"}]}, {"Data": [{"VarCharValue": "1"}]}],
                "ResultSetMetadata": metadata,
            },
            "NextToken": "t",
        },
    )
    pages.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "2"}]}], "ResultSetMetadata": metadata}},
        {"QueryExecutionId": "q3", "NextToken": "t"},
    )
    with pages:
        assert list(athena.rows("q3", client=client)) == [{"n": "1"}, {"n": "2"}]


def test_athena_results_of_a_finished_query_are_discarded(aws_env):
    s3 = boto3.client("s3")
    bucket = f"results-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for key in ("athena/q1.csv", "athena/q1.csv.metadata", "athena/q1-manifest.csv", "athena/q2.csv"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    athena = Athena(region="us-east-1", output_location=f"s3://{bucket}/athena/")
    athena.discard_results(
        {"QueryExecutionId": "q1", "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/athena/q1.csv"}}
    )
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["athena/q2.csv"]


def test_a_changed_partitioning_fails_with_the_table_to_drop(lake, tmp_path):
    write(lake, "processed/daily/d=2024-01-01/data.parquet", "select date '2024-01-01' as d, 1 as n", tmp_path)
    catalog, _ = catalog_for(lake, [partitioned("daily", "d", "day")])
    catalog.register("processed.daily")
    catalog.config = ProjectConfig(tables=[Table(name="daily", sql="select 1")])
    with pytest.raises(
        IncompatibleSchema, match=r"partitioned by \[\{'Name': 'd', 'Type': 'date'\}\] but the declaration gives \[\]"
    ):
        catalog.register("processed.daily")
