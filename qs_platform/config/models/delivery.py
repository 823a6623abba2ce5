"""How a source's files arrive and are read: the CSV dialect, how the sensor lists them, which belong together."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from qs_platform.config.models.base import Strict


class CsvOptions(Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', max_length=1)
    escape: str = Field(default='"', max_length=1)
    header: bool = True
    encoding: Literal["utf-8", "latin-1", "utf-16"] = Field(default="utf-8", description="utf-8 also accepts a BOM")
    null_values: list[str] = Field(
        default_factory=list,
        description="Values meaning missing besides the empty one, e.g. ['null', 'NA'] (exact, case-sensitive)",
    )
    max_line_bytes: int = Field(
        default=2_097_152,
        ge=1 << 16,
        description="The longest line (record) accepted, in bytes (DuckDB's default: 2 MiB)",
    )


class Listing(Strict):
    """How the landing sensor finds new files.

    full: list the whole prefix every tick (local folders, small buckets).
    start_after: S3 StartAfter from a key watermark; keys must sort by arrival (date-scoped key templates such as
        {yyyy}/{mm}/{dd}/...); keys first seen within `lookback_seconds` stay in the cursor so late writes into the
        current folders are still caught. Listing cost follows the window, not the bucket's history.
    events: drain S3 event notifications from the SQS queue `queue_url` (at-least-once; run keys dedupe).
    """

    mode: Literal["full", "start_after", "events"] = "full"
    lookback_seconds: int = Field(default=86400, ge=0)
    queue_url: str | None = None

    @model_validator(mode="after")
    def _queue_for_events(self) -> Listing:
        if self.mode == "events" and not self.queue_url:
            raise ValueError(
                "listing mode 'events' needs queue_url (an SQS queue receiving the bucket's S3 notifications)"
            )
        return self


class Batch(Strict):
    """Files that belong together (e.g. the three files of a store-day); downstream sees a batch once complete.

    A batch is identified by key_template fields (`key`); it is complete when every `expected_files` name (the
    {name} field) has loaded, or `expected_count` distinct files have. After `deadline_seconds` from its first
    file it is released anyway, and the `batches_complete` check warns which files are missing.
    """

    key: list[str] = Field(min_length=1)
    expected_files: list[str] = Field(default_factory=list)
    optional_files: list[str] = Field(default_factory=list, description="May arrive; never waited for")
    expected_count: int | None = Field(default=None, ge=1)
    deadline_seconds: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _something_expected(self) -> Batch:
        if not self.expected_files and self.expected_count is None:
            raise ValueError("a batch needs expected_files or expected_count")
        return self
