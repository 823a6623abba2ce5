"""DuckDB connections with bounded memory: every query the platform runs spills to disk instead of growing.

`QS_DUCKDB_MEMORY_LIMIT` (default 1GB) caps DuckDB's own memory; past it, sorts, joins and aggregations spill to
`QS_DUCKDB_TEMP_DIR` (default: a folder per process under the system temp dir, removed with the process's other
leftovers by `clean_dead_temp_dirs`). `QS_DUCKDB_THREADS` caps the threads (default: DuckDB's, one per core).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qs_platform.processes import is_alive

TEMP_ROOT_NAME = "qs-platform-duckdb"
# DuckDB's errors of the machine (memory, disk, an interrupt), never of the data it reads
DUCKDB_MACHINE_ERRORS = (duckdb.OutOfMemoryException, duckdb.IOException, duckdb.InterruptException)


class MachineFault(Exception):
    """A step failed because of the machine (disk full, out of memory, storage unreachable), not of its input: the
    message names what was being written and quotes the error."""


@dataclass(frozen=True)
class DuckDBSettings:
    memory_limit: str = "1GB"
    temp_directory: str = ""
    threads: int | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DuckDBSettings:
        env = os.environ if env is None else env
        threads = env.get("QS_DUCKDB_THREADS")
        return cls(
            memory_limit=env.get("QS_DUCKDB_MEMORY_LIMIT") or "1GB",
            temp_directory=env.get("QS_DUCKDB_TEMP_DIR") or "",
            threads=int(threads) if threads else None,
        )

    def temp_dir(self) -> Path:
        root = Path(self.temp_directory) if self.temp_directory else Path(tempfile.gettempdir()) / TEMP_ROOT_NAME
        return root / str(os.getpid())


def connect(settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the memory limit and spill folder of `settings` (default: from the environment)."""
    settings = settings or DuckDBSettings.from_env()
    temp = settings.temp_dir()
    temp.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": settings.memory_limit, "temp_directory": str(temp), "preserve_insertion_order": True}
    if settings.threads:
        config["threads"] = settings.threads
    con = duckdb.connect(config=config)
    con.execute("set TimeZone = 'UTC'")
    return con


def clean_dead_temp_dirs(settings: DuckDBSettings | None = None) -> list[Path]:
    """Spill folders of processes that are gone (a killed run leaves its spill files behind)."""
    settings = settings or DuckDBSettings.from_env()
    root = settings.temp_dir().parent
    removed = []
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name.isdigit() and not is_alive(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
