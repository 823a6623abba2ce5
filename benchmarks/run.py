"""`make bench`: throughput of the raw and processed layers on generated service requests.

Targets (checked here, not in the test suite): ingesting 1,000,000 rows under 10 s and recomputing the
processed tables over them under 5 s on the 2-core reference machine. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from qs_platform.config.loader import load_config
from qs_platform.ingest.load import ingest_file
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ingest-target", type=float, default=10.0)
    parser.add_argument("--transform-target", type=float, default=5.0)
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
    print(f"ingest     {args.rows:>10,} rows ({size_mb:.0f} MB CSV): {ingest_s:6.2f} s  ({args.rows / ingest_s:,.0f} rows/s)  "
          f"loaded {result.loaded_rows:,} rejected {result.rejected_rows:,}  target < {args.ingest_target} s")
    print(f"transforms {args.rows:>10,} rows: {transform_s:6.2f} s  target < {args.transform_target} s")
    missed = ingest_s > args.ingest_target or transform_s > args.transform_target
    print("MISSED a target" if missed else "all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
