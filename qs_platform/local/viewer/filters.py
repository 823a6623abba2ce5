"""Filter groups scoped to a visual as WHERE / HAVING / QUALIFY conditions, and filter-control values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .context import _AGGREGATIONS, _GRANULARITIES, CompileError, QueryContext, _generic_aggregation, _single
from .definition import coerce_value
from .expressions import ExpressionError, Sql, translate


@dataclass
class Condition:
    sql: str
    having: bool = False  # on an aggregated value (HAVING)
    qualify: bool = False  # on a table calculation over the visual's rows (QUALIFY)


def _on(sql: str, expr) -> Condition:
    """A condition on `expr`: WHERE for a row value, HAVING for an aggregate, QUALIFY for a window."""
    return Condition(sql, bool(expr.aggregate) and not expr.window, bool(expr.window))


@dataclass(frozen=True)
class SqlValue:
    """A bound computed in SQL (a rolling date), used as is instead of a bound parameter."""

    text: str


def bound_sql(ctx: QueryContext, value: Any) -> str:
    return value.text if isinstance(value, SqlValue) else ctx.bind(value)


def filter_in_scope(group: dict, sheet_id: str, visual_id: str) -> bool:
    if group.get("Status", "ENABLED") != "ENABLED":
        return False
    scope = group.get("ScopeConfiguration") or {}
    if "AllSheets" in scope:
        return True
    for sheet_scope in (scope.get("SelectedSheets") or {}).get("SheetVisualScopingConfigurations", []):
        if sheet_scope.get("SheetId") != sheet_id:
            continue
        if sheet_scope.get("Scope") == "ALL_VISUALS" or visual_id in sheet_scope.get("VisualIds", []):
            return True
    return False


def _filter_uses_dataset(ctx: QueryContext, group: dict, column: dict) -> bool:
    if column.get("DataSetIdentifier") == ctx.source.identifier:
        return True
    if group.get("CrossDataset") == "ALL_DATASETS":
        name = column.get("ColumnName")
        return ctx.is_calculated(name) or name in ctx.source.columns
    return False


def _with_nulls(condition: str, expr: str, null_option: str | None) -> str:
    if null_option == "NULLS_ONLY":
        return f"{expr} IS NULL"
    if null_option == "ALL_VALUES":
        return f"({condition} OR {expr} IS NULL)"
    return condition


def _category_condition(ctx: QueryContext, expr: str, operator: str, values: list, null_option: str | None) -> str:
    text = f"CAST({expr} AS VARCHAR)"
    binds = [ctx.bind(str(v)) for v in values]
    if operator in ("EQUALS", "DOES_NOT_EQUAL"):
        condition = f"{text} IN ({', '.join(binds)})"
    else:
        function = {
            "CONTAINS": "contains",
            "DOES_NOT_CONTAIN": "contains",
            "STARTS_WITH": "starts_with",
            "ENDS_WITH": "ends_with",
        }.get(operator)
        if function is None:
            raise CompileError(f"category filter operator {operator} is not supported")
        condition = "(" + " OR ".join(f"{function}({text}, {b})" for b in binds) + ")"
    if operator in ("DOES_NOT_EQUAL", "DOES_NOT_CONTAIN"):
        condition = f"NOT ({condition})"
    return _with_nulls(condition, expr, null_option)


_LIST_OPERATORS = {"CONTAINS": "EQUALS", "DOES_NOT_CONTAIN": "DOES_NOT_EQUAL"}


def _category_filter(ctx: QueryContext, f: dict) -> Condition | None:
    expr = ctx.field_column(f["Column"])
    config = f.get("Configuration") or {}
    if "CustomFilterConfiguration" in config:
        options = config["CustomFilterConfiguration"]
        if options.get("ParameterName"):
            value = ctx.parameter_value(options["ParameterName"])
            values = value if isinstance(value, list) else [value]
        else:
            values = [options.get("CategoryValue")]
        operator = options.get("MatchOperator", "EQUALS")
    else:
        options = config.get("FilterListConfiguration") or config.get("CustomFilterListConfiguration") or {}
        values = list(options.get("CategoryValues", []))
        # a filter *list* "contains" its values: QuickSight's include/exclude list is exported as
        # CONTAINS / DOES_NOT_CONTAIN (e.g. a control titled "CLASS_OF_SUPPLY equals"), i.e. membership
        operator = _LIST_OPERATORS.get(options.get("MatchOperator", "EQUALS"), options.get("MatchOperator", "EQUALS"))
    values = [v for v in values if v is not None and v != ""]
    if options.get("SelectAllOptions") == "FILTER_ALL_VALUES" or (
        not values and options.get("NullOption") != "NULLS_ONLY"
    ):
        return None
    sql = _category_condition(ctx, expr.text, operator, values, options.get("NullOption"))
    return _on(sql, expr)


def _filter_value(ctx: QueryContext, bound: dict | None, kind: str) -> Any:
    """A range bound / value: {StaticValue} or {Parameter}; None when absent or the parameter is unset."""
    if not bound:
        return None
    if "RollingDate" in bound:  # an expression such as addDateTime(-3, 'MM', truncDate('MM', now()))
        try:
            return SqlValue(translate(bound["RollingDate"]["Expression"], ctx).text)
        except ExpressionError as error:
            raise CompileError(f"rolling date {bound['RollingDate'].get('Expression')!r}: {error}") from None
    if "Parameter" in bound:
        value = ctx.parameter_value(bound["Parameter"])
        value = value[0] if isinstance(value, list) and value else value
        return None if value in (None, [], "") else coerce_value(kind, value)
    return coerce_value(kind, bound.get("StaticValue"))


def _filter_expression(ctx: QueryContext, f: dict) -> tuple[str, Sql]:
    """The filtered expression's SQL, and the expression saying where it goes (WHERE / HAVING / QUALIFY)."""
    expr = ctx.field_column(f["Column"])
    if expr.aggregate:
        return expr.text, expr
    function = _generic_aggregation(f.get("AggregationFunction"))
    if function:
        return function[0].format(expr.text), Sql("", aggregate=True)
    return expr.text, expr


