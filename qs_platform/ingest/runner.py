"""Ingest a group of landed files of one source, each on its own: one bad file never fails or delays the others.

Per file, in order: a file the listing could not read (a link out of the lake, a name that is not UTF-8) is
quarantined with that reason; a file that killed the run loading it `max_deaths` times is quarantined with "the run
died N times while loading it"; otherwise it is read once to hash it, compared with the ledger (the same content
under the same source declaration is only confirmed, not loaded again) and loaded. A failure caused by the file
quarantines it with the error; a failure of the machine (disk full, lake unreachable, out of memory) stops the
group after saving what is done, and the rest stays pending for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import boto3.exceptions
import botocore.exceptions
import duckdb

from qs_platform.config.models import ProjectConfig, Source
from qs_platform.ingest.archives import expand_zip, is_archive, matches_pattern, refusal_record
from qs_platform.ingest.formats import UnreadableFile
from qs_platform.ingest.ledger import FileRecord, Ledger, now
from qs_platform.ingest.load import IngestResult, load_file, quarantine_file, quarantined_file_key
from qs_platform.lake import Lake, LakeObject
from qs_platform.lake.hashing import CorruptCompression, file_digest
from qs_platform.sql.engine import DUCKDB_MACHINE_ERRORS, MachineFault, connect

# Errors of the machine, never of a file: AWS (botocore, and boto3's transfer manager's own errors around them).
MACHINE_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, boto3.exceptions.Boto3Error)
MACHINE_FAILURES = (
    *MACHINE_ERRORS,
    *DUCKDB_MACHINE_ERRORS,
    OSError,
    MemoryError,
)  # FileNotFound/Permission: caught first
SAVE_EVERY_SECONDS = 10  # a long group saves its ledger as it goes: a killed run loses at most this much work


class Progress(Protocol):
    """Where a run says which file it is loading, so that a run killed mid-file is traced to that file."""

    def deaths(self, obj: LakeObject) -> int: ...

    def loading(self, obj: LakeObject) -> None: ...

    def done(self, finished: list[str] = ()) -> None: ...


class NoProgress:
    def deaths(self, obj: LakeObject) -> int:
        return 0

    def loading(self, obj: LakeObject) -> None:
        pass

    def done(self, finished: list[str] = ()) -> None:
        pass


@dataclass
class Outcome:
    obj: LakeObject
    record: FileRecord
    result: IngestResult | None  # None when the content was unchanged (only the fingerprint was confirmed)

    @property
    def unchanged(self) -> bool:
        return self.result is None


@dataclass
class GroupResult:
    outcomes: list[Outcome] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)  # listed, then deleted before they could be read

    @property
    def changed(self) -> bool:
        """Whether any file was loaded, quarantined or expanded (not only confirmed unchanged)."""
        return any(not o.unchanged for o in self.outcomes)


def taken_by_other_sources(config: ProjectConfig | None, source: Source) -> Callable[[str], bool]:
    others = [s for s in (config.sources if config else []) if s.name != source.name]
    return lambda key: any(matches_pattern(other, key) for other in others)


def ingest_group(
    lake: Lake,
    landing: Lake,
    source: Source,
    objects: list[LakeObject],
    ledger: Ledger,
    *,
    run_id: str = "",
    progress: Progress | None = None,
    reprocess: bool = False,
    max_deaths: int = 3,
    config: ProjectConfig | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    at: datetime | None = None,
) -> GroupResult:
    """Ingest `objects` in order; `at` fixes the ingestion time (tests), by default each file's own start."""
    progress = progress or NoProgress()
    group = GroupResult()
    taken_elsewhere = taken_by_other_sources(config, source)
    own = con or connect()
    saved = time.monotonic()
    try:
        for obj in objects:
            with machine_faults_named(source, obj.key):
                outcome = _one(
                    own,
                    lake,
                    landing,
                    source,
                    obj,
                    ledger,
                    run_id,
                    progress,
                    reprocess,
                    max_deaths,
                    taken_elsewhere,
                    at,
                )
            if outcome is None:
                group.vanished.append(obj.key)
                continue
            ledger.record(outcome.record)
            group.outcomes.append(outcome)
            if time.monotonic() - saved > SAVE_EVERY_SECONDS:
                ledger.save(lake)
                saved = time.monotonic()
    except BaseException as error:
        _save_after(error, ledger, lake)
        raise
    else:
        ledger.save(lake)
    finally:
        progress.done([o.obj.key for o in group.outcomes])
        if con is None:
            own.close()
    return group


def _save_after(error: BaseException, ledger: Ledger, lake: Lake) -> None:
    """What is done stays done, even when the machine fails mid-group; when the ledger cannot be saved either (the
    same full disk), the first error is the one reported, and those files are simply loaded again next time."""
    try:
        ledger.save(lake)
    except Exception as also:
        error.add_note(f"the ledger could not be saved either: {type(also).__name__}: {also}")


