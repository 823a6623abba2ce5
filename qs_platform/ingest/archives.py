"""Zip archives: every member becomes a landed file of its own, next to where the archive landed.

`landing/logistics/a123.zip` holding `classix.csv` lands `landing/logistics/a123/classix.csv`, so the member's
key says which archive it came from; the landing sensors pick the members up like any other file. A member is
refused (and reported) only when no source takes it: several sources may share a landing prefix, and an archive
holding the files of all of them is expanded once for all. Members are read with their CRC checked; two members
that would land at the same key refuse the archive, since one would silently replace the other.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from qs_platform.config.models import Source
from qs_platform.ingest.formats import UnreadableFile
from qs_platform.lake import Lake


@dataclass
class Expansion:
    members: list[str] = field(default_factory=list)  # landing keys written (or already there, identical)
    refused: dict[str, str] = field(default_factory=dict)  # member name -> why it was not landed


def is_archive(key: str) -> bool:
    return key.lower().endswith(".zip")


def member_key(archive_key: str, member: str) -> str | None:
    """Where a member lands; None for names that would escape the archive's folder."""
    normalised = posixpath.normpath(member.replace("\\", "/"))
    if normalised.startswith(("../", "/")) or normalised in ("..", "."):
        return None
    return f"{archive_key[: -len('.zip')]}/{normalised}"


def _md5_of_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    digest = hashlib.md5()
    with archive.open(info) as handle:  # zipfile checks the member's CRC when it reaches its end
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def matches_pattern(source: Source, key: str) -> bool:
    return key.startswith(source.landing_prefix) and fnmatch.fnmatch(posixpath.basename(key), source.file_pattern)


def expand_zip(
    lake: Lake, source: Source, archive_key: str, taken_elsewhere: Callable[[str], bool] = lambda key: False
) -> Expansion:
    """Land the members of `archive_key`; those no source takes (this one, or `taken_elsewhere`) are refused."""
    expansion = Expansion()
    with lake.local_copy(archive_key) as path:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise UnreadableFile(f"not a readable zip archive: {error}") from error
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            keys = {info.filename: member_key(archive_key, info.filename) for info in infos}
            repeated = sorted(k for k, n in Counter(k for k in keys.values() if k).items() if n > 1)
            if repeated:
                raise UnreadableFile(
                    f"the archive holds several members landing at {repeated}: one would replace the other"
                )
            for info in infos:
                key = keys[info.filename]
                if key is None:
                    expansion.refused[info.filename] = "member path escapes the archive folder"
                elif not (matches_pattern(source, key) or taken_elsewhere(key)):
                    expansion.refused[info.filename] = f"no source takes it (file_pattern {source.file_pattern!r} here)"
                else:
                    try:
                        _land_member(lake, archive, info, key)
                    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as error:
                        expansion.refused[info.filename] = f"unreadable member: {error}"
                        continue
                    expansion.members.append(key)
    return expansion


def _land_member(lake: Lake, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> None:
    digest = _md5_of_member(archive, info)  # reads the member once, CRC checked, before anything is landed
    if lake.exists(key) and lake.content_hash(key) == digest:
        return
    with lake.staged_write(key) as target, archive.open(info) as member, open(target, "wb") as out:
        shutil.copyfileobj(member, out, 1 << 20)


def refusal_record(archive_key: str, expansion: Expansion) -> bytes:
    return json.dumps({"archive": archive_key, "refused_members": expansion.refused}, indent=2).encode()
