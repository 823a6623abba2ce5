"""Processed tables over a generated million rows, and a late file for one old day of a year-partitioned table."""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.harness import PROJECT, generate_csv


def _clicks(path: Path, events: int, first_day: date, days: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        for _ in range(events):
            day = first_day + timedelta(days=rng.randrange(days))
            created = f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            out.write(
                json.dumps(
                    {
                        "element_clicked": f"item_{rng.randrange(40)}",
                        "time_spent": rng.randrange(1, 600),
                        "source_menu": "menu",
                        "created_at": created,
                    }
                )
                + "\n"
            )


def transforms(rows: int = 1_000_000) -> dict:
    from qs_platform.config.loader import load_config
    from qs_platform.ingest.runner import ingest_landed_file
    from qs_platform.lake import LocalLake
    from qs_platform.transform.run import run_transform

    config = load_config(PROJECT / "assets_config")
    with tempfile.TemporaryDirectory() as tmp:
        lake = LocalLake(Path(tmp) / "lake")
        generate_csv(lake.root / "landing/service_requests/big.csv", rows)
        ingest_landed_file(lake, config.source("service_requests"), "landing/service_requests/big.csv")
        started = time.perf_counter()
        for name in ("service_requests", "division_kpis", "ward_kpis"):
            run_transform(lake, config, config.table(name))
        whole = time.perf_counter() - started

        source, table = config.source("clickstream"), config.table("clickstream_hourly")
        _clicks(lake.root / "landing/clickstream/2023/01/01/00/year.json", rows, date(2023, 1, 1), 365)
        ingest_landed_file(lake, source, "landing/clickstream/2023/01/01/00/year.json")
        started = time.perf_counter()
        full = run_transform(lake, config, table)
        full_s = time.perf_counter() - started
        _clicks(lake.root / "landing/clickstream/2023/03/14/09/late.json", 500, date(2023, 3, 14), 1, seed=3)
        ingest_landed_file(lake, source, "landing/clickstream/2023/03/14/09/late.json")
        started = time.perf_counter()
        late = run_transform(lake, config, table)
        late_s = time.perf_counter() - started
    return {
        "rows": rows,
        "service_tables_s": round(whole, 2),
        "year_full_build_s": round(full_s, 2),
        "late_day_s": round(late_s, 2),
        "partitions": late.partitions.total,
        "rewritten": len(late.partitions.rewritten),
        "full_rows": full.row_count,
    }
