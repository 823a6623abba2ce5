"""A lake in a local folder (the default)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qs_platform.lake.base import Lake, LakeObject
from qs_platform.lake.local_listing import list_tree
from qs_platform.processes import is_alive
from qs_platform.sql.text import sql_string

STAGING_DIR = ".staging"  # temporary files; never under a layer prefix, so nothing half-written looks complete
STALE_STAGING_SECONDS = 3600


def _refuse_escaping(key: str) -> None:
    if key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"lake key {key!r} escapes its folder")


class LocalLake(Lake):
    def __init__(self, root: str | Path):
        self.root = Path(str(root).removeprefix("file://")).resolve()
        self.url = str(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._clean_stale_staging()

    def _path(self, key: str) -> Path:
        _refuse_escaping(key)  # even one that resolves inside the lake: `landing/x/../../raw/…` is another layer
        path = (self.root / key).resolve()
        if self.root not in path.parents and path != self.root:
            raise ValueError(f"lake key {key!r} escapes the lake root")
        return path

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not base.is_dir():
            return
        cut = len(str(self.root)) + 1
        objects = list_tree(str(base), STAGING_DIR, lambda path: self._object(path[cut:].replace(os.sep, "/"), path))
        objects.sort()
        for obj in objects:
            if not start_after or obj.key > start_after:
                yield obj

    def _object(self, key: str, path: str) -> LakeObject | None:
        """The listing entry of a file; links out of the lake and unreadable names are listed with their problem."""
        problem = None
        try:
            key.encode()
        except UnicodeEncodeError:
            problem = f"the file name is not valid UTF-8 ({os.fsencode(os.path.basename(path))!r}): rename it"
            key = key.encode(errors="surrogateescape").decode(errors="backslashreplace")
        try:
            info = os.lstat(path)
        except FileNotFoundError:  # deleted while listing
            return None
        if stat.S_ISLNK(info.st_mode):
            target = os.path.realpath(path)
            if not target.startswith(str(self.root) + os.sep):
                problem = problem or f"a symbolic link to {target}, outside the lake: not read"
            else:
                try:
                    info = os.stat(path)
                except FileNotFoundError:
                    problem = problem or "a symbolic link to a file that does not exist"
        if problem is None and not stat.S_ISREG(info.st_mode):
            return None
        etag = f"{info.st_size}-{info.st_mtime_ns}-{info.st_ctime_ns}-{info.st_ino}"
        return LakeObject(key, info.st_size, info.st_mtime, etag, problem)

    def stat(self, key: str) -> LakeObject | None:
        _refuse_escaping(key)
        return self._object(key, str(self.root / key))

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
        staging = self.root / STAGING_DIR / f"{os.getpid()}-{uuid.uuid4().hex}"  # the pid tells when it is a leftover
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

    def parquet_scan(self, prefix: str, *, file_row_number: bool = False) -> str | None:
        base = self._path(prefix.rstrip("/"))
        if not base.is_dir() or next(base.rglob("*.parquet"), None) is None:
            return None
        glob = sql_string(str(base / "**" / "*.parquet"))
        numbered = ", file_row_number = true" if file_row_number else ""
        return f"read_parquet({glob}, union_by_name = true, hive_partitioning = false{numbered})"

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def _clean_stale_staging(self) -> None:
        """Staging folders of processes that are gone (a killed run's half-written files), and any older than an hour."""
        staging = self.root / STAGING_DIR
        if not staging.is_dir():
            return
        for entry in staging.iterdir():
            pid = entry.name.split("-", 1)[0]
            try:
                dead = pid.isdigit() and not is_alive(int(pid))
                if dead or time.time() - entry.stat().st_mtime > STALE_STAGING_SECONDS:
                    shutil.rmtree(entry, ignore_errors=True)
            except FileNotFoundError:
                pass
