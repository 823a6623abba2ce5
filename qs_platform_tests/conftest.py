"""Shared fixtures: the real seed data, the shipped configuration, an empty lake and a Dagster instance."""

from pathlib import Path

import dagster as dg
import pytest

from qs_platform.config.loader import load_config
from qs_platform.config.settings import Settings
from qs_platform.lake import LocalLake

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT.parent / "shared" / "data" / "seeds"
SERVICE_REQUESTS_CSV = SEEDS / "service_requests" / "division_data_24-12-23.csv"
if not SERVICE_REQUESTS_CSV.exists():  # a clone without ../shared: the copy shipped for `make dev`
    SERVICE_REQUESTS_CSV = PROJECT / "examples" / "landing" / "service_requests" / "division_data_24-12-23.csv"
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


def land(lake: LocalLake, key: str, data: bytes | str) -> str:
    lake.put_bytes(key, data.encode() if isinstance(data, str) else data)
    return key
