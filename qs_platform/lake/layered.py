"""A lake whose layers live in buckets or prefixes of their own (any Lake implementation per layer)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qs_platform.lake.base import Lake, LakeObject


class LayeredLake(Lake):
    """A lake whose layers live in buckets or prefixes of their own.

    `layers` maps a layer (`raw`, `processed`, `quarantine`) to the S3 lake holding its folder: the key
    `raw/x.parquet` is `<raw layer URL>/raw/x.parquet`; every other key stays in the default lake. Callers still
    see one lake with one key space.
    """

    def __init__(self, default: Lake, layers: dict[str, Lake]):
        self.default = default
        self.layers = layers
        self.url = default.url

    def lake_for(self, key: str) -> Lake:
        return self.layers.get(key.split("/", 1)[0], self.default)

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        if "/" in prefix:
            yield from self.lake_for(prefix).list(prefix, start_after)
            return
        own = (o for o in self.default.list(prefix, start_after) if o.key.split("/", 1)[0] not in self.layers)
        routed = [
            lake.list(prefix, start_after) for layer, lake in sorted(self.layers.items()) if layer.startswith(prefix)
        ]
        yield from heapq.merge(own, *routed, key=lambda o: o.key)

    def exists(self, key: str) -> bool:
        return self.lake_for(key).exists(key)

    def stat(self, key: str) -> LakeObject | None:
        return self.lake_for(key).stat(key)

    def content_hash(self, key: str) -> str:
        return self.lake_for(key).content_hash(key)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with self.lake_for(key).local_copy(key) as path:
            yield path

    @contextmanager
    def staged_write(self, key: str) -> Iterator[Path]:
        with self.lake_for(key).staged_write(key) as path:
            yield path

    def put_bytes(self, key: str, data: bytes) -> None:
        self.lake_for(key).put_bytes(key, data)

    def read_bytes(self, key: str) -> bytes:
        return self.lake_for(key).read_bytes(key)

    def delete(self, key: str) -> None:
        self.lake_for(key).delete(key)

    def parquet_scan(self, prefix: str, *, file_row_number: bool = False) -> str | None:
        return self.lake_for(prefix).parquet_scan(prefix)

    def uri(self, key: str) -> str:
        return self.lake_for(key).uri(key)
