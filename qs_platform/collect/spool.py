"""The collector's buffer: an append-only spool file per buffer on local disk, flushed into landing by size and time.

- `append` returns once the events are on disk (written and fsynced): only then does the HTTP answer say
  "accepted". Appends of concurrent requests are committed together by one writer thread (group commit: one fsync
  for many requests), so durability does not cost one disk flush per event.
- A segment is published when it holds `max_buffer_bytes` or its first event is `max_buffer_seconds` old, under
  `<prefix>yyyy/mm/dd/hh/collector-<yyyy-mm-dd-HH-MM-SS>-<segment>.json` (UTC hour and time of its first event,
  Firehose's layout), through `Lake.staged_write` (atomic), and deleted from the spool afterwards.
- On start, segments left by a crash are published first; a torn last line (never acknowledged) is dropped. The key
  of a segment is fixed when it opens, so publishing it again after a crash between upload and delete rewrites the
  same file with the same bytes: every accepted event is in exactly one landed file.
- `close` (shutdown) stops accepting, commits what is queued and publishes the open segment.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qs_platform.config.acquisition import Collect
from qs_platform.lake import Lake

SEGMENT_SUFFIX = ".seg"
TICK_SECONDS = 0.05


class SpoolClosed(Exception):
    pass


@dataclass
class _Append:
    data: bytes
    events: int
    done: threading.Event
    error: BaseException | None = None


@dataclass
class SpoolStats:
    accepted_events: int = 0
    published_files: int = 0
    published_events: int = 0
    recovered_files: int = 0
    fsyncs: int = 0


def segment_key(prefix: str, segment: Path) -> str:
    """`<prefix>yyyy/mm/dd/hh/collector-<time>-<id>.json` from a segment named `<first event ms>-<id>.seg`."""
    first_ms, _, ident = segment.stem.partition("-")
    stamp = time.gmtime(int(first_ms) / 1000)
    return f"{prefix}{time.strftime('%Y/%m/%d/%H', stamp)}/collector-{time.strftime('%Y-%m-%d-%H-%M-%S', stamp)}-{ident}.json"


class Spool:
    def __init__(
        self,
        folder: str | Path,
        lake: Lake,
        prefix: str,
        settings: Collect,
        *,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda message: None,
    ):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lake, self.prefix, self.settings, self.clock, self.log = lake, prefix, settings, clock, log
        self.stats = SpoolStats()
        self.published: list[str] = []
        self._queue: queue.Queue[_Append | None] = queue.Queue()
        self._closed = threading.Event()
        self._segment: Path | None = None
        self._handle = None
        self._size = 0
        self._opened_at = 0.0
        self._events = 0
        self.recover()
        self._writer = threading.Thread(target=self._run, name="collector-spool", daemon=True)
        self._writer.start()

    # -- what request threads call ------------------------------------------------------------------------------

    def append(self, lines: list[bytes], timeout: float = 30.0) -> None:
        """Durably buffer one request's events (one JSON object per line, no newline inside); raises when closed."""
        if self._closed.is_set():
            raise SpoolClosed("the collector is shutting down")
        item = _Append(b"".join(line + b"\n" for line in lines), len(lines), threading.Event())
        self._queue.put(item)
        if not item.done.wait(timeout):
            raise TimeoutError("the spool did not commit the events in time")
        if item.error is not None:
            raise item.error

    def close(self) -> None:
        """Stop accepting, commit what is queued, publish the open segment."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(None)
        self._writer.join()

    @property
    def buffered_bytes(self) -> int:
        return self._size

    # -- the writer thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Append] = []
            try:
                first = self._queue.get(timeout=TICK_SECONDS)
                if first is None:
                    stopping = True
                else:
                    batch.append(first)
                while not stopping:  # everything queued meanwhile goes in the same commit
                    item = self._queue.get_nowait()
                    if item is None:
                        stopping = True
                    else:
                        batch.append(item)
            except queue.Empty:
                pass
            if batch:
                self._commit(batch)
            try:
                if self._segment is not None and (
                    stopping
                    or self._size >= self.settings.max_buffer_bytes
                    or self.clock() - self._opened_at >= self.settings.max_buffer_seconds
                ):
                    self._rotate()
            except Exception as error:  # noqa: BLE001 - a failed upload is retried on the next tick; events stay on disk
                self.log(f"publishing {self._segment} failed, retried: {type(error).__name__}: {error}")
                if stopping:
                    raise

    def _commit(self, batch: list[_Append]) -> None:
        try:
            if self._segment is None:
                self._open()
            data = b"".join(item.data for item in batch)
            self._handle.write(data)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.stats.fsyncs += 1
            self._size += len(data)
            self._events += sum(item.events for item in batch)
            self.stats.accepted_events += sum(item.events for item in batch)
        except BaseException as error:  # noqa: BLE001 - every waiting request learns it was not accepted
            for item in batch:
                item.error = error
        for item in batch:
            item.done.set()

    def _open(self) -> None:
        self._opened_at = self.clock()
        self._segment = self.folder / f"{int(self._opened_at * 1000)}-{uuid.uuid4().hex[:12]}{SEGMENT_SUFFIX}"
        self._handle = open(self._segment, "ab")
        _fsync_folder(self.folder)  # the new file's name is durable too
        self._size = self._events = 0

    def _rotate(self) -> None:
        segment, events = self._segment, self._events
        self._handle.close()
        self._publish(segment)
        self._segment, self._handle, self._size, self._events = None, None, 0, 0
        self.stats.published_events += events

    def _publish(self, segment: Path) -> None:
        key = segment_key(self.prefix, segment)
        if segment.stat().st_size:
            existing = self.lake.stat(key)
            if existing is None or existing.size != segment.stat().st_size:
                with self.lake.staged_write(key) as target:
                    shutil.copyfile(segment, target)
            self.published.append(key)
            self.stats.published_files += 1
            self.log(f"landed {key} ({segment.stat().st_size:,} bytes)")
        segment.unlink()
        _fsync_folder(self.folder)

    # -- start-up -----------------------------------------------------------------------------------------------

    def recover(self) -> None:
        """Publish the segments a crashed collector left, without their torn last line."""
        for segment in sorted(self.folder.glob(f"*{SEGMENT_SUFFIX}")):
            data = segment.read_bytes()
            complete = data[: data.rfind(b"\n") + 1]
            if len(complete) != len(data):
                with open(segment, "r+b") as handle:
                    handle.truncate(len(complete))
                    os.fsync(handle.fileno())
                self.log(
                    f"{segment.name}: dropped a torn last line of {len(data) - len(complete)} bytes (never acknowledged)"
                )
            events = complete.count(b"\n")
            self._publish(segment)
            self.stats.recovered_files += 1
            self.stats.published_events += events


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
