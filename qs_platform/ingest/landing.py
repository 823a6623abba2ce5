"""What landed for a source, and what of it is pending: listed files whose fingerprint the ledger does not know.

Pending work is split into groups of at most `max_files` files and `max_bytes` bytes, oldest first: one Dagster run
per group, so a thousand small files cost one run, and a few huge ones do not all wait behind each other.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qs_platform.config.models import Source
from qs_platform.ingest.archives import is_archive
from qs_platform.lake import Lake, LakeObject

MAX_FILES_PER_RUN = 1000
MAX_BYTES_PER_RUN = 2 << 30


def wanted(source: Source, key: str) -> bool:
    """Files matching the source's pattern, and zip archives (expanded into files that do)."""
    return key.startswith(source.landing_prefix) and (
        fnmatch.fnmatch(key.rsplit("/", 1)[-1], source.file_pattern) or is_archive(key)
    )


def landed(store: Lake, source: Source, start_after: str | None = None) -> Iterator[LakeObject]:
    return (obj for obj in store.list(source.landing_prefix, start_after=start_after) if wanted(source, obj.key))


def pending(objects: Iterable[LakeObject], known: dict[str, str], exclude: set[str] = frozenset()) -> list[LakeObject]:
    """Objects whose fingerprint is not the ledger's for their key, oldest first (ties by key)."""
    found = [o for o in objects if known.get(o.key) != o.etag and o.key not in exclude]
    return sorted(found, key=lambda o: (o.modified, o.key))


@dataclass(frozen=True)
class Group:
    objects: tuple[LakeObject, ...]

    @property
    def keys(self) -> list[str]:
        return [o.key for o in self.objects]

    @property
    def size(self) -> int:
        return sum(o.size for o in self.objects)


def groups(
    objects: list[LakeObject], max_files: int = MAX_FILES_PER_RUN, max_bytes: int = MAX_BYTES_PER_RUN
) -> list[Group]:
    """Consecutive groups of at most `max_files` files and `max_bytes` bytes (a bigger file is a group alone)."""
    result, current, size = [], [], 0
    for obj in objects:
        if current and (len(current) >= max_files or size + obj.size > max_bytes):
            result.append(Group(tuple(current)))
            current, size = [], 0
        current.append(obj)
        size += obj.size
    if current:
        result.append(Group(tuple(current)))
    return result
