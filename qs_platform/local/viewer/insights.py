"""InsightVisual: its computations as queries, and its narrative filled from their results.

Each computation becomes a small table query (through `compile_visual`, so the visual's filters apply): a total,
the maximum/minimum period, top/bottom ranked categories, top/bottom movers between the last two periods, period
over period, period to date, metric comparison, unique values. The results are the names narratives use
(`Total.totalAggregate.value`, `Top.items[0].categoryValue.formattedValue`, `Movers.itemsCount` …). Growth rate and
forecast are not computed: their expressions show "(not computed locally)".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .rich_text import rich_text_lines

Run = Callable[[dict], list[list[Any]]]  # a synthetic TableVisual wrapper -> its rows
NOT_COMPUTED = "(not computed locally)"


def _table(visual_id: str, group_by: list[dict], values: list[dict]) -> dict:
    wells = {"TableAggregatedFieldWells": {"GroupBy": group_by, "Values": values}}
    return {"TableVisual": {"VisualId": visual_id, "ChartConfiguration": {"FieldWells": wells}}}


def _formatted(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if hasattr(value, "strftime"):
        return value.strftime("%b %-d, %Y")
    return "" if value is None else str(value)


def _v(value: Any) -> dict:
    return {"value": value, "formattedValue": _formatted(value)}


def _percent(now: Any, before: Any) -> float | None:
    if not isinstance(now, (int, float)) or not isinstance(before, (int, float)) or before == 0:
        return None
    return (now - before) / abs(before)


def _fields(computation: dict, *keys: str) -> list[dict]:
    return [computation[k] for k in keys if computation.get(k)]


def compute(visual_id: str, computation_kind: str, c: dict, run: Run) -> dict:
    """The values of one computation, as the narrative names them."""
    if computation_kind == "TotalAggregation":
        rows = run(_table(visual_id, [], _fields(c, "Value")))
        return {"totalAggregate": _v(rows[0][0] if rows else None)}
    if computation_kind == "UniqueValues":
        category = c["Category"]
        inner = next(iter(category.values()))
        measure = {
            "CategoricalMeasureField": {
                "FieldId": inner.get("FieldId", "u"),
                "Column": inner["Column"],
                "AggregationFunction": "DISTINCT_COUNT",
            }
        }
        rows = run(_table(visual_id, [], [measure]))
        return {"uniqueValues": _v(rows[0][0] if rows else None)}
    if computation_kind == "MaximumMinimum":
        rows = [r for r in run(_table(visual_id, _fields(c, "Time"), _fields(c, "Value"))) if r[1] is not None]
        best = (max if c.get("Type", "MAXIMUM") == "MAXIMUM" else min)(rows, key=lambda r: r[1], default=[None, None])
        return {"timeValue": _v(best[0]), "value": _v(best[1])}
    if computation_kind == "TopBottomRanked":
        rows = [r for r in run(_table(visual_id, _fields(c, "Category"), _fields(c, "Value"))) if r[1] is not None]
        rows.sort(key=lambda r: r[1], reverse=c.get("Type", "TOP") == "TOP")
        ranked = rows[: int(c.get("ResultSize") or 3)]
        return {"items": [{"categoryValue": _v(r[0]), "value": _v(r[1])} for r in ranked], "itemsCount": len(ranked)}
    if computation_kind in ("PeriodOverPeriod", "PeriodToDate", "MetricComparison"):
        values = _fields(c, "Value", "FromValue", "TargetValue")
        rows = [r for r in run(_table(visual_id, _fields(c, "Time"), values)) if r[0] is not None]
        rows.sort(key=lambda r: r[0])
        now, before = (rows[-1] if rows else [None] * 3), (rows[-2] if len(rows) > 1 else [None] * 3)
        if computation_kind == "MetricComparison":
            return {
                "timeValue": _v(now[0]),
                "fromValue": _v(now[1]),
                "targetValue": _v(now[2] if len(now) > 2 else None),
            }
        result = {
            "timeValue": _v(now[0]),
            "value": _v(now[1]),
            "currentValue": _v(now[1]),
            "previousValue": _v(before[1]),
        }
        difference = (
            now[1] - before[1] if isinstance(now[1], (int, float)) and isinstance(before[1], (int, float)) else None
        )
        return {
            **result,
            "absoluteDifference": _v(difference),
            "percentDifference": _v(_percent(now[1], before[1])),
            "previousTimeValue": _v(before[0]),
        }
    if computation_kind == "TopBottomMovers":
        return _movers(visual_id, c, run)
    return {}  # GrowthRate, Forecast


def _movers(visual_id: str, c: dict, run: Run) -> dict:
    rows = [r for r in run(_table(visual_id, _fields(c, "Time", "Category"), _fields(c, "Value"))) if r[0] is not None]
    periods = sorted({r[0] for r in rows})
    if len(periods) < 2:
        return {"items": [], "itemsCount": 0}
    start, end = periods[-2], periods[-1]
    before = {r[1]: r[2] for r in rows if r[0] == start}
    now = {r[1]: r[2] for r in rows if r[0] == end}
    items = []
    for category in set(before) | set(now):
        a, b = before.get(category), now.get(category)
        difference = (b or 0) - (a or 0)
        items.append(
            {
                "categoryValue": _v(category),
                "currentValue": _v(b),
                "previousValue": _v(a),
                "absoluteDifference": _v(difference),
                "percentDifference": _v(_percent(b, a)),
            }
        )
    by_percent = c.get("SortOrder", "PERCENT_DIFFERENCE") == "PERCENT_DIFFERENCE"
    key = (
        (lambda i: i["percentDifference"]["value"] or 0) if by_percent else (lambda i: i["absoluteDifference"]["value"])
    )
    items.sort(key=key, reverse=c.get("Type", "TOP") == "TOP")
    items = items[: int(c.get("MoverSize") or 3)]
    return {"items": items, "itemsCount": len(items), "startTimeValue": _v(start), "endTimeValue": _v(end)}


_PATH = re.compile(r"^\s*([A-Za-z_][\w ]*?)((?:\.\w+|\[\d+\])+)\s*$")


def lookup(results: dict[str, dict], path: str) -> Any:
    """`Name.items[0].categoryValue.formattedValue` in the computations' results (KeyError when absent)."""
    match = _PATH.match(path)
    if not match or match.group(1) not in results:
        raise KeyError(path)
    value: Any = results[match.group(1)]
    for part in re.findall(r"\.(\w+)|\[(\d+)\]", match.group(2)):
        value = value[int(part[1])] if part[1] else value[part[0]]
    return value


