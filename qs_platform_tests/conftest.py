"""Shared fixtures: the real seed data, the shipped configuration, an empty lake and a Dagster instance."""

import logging
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from qs_platform.config.loader import load_config
from qs_platform.config.settings import Settings
from qs_platform.lake import LocalLake

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


@pytest.fixture
def instance(tmp_path):
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
    import yaml

    from qs_platform.config.loader import lineage_config

    folder.mkdir(parents=True, exist_ok=True)
    part = lineage_config(config, sources).model_dump(mode="json", exclude_defaults=True)
    (folder / "lineage.yaml").write_text(yaml.safe_dump(part, sort_keys=False, allow_unicode=True))
    return folder
