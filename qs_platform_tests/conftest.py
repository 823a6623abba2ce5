"""Shared fixtures: the real seed data, the shipped configuration, an empty lake and a Dagster instance."""

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from qs_platform.catalog.tables import raw_rows_select, table_prefix
from qs_platform.config.loader import lineage_config, load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import Lake, LocalLake
from qs_platform.project import build_definitions

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT.parent / "shared" / "data" / "seeds"
EXAMPLES = PROJECT / "examples" / "landing"


def seed_file(shared: str, example: str) -> Path:
    """A file of ../shared/data/seeds, or its copy shipped for `make dev` in a clone without ../shared."""
    path = SEEDS / shared
    return path if path.exists() else EXAMPLES / example


SERVICE_REQUESTS_CSV = seed_file(
    "service_requests/division_data_24-12-23.csv", "service_requests/division_data_24-12-23.csv"
)
CLICKSTREAM_EVENTS = seed_file(
    "clickstream/clickstream_sample_events.ndjson", "clickstream/2022/09/11/23/seed-events.json"
)
CONFIG_DIR = PROJECT / "assets_config"
HEADER = "id,start_date,end_date,service_division_owner,service_result,ward_id,estimated_cost,notes\n"


@pytest.fixture(scope="session")
def config():
    return load_config(CONFIG_DIR)


@pytest.fixture
def lake(tmp_path) -> LocalLake:
    return LocalLake(tmp_path / "lake")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(
        {"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake"), "QS_VIEWER_PORT": "8050"}
    )


def memory_instance() -> dg.DagsterInstance:
    """Dagster's in-memory instance: the storage API of `make dev`'s SQLite instance without its connection per
    stored event (about 40 % of a sync in a test). What must outlive a process takes `sqlite_instance`."""
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def instance():
    with memory_instance() as instance:
        yield instance


@pytest.fixture
def sqlite_instance(tmp_path):
    """An instance on disk, as `make dev` and the daemon use it: for runs in other processes and restarts."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        yield instance


@pytest.fixture(scope="session")
def moto_endpoint():
    """One moto server on 127.0.0.1 for every AWS test: offline, no real account."""
    from moto.server import ThreadedMotoServer

    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.WARNING)  # one line per request would drown a failure's report
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    access_log.setLevel(level)


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch):
    """Standard AWS settings pointing every boto3 client at the moto server."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    return moto_endpoint


def land(lake: LocalLake, key: str, data: bytes | str) -> str:
    lake.put_bytes(key, data.encode() if isinstance(data, str) else data)
    return key


def ingest(lake, source, key: str, **options):
    """Load one landed file as a raw run would (ledger included); the IngestResult (None when unchanged)."""
    from qs_platform.ingest.runner import ingest_landed_file

    return ingest_landed_file(lake, source, key, **options)


def raw_records(lake, source, key: str | None = None):
    """The loaded records of a source as `raw.<source>` shows them (line numbers included), optionally of one file."""
    from qs_platform.catalog.tables import raw_rows_select
    from qs_platform.sql.text import sql_string

    where = f" where _source_key = {sql_string(key)}" if key else ""
    return duckdb.sql(f"select * from ({raw_rows_select(lake, source, first_copy_only=False)}){where}")


def parquet(lake, key: str):
    return duckdb.sql(f"select * from read_parquet('{lake.uri(key)}')")


def lineage_config_dir(folder: Path, config, sources: list[str]) -> Path:
    """A config folder holding only what the named sources feed (lineage_config), for tests that run the command
    line: the shipped YAML, a smaller Dagster graph."""
    return config_dir(folder, lineage_config(config, sources))


def config_dir(folder: Path, config: ProjectConfig) -> Path:
    """A config folder holding `config` as YAML, for tests that run the command line."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    part = config.model_dump(mode="json", exclude_defaults=True)
    (folder / "lineage.yaml").write_text(yaml.safe_dump(part, sort_keys=False, allow_unicode=True))
    return folder


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
            rows.append(
                (
                    int(record["id"]),
                    f"{year:04d}-{month:02d}-{day:02d}",
                    f"{end_year:04d}-{end_month:02d}-{end_day:02d}",
                    record["service_division_owner"],
                    record["service_result"],
                    int(record["ward_id"]),
                    float(record["estimated_cost"]),
                )
            )
    return sorted(rows)


@dataclass
class PipelineWorld:
    """The service-requests pipeline on a lake of its own, for fault tests: small CSVs whose rows the tests know, and an
    independent reading of what landed (Python's csv module) to compare row by row."""

    settings: Settings
    config: ProjectConfig
    lake: Lake

    def definitions(self):
        return build_definitions(self.settings, self.config)

    def land(self, name: str, text: str) -> str:
        key = f"landing/service_requests/{name}"
        self.lake.put_bytes(key, text.encode())
        return key

    def raw_rows(self) -> list[tuple]:
        source = self.config.source("service_requests")
        select = ", ".join(
            COLUMNS[:1]
            + [f"cast({c} as varchar)" for c in COLUMNS[1:3]]
            + COLUMNS[3:6]
            + ["cast(estimated_cost as double)"]
        )
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
        assert self.processed("service_requests", "select count(*), count(distinct id) from {table}") == [
            (len(expected), len(expected))
        ]
        ledger = self.ledger()
        assert all(
            r.status == "loaded" and r.input_rows == r.loaded_rows + r.rejected_rows for r in ledger.records.values()
        )
        assert sum(r.loaded_rows for r in ledger.records.values()) == len(expected)


def pipeline_config(quicksight: bool = False) -> ProjectConfig:
    """The shipped service-requests source and its processed table (with `quicksight`: division_kpis and its dataset)."""
    full = lineage_config(load_config(CONFIG_DIR), ["service_requests"], quicksight=quicksight)
    tables = (
        [t for t in full.tables if t.name in ("service_requests", "division_kpis")]
        if quicksight
        else [full.table("service_requests")]
    )
    datasets = [d for d in full.datasets if d.table in {t.table_name for t in tables}]
    dashboards = [d for d in full.dashboards if set(d.datasets) <= {d.id for d in datasets}]
    return ProjectConfig(sources=full.sources, tables=tables, datasets=datasets, dashboards=dashboards)


def local_world(tmp_path: Path, **env) -> PipelineWorld:
    """The pipeline world on a local folder lake (the default profile)."""
    settings = Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake"), **env})
    return PipelineWorld(settings, pipeline_config(), LocalLake(settings.lake_url))


def places_shown(secrets: list[str], instance, reports, capfd, folders: list[Path], lake=None) -> list[str]:
    """Where any of `secrets` appears: event log entries (messages, events with their metadata), report lines and
    metadata, captured output, files under `folders` (the Dagster home's databases included), objects of `lake`."""
    texts = []
    for run in instance.get_runs():
        texts += [
            (f"event of run {run.run_id}", f"{entry.message} {entry.dagster_event!r}")
            for entry in instance.all_logs(run.run_id)
        ]
        texts.append((f"run {run.run_id}", f"{run.tags!r} {run.run_config!r}"))
    for report in reports:
        texts.append(("sync report", repr(report)))
    captured = capfd.readouterr()
    texts += [("stdout", captured.out), ("stderr", captured.err)]
    blobs = [(str(path), path.read_bytes()) for folder in folders for path in folder.rglob("*") if path.is_file()]
    blobs += [(obj.key, lake.read_bytes(obj.key)) for obj in lake.list("")] if lake else []
    found = [where for where, text in texts if any(s in text for s in secrets)]
    return found + [where for where, data in blobs if any(s.encode() in data for s in secrets)]
