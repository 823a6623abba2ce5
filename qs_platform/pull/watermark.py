"""Watermark values: reading them from records, comparing them, the value sent with a look-back, and key text."""

from __future__ import annotations

import datetime as dt
import math
import re

from qs_platform.config.acquisition import Watermark


class WatermarkValueError(ValueError):
    pass


def parse(spec: Watermark, value: object):
    """A comparable value (int, date or aware datetime) from what a record or the store holds."""
    kind = spec.kind
    try:
        if kind in ("epoch_seconds", "epoch_ms", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise TypeError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return int(number) if number == int(number) else number
        if not isinstance(value, str):
            raise TypeError
        if kind == "iso_date":
            return dt.date.fromisoformat(value[:10])
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        raise WatermarkValueError(f"expected a {kind} value, got {value!r}") from None


def to_text(spec: Watermark, value) -> str:
    """How a parsed value is sent and stored: numbers as they are, dates and timestamps in ISO 8601."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def requested(spec: Watermark, value):
    """The value sent in `param`: the watermark minus the look-back window."""
    seconds = spec.lookback_seconds
    if not seconds:
        return value
    if spec.kind == "epoch_ms":
        return value - seconds * 1000
    if spec.kind in ("epoch_seconds", "integer"):
        return value - seconds
    if spec.kind == "iso_date":
        return value - dt.timedelta(days=math.ceil(seconds / 86400))
    return value - dt.timedelta(seconds=seconds)


def utc_date(spec: Watermark, value) -> dt.date | None:
    """The calendar day (UTC) of a watermark value; None for plain integers."""
    if spec.kind == "epoch_seconds":
        return dt.datetime.fromtimestamp(value, dt.UTC).date()
    if spec.kind == "epoch_ms":
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).date()
    if spec.kind == "iso_date":
        return value
    if spec.kind == "iso_timestamp":
        return value.astimezone(dt.UTC).date()
    return None


def key_text(text: str) -> str:
    """A watermark as a key segment: only [A-Za-z0-9._-] (ISO timestamps lose their colons)."""
    return re.sub(r"[^A-Za-z0-9._-]", "", text.replace("+00:00", "Z")) or "none"
