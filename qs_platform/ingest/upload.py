"""`qs-platform upload`: put a folder into a source's landing zone, skipping files already there unchanged."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from qs_platform.config.models import Source
from qs_platform.lake import Lake


@dataclass
class UploadReport:
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # identical content already at the key


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_under(path: Path) -> list[tuple[Path, str]]:
    """(file, key below the landing prefix); a single file lands under its own name."""
    if path.is_file():
        return [(path, path.name)]
    return sorted(
        (p, p.relative_to(path).as_posix()) for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
    )


def upload(landing: Lake, source: Source, path: Path, *, progress: bool = True) -> UploadReport:
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    report = UploadReport()
    for file, relative in tqdm(files_under(path), desc=f"upload to {source.name}", unit="file", disable=not progress):
        key = source.landing_prefix + relative
        if landing.exists(key) and landing.content_hash(key) == md5_of(file):
            report.skipped.append(key)
            continue
        with landing.staged_write(key) as target:
            shutil.copyfile(file, target)
        report.uploaded.append(key)
    return report
