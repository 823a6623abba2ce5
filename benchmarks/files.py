"""Many small files at once, and one file at a time: what a stream of deliveries costs end to end.

(c) 1,000 small CSVs (10 rows each) land at once into a lake whose example data is already processed; measured
    until processed.division_kpis counts them: with `qs-platform sync`, and with the daemon as `make dev` runs it;
(e) landing → dashboard dataset current, one file at a time, under the daemon: p50 and p95 over `count` files;
(f) the QuickSight calls of a sync when nothing changed (the mutating ones must be 0).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.harness import SEED_ROWS, World, daemon, make_world, median, percentile, small_csv, wait_until

DATASET_KEY = ["quicksight", "dataset", "division_kpis"]


def land_small_files(world: World, count: int, rows: int = 10, first_id: int = 50_000_000) -> int:
    """`count` CSVs written aside and moved into landing at once; the number of rows landed."""
    staging = world.root / "outbox"
    staging.mkdir(exist_ok=True)
    for f in range(count):
        small_csv(staging / f"delivery-{f:05d}.csv", rows, first_id + f * rows)
    for path in sorted(staging.iterdir()):
        path.rename(world.landing / path.name)
    return count * rows


def ready_world(root: Path) -> World:
    world = make_world(root)
    seconds, done = world.sync()
    assert done.returncode == 0 and world.requests() == SEED_ROWS, done.stdout + done.stderr
    return world


def many_files_with_sync(count: int = 1000) -> dict:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # run workers may outlive the daemon briefly
        world = ready_world(Path(tmp))
        expected = SEED_ROWS + land_small_files(world, count)
        seconds, done = world.sync()
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert world.requests() == expected, (world.requests(), expected)
        runs = done.stdout.count("materialized raw/service_requests")
    return {"files": count, "sync_s": round(seconds, 1), "raw_runs": runs}


def many_files_with_daemon(count: int = 1000, timeout: float = 600) -> dict:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # run workers may outlive the daemon briefly
        world = ready_world(Path(tmp))
        with daemon(world):
            time.sleep(15)  # the daemon and its code server start, the first ticks find nothing to do
            expected = SEED_ROWS + land_small_files(world, count)
            seconds = wait_until(lambda: world.requests() == expected, timeout)
    return {"files": count, "daemon_s": round(seconds, 1)}


def latency_under_daemon(count: int = 10, timeout: float = 300) -> dict:
    import dagster as dg

    latencies = []
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # run workers may outlive the daemon briefly
        world = ready_world(Path(tmp))
        with daemon(world), dg.DagsterInstance.from_config(str(world.home)) as instance:
            time.sleep(15)
            key = dg.AssetKey(DATASET_KEY)
            for i in range(count):
                before = instance.get_latest_materialization_event(key).timestamp
                path = small_csv(world.root / f"one-{i}.csv", 1, 60_000_000 + i)
                landed = time.time()
                path.rename(world.landing / path.name)

                def current(before: float = before, expected: int = SEED_ROWS + i + 1) -> bool:
                    event = instance.get_latest_materialization_event(key)
                    return event.timestamp > before and world.requests() == expected

                wait_until(current, timeout)
                latencies.append(instance.get_latest_materialization_event(key).timestamp - landed)
                time.sleep(i % 4)  # files do not arrive in step with the sensor's ticks
    return {
        "files": count,
        "p50_s": round(median(latencies), 1),
        "p95_s": round(percentile(latencies, 0.95), 1),
        "all_s": [round(x, 1) for x in latencies],
    }


def quiet_sync_quicksight_calls() -> dict:
    from qs_platform.local.quicksight import LocalQuickSightBackend

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # run workers may outlive the daemon briefly
        world = ready_world(Path(tmp))
        backend = LocalQuickSightBackend(world.lake / "_quicksight" / "quicksight.sqlite", account_id="111122223333")
        backend.reset_call_log()
        seconds, done = world.sync()
        calls = backend.call_log()
    return {
        "sync_s": round(seconds, 1),
        "calls": len(calls),
        "mutating_calls": sum(1 for c in calls if c["mutating"]),
        "up_to_date": "everything is up to date" in done.stdout,
    }