def _numeric_range_filter(ctx: QueryContext, f: dict) -> Condition | None:
    if f.get("SelectAllOptions") == "FILTER_ALL_VALUES":
        return None
    expr, having = _filter_expression(ctx, f)
    parts = []
    for key, include_key, inclusive, exclusive in (
        ("RangeMinimum", "IncludeMinimum", ">=", ">"),
        ("RangeMaximum", "IncludeMaximum", "<=", "<"),
    ):
        value = _filter_value(ctx, f.get(key), "DECIMAL")
        if value is not None:
            parts.append(f"{expr} {inclusive if f.get(include_key, True) else exclusive} {bound_sql(ctx, value)}")
    if not parts:
        return None
    return _on(_with_nulls(" AND ".join(parts), expr, f.get("NullOption")), having)


def _numeric_equality_filter(ctx: QueryContext, f: dict) -> Condition | None:
    if f.get("SelectAllOptions") == "FILTER_ALL_VALUES":
        return None
    expr, having = _filter_expression(ctx, f)
    if f.get("ParameterName"):
        value = _filter_value(ctx, {"Parameter": f["ParameterName"]}, "DECIMAL")
    else:
        value = _filter_value(ctx, {"StaticValue": f.get("Value")}, "DECIMAL")
    if value is None:
        return None
    operator = "<>" if f.get("MatchOperator") == "DOES_NOT_EQUAL" else "="
    return _on(_with_nulls(f"{expr} {operator} {bound_sql(ctx, value)}", expr, f.get("NullOption")), having)


def _time_expression(ctx: QueryContext, f: dict) -> tuple[str, str | None]:
    expr = ctx.field_column(f["Column"])
    if expr.aggregate:
        raise CompileError("time filters on aggregated calculated fields are not supported")
    granularity = f.get("TimeGranularity")
    if granularity and granularity not in _GRANULARITIES:
        raise CompileError(f"time granularity {granularity} is not supported")
    return f"CAST({expr.text} AS TIMESTAMP)", (_GRANULARITIES[granularity] if granularity else None)


def _truncated(sql: str, unit: str | None) -> str:
    return f"date_trunc('{unit}', {sql})" if unit else sql


def _time_range_filter(ctx: QueryContext, f: dict) -> Condition | None:
    expr, unit = _time_expression(ctx, f)
    parts = []
    for key, include_key, inclusive, exclusive in (
        ("RangeMinimumValue", "IncludeMinimum", ">=", ">"),
        ("RangeMaximumValue", "IncludeMaximum", "<=", "<"),
    ):
        value = _filter_value(ctx, f.get(key), "DATETIME")
        if value is not None:
            operator = inclusive if f.get(include_key, True) else exclusive
            bound = _truncated(f"CAST({bound_sql(ctx, value)} AS TIMESTAMP)", unit)
            parts.append(f"{_truncated(expr, unit)} {operator} {bound}")
    if not parts:
        return None
    return Condition(_with_nulls(" AND ".join(parts), expr, f.get("NullOption")))


