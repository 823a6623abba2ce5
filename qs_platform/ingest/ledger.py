"""The file ledger: per source, what became of every landed file (`ledger/<source>/files.parquet`).

One record per landing key, for the content it has now: the fingerprint it was listed with (local: size, mtime and
inode; S3: the ETag), its content hash, the status (`loaded`, `quarantined`, `expanded`), input/loaded/rejected rows,
the reason, where its rows went, the run and the time. A landed file whose fingerprint is not in the ledger is
pending; that is the only state the landing sensor needs, so its cursor does not grow with history and a run that
died is simply pending again. The catalog shows it as `ledger.<source>`.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from qs_platform.config.models import Source
from qs_platform.lake import Lake
from qs_platform.sql.engine import connect

STATUSES = ("loaded", "quarantined", "expanded")


@dataclass(frozen=True)
class FileRecord:
    key: str
    fingerprint: str
    size: int
    status: str  # one of STATUSES
    content_hash: str = ""
    input_rows: int = 0
    loaded_rows: int = 0
    rejected_rows: int = 0
    reason: str = ""
    raw_key: str = ""
    quarantine_key: str = ""
    source_version: str = ""
    run_id: str = ""
    processed_at: datetime | None = None  # when the content was (re)loaded
    checked_at: datetime | None = None  # when the fingerprint was last confirmed (an unchanged re-delivery)

    def confirmed(self, fingerprint: str, size: int, run_id: str, at: datetime) -> FileRecord:
        """The same content seen under a new fingerprint (touched, or re-uploaded identical): nothing to load."""
        return dataclasses.replace(self, fingerprint=fingerprint, size=size, checked_at=at, run_id=run_id)


SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("fingerprint", pa.string()),
        ("size", pa.int64()),
        ("status", pa.string()),
        ("content_hash", pa.string()),
        ("input_rows", pa.int64()),
        ("loaded_rows", pa.int64()),
        ("rejected_rows", pa.int64()),
        ("reason", pa.string()),
        ("raw_key", pa.string()),
        ("quarantine_key", pa.string()),
        ("source_version", pa.string()),
        ("run_id", pa.string()),
        ("processed_at", pa.timestamp("us")),
        ("checked_at", pa.timestamp("us")),
    ]
)


def ledger_key(source: Source | str) -> str:
    name = source if isinstance(source, str) else source.name
    return f"ledger/{name}/files.parquet"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read(lake: Lake, source: Source, columns: list[str]) -> list[tuple]:
    scan = lake.parquet_scan(f"ledger/{source.name}/")
    if scan is None:
        return []
    with connect() as con:
        return con.execute(f"select {', '.join(columns)} from {scan}").fetchall()


_FINGERPRINTS: dict[str, tuple[str, dict[str, str]]] = {}  # ledger URI -> (its etag, key -> fingerprint)


def fingerprints(lake: Lake, source: Source) -> dict[str, str]:
    """key -> fingerprint of every file in the ledger (what the landing sensor compares a listing with).

    Kept in the process while the ledger object is unchanged: a sensor ticking every few seconds over a ledger of
    100,000 files reads it again only after a run has written it."""
    key = ledger_key(source)
    current = lake.stat(key)
    if current is None:
        return {}
    cached = _FINGERPRINTS.get(lake.uri(key))
    if cached and cached[0] == current.etag:
        return cached[1]
    found = dict(_read(lake, source, ["key", "fingerprint"]))
    _FINGERPRINTS[lake.uri(key)] = (current.etag, found)
    return found


class Ledger:
    def __init__(self, source: Source, records: dict[str, FileRecord]):
        self.source = source
        self.records = records
        self.changed: dict[str, FileRecord] = {}

    @classmethod
    def load(cls, lake: Lake, source: Source) -> Ledger:
        names = [f.name for f in dataclasses.fields(FileRecord)]
        return cls(source, {row[0]: FileRecord(*row) for row in _read(lake, source, names)})

    def get(self, key: str) -> FileRecord | None:
        return self.records.get(key)

    def record(self, record: FileRecord) -> None:
        self.records[record.key] = record
        self.changed[record.key] = record

    def save(self, lake: Lake) -> None:
        """Write the ledger with this run's records, merged into the ledger as it is now (another run may have
        written it meanwhile: the newer record of a key wins)."""
        if not self.changed:
            return
        current = Ledger.load(lake, self.source).records
        for key, record in self.changed.items():
            other = current.get(key)
            if other is None or _stamp(record) >= _stamp(other):
                current[key] = record
        records = [r for _, r in sorted(current.items())]
        table = pa.Table.from_pydict(
            {name: [getattr(r, name) for r in records] for name in SCHEMA.names}, schema=SCHEMA
        )
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        lake.put_bytes(ledger_key(self.source), buffer.getvalue())
        self.records, self.changed = current, {}


def _stamp(record: FileRecord) -> datetime:
    return max(t for t in (record.processed_at, record.checked_at, datetime.min) if t is not None)
