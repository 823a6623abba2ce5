"""Compile one visual of a dashboard `Definition` into a DuckDB query.

Field wells give the SELECT (dimensions, then measures) and GROUP BY (`wells.py`); calculated fields are inlined
via `expressions.translate` (`context.py`); filter groups scoped to the visual give WHERE / HAVING / QUALIFY
(`filters.py`); the sort configuration gives ORDER BY (`ordering.py`). Every parameter value is bound (`$p0`,
`$p1`, ...) and returned in `CompiledQuery.params`.

    compile_visual(definition, sheet_id, visual_wrapper, source, parameter_values) -> CompiledQuery
"""

from __future__ import annotations

from typing import Any

from .context import CompiledQuery, CompileError, QueryContext, nested_name
from .datasets import DatasetSource, quote_identifier
from .definition import visual_kind
from .expressions import ExpressionError
from .filters import filter_conditions
from .ordering import _order_by
from .wells import CHART_ROW_LIMIT, SelectItem, _FieldCompiler, custom_labels, field_wells, visual_dataset_identifier

VALUES_LIMIT = 1000

# ---- assembling -------------------------------------------------------------------------------------------


def _aliases(items: list[SelectItem]) -> list[str]:
    seen: set[str] = set()
    aliases = []
    for item in items:
        label, n = item.meta["label"] or "value", 1
        candidate = label
        while candidate.lower() in seen:
            n += 1
            candidate = f"{label} {n}"
        seen.add(candidate.lower())
        aliases.append(quote_identifier(candidate))
    return aliases


def _assemble(
    relation: str,
    select: list[str],
    where: list[str],
    group_by: int | str,
    having: list[str],
    order: list[str],
    limit: int | None,
    qualify: list[str] = (),
    joins: list[str] = (),
) -> str:
    lines = ["SELECT", ",\n".join(f"    {s}" for s in select), f"FROM {relation} AS t", *joins]
    if where:
        lines.append("WHERE " + "\n  AND ".join(where))
    if group_by == "ALL":
        lines.append("GROUP BY ALL")
    elif group_by:
        lines.append("GROUP BY " + ", ".join(str(i + 1) for i in range(int(group_by))))
    if having:
        lines.append("HAVING " + "\n   AND ".join(having))
    if qualify:
        lines.append("QUALIFY " + "\n   AND ".join(qualify))
    if order:
        lines.append("ORDER BY " + ", ".join(order))
    if limit:
        lines.append(f"LIMIT {int(limit)}")
    return "\n".join(lines)


def compile_visual(
    definition: dict,
    sheet_id: str,
    wrapper: dict,
    source: DatasetSource,
    parameter_values: dict[str, Any],
    filter_values: dict[str, Any] | None = None,
) -> CompiledQuery:
    """The query of one visual; raises `CompileError` with a readable message."""
    kind, visual = visual_kind(wrapper)
    ctx = QueryContext(definition, source, parameter_values)
    try:
        return _compile(ctx, definition, sheet_id, kind, visual, filter_values or {})
    except ExpressionError as error:
        raise CompileError(str(error)) from None
    except (KeyError, TypeError) as error:
        raise CompileError(f"malformed {kind} definition ({type(error).__name__}: {error})") from None