def _time_equality_filter(ctx: QueryContext, f: dict) -> Condition | None:
    expr, unit = _time_expression(ctx, f)
    bound = {"Parameter": f["ParameterName"]} if f.get("ParameterName") else {"StaticValue": f.get("Value")}
    value = _filter_value(ctx, bound, "DATETIME")
    if value is None:
        return None
    return Condition(f"{_truncated(expr, unit)} = {_truncated(f'CAST({bound_sql(ctx, value)} AS TIMESTAMP)', unit)}")


def _top_bottom_filter(ctx: QueryContext, f: dict) -> Condition | None:
    """Rows whose column value is among the top (DESC) / bottom (ASC) `Limit` groups by the sort aggregation."""
    expr = ctx.field_column(f["Column"])
    limit = f.get("Limit")
    if f.get("ParameterName"):
        limit = ctx.parameter_value(f["ParameterName"])
        limit = limit[0] if isinstance(limit, list) and limit else limit
    if limit in (None, "", []):
        return None
    orders = []
    for option in f.get("AggregationSortConfigurations", []):
        sort_expr = ctx.field_column(option["Column"])
        function = _generic_aggregation(option.get("AggregationFunction"))
        value = sort_expr.text if sort_expr.aggregate else (function or _AGGREGATIONS["SUM"])[0].format(sort_expr.text)
        orders.append(f"{value} {'ASC' if option.get('SortDirection') == 'ASC' else 'DESC'} NULLS LAST")
    if not orders:
        raise CompileError(f"TopBottomFilter {f.get('FilterId')!r} has no AggregationSortConfigurations")
    ranked = (
        f"SELECT {expr.text} FROM {ctx.source.relation} AS t GROUP BY 1 ORDER BY {', '.join(orders)} "
        f"LIMIT {ctx.bind(int(coerce_value('INTEGER', limit)))}"
    )
    return Condition(f"{expr.text} IN ({ranked})")


_RELATIVE_UNITS = {name: unit for name, unit in _GRANULARITIES.items() if name != "MILLISECOND"}


def _relative_dates_filter(ctx: QueryContext, f: dict) -> Condition | None:
    """THIS / PREVIOUS / LAST / NEXT / NOW n units, anchored at now or at a datetime parameter."""
    expr, _ = _time_expression(ctx, {**f, "TimeGranularity": None})
    unit = _RELATIVE_UNITS.get(f.get("TimeGranularity") or "DAY")
    if unit is None:
        raise CompileError(f"relative-date granularity {f.get('TimeGranularity')} is not supported")
    anchor_option = f.get("AnchorDateConfiguration") or {}
    anchor = "CAST(current_timestamp AS TIMESTAMP)"
    if anchor_option.get("ParameterName"):
        value = _filter_value(ctx, {"Parameter": anchor_option["ParameterName"]}, "DATETIME")
        anchor = f"CAST({bound_sql(ctx, value)} AS TIMESTAMP)" if value is not None else anchor
    n = f.get("RelativeDateValue") or 1
    if f.get("ParameterName"):
        n = _filter_value(ctx, {"Parameter": f["ParameterName"]}, "INTEGER") or n
    period = f"date_trunc('{unit}', {anchor})"
    span = f"({ctx.bind(int(n))} * INTERVAL 1 {unit})"
    kind = f.get("RelativeDateType", "THIS")
    if kind in ("THIS", "NOW"):
        condition = f"date_trunc('{unit}', {expr}) = {period}"
    elif kind == "PREVIOUS":
        condition = f"{expr} >= {period} - {span} AND {expr} < {period}"
    elif kind == "LAST":
        condition = f"{expr} > {anchor} - {span} AND {expr} <= {anchor}"
    elif kind == "NEXT":
        condition = f"{expr} >= {period} + INTERVAL 1 {unit} AND {expr} < {period} + INTERVAL 1 {unit} + {span}"
    else:
        raise CompileError(f"relative date type {kind} is not supported")
    condition += _excluded_periods(ctx, f.get("ExcludePeriodConfiguration") or {}, expr, anchor)
    return Condition(_with_nulls(f"({condition})", expr, f.get("NullOption")))


def _excluded_periods(ctx: QueryContext, exclude: dict, expr: str, anchor: str) -> str:
    """ExcludePeriodConfiguration: the last `Amount` periods of `Granularity` up to the anchor (its own period
    included) are left out of the range, as "last 12 months, excluding the last 1" leaves out the current month."""
    if exclude.get("Status", "ENABLED") != "ENABLED" or not exclude.get("Amount"):
        return ""
    unit = _RELATIVE_UNITS.get(exclude.get("Granularity") or "DAY")
    if unit is None:
        raise CompileError(f"exclude-period granularity {exclude.get('Granularity')} is not supported")
    earlier = f"({ctx.bind(int(exclude['Amount']) - 1)} * INTERVAL 1 {unit})"
    return f" AND {expr} < date_trunc('{unit}', {anchor}) - {earlier}"


