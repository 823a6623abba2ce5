"""Clickstream deliveries as Kinesis Firehose writes them: hourly folders, EN DASH dates, createdAt drift."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from qs_platform.examples.common import EN_DASH, open_key, seeded

__all__ = ["generate_clickstream"]

_ELEMENTS = tuple(
    [f"entree_{i}" for i in range(1, 9)]
    + [f"drink_{i}" for i in range(1, 7)]
    + [f"appetizer_{i}" for i in range(1, 6)]
    + [f"dessert_{i}" for i in range(1, 5)]
    + [f"side_{i}" for i in range(1, 4)]
)
_MENUS = ("restaurant_name", "restaurant_name", "lunch_menu", "dinner_menu", "drinks_menu", "kids_menu")
_EN_DASH_RATE = 0.30
_CAMEL_CASE_RATE = 0.10


def generate_clickstream(
    out_dir: str | Path,
    *,
    start: dt.datetime,
    hours: int = 3,
    events_per_hour: int = 40,
    seed: int = 0,
    concatenated_every: int = 2,
) -> list[str]:
    """Write ``clickstream/{yyyy}/{mm}/{dd}/{hh}/events-{n}.json`` for ``hours`` hours from ``start``'s hour.

    Each hour gets ``events_per_hour`` events (from ``start`` on in the first hour) split, in time order, over
    2-3 files (``n`` counts from 1 within the hour). Records look like the seed sample: ``element_clicked``,
    ``time_spent``, ``source_menu``, ``created_at`` (``YYYY-MM-DD HH:MM:SS``); ~30% of dates use an EN DASH
    (U+2013) instead of ``-`` and ~10% of records spell the key ``createdAt``. Every ``concatenated_every``-th
    file of the call (counted over all hours; 0 = never) holds records concatenated without any separator
    (``{...}{...}``), the others one record per line.
    """
    if hours < 0 or events_per_hour < 0:
        raise ValueError("hours and events_per_hour must be >= 0")
    if start.tzinfo is not None:
        start = start.astimezone(dt.UTC).replace(tzinfo=None)
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    out = Path(out_dir)
    keys: list[str] = []
    file_no = 0
    for h in range(hours):
        hour = first_hour + dt.timedelta(hours=h)
        rng = seeded("clickstream", seed, hour.isoformat())
        lo = int((start - hour).total_seconds()) if h == 0 else 0
        offsets = sorted(rng.randrange(lo, 3600) for _ in range(events_per_hour))
        n_files = min(rng.randint(2, 3), max(1, events_per_hour))
        cuts = sorted(rng.sample(range(1, events_per_hour), n_files - 1)) if n_files > 1 else []
        bounds = [0, *cuts, events_per_hour]
        for n in range(1, n_files + 1):
            file_no += 1
            concatenated = concatenated_every > 0 and file_no % concatenated_every == 0
            key = f"clickstream/{hour:%Y/%m/%d/%H}/events-{n}.json"
            with open_key(out, key) as fh:
                for offset in offsets[bounds[n - 1] : bounds[n]]:
                    created = (hour + dt.timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
                    if rng.random() < _EN_DASH_RATE:
                        created = created.replace("-", EN_DASH)
                    record = {
                        "element_clicked": rng.choice(_ELEMENTS),
                        "time_spent": min(600, int(rng.expovariate(1 / 30)) + 1),
                        "source_menu": rng.choice(_MENUS),
                        "createdAt" if rng.random() < _CAMEL_CASE_RATE else "created_at": created,
                    }
                    fh.write(json.dumps(record, ensure_ascii=False))
                    if not concatenated:
                        fh.write("\n")
            keys.append(key)
    return keys
