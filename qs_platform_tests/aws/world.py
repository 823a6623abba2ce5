"""An aws-profile world on moto.server for fault tests: a bucket, the service-requests pipeline, small CSVs whose
rows the tests know, and an independent reading of what landed (Python's csv module) to compare row by row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import boto3
import duckdb

from qs_platform.catalog.tables import raw_rows_select, table_prefix
from qs_platform.config.loader import lineage_config, load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import S3Lake
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, HEADER

ACCOUNT = "123456789012"
COLUMNS = ["id", "start_date", "end_date", "service_division_owner", "service_result", "ward_id", "estimated_cost"]
DIVISIONS = ["Toronto Water", "Solid Waste Management Services", "Transportation Services"]


def csv_text(first_id: int, rows: int) -> str:
    lines = [
        f"{i},1/{1 + i % 27}/2024,2/{1 + i % 27}/2024,{DIVISIONS[i % 3]},{'PASS' if i % 4 else 'FAIL'},{i % 25 + 1},{i * 7 % 1000}.5,note {i}\n"
        for i in range(first_id, first_id + rows)
    ]
    return HEADER + "".join(lines)


def expected_rows(texts: list[str]) -> list[tuple]:
    """(id, start, end, division, result, ward, cost) of every record, read by Python's csv module: the reference."""
    rows = []
    for text in texts:
        for record in csv.DictReader(io.StringIO(text)):
            month, day, year = (int(p) for p in record["start_date"].split("/"))
            end_month, end_day, end_year = (int(p) for p in record["end_date"].split("/"))
            rows.append((int(record["id"]), f"{year:04d}-{month:02d}-{day:02d}", f"{end_year:04d}-{end_month:02d}-{end_day:02d}",
                         record["service_division_owner"], record["service_result"], int(record["ward_id"]), float(record["estimated_cost"])))
    return sorted(rows)


@dataclass
class AwsWorld:
    settings: Settings
    config: ProjectConfig
    lake: S3Lake

    def definitions(self):
        return build_definitions(self.settings, self.config)

    def land(self, name: str, text: str) -> str:
        key = f"landing/service_requests/{name}"
        self.lake.put_bytes(key, text.encode())
        return key

    def raw_rows(self) -> list[tuple]:
        source = self.config.source("service_requests")
        select = ", ".join(COLUMNS[:1] + [f"cast({c} as varchar)" for c in COLUMNS[1:3]] + COLUMNS[3:6] + ["cast(estimated_cost as double)"])
        with duckdb.connect() as con:
            return sorted(con.execute(f"select {select} from ({raw_rows_select(self.lake, source)})").fetchall())

    def processed(self, table: str, sql: str) -> list[tuple]:
        scan = self.lake.parquet_scan(table_prefix(f"processed.{table}"))
        assert scan, f"processed.{table} has no data"
        with duckdb.connect() as con:
            return con.execute(sql.replace("{table}", scan)).fetchall()

    def ledger(self) -> Ledger:
        return Ledger.load(self.lake, self.config.source("service_requests"))

    def assert_complete(self, texts: list[str]) -> None:
        """Row by row: raw equals what landed, each once; the processed tables count each request once."""
        expected = expected_rows(texts)
        assert self.raw_rows() == expected
        assert self.processed("service_requests", "select count(*), count(distinct id) from {table}") == [(len(expected), len(expected))]
        ledger = self.ledger()
        assert all(r.status == "loaded" and r.input_rows == r.loaded_rows + r.rejected_rows for r in ledger.records.values())
        assert sum(r.loaded_rows for r in ledger.records.values()) == len(expected)


def aws_world(tmp_path, bucket: str, *, max_attempts: int = 3, quicksight: bool = False, **env) -> AwsWorld:
    """The service-requests source and its processed table under the aws profile (with `quicksight`: division_kpis and
    its dataset too, on the local backend), in Glue databases of its own (the session's tests share the moto server)."""
    boto3.client("s3").create_bucket(Bucket=bucket)
    settings = Settings.from_env({
        "QS_PROFILE": "aws", "QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": f"s3://{bucket}/lake", "QS_AWS_ACCOUNT_ID": ACCOUNT,
        "AWS_REGION": "us-east-1", "QS_QUICKSIGHT_STORE": str(tmp_path / "quicksight.sqlite"), "QS_S3_CACHE_DIR": str(tmp_path / "cache"),
        "QS_AWS_MAX_ATTEMPTS": str(max_attempts), "QS_GLUE_DATABASE_PREFIX": bucket.replace("-", "_") + "_", **env,
    })
    full = lineage_config(load_config(settings.config_dir), ["service_requests"], quicksight=quicksight)
    tables = [t for t in full.tables if t.name in ("service_requests", "division_kpis")] if quicksight else [full.table("service_requests")]
    datasets = [d for d in full.datasets if d.table in {t.table_name for t in tables}]
    dashboards = [d for d in full.dashboards if set(d.datasets) <= {d.id for d in datasets}]
    config = ProjectConfig(sources=full.sources, tables=tables, datasets=datasets, dashboards=dashboards)
    return AwsWorld(settings, config, S3Lake(settings.lake_url))