def _compile(
    ctx: QueryContext, definition: dict, sheet_id: str, kind: str, visual: dict, filter_values: dict[str, Any]
) -> CompiledQuery:
    wells = field_wells(kind, visual)
    fields = _FieldCompiler(ctx, definition, custom_labels(kind, visual))
    aggregated = wells.unaggregated is None
    if wells.box_plot:
        items = [fields.dimension(well, d) for well, d in wells.dimensions] + [
            s for _, m in wells.measures for s in fields.box_stats(m)
        ]
    elif aggregated:
        items = [fields.dimension(well, d) for well, d in wells.dimensions] + [
            fields.measure(well, m) for well, m in wells.measures
        ]
    else:
        items = [fields.unaggregated(u) for u in wells.unaggregated]
    if not items:
        raise CompileError("the visual has no fields in its field wells")
    group_by: int | str = len(wells.dimensions) if aggregated else 0
    if not aggregated and any(item.meta["role"] == "measure" for item in items):
        aggregated, group_by = True, "ALL"
    if kind == "KPIVisual" and not wells.measures:
        raise CompileError("the KPI has no value field")
    conditions = filter_conditions(ctx, definition, sheet_id, visual.get("VisualId", ""), filter_values)
    having = [c.sql for c in conditions if c.having]
    qualify = [c.sql for c in conditions if c.qualify]
    where = [c.sql for c in conditions if not (c.having or c.qualify)]
    if having and not aggregated:
        raise CompileError("an aggregated filter cannot apply to an unaggregated table")
    aliases = _aliases(items)
    limit = wells.limit
    if kind != "KPIVisual":
        limit = min(limit or CHART_ROW_LIMIT, CHART_ROW_LIMIT)
    select = [f"{item.sql} AS {alias}" for item, alias in zip(items, aliases)]
    order = _order_by(ctx, wells, items, aliases, aggregated)
    relation = ctx.wrap_relation(ctx.source.relation, where)
    ctes, joins = "", []
    if ctx.nested:
        if group_by == "ALL":
            raise CompileError("a table calculation of another one is not supported in an unaggregated table")
        keys = [item.sql for item in items[: int(group_by)]]
        ctes, joins = _nested_queries(ctx, relation, keys, where, having)
    sql = ctes + _assemble(relation, select, where, group_by, having, order, limit, qualify, joins)
    return CompiledQuery(sql, ctx.used_params(sql), [item.meta for item in items], ctx.notes)


def _nested_queries(
    ctx: QueryContext, relation: str, keys: list[str], where: list[str], having: list[str]
) -> tuple[str, list[str]]:
    """The WITH clause computing each table calculation another one takes (`QueryContext.visual_level`) over rows
    grouped like the visual's, and the LEFT JOINs bringing each group's value to the visual's rows."""
    ctes, joins = [], []
    for index, text in enumerate(ctx.nested):
        name = nested_name(index)
        select = [f"{key} AS __key_{i}" for i, key in enumerate(keys)] + [f"{text} AS value"]
        query = _assemble(relation, select, where, len(keys), having, [], None, joins=list(joins))
        ctes.append(f"{name} AS (\n{query}\n)")
        on = " AND ".join(f"{key} IS NOT DISTINCT FROM {name}.__key_{i}" for i, key in enumerate(keys))
        joins.append(f"LEFT JOIN {name} ON {on or 'TRUE'}")
    return ("WITH " + ",\n".join(ctes) + "\n" if ctes else ""), joins


def compile_column_values(
    definition: dict, column: dict, source: DatasetSource, parameter_values: dict[str, Any]
) -> CompiledQuery:
    """Distinct values of a column (a dropdown's LinkToDataSetColumn)."""
    ctx = QueryContext(definition, source, parameter_values)
    try:
        expr = ctx.field_column(column)
    except ExpressionError as error:
        raise CompileError(str(error)) from None
    if expr.aggregate:
        raise CompileError(f"{column.get('ColumnName')!r} is aggregated; a control cannot list its values")
    alias = quote_identifier(column["ColumnName"])
    sql = _assemble(
        source.relation, [f"DISTINCT {expr.text} AS {alias}"], [f"{expr.text} IS NOT NULL"], 0, [], ["1"], VALUES_LIMIT
    )
    meta = {
        "field_id": None,
        "label": column["ColumnName"],
        "role": "dimension",
        "well": "values",
        "column": column["ColumnName"],
        "format": None,
        "granularity": None,
    }
    return CompiledQuery(sql, ctx.used_params(sql), [meta])


__all__ = [
    "CompileError",
    "CompiledQuery",
    "compile_column_values",
    "compile_visual",
    "visual_dataset_identifier",
]
