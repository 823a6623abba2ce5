"""CSV files as the replaced system's R scripts wrote them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from qs_platform.examples.common import open_key


def _number(value: float, digits: int = 4) -> str:
    """A CSV number the way R's write.csv left them: integers without a decimal point, others rounded."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")


def write_csv(out: Path, key: str, columns: Sequence[str], rows: Iterable[dict]) -> str:
    with open_key(out, key) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _number(row[c]) if isinstance(row.get(c), float) else row[c]
                             for c in columns])  # fmt: skip
    return key
