"""The SQLite store: one file, WAL mode, one short transaction per call, safe across processes.

``resources`` holds every data source, dataset, ingestion, dashboard and dashboard version as a JSON body keyed by
ARN; ``tags`` holds resource tags; ``calls`` is the call log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from qs_platform.local.quicksight.codec import dumps, loads

_BUSY_TIMEOUT_SECONDS = 30.0
_MUTATING_PREFIXES = ("Create", "Update", "Delete", "Tag", "Untag")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    body TEXT NOT NULL,
    pending_reads INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (kind, parent, seq);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    mutating INTEGER NOT NULL,
    params TEXT NOT NULL,
    error TEXT,
    at TEXT NOT NULL
);
"""


class Tx:
    """Store operations inside one open transaction.

    ``parent`` is the ``region:account`` scope for top-level resources and the parent ARN for
    ingestions and dashboard versions. ``pending_reads`` counts the describes that must still
    see a resource as in progress (strict mode).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def get(self, arn: str) -> dict | None:
        row = self.conn.execute("SELECT body FROM resources WHERE arn = ?", (arn,)).fetchone()
        return loads(row[0]) if row else None

    def observe(self, arn: str) -> tuple[dict, bool]:
        """Read a resource for a describe: returns (body, still_in_progress) and uses up one pending read."""
        body, pending = self.conn.execute("SELECT body, pending_reads FROM resources WHERE arn = ?", (arn,)).fetchone()
        if pending:
            self.conn.execute("UPDATE resources SET pending_reads = pending_reads - 1 WHERE arn = ?", (arn,))
        return loads(body), pending > 0

    def children(self, kind: str, parent: str) -> list[tuple[dict, bool]]:
        """All resources of a kind under a parent, oldest first, as (body, still_in_progress)."""
        rows = self.conn.execute(
            "SELECT body, pending_reads FROM resources WHERE kind = ? AND parent = ? ORDER BY seq",
            (kind, parent),
        )
        return [(loads(body), pending > 0) for body, pending in rows]

    def insert(self, arn: str, kind: str, parent: str, body: dict, pending_reads: int = 0) -> None:
        self.conn.execute(
            "INSERT INTO resources (arn, kind, parent, body, pending_reads) VALUES (?, ?, ?, ?, ?)",
            (arn, kind, parent, dumps(body), pending_reads),
        )

    def update(self, arn: str, body: dict, pending_reads: int | None = None) -> None:
        """Replace a resource's body; `pending_reads` (strict mode) makes the change asynchronous again."""
        if pending_reads is None:
            self.conn.execute("UPDATE resources SET body = ? WHERE arn = ?", (dumps(body), arn))
        else:
            self.conn.execute(
                "UPDATE resources SET body = ?, pending_reads = ? WHERE arn = ?", (dumps(body), pending_reads, arn)
            )

    def delete(self, arn: str) -> None:
        """Delete a resource with its children and all their tags."""
        doomed = [arn] + [r[0] for r in self.conn.execute("SELECT arn FROM resources WHERE parent = ?", (arn,))]
        self.conn.executemany("DELETE FROM resources WHERE arn = ?", [(a,) for a in doomed])
        self.conn.executemany("DELETE FROM tags WHERE arn = ?", [(a,) for a in doomed])

    def tags(self, arn: str) -> list[dict]:
        rows = self.conn.execute("SELECT key, value FROM tags WHERE arn = ? ORDER BY rowid", (arn,))
        return [{"Key": key, "Value": value} for key, value in rows]

    def set_tags(self, arn: str, tags: list[dict]) -> None:
        self.conn.executemany(
            "INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
            [(arn, t["Key"], t["Value"]) for t in tags],
        )

    def remove_tags(self, arn: str, keys: list[str]) -> None:
        self.conn.executemany("DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys])

    def log_call(self, operation: str, params: dict, error: str | None, at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO calls (operation, mutating, params, error, at) VALUES (?, ?, ?, ?, ?)",
            (operation, _is_mutating(operation), dumps(params), error, at.isoformat()),
        )


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._enable_wal()
        with self.transaction() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.conn.execute(statement)

    @retry(
        retry=retry_if_exception(lambda e: isinstance(e, sqlite3.OperationalError) and "locked" in str(e)),
        wait=wait_exponential(multiplier=0.05, max=1),
        stop=stop_after_delay(_BUSY_TIMEOUT_SECONDS),
        reraise=True,
    )
    def _enable_wal(self) -> None:
        """Switch to WAL once per file. The switch needs an exclusive lock and does not wait on the busy timeout,
        so it is skipped when already done and retried when another process holds the file."""
        conn = self._connect()
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One short write transaction; IMMEDIATE so concurrent writers queue on the busy timeout
        instead of failing when a read lock would have to be upgraded."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def read_calls(self) -> list[dict]:
        conn = self._connect()
        try:
            rows = conn.execute("SELECT operation, mutating, params, error, at FROM calls ORDER BY seq").fetchall()
        finally:
            conn.close()
        return [
            {"operation": op, "mutating": bool(mut), "params": loads(params), "at": at, "error": error}
            for op, mut, params, error, at in rows
        ]


def _is_mutating(operation: str) -> bool:
    return operation.startswith(_MUTATING_PREFIXES)
