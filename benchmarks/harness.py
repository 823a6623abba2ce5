"""What the benchmarks share: generated service-request CSVs, an isolated lake, the daemon, timing and memory.

Every scenario runs the platform as a user would (the `qs-platform` command, `dagster-daemon`, or the library for
the ingest itself) on a lake of its own under a temporary folder, with the service-requests pipeline alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HEADER = "id,start_date,end_date,service_division_owner,service_result,ward_id,estimated_cost,notes"
SEED_CSV = PROJECT / "examples" / "landing" / "service_requests" / "division_data_24-12-23.csv"
SEED_ROWS = 19324


def generate_csv(path: Path, rows: int, first_id: int = 10_000_000, seed: float = 0.5) -> Path:
    """A service-requests CSV with the example's header and plausible values, written by DuckDB (fast)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    select = f"""
        select {first_id} + i as id,
               strftime(date '2000-01-01' + cast(hash(i) % 8000 as integer), '%-m/%-d/%Y') as start_date,
               strftime(date '2000-01-01' + cast(hash(i) % 8000 as integer) + cast(hash(i * 7) % 200 as integer), '%-m/%-d/%Y') as end_date,
               ['Toronto Water', 'Transportation Services', 'Solid Waste Management', 'Parks, Forestry and Recreation',
                'Municipal Licensing and Standards'][1 + cast(hash(i * 3) % 5 as integer)] as service_division_owner,
               ['PASS', 'FAIL', NULL][1 + cast(hash(i * 5) % 3 as integer)] as service_result,
               1 + cast(hash(i * 11) % 25 as integer) as ward_id,
               1000 + cast(hash(i * 13) % 199000 as integer) as estimated_cost,
               NULL as notes
        from range({rows}) as t(i)
    """
    with duckdb.connect() as con:
        con.execute(f"select setseed({seed})")
        con.execute(f"copy ({select}) to '{path}' (header, delimiter ',')")
    return path


def small_csv(path: Path, rows: int, first_id: int) -> Path:
    """A small service-requests CSV (one delivery): `rows` requests numbered from `first_id`."""
    lines = [f"{first_id + r},1/3/2000,1/10/2000,Toronto Water,PASS,3,10," for r in range(rows)]
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


@dataclass
class World:
    """A lake and config of its own: the service-requests source, its tables and dashboard."""

    root: Path
    env: dict = field(default_factory=dict)

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def landing(self) -> Path:
        return self.lake / "landing" / "service_requests"

    @property
    def home(self) -> Path:
        return self.lake / "_dagster_home"

    def sync(self, timeout: float = 1800) -> tuple[float, subprocess.CompletedProcess]:
        started = time.perf_counter()
        done = subprocess.run(
            [str(BIN / "qs-platform"), "sync"], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        return time.perf_counter() - started, done

    def requests(self) -> int:
        """Requests counted by processed.division_kpis (what the dashboard shows)."""
        try:
            with duckdb.connect(str(self.lake / "catalog.duckdb"), read_only=True) as con:
                return con.execute("select coalesce(sum(requests), 0) from processed.division_kpis").fetchone()[0]
        except duckdb.Error:
            return -1


def make_world(root: Path, seed_csv: bool = True, monitoring_interval: int = 5) -> World:
    config = root / "config"
    for folder, name in [
        ("sources", "service_requests.yaml"),
        ("tables", "service_requests.yaml"),
        ("quicksight", "service_division.yaml"),
    ]:
        (config / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT / "assets_config" / folder / name, config / folder / name)
    world = World(root)
    world.landing.mkdir(parents=True)
    if seed_csv:
        shutil.copy(SEED_CSV, world.landing / SEED_CSV.name)
    world.env = {
        **os.environ,
        "QS_CONFIG_DIR": str(config),
        "QS_LAKE_URL": str(world.lake),
        "QS_RUN_MONITORING_INTERVAL": str(monitoring_interval),
    }
    for name in ("DAGSTER_HOME", "QS_CATALOG_PATH", "QS_QUICKSIGHT_STORE"):
        world.env.pop(name, None)
    return world


@contextmanager
def daemon(world: World):
    """`dagster-daemon run` on the world's instance (what `make dev` runs besides the UI), stopped on exit."""
    process = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(PROJECT / "workspace.yaml")],
        env={**world.env, "DAGSTER_HOME": str(world.home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=PROJECT,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_until(predicate, timeout: float, poll: float = 0.25) -> float:
    """Seconds until `predicate()` holds; raises TimeoutError after `timeout`."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not reached within {timeout} s")
        time.sleep(poll)
    return time.perf_counter() - started


def peak_rss_of(command: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(seconds, peak resident memory in bytes, output) of a child process, from the kernel's own accounting."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command} failed: {output[-2000:]}")
    return time.perf_counter() - started, usage.ru_maxrss * 1024, output


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
