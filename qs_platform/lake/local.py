"""A lake in a local folder (the default)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qs_platform.lake.base import Lake, LakeObject

STAGING_DIR = ".staging"  # temporary files; never under a layer prefix, so nothing half-written looks complete
STALE_STAGING_SECONDS = 3600


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class LocalLake(Lake):
    def __init__(self, root: str | Path):
        self.root = Path(str(root).removeprefix("file://")).resolve()
        self.url = str(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._clean_stale_staging()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents and path != self.root:
            raise ValueError(f"lake key {key!r} escapes the lake root")
        return path

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not base.is_dir():
            return
        paths = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != STAGING_DIR]
            paths += [Path(dirpath) / name for name in filenames]
        for key, path in sorted((p.relative_to(self.root).as_posix(), p) for p in paths):
            if start_after and key <= start_after:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted while listing
                continue
            yield LakeObject(key, stat.st_size, stat.st_mtime, f"{stat.st_size}-{stat.st_mtime_ns}-{stat.st_ino}")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def content_hash(self, key: str) -> str:
        digest = hashlib.md5()
        with open(self._path(key), "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{self.uri(key)} does not exist")
        yield path

    @contextmanager
    def staged_write(self, key: str) -> Iterator[Path]:
        target = self._path(key)
        staging = self.root / STAGING_DIR / uuid.uuid4().hex
        staging.mkdir(parents=True)
        temp = staging / target.name
        try:
            yield temp
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)  # atomic on one filesystem
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def parquet_scan(self, prefix: str) -> str | None:
        base = self._path(prefix.rstrip("/"))
        if not base.is_dir() or next(base.rglob("*.parquet"), None) is None:
            return None
        glob = sql_string(str(base / "**" / "*.parquet"))
        return f"read_parquet({glob}, union_by_name = true, hive_partitioning = false)"

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def _clean_stale_staging(self) -> None:
        staging = self.root / STAGING_DIR
        if not staging.is_dir():
            return
        for entry in staging.iterdir():
            if time.time() - entry.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
