"""`make bench`: the platform side by side with the reference tools, in the same run, as ratios; goals checked.

Prints one table and writes benchmarks/results.json. Exits 1 naming every goal missed. `--only` picks scenarios
(ingest, small_files, memory, files, daemon, latency, sensing, s3, quicksight, transforms); `--quick` shrinks the sizes to try
the suite out (its numbers are not the goals' sizes).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import files, ingest, sensing, transforms

RESULTS = Path(__file__).with_name("results.json")


def scenarios(quick: bool) -> dict:
    return {
        "ingest": lambda: ingest.throughput(rows=200_000 if quick else 2_000_000),
        "small_files": lambda: ingest.small_files(count=100 if quick else 300),
        "memory": lambda: ingest.peak_memory(gigabytes=0.3 if quick else 2.4),
        "files": lambda: files.many_files_with_sync(count=100 if quick else 1000),
        "daemon": lambda: files.many_files_with_daemon(count=100 if quick else 1000),
        "latency": lambda: files.latency_under_daemon(count=3 if quick else 10),
        "sensing": sensing.local_tick,
        "s3": sensing.s3_ticks,
        "quicksight": files.quiet_sync_quicksight_calls,
        "transforms": lambda: transforms.transforms(rows=100_000 if quick else 1_000_000),
    }


# (scenario, what, measured value, passes) -- the goals, as ratios or bounds on the 2-core machine
GOALS = [
    ("ingest", "ingest >= 0.8x DuckDB's own typed COPY", lambda r: r["vs_duckdb"], lambda v: v >= 0.8),
    ("ingest", "ingest >= 3x pandas", lambda r: r["vs_pandas"], lambda v: v >= 3),
    ("memory", "peak RSS <= 1.5 GB on a 2.4 GB CSV", lambda r: r["platform_peak_rss_gb"], lambda v: v <= 1.5),
    ("files", "1,000 small files -> processed current < 60 s (sync)", lambda r: r["sync_s"], lambda v: v < 60),
    ("daemon", "1,000 small files -> processed current < 60 s (daemon)", lambda r: r["daemon_s"], lambda v: v < 60),
    ("latency", "landing -> dataset p50 < 30 s (daemon)", lambda r: r["p50_s"], lambda v: v < 30),
    ("sensing", "local sensor tick < 1 s with 100,000 files", lambda r: r["tick_s"], lambda v: v < 1),
    ("sensing", "cursor size independent of history", lambda r: r["cursor_bytes"], lambda v: v < 1000),
    ("s3", "S3 start_after tick < 1 s with 100,000 objects", lambda r: r["start_after_tick_s"], lambda v: v < 1),
    ("quicksight", "no mutating QuickSight call when nothing changed", lambda r: r["mutating_calls"], lambda v: v == 0),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated scenarios (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the suite out")
    args = parser.parse_args()
    chosen = scenarios(args.quick)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(chosen)
    results = {}
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        results[name] = chosen[name]()
        print(f"  {name} ({time.perf_counter() - started:.0f} s): {results[name]}", flush=True)
    missed = []
    print(f"\n{'goal':<58} {'measured':>10}  result")
    for scenario, what, value_of, passes in GOALS:
        if scenario not in results:
            continue
        value = value_of(results[scenario])
        ok = passes(value)
        print(f"{what:<58} {value:>10}  {'ok' if ok else 'MISSED'}")
        if not ok:
            missed.append(f"{what}: measured {value}")
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "quick": args.quick,
        "results": results,
        "missed": missed,
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")
    for line in missed:
        print(f"MISSED {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
