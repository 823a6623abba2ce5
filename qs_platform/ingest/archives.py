"""Zip archives: every member becomes a landed file of its own, next to where the archive landed.

`landing/logistics/a123.zip` holding `classix.csv` lands `landing/logistics/a123/classix.csv`, so the member's
key says which archive it came from; the landing sensor picks the members up like any other file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath
import shutil
import zipfile
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
    with archive.open(info) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expand_zip(lake: Lake, source: Source, archive_key: str) -> Expansion:
    expansion = Expansion()
    with lake.local_copy(archive_key) as path:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise UnreadableFile(f"not a readable zip archive: {error}") from error
        with archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.startswith("__MACOSX/"):
                    continue
                key = member_key(archive_key, info.filename)
                if key is None:
                    expansion.refused[info.filename] = "member path escapes the archive folder"
                elif not fnmatch.fnmatch(posixpath.basename(key), source.file_pattern):
                    expansion.refused[info.filename] = f"does not match file_pattern {source.file_pattern!r}"
                else:
                    if not (lake.exists(key) and lake.content_hash(key) == _md5_of_member(archive, info)):
                        with lake.staged_write(key) as target, archive.open(info) as member, open(target, "wb") as out:
                            shutil.copyfileobj(member, out, 1 << 20)
                    expansion.members.append(key)
    return expansion


def refusal_record(archive_key: str, expansion: Expansion) -> bytes:
    return json.dumps({"archive": archive_key, "refused_members": expansion.refused}, indent=2).encode()
