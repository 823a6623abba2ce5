"""(d) A landing sensor tick with 100,000 files already processed and 10 new ones: time, list requests, cursor size.

Local lake: 100,000 files in 100 folders, all in the ledger. S3 (moto.server on 127.0.0.1, objects put through
moto's own backend to save time): the `full` listing (every object, every tick) and `start_after` (only keys after
the watermark, for keys that sort by arrival such as yyyy/mm/dd/ prefixes), ListObjectsV2 calls counted.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import median

EXISTING = 100_000
NEW = 10


def _source(mode: str = "full"):
    from qs_platform.config.loader import load_config

    source = load_config(Path(__file__).resolve().parents[1] / "assets_config").source("service_requests")
    return source.model_copy(
        update={"listing": source.listing.model_copy(update={"mode": mode, "lookback_seconds": 3600})}
    )


def _ledger_of(store, lake, source) -> None:
    """Every listed file recorded as loaded, as a year of runs would have left it."""
    from qs_platform.ingest.landing import landed
    from qs_platform.ingest.ledger import FileRecord, Ledger, now

    ledger = Ledger(source, {})
    at = now()
    for obj in landed(store, source):
        ledger.record(
            FileRecord(obj.key, obj.etag, obj.size, "loaded", "0" * 32, 1, 1, 0, processed_at=at, checked_at=at)
        )
    ledger.save(lake)


def _ticks(store, lake, source, cursor: str | None, repeat: int = 3) -> tuple[list[float], object]:
    from qs_platform.orchestration.landing import evaluate_landing

    times, tick = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        tick = evaluate_landing(store, lake, source, cursor, now=time.time())
        times.append(time.perf_counter() - started)
    return times, tick


def local_tick() -> dict:
    from qs_platform.lake import LocalLake

    with tempfile.TemporaryDirectory() as tmp:
        lake = LocalLake(Path(tmp) / "lake")
        source = _source()
        base = lake.root / "landing" / "service_requests"
        for i in range(EXISTING):
            folder = base / f"2024/{i // 1000:03d}"
            if i % 1000 == 0:
                folder.mkdir(parents=True)
            (folder / f"{i:06d}.csv").write_bytes(b"x")
        _ledger_of(lake, lake, source)
        for i in range(NEW):
            (base / f"new-{i}.csv").write_bytes(b"y")
        times, tick = _ticks(lake, lake, source, None)
        requested = sum(len(r.run_config["ops"]["raw__service_requests"]["config"]["files"]) for r in tick.run_requests)
    return {
        "existing": EXISTING,
        "new": NEW,
        "tick_s": round(median(times), 3),
        "requested": requested,
        "cursor_bytes": len(tick.cursor),
    }


def s3_ticks() -> dict:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        return _s3_ticks(boto3)
    finally:
        server.stop()
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def _s3_ticks(boto3) -> dict:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from qs_platform.lake import LocalLake
    from qs_platform.lake.s3 import S3Lake

    boto3.client("s3").create_bucket(Bucket="landing")
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    history = datetime.now(UTC) - timedelta(days=2)  # a bucket with history: objects older than the look-back
    for i in range(EXISTING):
        key = backend.put_object("landing", f"drops/landing/service_requests/2024/{i // 1000:03d}/{i:06d}.csv", b"x")
        key.last_modified = history
    calls = {"list": 0}
    client = boto3.client("s3")
    client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **_: calls.__setitem__("list", calls["list"] + 1)
    )
    store = S3Lake("s3://landing/drops", client=client)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("start_after", "full"):
            lake = LocalLake(Path(tmp) / mode)
            source = _source(mode)
            _ledger_of(store, lake, source)
            _, first = _ticks(store, lake, source, None, repeat=1)  # the watermark is set by a first tick
            for i in range(NEW):
                backend.put_object("landing", f"drops/landing/service_requests/2025/new-{mode}-{i}.csv", b"y")
            calls["list"] = 0
            times, tick = _ticks(store, lake, source, first.cursor, repeat=1)
            requested = sum(
                len(r.run_config["ops"]["raw__service_requests"]["config"]["files"]) for r in tick.run_requests
            )
            results[mode] = {
                "tick_s": round(times[0], 3),
                "list_requests": calls["list"],
                "requested": requested,
                "cursor_bytes": len(tick.cursor),
            }
    return {"existing": EXISTING, "new": NEW, **{f"{mode}_{k}": v for mode, r in results.items() for k, v in r.items()}}
