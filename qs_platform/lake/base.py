"""The storage seam: everything above it talks to a `Lake`, never to a filesystem or S3 directly.

Layout inside a lake: `landing/<source>/…`, `raw/<source>/…`, `processed/<table>/…`, `quarantine/<source>/…`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple


class LakeObject(NamedTuple):  # a tuple: listings make one per object, 100,000s of them
    key: str  # relative to the lake root, '/'-separated
    size: int
    modified: float  # epoch seconds
    etag: str  # cheap change fingerprint (not a content hash)
    problem: str | None = None  # why the object cannot be read at all (e.g. a symlink out of the lake); None if fine


class Lake(abc.ABC):
    url: str

    @abc.abstractmethod
    def list(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        """Every object under `prefix`, in key order; only keys after `start_after` when given."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> LakeObject | None:
        """The object at `key` as a listing would show it; None when there is none."""
        return next((o for o in self.list(key) if o.key == key), None)

    @abc.abstractmethod
    def content_hash(self, key: str) -> str:
        """md5 hex digest of the object's bytes, streamed."""

    @abc.abstractmethod
    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A local file with the object's bytes, for readers that need a path (DuckDB)."""

    @abc.abstractmethod
    @contextmanager
    def staged_write(self, key: str) -> Iterator[Path]:
        """A temporary local path to write; on a clean exit it is published at `key` atomically.

        Readers never see a half-written object, and a crash leaves nothing at `key`.
        """

    @abc.abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove `key` if it exists."""

    @abc.abstractmethod
    def parquet_scan(self, prefix: str, *, file_row_number: bool = False) -> str | None:
        """DuckDB SQL (a table function call) reading every Parquet file under `prefix`; None when there is none.

        With `file_row_number`, each row carries its position in its file (0-based) as `file_row_number`."""

    @abc.abstractmethod
    def uri(self, key: str) -> str: ...

    def put_bytes(self, key: str, data: bytes) -> None:
        with self.staged_write(key) as path:
            path.write_bytes(data)
