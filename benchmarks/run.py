"""`make bench`: throughput of the raw and processed layers on generated service requests.

Targets (checked here, not in the test suite): ingesting 1,000,000 rows under 10 s and recomputing the
processed tables over them under 5 s on the 2-core reference machine; for a partitioned table (clickstream_hourly,
one partition per day) over a year of 1,000,000 events, a late file for one old day is recomputed in under 2 s
(it rewrites 1 of 365 partitions). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from qs_platform.config.loader import load_config
from qs_platform.ingest.load import ingest_file
from qs_platform.ingest.partitions import partition_key_for
from qs_platform.lake import LocalLake
from qs_platform.transform.run import run_transform

PROJECT = Path(__file__).resolve().parents[1]
DIVISIONS = ["Toronto Water", "Transportation Services", "Solid Waste Management", '"Parks, Forestry and Recreation"', "Municipal Licensing and Standards"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w") as out:
        out.write("id,start_date,end_date,service_division_owner,service_result,ward_id,estimated_cost,notes\n")
        for i in range(rows):
            start = date(2000, 1, 1) + timedelta(days=rng.randrange(8000))
            end = start + timedelta(days=rng.randrange(200))
            out.write(f"{i},{start.month}/{start.day}/{start.year},{end.month}/{end.day}/{end.year},{rng.choice(DIVISIONS)},"
                      f"{rng.choice(['PASS', 'FAIL', ''])},{rng.randrange(1, 26)},{rng.randrange(1000, 200000)},\n")


def generate_clicks(path: Path, events: int, first_day: date, days: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        for _ in range(events):
            day = first_day + timedelta(days=rng.randrange(days))
            created = f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            out.write(json.dumps({"element_clicked": f"item_{rng.randrange(40)}", "time_spent": rng.randrange(1, 600),
                                  "source_menu": "menu", "created_at": created}) + "\n")


def bench_incremental(lake: LocalLake, config, events: int) -> tuple[float, float, int, int]:
    """(full build s, late-file rebuild s, partitions, partitions rewritten) of clickstream_hourly over a year."""
    source, table = config.source("clickstream"), config.table("clickstream_hourly")
    year = "clickstream/2023/01/01/00/year.json"
    generate_clicks(Path(lake.uri(f"landing/{year}")), events, date(2023, 1, 1), 365)
    ingest_file(lake, source, f"landing/{year}", partition_key_for(year.removeprefix("clickstream/")))
    started = time.perf_counter()
    full = run_transform(lake, config, table)
    full_s = time.perf_counter() - started
    late = "clickstream/2023/03/14/09/late.json"
    generate_clicks(Path(lake.uri(f"landing/{late}")), 500, date(2023, 3, 14), 1, seed=3)
    ingest_file(lake, source, f"landing/{late}", partition_key_for(late.removeprefix("clickstream/")))
    started = time.perf_counter()
    incremental = run_transform(lake, config, table)
    return full_s, time.perf_counter() - started, incremental.partitions.total, len(incremental.partitions.rewritten)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ingest-target", type=float, default=10.0)
    parser.add_argument("--transform-target", type=float, default=5.0)
    parser.add_argument("--incremental-target", type=float, default=2.0)
    args = parser.parse_args()
    config = load_config(PROJECT / "assets_config")
    with tempfile.TemporaryDirectory() as tmp:
        lake = LocalLake(Path(tmp) / "lake")
        landing = Path(lake.uri("landing/service_requests/big.csv"))
        landing.parent.mkdir(parents=True)
        generate(landing, args.rows)
        size_mb = landing.stat().st_size / 1e6
        started = time.perf_counter()
        result = ingest_file(lake, config.source("service_requests"), "landing/service_requests/big.csv", "big.csv")
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        for table in config.tables:
            run_transform(lake, config, table)
        transform_s = time.perf_counter() - started
        full_s, incremental_s, partitions, rewritten = bench_incremental(lake, config, args.rows)
    print(f"ingest     {args.rows:>10,} rows ({size_mb:.0f} MB CSV): {ingest_s:6.2f} s  ({args.rows / ingest_s:,.0f} rows/s)  "
          f"loaded {result.loaded_rows:,} rejected {result.rejected_rows:,}  target < {args.ingest_target} s")
    print(f"transforms {args.rows:>10,} rows: {transform_s:6.2f} s  target < {args.transform_target} s")
    print(f"partitioned {args.rows:>9,} events over 365 days: full build {full_s:6.2f} s; a late file for one day "
          f"{incremental_s:6.2f} s ({rewritten} of {partitions} partitions rewritten)  target < {args.incremental_target} s")
    missed = ingest_s > args.ingest_target or transform_s > args.transform_target or incremental_s > args.incremental_target
    print("MISSED a target" if missed else "all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
