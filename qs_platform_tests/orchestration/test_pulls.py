"""Pull sources through Dagster: the pull asset and its stored watermark, a pull killed mid-way and resumed, the
credential never logged, and pulled subscriptions giving the same processed numbers as the generated files."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import boto3
import dagster as dg
import duckdb
import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.examples.generators import generate_exchange_rates, generate_subscriptions
from qs_platform.lake import LocalLake
from qs_platform.local.standins.apis import start_standins
from qs_platform.local.standins.server import Clock, Faults
from qs_platform.orchestration.pulls import stored_state
from qs_platform.orchestration.raw import landing_asset_key
from qs_platform.project import build_definitions
from qs_platform.pull.credentials import http_client, read_secret
from qs_platform.pull.puller import PullState, run_pull
from qs_platform_tests.conftest import CONFIG_DIR, memory_instance

KEY = "cb-test-SECRET-4d2f9a"
UTC = dt.UTC
SUBSCRIPTION_TABLES = (
    "subscriptions_versions",
    "subscriptions_latest",
    "subscriptions_monthly",
    "subscriptions_mrr_monthly",
    "subscriptions_mrr_by_plan",
    "subscriptions_mom",
    "subscriptions_bridge",
)
PULL_TIMES = [dt.datetime(2024, m, d, tzinfo=UTC).timestamp() - 1 for m in (1, 2, 3) for d in (1, 8, 15, 22)] + [
    dt.datetime(2024, 4, 1, tzinfo=UTC).timestamp() - 1
]


def subscriptions_only(config) -> ProjectConfig:
    return ProjectConfig(
        sources=[config.source("subscriptions"), config.source("exchange_rates")],
        tables=[config.table(name) for name in SUBSCRIPTION_TABLES],
    )


@pytest.fixture
def api(monkeypatch):
    server = start_standins(api_key=KEY, clock=Clock(PULL_TIMES[0]), faults=Faults(rate_limit_every=5, retry_after=0))
    for name, value in {
        "QS_CHARGEBEE_URL": server.url,
        "QS_RATES_URL": server.url,
        "QS_CHARGEBEE_API_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def processed(settings, table: str) -> list[tuple]:
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        columns = [
            c
            for (c,) in con.execute(f"select column_name from (describe processed.{table})").fetchall()
            if c != "_source_key"
        ]
        return con.execute(f"select {', '.join(columns)} from processed.{table} order by all").fetchall()


def lake_settings(root) -> Settings:
    return Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(root)})


def test_pulled_subscriptions_match_the_generated_files_and_the_key_is_never_logged(
    config, api, tmp_path, capfd, instance
):
    narrow = subscriptions_only(config)
    pulled = lake_settings(tmp_path / "pulled")
    defs = build_definitions(pulled, narrow)
    syncer = Syncer(defs, instance)
    spec = narrow.source("subscriptions")
    for t in PULL_TIMES:  # the replaced system's pull dates: each pull sees the states current then
        api.clock.set(t)
        syncer.run_pulls([landing_asset_key(spec)])
    api.clock.set(dt.datetime(2024, 5, 1, tzinfo=UTC).timestamp())
    syncer.run_pulls([landing_asset_key(narrow.source("exchange_rates"))])
    assert not syncer.report.failed_runs
    pulls = [m.metadata for m in syncer.report.materialized if m.asset == "landing/subscriptions"]
    assert len(pulls) == len(PULL_TIMES) and sum(p["retries"] for p in pulls) >= 1
    assert pulls[-1]["watermark"] == stored_state(instance, landing_asset_key(spec)).watermark
    assert int(pulls[-1]["watermark"]) <= PULL_TIMES[-1] and all(p["records"] >= p["records_landed"] for p in pulls)
    # an overlapping pull (from a watermark six weeks back, as after a restored backup) lands versions once more
    back = PullState(watermark=str(int(PULL_TIMES[6])))
    overlap = run_pull(
        spec.pull, LocalLake(tmp_path / "pulled"), spec.landing_prefix, back, http_client(spec.pull, KEY), label="again"
    )
    assert overlap.landed > 10 and overlap.written and not overlap.adopted
    assert Syncer(defs, instance).sync().ok

    generated = lake_settings(tmp_path / "generated")
    landing = tmp_path / "generated" / "landing"
    generate_subscriptions(landing, n_subscriptions=50, months=["2024-01", "2024-02", "2024-03"], seed=0)
    generate_exchange_rates(landing, seed=0)
    with memory_instance() as other:
        assert Syncer(build_definitions(generated, narrow), other).sync().ok
    for table in SUBSCRIPTION_TABLES:  # the same numbers, overlap and all
        assert processed(pulled, table) == processed(generated, table), table

    # the credential: in no log line, no metadata value, no landed byte
    runs = instance.get_runs()
    assert runs
    for run in runs:
        for entry in instance.all_logs(run.run_id):
            assert KEY not in (entry.message or "") and KEY not in repr(entry.dagster_event), run.run_id
    captured = capfd.readouterr()
    assert KEY not in captured.out + captured.err
    for path in (tmp_path / "pulled").rglob("*"):
        if path.is_file() and "_dagster_home" not in path.parts:
            assert KEY.encode() not in path.read_bytes(), path


def test_a_pull_killed_mid_way_lands_nothing_and_the_next_resumes_from_the_watermark(config, api, tmp_path):
    config_dir = tmp_path / "config" / "sources"
    config_dir.mkdir(parents=True)
    text = (CONFIG_DIR / "sources" / "subscriptions.yaml").read_text().replace("page_size: 100", "page_size: 5")
    (config_dir / "subscriptions.yaml").write_text(text)
    env = {**os.environ, "QS_CONFIG_DIR": str(tmp_path / "config"), "QS_LAKE_URL": str(tmp_path / "lake")}
    settings = Settings.from_env(env)
    api.clock.set(PULL_TIMES[-1])
    api.faults.delay_seconds = 0.25  # 10 pages of 5: about 2.5 s
    process = subprocess.Popen(
        [sys.executable, "-m", "qs_platform.cli.main", "pull", "subscriptions"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while sum(1 for path, status in api.answered if "subscriptions" in path and status == 200) < 4:
        assert process.poll() is None and time.monotonic() < deadline, "the pull ended before it could be killed"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    lake = LocalLake(tmp_path / "lake")
    assert list(lake.list("landing/subscriptions/")) == []  # a crash lands nothing

    api.faults.delay_seconds = 0
    own = load_config(tmp_path / "config")
    defs = build_definitions(settings, own)
    key = landing_asset_key(own.source("subscriptions"))
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        syncer = Syncer(defs, instance)
        syncer.recover()
        assert syncer.report.recovered, "the killed run was not recognised as dead"
        syncer.run_pulls([key])
        first = stored_state(instance, key)
        files = list(lake.list("landing/subscriptions/"))
        assert len(files) == 1 and first.watermark is not None
        records = [json.loads(line) for line in lake.read_bytes(files[0].key).decode().splitlines()]
        assert len(records) == len({r["id"] for r in records}) == 50

        api.clock.set(PULL_TIMES[-1] + 1)
        handler = api.routes["/api/v2/subscriptions"]
        newest = max(handler.current(PULL_TIMES[-1]), key=lambda s: s["updated_at"])
        changed = {**newest, "updated_at": int(PULL_TIMES[-1]) + 1, "status": "cancelled"}
        handler.history[changed["id"]].append((changed["updated_at"], changed))
        api.answered.clear()
        syncer.run_pulls([key])
        asked = [path for path, _ in api.answered if "subscriptions" in path]
        assert asked and all(f"updated_at%5Bafter%5D={int(first.watermark) - 3600}" in path for path in asked)
        latest = [m.metadata for m in syncer.report.materialized][-1]
        assert latest["records_landed"] == 1 and latest["watermark"] == str(changed["updated_at"])
        assert not syncer.report.failed_runs


def test_credentials_from_secrets_manager(aws_env, config):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(Name="chargebee/api", SecretString=json.dumps({"api_key": KEY, "watermark": "ignored"}))
    credentials = config.source("subscriptions").pull.credentials.model_copy(
        update={"env": None, "secret_id": "chargebee/api", "secret_key": "api_key"}
    )
    assert read_secret(credentials, region="us-east-1") == KEY
    missing = credentials.model_copy(update={"secret_id": "nope"})
    with pytest.raises(Exception, match="'nope' cannot be read"):
        read_secret(missing, region="us-east-1")
    with pytest.raises(Exception, match="QS_NOT_SET .*is not set"):
        read_secret(credentials.model_copy(update={"env": "QS_NOT_SET", "secret_id": None, "secret_key": None}), env={})
