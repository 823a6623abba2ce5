"""Raw ingest against the reference tools, same file, same run: DuckDB's own typed COPY and pandas.

(a) throughput on a generated 2 M-row CSV, work only (imports excluded), median of `repeat` interleaved runs;
(s) the cost per file of many small files (10 rows each) loaded in one run, against DuckDB's own typed COPY of each;
(b) peak resident memory of a child process ingesting a generated CSV of more than 2 GB (deleted afterwards),
    next to DuckDB's own typed COPY of the same file, with `QS_DUCKDB_MEMORY_LIMIT` at its default (1 GB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import generate_csv, median, peak_rss_of

REFERENCE_COPY = """
    copy (select id::bigint as id, strptime(start_date, '%m/%d/%Y')::date as start_date,
                 strptime(end_date, '%m/%d/%Y')::date as end_date, service_division_owner, service_result,
                 ward_id::bigint as ward_id, estimated_cost::decimal(18,2) as estimated_cost, notes
          from read_csv('{csv}', header = true, all_varchar = true))
    to '{out}' (format parquet)
"""


def _platform_ingest(csv: Path, work: Path) -> tuple[float, int]:
    """(seconds, loaded rows) of the raw layer loading `csv` as a run does (hash, read, type, check, write)."""
    from qs_platform.config.loader import load_config
    from qs_platform.ingest.ledger import Ledger
    from qs_platform.ingest.runner import ingest_group
    from qs_platform.lake import LocalLake

    source = load_config(Path(__file__).resolve().parents[1] / "assets_config").source("service_requests")
    lake = LocalLake(work / "lake")
    landed = lake.root / "landing" / "service_requests" / csv.name
    landed.parent.mkdir(parents=True, exist_ok=True)
    if not landed.exists():
        landed.hardlink_to(csv)
    started = time.perf_counter()
    group = ingest_group(lake, lake, source, [lake.stat(f"landing/service_requests/{csv.name}")], Ledger(source, {}))
    seconds = time.perf_counter() - started
    return seconds, group.outcomes[0].record.loaded_rows


def _duckdb_copy(csv: Path, out: Path) -> float:
    import duckdb

    with duckdb.connect() as con:
        started = time.perf_counter()
        con.execute(REFERENCE_COPY.format(csv=csv, out=out))
        return time.perf_counter() - started


def _pandas(csv: Path, out: Path) -> float:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    frame["id"] = frame["id"].astype("int64")
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column], format="%m/%d/%Y").dt.date
    frame["ward_id"] = pd.to_numeric(frame["ward_id"])
    frame["estimated_cost"] = pd.to_numeric(frame["estimated_cost"])
    frame.to_parquet(out)
    return time.perf_counter() - started


def throughput(rows: int = 2_000_000, repeat: int = 5) -> dict:
    import pandas  # noqa: F401  (imported before timing: work only)
    import pyarrow  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = generate_csv(work / "requests.csv", rows)
        size = csv.stat().st_size
        ours, reference, frames = [], [], []
        for i in range(repeat):
            reference.append(_duckdb_copy(csv, work / f"duckdb-{i}.parquet"))
            seconds, loaded = _platform_ingest(csv, work / f"run-{i}")
            assert loaded == rows, f"the platform loaded {loaded} of {rows} rows"
            ours.append(seconds)
            if i == 0:
                frames.append(_pandas(csv, work / "pandas.parquet"))
    platform, duck, panda = median(ours), median(reference), median(frames)
    return {
        "rows": rows,
        "csv_mb": round(size / 1e6, 1),
        "platform_s": round(platform, 3),
        "duckdb_copy_s": round(duck, 3),
        "pandas_s": round(panda, 3),
        "vs_duckdb": round(duck / platform, 3),
        "vs_pandas": round(panda / platform, 2),
        "platform_mb_per_s": round(size / 1e6 / platform, 1),
    }


def small_files(count: int = 300, rows: int = 10) -> dict:
    """Per-file cost of `count` small CSVs ingested as one run does (one group), against DuckDB's typed COPY of each
    file on its own (one connection, as the run has): what the platform adds to each landed file."""
    import duckdb

    from benchmarks.harness import small_csv
    from qs_platform.config.loader import load_config
    from qs_platform.ingest.ledger import Ledger
    from qs_platform.ingest.runner import ingest_group
    from qs_platform.lake import LocalLake

    source = load_config(Path(__file__).resolve().parents[1] / "assets_config").source("service_requests")
    with tempfile.TemporaryDirectory() as tmp:
        lake = LocalLake(Path(tmp) / "lake")
        landing = lake.root / "landing" / "service_requests"
        landing.mkdir(parents=True)
        for f in range(count):
            small_csv(landing / f"d-{f:05d}.csv", rows, 10_000 + f * rows)
        objects = [lake.stat(f"landing/service_requests/d-{f:05d}.csv") for f in range(count)]
        started = time.perf_counter()
        group = ingest_group(lake, lake, source, objects, Ledger(source, {}))
        platform = time.perf_counter() - started
        assert sum(o.record.loaded_rows for o in group.outcomes) == count * rows
        with duckdb.connect() as con:
            started = time.perf_counter()
            for f in range(count):
                con.execute(REFERENCE_COPY.format(csv=landing / f"d-{f:05d}.csv", out=Path(tmp) / f"d-{f:05d}.parquet"))
            reference = time.perf_counter() - started
    return {
        "files": count,
        "rows_per_file": rows,
        "platform_ms_per_file": round(1000 * platform / count, 1),
        "duckdb_copy_ms_per_file": round(1000 * reference / count, 1),
        "vs_duckdb": round(reference / platform, 3),
    }


def peak_memory(gigabytes: float = 2.4) -> dict:
    rows = int(gigabytes * 1e9 / 70)  # about 70 bytes per generated row
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = generate_csv(work / "big.csv", rows)
        size = csv.stat().st_size
        ours_s, ours_rss, output = peak_rss_of(
            [sys.executable, "-m", "benchmarks.ingest", "--one", str(csv), str(work / "run")]
        )
        ref_s, ref_rss, _ = peak_rss_of(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; duckdb.execute(sys.argv[1])",
                REFERENCE_COPY.format(csv=csv, out=work / "duckdb.parquet"),
            ]
        )
        csv.unlink()
    return {
        "csv_gb": round(size / 1e9, 2),
        "rows": rows,
        "loaded": int(output.strip().splitlines()[-1]),
        "platform_peak_rss_gb": round(ours_rss / 1e9, 2),
        "platform_s": round(ours_s, 1),
        "duckdb_copy_peak_rss_gb": round(ref_rss / 1e9, 2),
        "duckdb_copy_s": round(ref_s, 1),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--one"]:  # the child process of peak_memory
    _, loaded = _platform_ingest(Path(sys.argv[2]), Path(sys.argv[3]))
    print(loaded)
