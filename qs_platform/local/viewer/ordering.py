"""ORDER BY of a visual's query: its sort configuration, else the visual type's natural order."""

from __future__ import annotations

from .context import QueryContext, _generic_aggregation
from .wells import SelectItem, Wells


def _order_by(
    ctx: QueryContext, wells: Wells, items: list[SelectItem], aliases: list[str], aggregated: bool
) -> list[str]:
    clauses = []
    by_field_id = {item.meta["field_id"]: alias for item, alias in zip(items, aliases) if item.meta["field_id"]}
    for option in wells.sort:
        if "FieldSort" in option:
            sort = option["FieldSort"]
            alias = by_field_id.get(sort.get("FieldId"))
            if alias:
                clauses.append(f"{alias} {_direction(sort)}")
        elif "ColumnSort" in option:
            sort = option["ColumnSort"]
            clause = _column_sort(ctx, sort, items, aliases, aggregated)
            if clause:
                clauses.append(f"{clause} {_direction(sort)}")
    if clauses:
        return clauses
    dimension_aliases = [a for item, a in zip(items, aliases) if item.meta["role"] == "dimension"]
    measure_aliases = [a for item, a in zip(items, aliases) if item.meta["role"] == "measure"]
    if wells.default_order == "measure_desc" and measure_aliases:
        return [f"{measure_aliases[0]} DESC NULLS LAST"] + [f"{a} ASC NULLS LAST" for a in dimension_aliases]
    if wells.default_order in ("dimensions", "measure_desc"):
        return [f"{a} ASC NULLS LAST" for a in dimension_aliases]
    return []


def _direction(sort: dict) -> str:
    return "DESC NULLS LAST" if sort.get("Direction") == "DESC" else "ASC NULLS LAST"


def _column_sort(
    ctx: QueryContext, sort: dict, items: list[SelectItem], aliases: list[str], aggregated: bool
) -> str | None:
    column = sort.get("SortBy") or {}
    expr = ctx.field_column(column)
    if not aggregated or expr.aggregate:
        return expr.text
    function = _generic_aggregation(sort.get("AggregationFunction"))
    if function:
        return function[0].format(expr.text)
    for item, alias in zip(items, aliases):  # a grouped column: sort by the dimension
        if item.meta["role"] == "dimension" and item.meta["column"] == column.get("ColumnName"):
            return alias
    return None
