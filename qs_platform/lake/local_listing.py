"""Listing a local folder of 100,000s of files in well under a second, tick after tick.

A folder's modification time changes when an entry is added, removed or renamed into it, so a folder whose mtime
is unchanged since the last listing still has the same entries, and their stats are reused from a cache kept in
the process (the code server or the `sync` process, across sensor ticks); in a changed folder only entries with a
new inode number are stat'ed. Only a file rewritten in place (opened and
truncated, as `cp` onto an existing name does) changes without its folder: every `QS_LISTING_FULL_STAT_SECONDS`
(default 60) the whole tree is stat'ed again, so such a rewrite is seen within that time. A new process starts with
a full listing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from qs_platform.lake.base import LakeObject

FULL_STAT_SECONDS = 60.0


def full_stat_seconds() -> float:
    return float(os.environ.get("QS_LISTING_FULL_STAT_SECONDS") or FULL_STAT_SECONDS)


@dataclass
class _Folder:
    mtime_ns: int
    folders: list[str]  # sub-folder paths
    files: dict[str, tuple[int, LakeObject | None]]  # name -> (inode, its object; None for entries that are not files)


@dataclass
class _Tree:
    folders: dict[str, _Folder] = field(default_factory=dict)
    full_stat_at: float = 0.0


_TREES: dict[str, _Tree] = {}
_LOCK = threading.Lock()


def list_tree(base: str, skip: str, describe: Callable[[str], LakeObject | None]) -> list[LakeObject]:
    """Every file object under `base` (folders named `skip` left out), from the cache where folders are unchanged."""
    with _LOCK:
        tree = _TREES.setdefault(base, _Tree())
        now = time.monotonic()
        full = now - tree.full_stat_at >= full_stat_seconds()
        if full:
            tree.full_stat_at = now
        seen: dict[str, _Folder] = {}
        objects: list[LakeObject] = []
        pending = [base]
        while pending:
            path = pending.pop()
            folder = _folder(path, tree.folders.get(path), skip, describe, full)
            if folder is None:
                continue
            seen[path] = folder
            pending.extend(folder.folders)
            objects.extend(obj for _, obj in folder.files.values() if obj is not None)
        tree.folders = seen
    return objects


def _folder(path: str, cached: _Folder | None, skip: str, describe, full: bool) -> _Folder | None:
    """A folder as it is now. Unchanged: the cached one. Changed (an entry added, removed or renamed over): its
    entries are listed again, and only those with a new inode number (new files, files replaced by a rename) are
    stat'ed, so one new file in a folder of 100,000 costs one stat."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    if cached is not None and cached.mtime_ns == mtime and not full:
        return cached
    known = cached.files if cached is not None and not full else {}
    folders, files = [], {}
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != skip:
                        folders.append(entry.path)
                elif entry.is_file() or entry.is_symlink():
                    inode = entry.inode()
                    previous = known.get(entry.name)
                    files[entry.name] = previous if previous and previous[0] == inode else (inode, describe(entry.path))
    except OSError:
        return None
    return _Folder(mtime, folders, files)


def forget(base: str) -> None:
    with _LOCK:
        _TREES.pop(base, None)