def ingest_landed_file(
    lake: Lake,
    source: Source,
    landing_key: str,
    *,
    landing: Lake | None = None,
    config: ProjectConfig | None = None,
    ingested_at: datetime | None = None,
    reprocess: bool = True,
) -> IngestResult | None:
    """Load one landed file now (recorded in the ledger like any run's); None when the content was unchanged."""
    landing = landing or lake
    obj = landing.stat(landing_key)
    if obj is None:
        raise FileNotFoundError(f"{landing.uri(landing_key)} does not exist")
    group = ingest_group(
        lake, landing, source, [obj], Ledger.load(lake, source), reprocess=reprocess, config=config, at=ingested_at
    )
    return group.outcomes[0].result if group.outcomes else None


def _one(
    con, lake, landing, source, obj, ledger, run_id, progress, reprocess, max_deaths, taken_elsewhere, at=None
) -> Outcome | None:
    at = at or now()
    if obj.problem:
        return _outcome(obj, quarantine_file(lake, source, obj.key, None, obj.problem, 0, None, at), source, run_id, at)
    deaths = progress.deaths(obj)
    if deaths >= max_deaths:
        reason = (
            f"the run died {deaths} times while loading it (killed: out of memory?); quarantined so the rest goes on"
        )
        return _outcome(obj, quarantine_file(lake, source, obj.key, None, reason, 0, None, at), source, run_id, at)
    progress.loading(obj)
    try:
        if is_archive(obj.key):
            return _outcome(obj, expand(landing, lake, source, obj.key, taken_elsewhere, at), source, run_id, at)
        with landing.local_copy(obj.key) as path:
            try:
                digest = file_digest(path)
            except CorruptCompression as error:
                return _outcome(
                    obj, quarantine_file(lake, source, obj.key, path, str(error), None, None, at), source, run_id, at
                )
            current = ledger.get(obj.key)
            if (
                not reprocess
                and current
                and current.content_hash == digest
                and current.source_version == source.version
            ):
                return Outcome(obj, current.confirmed(obj.etag, obj.size, run_id, at), None)
            result = load_file(con, lake, source, obj.key, path, content_hash=digest, ingested_at=at)
    except FileNotFoundError:
        return None
    except PermissionError as error:
        result = quarantine_file(lake, source, obj.key, None, f"cannot be read: {error.strerror}", 0, None, at)
    except MACHINE_FAILURES:
        raise  # named by machine_faults_named
    except duckdb.Error as error:
        result = quarantine_file(lake, source, obj.key, None, f"could not be loaded: {error}", 0, None, at)
    except Exception as error:  # a file that trips an unexpected error must not take the others down
        result = quarantine_file(
            lake, source, obj.key, None, f"could not be loaded ({type(error).__name__}): {error}", 0, None, at
        )
    return _outcome(obj, result, source, run_id, at)


@contextmanager
def machine_faults_named(source: Source, landing_key: str) -> Iterator[None]:
    """A fault of the machine while a file is loaded or quarantined, as a MachineFault naming the file."""
    try:
        yield
    except MACHINE_FAILURES as error:
        reason = str(error) or type(error).__name__  # a MemoryError has no message
        raise MachineFault(
            f"{landing_key} was not loaded into raw/{source.name}/: {reason} (a fault of the machine, not of the file: "
            "it is not quarantined and stays pending for the next run)"
        ) from error


def expand(landing: Lake, lake: Lake, source: Source, archive_key: str, taken_elsewhere, at) -> IngestResult:
    try:
        expansion = expand_zip(landing, source, archive_key, taken_elsewhere)
    except UnreadableFile as error:
        with landing.local_copy(archive_key) as path:
            return quarantine_file(lake, source, archive_key, path, str(error), 0, None, at)
    refusals_key = quarantined_file_key(source, archive_key) + ".refused.json"
    if expansion.refused:
        lake.put_bytes(refusals_key, refusal_record(archive_key, expansion))
    else:
        lake.delete(refusals_key)
    reason = f"{len(expansion.refused)} members not landed: {expansion.refused}" if expansion.refused else None
    return IngestResult(
        archive_key,
        "expanded",
        0,
        0,
        0,
        reason=reason,
        archive_members=expansion.members,
        refused_members=expansion.refused,
    )


def _outcome(obj: LakeObject, result: IngestResult, source: Source, run_id: str, at) -> Outcome:
    record = FileRecord(
        key=obj.key,
        fingerprint=obj.etag,
        size=obj.size,
        status=result.status,
        content_hash=result.content_hash or "",
        input_rows=result.input_rows,
        loaded_rows=result.loaded_rows,
        rejected_rows=result.rejected_rows,
        reason=result.reason or "",
        raw_key=result.raw_key or "",
        quarantine_key=result.quarantine_key or "",
        source_version=source.version,
        run_id=run_id,
        processed_at=at,
        checked_at=at,
    )
    return Outcome(obj, record, result)
