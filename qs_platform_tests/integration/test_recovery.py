"""A run killed mid-file (SIGKILL: the OOM killer, a laptop lid, a redeploy) loses nothing and stalls nothing.

Each test runs `qs-platform sync` as a subprocess on a lake of its own, kills it at a chosen point (a
`sitecustomize.py` on its PYTHONPATH wraps one function of the platform; the platform has no test hooks), then
syncs again, in process or under the daemon, and checks the data row by row.
"""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import load_config
from qs_platform.config.settings import Settings
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import LocalLake
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, HEADER, SERVICE_REQUESTS_CSV

BIG_ROWS = 800_000
QS = str(Path(sys.executable).parent / "qs-platform")


@pytest.fixture
def world(tmp_path):
    """A lake with the service-requests pipeline alone, the real CSV landed, and the environment of its syncs."""
    config = tmp_path / "config"
    for folder, name in [
        ("sources", "service_requests.yaml"),
        ("tables", "service_requests.yaml"),
        ("quicksight", "service_division.yaml"),
    ]:
        (config / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(CONFIG_DIR / folder / name, config / folder / name)
    lake = tmp_path / "lake"
    (lake / "landing" / "service_requests").mkdir(parents=True)
    shutil.copy(SERVICE_REQUESTS_CSV, lake / "landing" / "service_requests" / "real.csv")
    env = {**os.environ, "QS_CONFIG_DIR": str(config), "QS_LAKE_URL": str(lake), "QS_RUN_MONITORING_INTERVAL": "2"}
    for name in ("DAGSTER_HOME", "QS_CATALOG_PATH", "QS_QUICKSIGHT_STORE"):
        env.pop(name, None)
    return {"tmp": tmp_path, "config": config, "lake": lake, "env": env, "home": lake / "_dagster_home"}


def big_csv(path: Path, rows: int = BIG_ROWS) -> None:
    """Rows with ids from 1,000,000 up, written by DuckDB in a second."""
    columns = HEADER.strip().split(",")
    select = (
        "select 1000000 + i as id, '1/3/2000' as start_date, '1/10/2000' as end_date, 'Toronto Water' as service_division_owner, "
        "'PASS' as service_result, 3 as ward_id, 10 as estimated_cost, '' as notes from range(?) as t(i)"
    )
    duckdb.execute(f"copy ({select}) to '{path}' (header, delimiter ',')", [rows])
    assert path.read_text().split("\n", 1)[0].split(",") == columns


def customize(world, body: str) -> dict:
    """The environment of a sync whose process runs `body` (Python) at start-up."""
    folder = world["tmp"] / "customize"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(textwrap.dedent(body))
    return {**world["env"], "PYTHONPATH": f"{folder}{os.pathsep}{world['env'].get('PYTHONPATH', '')}"}


KILL_WHILE_LOADING = """
    import os, signal, threading, time
    import qs_platform.ingest.load as load
    real = load.load_file
    def load_file(con, lake, source, key, path, **kwargs):
        if "{match}" in key:
            open("{flag}", "w").close()
            {action}
        return real(con, lake, source, key, path, **kwargs)
    load.load_file = load_file
"""


def sync(world, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([QS, "sync"], env=env or world["env"], capture_output=True, text=True, timeout=timeout)


def start_sync(world, env) -> subprocess.Popen:
    return subprocess.Popen([QS, "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def catalog(world, sql):
    with duckdb.connect(str(world["lake"] / "catalog.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_complete(world, expected_rows: int) -> None:
    assert catalog(world, "select count(*), count(distinct id) from raw.service_requests") == [
        (expected_rows, expected_rows)
    ]
    assert catalog(world, "select count(*), count(distinct id) from processed.service_requests") == [
        (expected_rows, expected_rows)
    ]
    assert catalog(world, "select sum(requests) from processed.division_kpis") == [(expected_rows,)]
    staging = world["lake"] / ".staging"
    assert not staging.exists() or not any(staging.iterdir()), "half-written files of the killed run are gone"


def runs(world, statuses) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(world["home"])) as instance:
        return list(instance.get_runs(filters=dg.RunsFilter(statuses=statuses)))


def kill_during_big_file(world) -> None:
    big_csv(world["lake"] / "landing" / "service_requests" / "big.csv")
    flag = world["tmp"] / "loading-big"
    env = customize(world, KILL_WHILE_LOADING.format(match="big.csv", flag=flag, action="pass"))
    process = start_sync(world, env)
    wait_for(flag, process)
    time.sleep(0.2)  # well inside the load of 800,000 rows
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert runs(world, [dg.DagsterRunStatus.STARTED]), "the killed run is left STARTED in Dagster's storage"


def test_sync_killed_while_loading_a_file_then_synced_again(world):
    kill_during_big_file(world)
    again = sync(world)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "recovered: run" in again.stdout and "is gone: killed or crashed" in again.stdout
    assert "up to date" not in again.stdout.splitlines()[-1] or "materialized" in again.stdout
    assert_complete(world, 19324 + BIG_ROWS)
    assert runs(world, [dg.DagsterRunStatus.STARTED]) == []
    assert "nothing to do: everything is up to date" in sync(world).stdout


def test_sync_killed_while_computing_a_processed_table_then_synced_again(world):
    flag = world["tmp"] / "killed-once"
    env = customize(
        world,
        f"""
        import os, signal
        import qs_platform.transform.run as run
        real = run.run_transform
        def run_transform(lake, config, table, *args, **kwargs):
            if table.name == "division_kpis" and not os.path.exists("{flag}"):
                open("{flag}", "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
            return real(lake, config, table, *args, **kwargs)
        run.run_transform = run_transform
        import qs_platform.orchestration.processed as assets
        assets.run_transform = run_transform
    """,
    )
    killed = sync(world, env)
    assert killed.returncode == -signal.SIGKILL and flag.exists()
    assert not (world["lake"] / "processed" / "division_kpis").exists(), "a killed table publishes nothing"
    again = sync(world)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "recovered: run" in again.stdout
    assert "materialized processed/division_kpis" in again.stdout, "the dead run's assets are run again"
    assert_complete(world, 19324)


def test_a_file_that_kills_its_run_every_time_ends_quarantined(world):
    landing = world["lake"] / "landing" / "service_requests"
    (landing / "poison.csv").write_text(HEADER + "5,1/3/2000,1/10/2000,Toronto Water,PASS,3,1,\n")
    flag = world["tmp"] / "poisoned"
    env = customize(
        world, KILL_WHILE_LOADING.format(match="poison", flag=flag, action="os.kill(os.getpid(), signal.SIGKILL)")
    )
    env["QS_MAX_RUN_DEATHS"] = "2"
    for attempt in range(2):
        died = sync(world, env)
        assert died.returncode == -signal.SIGKILL, (attempt, died.stdout)
    last = sync(world, env)
    assert last.returncode == 0, last.stdout + last.stderr
    assert "quarantined: landing/service_requests/poison.csv: the run died 2 times while loading it" in last.stdout
    source = load_config(world["config"]).source("service_requests")
    ledger = Ledger.load(LocalLake(world["lake"]), source)
    assert ledger.get("landing/service_requests/poison.csv").status == "quarantined"
    assert ledger.get("landing/service_requests/real.csv").loaded_rows == 19324
    assert_complete(world, 19324)


def test_the_daemon_fails_dead_runs_and_finishes_their_work(world):
    kill_during_big_file(world)
    daemon = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-daemon"),
            "run",
            "-w",
            str(Path(CONFIG_DIR).parent / "workspace.yaml"),
        ],
        env={**world["env"], "DAGSTER_HOME": str(world["home"])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            settings = Settings.from_env({k: v for k, v in world["env"].items() if k.startswith("QS_")})
            done = (world["lake"] / "processed" / "division_kpis").exists() and not runs(
                world, [dg.DagsterRunStatus.STARTED]
            )
            if done and catalog(world, "select sum(requests) from processed.division_kpis") == [(19324 + BIG_ROWS,)]:
                break
            assert daemon.poll() is None, "the daemon stopped"
            assert time.monotonic() < deadline, (
                f"not done under the daemon; runs: {[(r.run_id[:8], r.status) for r in runs(world, list(dg.DagsterRunStatus))]}"
            )
            time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    failed = runs(world, [dg.DagsterRunStatus.FAILURE])
    assert any(r.tags.get("qs_platform/died") == "true" for r in failed), "run monitoring marked the killed run failed"
    assert_complete(world, 19324 + BIG_ROWS)
    with dg.DagsterInstance.from_config(str(world["home"])) as instance:
        report = Syncer(build_definitions(settings, load_config(world["config"])), instance).sync()
    assert report.up_to_date, report.pending