_COMPARISON = re.compile(r"^(.+?)\s*(>=|<=|!=|<>|=|>|<)\s*(.+)$")


def narrative_lines(narrative: str, results: dict[str, dict], evaluate: Callable[[str], Any]) -> list[str]:
    """The narrative as lines; `evaluate` computes an expression that is no computation path (parameters…)."""

    def expression(text: str) -> str:
        try:
            value = lookup(results, text)
            return value["formattedValue"] if isinstance(value, dict) else _formatted(value)
        except (KeyError, IndexError, TypeError):
            pass
        try:
            return _formatted(evaluate(text))
        except Exception:  # noqa: BLE001 - a narrative expression the viewer cannot compute is shown as such
            return NOT_COMPUTED

    def operand(text: str) -> Any:
        text = text.strip()
        try:
            return lookup(results, text)
        except (KeyError, IndexError, TypeError):
            try:
                return float(text)
            except ValueError:
                return text.strip("'\"")

    def condition(text: str) -> bool:
        match = _COMPARISON.match(text.strip())
        if not match:
            return True
        left, op, right = operand(match.group(1)), match.group(2), operand(match.group(3))
        try:
            return {
                "=": left == right,
                "!=": left != right,
                "<>": left != right,
                ">": left > right,
                "<": left < right,
                ">=": left >= right,
                "<=": left <= right,
            }[op]
        except TypeError:
            return False

    def items(text: str) -> int:
        try:
            return len(lookup(results, text))
        except (KeyError, IndexError, TypeError):
            return 0

    return rich_text_lines(narrative, expression, condition, items)