def _nested_filter(ctx: QueryContext, f: dict) -> Condition | None:
    """Rows whose column value occurs (or, IncludeInnerSet false, does not occur) in rows matching the inner filter."""
    expr = ctx.field_column(f["Column"])
    inner = (f.get("InnerFilter") or {}).get("CategoryInnerFilter")
    if not inner:
        raise CompileError(f"NestedFilter {f.get('FilterId')!r} has no CategoryInnerFilter")
    condition = _category_filter(ctx, inner)
    if condition is None:
        return None
    subquery = f"SELECT {expr.text} FROM {ctx.source.relation} AS t WHERE {condition.sql}"
    operator = "IN" if f.get("IncludeInnerSet", True) else "NOT IN"
    return Condition(f"{expr.text} {operator} ({subquery})")


_FILTERS = {
    "CategoryFilter": _category_filter,
    "NumericRangeFilter": _numeric_range_filter,
    "NumericEqualityFilter": _numeric_equality_filter,
    "TimeRangeFilter": _time_range_filter,
    "TimeEqualityFilter": _time_equality_filter,
    "TopBottomFilter": _top_bottom_filter,
    "RelativeDatesFilter": _relative_dates_filter,
    "NestedFilter": _nested_filter,
}


def _pair(value: Any) -> tuple[Any, Any]:
    if isinstance(value, dict):
        return value.get("min"), value.get("max")
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    raise CompileError(f"a range filter control needs [min, max], got {value!r}")


def _static(value: Any) -> dict | None:
    return None if value in (None, "") else {"StaticValue": value}


def apply_control_value(kind: str, f: dict, value: Any) -> dict:
    """A copy of a filter with the value chosen in its filter control (null = every value)."""
    f = {k: v for k, v in f.items() if k != "ParameterName"}
    if kind == "CategoryFilter":
        config = f.get("Configuration") or {}
        options = next(iter(config.values()), {}) if config else {}
        values = [v for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
        listed = {
            k: v
            for k, v in options.items()
            if k not in ("CategoryValue", "ParameterName", "CategoryValues", "SelectAllOptions")
        }
        listed["MatchOperator"] = options.get("MatchOperator", "EQUALS")
        if values:
            listed["CategoryValues"] = [str(v) for v in values]
        else:
            listed["SelectAllOptions"] = "FILTER_ALL_VALUES"
        return {**f, "Configuration": {"FilterListConfiguration": listed}}
    if kind in ("NumericRangeFilter", "TimeRangeFilter"):
        low, high = _pair(value)
        keys = (
            ("RangeMinimum", "RangeMaximum")
            if kind == "NumericRangeFilter"
            else ("RangeMinimumValue", "RangeMaximumValue")
        )
        f = {**f, keys[0]: _static(low), keys[1]: _static(high)}
        return {k: v for k, v in f.items() if not (k in keys and v is None) and k != "SelectAllOptions"}
    if kind in ("NumericEqualityFilter", "TimeEqualityFilter"):
        if value in (None, "", []):
            return {**f, "SelectAllOptions": "FILTER_ALL_VALUES", "Value": None}
        return {**f, "Value": value[0] if isinstance(value, list) else value}
    if kind == "TopBottomFilter":
        return {**f, "Limit": value}
    if kind == "RelativeDatesFilter":
        return {**f, "RelativeDateValue": value} if value not in (None, "") else f
    raise CompileError(f"a filter control cannot set a {kind}")


def filter_conditions(
    ctx: QueryContext, definition: dict, sheet_id: str, visual_id: str, control_values: dict[str, Any] | None = None
) -> list[Condition]:
    """Conditions of every enabled filter whose scope includes the visual and whose column is in its dataset.

    `control_values` (FilterId -> value chosen in a filter control) replace the filter's own values.
    """
    control_values = control_values or {}
    conditions = []
    for group in definition.get("FilterGroups", []):
        if not filter_in_scope(group, sheet_id, visual_id):
            continue
        for wrapper in group.get("Filters", []):
            kind, f = _single(wrapper)
            if not _filter_uses_dataset(ctx, group, f.get("Column") or {}):
                continue
            build = _FILTERS.get(kind)
            if build is None:
                raise CompileError(f"{kind} (filter {f.get('FilterId')!r}) is not supported by the local viewer")
            if f.get("FilterId") in control_values:
                f = apply_control_value(kind, f, control_values[f["FilterId"]])
            condition = build(ctx, f)
            if condition is not None:
                conditions.append(condition)
    return conditions
