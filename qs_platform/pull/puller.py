"""One incremental pull: every page after the watermark into one local JSON Lines file, then landed atomically.

- The file's key is made of the watermark range and the md5 of its content, so a pull repeated with the same
  answer lands the same key (and is not written again), and the landing sensor and raw layer see it once.
- Records of the look-back window that the previous pull already landed (same `id_fields` and watermark value,
  remembered in the state) are not landed again; a record repeated within the pull (pages shifting under offset
  pagination) is kept once. Whatever overlap remains is the same rows to the raw and processed layers.
- The new state (watermark and the window's ids) is only returned after the file is published; the caller
  stores it. A crash before publishing lands nothing; a crash after publishing but before the state was stored
  leaves a file whose `start` is the stored watermark: the next pull adopts it (reads its records as if just
  pulled) instead of landing its records again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qs_platform.config.acquisition import ENV_REFERENCE, Pull
from qs_platform.config.models import template_regex
from qs_platform.lake import Lake
from qs_platform.lake.s3 import TEMP_PREFIX, clean_dead_temp_files
from qs_platform.pull import watermark as wm
from qs_platform.pull.http import HttpClient, PullError
from qs_platform.pull.pages import MISSING, PageShapeError, dig, iterate_pages

MAX_REMEMBERED_IDS = 10_000


@dataclass(frozen=True)
class PullState:
    """What is stored between pulls (in the pull asset's materialization metadata)."""

    watermark: str | None = None
    seen: tuple[str, ...] = ()  # "<id>@<watermark>" of landed records inside the look-back window
    landed_key: str | None = None  # the last file the stored state accounts for


@dataclass
class PullOutcome:
    state: PullState
    start: str | None
    pulled: int = 0  # records received
    landed: int = 0  # records in the landed file
    skipped: int = 0  # records already landed (look-back window, repeated within the pull)
    pages: int = 0
    retries: int = 0
    key: str | None = None  # landing key written (None: nothing new)
    written: bool = False  # False when the same content was already at that key
    adopted: str | None = None  # a file of an earlier pull whose state had not been stored
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def resolve_url(url: str, env: dict[str, str] | None = None) -> str:
    """`${NAME}` / `${NAME:-default}` from the environment."""
    env = os.environ if env is None else env

    def replace(match):
        value = env.get(match.group(1)) or match.group(2)
        if value is None:
            raise PullError(f"the pull URL needs the environment variable {match.group(1)}, which is not set")
        return value

    return ENV_REFERENCE.sub(replace, url)


class _Accumulator:
    """The records of one pull, written as they come: dedupe, skip what the state says landed, track the watermark."""

    def __init__(self, spec: Pull, state: PullState, handle, label: str):
        self.spec, self.handle, self.label = spec, handle, label
        self.mark = spec.watermark
        self.start = wm.parse(self.mark, state.watermark) if self.mark and state.watermark is not None else None
        self.window_floor = wm.requested(self.mark, self.start) if self.start is not None else None
        self.remembered = set(state.seen)
        self.top = self.start
        self.ids: dict[str, object] = {}  # version id -> watermark value (this pull and the remembered window)
        self.digests: set[bytes] = set()
        self.md5 = hashlib.md5()
        self.pulled = self.landed = self.skipped = 0

    def version(self, record: dict, value) -> str | None:
        if not self.mark or not self.mark.id_fields:
            return None
        parts = [dig(record, f) for f in self.mark.id_fields]
        return (
            None
            if any(p is MISSING for p in parts)
            else "|".join(str(p) for p in parts) + "@" + wm.to_text(self.mark, value)
        )

    def add(self, record: dict, where: str) -> None:
        self.pulled += 1
        value = None
        if self.mark:
            raw = dig(record, self.mark.field)
            try:
                value = wm.parse(self.mark, raw)
            except wm.WatermarkValueError as error:
                raise PageShapeError(
                    f"{where}: record {self.pulled}: watermark field {self.mark.field!r}: {error}"
                ) from None
            self.top = value if self.top is None or value > self.top else self.top
            if self.window_floor is not None and value < self.window_floor:
                self.skipped += 1  # older than anything asked for: landed by an earlier pull
                return
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        version = self.version(record, value) if value is not None else None
        if version is not None:
            if version in self.remembered or version in self.ids:
                self.skipped += 1
                return
            self.ids[version] = value
        else:
            digest = hashlib.blake2b(line.encode(), digest_size=16).digest()
            if digest in self.digests:
                self.skipped += 1
                return
            self.digests.add(digest)
        data = (line + "\n").encode()
        self.handle.write(data)
        self.md5.update(data)
        self.landed += 1

    def next_state(self, key: str | None) -> PullState:
        if not self.mark or self.top is None:
            return PullState(None, (), key)
        floor = wm.requested(self.mark, self.top) if self.mark.lookback_seconds else self.top
        window = {v for v, value in self.ids.items() if value >= floor}
        window |= {v for v in self.remembered if wm.parse(self.mark, v.rsplit("@", 1)[1]) >= floor}
        kept = tuple(sorted(window)[-MAX_REMEMBERED_IDS:])
        return PullState(wm.to_text(self.mark, self.top), kept, key)


def _key(spec: Pull, start: str | None, end: str | None, content_md5: str, mark_date) -> str:
    date = mark_date or time.gmtime()
    date_text = date.isoformat() if hasattr(date, "isoformat") else time.strftime("%Y-%m-%d", date)
    return spec.key.format(
        date=date_text, start=wm.key_text(start or "full"), end=wm.key_text(end or "none"), hash=content_md5[:12]
    )


def _unrecorded_file(store: Lake, prefix: str, spec: Pull, state: PullState) -> str | None:
    """A landed file of a pull from the stored watermark that the stored state does not account for."""
    if "{start}" not in spec.key:
        return None
    pattern = template_regex(spec.key)
    start = wm.key_text(state.watermark or "full")
    found = [
        obj.key
        for obj in store.list(prefix)
        if obj.key != state.landed_key
        and (m := pattern.fullmatch(obj.key[len(prefix) :]))
        and m.group("start") == start
    ]
    return sorted(found)[-1] if found else None


def run_pull(
    spec: Pull,
    store: Lake,
    prefix: str,
    state: PullState,
    client: HttpClient,
    *,
    label: str,
    log: Callable[[str], None] = lambda message: None,
    env: dict[str, str] | None = None,
) -> PullOutcome:
    """Pull every page after `state`'s watermark and land one file under `prefix`; the outcome holds the state to store."""
    begun = time.monotonic()
    clean_dead_temp_files()
    outcome = PullOutcome(state=state, start=state.watermark)
    adopted = None
    for _ in range(100):  # one file per pull that crashed after landing, oldest first
        found = _unrecorded_file(store, prefix, spec, state)
        if found is None or found == adopted:
            break
        adopted = found
        state = _adopt(spec, store, adopted, state, label)
        outcome.adopted = adopted
        outcome.notes.append(f"adopted {adopted}: landed by an earlier pull whose watermark was not stored")
        log(outcome.notes[-1])
    url = resolve_url(spec.url, env)
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in spec.params.items()}
    if spec.watermark:
        start = state.watermark if state.watermark is not None else spec.watermark.initial
        if start is not None:
            params[spec.watermark.param] = wm.to_text(
                spec.watermark, wm.requested(spec.watermark, wm.parse(spec.watermark, start))
            )
            state = PullState(wm.to_text(spec.watermark, wm.parse(spec.watermark, start)), state.seen, state.landed_key)
    folder = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-pull-"))
    try:
        spool = folder / "records.jsonl"
        with open(spool, "wb") as handle:
            records = _Accumulator(spec, state, handle, label)
            for page in iterate_pages(client, spec, url, params, label):
                outcome.pages += 1
                for record in page.records:
                    records.add(record, f"{label}: page {page.number}")
                log(f"{label}: page {page.number}: {len(page.records)} records")
        outcome.pulled, outcome.landed, outcome.skipped = records.pulled, records.landed, records.skipped
        outcome.retries = client.retries
        end = records.next_state(None).watermark
        if records.landed:
            mark_date = wm.utc_date(spec.watermark, records.top) if spec.watermark and records.top is not None else None
            outcome.key = prefix + _key(spec, state.watermark, end, records.md5.hexdigest(), mark_date)
            existing = store.stat(outcome.key)
            if existing is None or existing.size != spool.stat().st_size:
                with store.staged_write(outcome.key) as target:
                    shutil.move(spool, target)
                outcome.written = True
        landed_key = outcome.key or (adopted if adopted else state.landed_key)
        outcome.state = records.next_state(landed_key)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    outcome.seconds = time.monotonic() - begun
    return outcome


def _adopt(spec: Pull, store: Lake, key: str, state: PullState, label: str) -> PullState:
    """The state as if the pull that landed `key` had been stored (its records count as landed)."""
    records = _Accumulator(spec, state, _Discard(), f"{label}: {key}")
    for number, line in enumerate(store.read_bytes(key).decode("utf-8").splitlines(), start=1):
        if line.strip():
            records.add(json.loads(line), f"{key} line {number}")
    return records.next_state(key)


class _Discard:
    def write(self, data: bytes) -> None:
        pass
