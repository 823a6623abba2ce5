"""Compile one visual of a dashboard `Definition` into a DuckDB query.

Field wells give the SELECT (dimensions, then measures) and GROUP BY; calculated fields are inlined via
`expressions.translate`; filter groups scoped to the visual give WHERE / HAVING; the sort configuration gives
ORDER BY. Every parameter value is bound (`$p0`, `$p1`, ...) and returned in `CompiledQuery.params`.

    compile_visual(definition, sheet_id, visual_wrapper, source, parameter_values) -> CompiledQuery
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .datasets import DatasetSource, quote_identifier
from .definition import SUPPORTED_VISUALS, coerce_value, visual_kind
from .expressions import ExpressionError, Sql, translate

TABLE_ROW_LIMIT = 1000
CHART_ROW_LIMIT = 5000
VALUES_LIMIT = 1000

_AGGREGATIONS = {
    "SUM": ("sum({})", "Sum"),
    "AVERAGE": ("avg({})", "Average"),
    "MIN": ("min({})", "Min"),
    "MAX": ("max({})", "Max"),
    "COUNT": ("count({})", "Count"),
    "DISTINCT_COUNT": ("count(DISTINCT {})", "Distinct count"),
    "MEDIAN": ("median({})", "Median"),
    "VAR": ("var_samp({})", "Variance"),
    "VARP": ("var_pop({})", "Population variance"),
    "STDEV": ("stddev_samp({})", "Standard deviation"),
    "STDEVP": ("stddev_pop({})", "Population standard deviation"),
}
_GRANULARITIES = {
    "YEAR": "year", "QUARTER": "quarter", "MONTH": "month", "WEEK": "week", "DAY": "day",
    "HOUR": "hour", "MINUTE": "minute", "SECOND": "second", "MILLISECOND": "millisecond",
}
_DATE_GRANULARITIES = ("YEAR", "QUARTER", "MONTH", "WEEK", "DAY")


class CompileError(ValueError):
    """The visual cannot be turned into SQL; the message is shown in the visual."""


class CalculatedFieldError(ExpressionError):
    """An expression error, already attributed to the calculated field it occurred in."""


@dataclass
class CompiledQuery:
    sql: str
    params: dict[str, Any]
    fields: list[dict]  # one per result column: field_id, label, role, well, column, granularity, format


# ---- column and parameter resolution ----------------------------------------------------------------------


class QueryContext:
    """Resolves the columns and parameters of one dataset while a query is compiled; collects bound values."""

    def __init__(self, definition: dict, source: DatasetSource, parameter_values: dict[str, Any]):
        self.source = source
        self.parameter_values = parameter_values
        self.params: dict[str, Any] = {}
        self._calculated = {
            f["Name"]: f["Expression"]
            for f in definition.get("CalculatedFields", [])
            if f.get("DataSetIdentifier") == source.identifier
        }
        self._resolving: list[str] = []

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def is_calculated(self, name: str) -> bool:
        return name in self._calculated

    def column(self, name: str) -> Sql:
        if name not in self._calculated:
            if self.source.columns and name not in self.source.columns:
                raise ExpressionError(
                    f"column {name!r} is neither in dataset {self.source.dataset_id!r} nor a calculated field of it"
                    f" (dataset columns: {', '.join(self.source.columns)})"
                )
            return Sql(quote_identifier(name))
        if name in self._resolving:
            raise CalculatedFieldError(f"calculated field {name!r} refers to itself")
        self._resolving.append(name)
        try:
            inner = translate(self._calculated[name], self)
        except CalculatedFieldError:
            raise
        except ExpressionError as error:
            raise CalculatedFieldError(f"calculated field {name!r}: {error}") from None
        finally:
            self._resolving.pop()
        text = inner.text if inner.text.startswith("(") and inner.text.endswith(")") else f"({inner.text})"
        return Sql(text, inner.aggregate)

    def parameter(self, name: str) -> Sql:
        if name not in self.parameter_values:
            raise ExpressionError(f"unknown parameter ${{{name}}}")
        return Sql(self.bind(self.parameter_values[name]))

    def parameter_value(self, name: str) -> Any:
        if name not in self.parameter_values:
            raise CompileError(f"unknown parameter {name!r}")
        return self.parameter_values[name]

    def field_column(self, column: dict) -> Sql:
        """A field well / filter / sort `Column` {DataSetIdentifier, ColumnName} of this dataset."""
        return self.column(column["ColumnName"])


def _single(wrapper: dict) -> tuple[str, dict]:
    """`{"NumericalMeasureField": {...}}` -> ("NumericalMeasureField", {...})."""
    for kind, value in wrapper.items():
        if isinstance(value, dict):
            return kind, value
    raise CompileError(f"empty field {wrapper!r}")


def aggregate(name: str, sql: str) -> str:
    return _AGGREGATIONS[name][0].format(sql)


def _generic_aggregation(function: dict | None) -> tuple[str, str] | None:
    """(SQL template, label) of an `AggregationFunction` / `NumericalAggregationFunction`, or None."""
    if not function:
        return None
    numerical = function.get("NumericalAggregationFunction", function)
    if "SimpleNumericalAggregation" in numerical:
        name = numerical["SimpleNumericalAggregation"]
    elif "PercentileAggregation" in numerical:
        percentile = float(numerical["PercentileAggregation"].get("PercentileValue", 50))
        return f"quantile_cont({{}}, {percentile / 100!r})", f"P{percentile:g}"
    else:
        name = function.get("CategoricalAggregationFunction") or function.get("DateAggregationFunction")
    if not name:
        return None
    if name not in _AGGREGATIONS:
        raise CompileError(f"aggregation {name} is not supported by the local viewer")
    return _AGGREGATIONS[name]


# ---- formats and labels -----------------------------------------------------------------------------------


def number_format(config: dict | None) -> dict | None:
    """{kind: number|currency|percent, decimals, prefix, suffix, symbol, scale} from a format configuration."""
    if not config:
        return None
    config = config.get("NumberFormatConfiguration") or config.get("StringFormatConfiguration") or config
    numeric = config.get("FormatConfiguration") or config.get("NumericFormatConfiguration") or {}
    for kind, key in (
        ("number", "NumberDisplayFormatConfiguration"),
        ("currency", "CurrencyDisplayFormatConfiguration"),
        ("percent", "PercentageDisplayFormatConfiguration"),
    ):
        if key in numeric:
            options = numeric[key]
            return {
                "kind": kind,
                "decimals": (options.get("DecimalPlacesConfiguration") or {}).get("DecimalPlaces"),
                "prefix": options.get("Prefix", ""),
                "suffix": options.get("Suffix", ""),
                "symbol": options.get("Symbol"),
                "scale": options.get("NumberScale"),
            }
    return None


def _column_formats(definition: dict) -> dict[tuple[str, str], dict]:
    formats = {}
    for configuration in definition.get("ColumnConfigurations", []):
        column = configuration.get("Column") or {}
        parsed = number_format(configuration.get("FormatConfiguration"))
        if parsed:
            formats[(column.get("DataSetIdentifier"), column.get("ColumnName"))] = parsed
    return formats


def custom_labels(kind: str, visual: dict) -> dict[str, str]:
    """FieldId -> CustomLabel from table field options and chart axis label options."""
    config = visual.get("ChartConfiguration") or {}
    labels: dict[str, str] = {}
    for option in (config.get("FieldOptions") or {}).get("SelectedFieldOptions", []):
        if option.get("CustomLabel"):
            labels[option["FieldId"]] = option["CustomLabel"]
    for key in ("CategoryLabelOptions", "ValueLabelOptions", "ColorLabelOptions"):
        for option in (config.get(key) or {}).get("AxisLabelOptions", []):
            field_id = (option.get("ApplyTo") or {}).get("FieldId")
            if field_id and option.get("CustomLabel"):
                labels[field_id] = option["CustomLabel"]
    return labels


# ---- field wells ------------------------------------------------------------------------------------------


@dataclass
class Wells:
    dimensions: list[tuple[str, dict]] = field(default_factory=list)  # (well name, DimensionField)
    measures: list[tuple[str, dict]] = field(default_factory=list)  # (well name, MeasureField)
    unaggregated: list[dict] | None = None  # UnaggregatedField, for TableUnaggregatedFieldWells
    sort: list[dict] = field(default_factory=list)  # FieldSortOptions
    limit: int | None = None
    default_order: str = "none"  # none | dimensions | measure_desc

    def all_columns(self) -> list[dict]:
        fields = [f for _, f in self.dimensions] + [m for _, m in self.measures] + (self.unaggregated or [])
        columns = []
        for wrapper in fields:
            value = wrapper if "Column" in wrapper else next(iter(wrapper.values()), {})
            if isinstance(value, dict) and value.get("Column"):
                columns.append(value["Column"])
        return columns


def _named(well: str, fields: list | None) -> list[tuple[str, dict]]:
    return [(well, f) for f in fields or []]


def _category_chart_wells(kind: str, config: dict) -> Wells:
    """Bar, line, pie and combo: categories (+ colours) against one or more measures."""
    aggregated = next(iter((config.get("FieldWells") or {}).values()), {}) or {}
    sort = config.get("SortConfiguration") or {}
    limit_key = "CategoryItemsLimitConfiguration" if kind == "LineChartVisual" else "CategoryItemsLimit"
    colors = aggregated.get("Colors", [])
    if kind == "ComboChartVisual":
        measures = _named("bar", aggregated.get("BarValues")) + _named("line", aggregated.get("LineValues"))
    else:
        measures = _named("value", aggregated.get("Values"))
    return Wells(
        dimensions=_named("category", aggregated.get("Category")) + _named("color", colors),
        measures=measures,
        sort=list(sort.get("CategorySort", [])),
        limit=None if colors else (sort.get(limit_key) or {}).get("ItemsLimit"),
        default_order="dimensions" if kind == "LineChartVisual" or colors else "measure_desc",
    )


def _pivot_sort(sort: dict) -> list[dict]:
    """PivotFieldSortOptions sorting a row/column dimension by itself -> the FieldSort shape."""
    options = []
    for option in sort.get("FieldSortOptions", []):
        by_field = (option.get("SortBy") or {}).get("Field")
        if by_field:
            options.append({"FieldSort": by_field})
    return options


def _scatter_wells(wells: dict) -> Wells:
    if "ScatterPlotUnaggregatedFieldWells" in wells:
        w = wells["ScatterPlotUnaggregatedFieldWells"]
        return Wells(
            dimensions=_named("x", w.get("XAxis")) + _named("y", w.get("YAxis"))
            + _named("category", w.get("Category")) + _named("label", w.get("Label")),
            measures=_named("size", w.get("Size")),
            limit=CHART_ROW_LIMIT,
        )
    w = wells.get("ScatterPlotCategoricallyAggregatedFieldWells") or {}
    return Wells(
        dimensions=_named("category", w.get("Category")) + _named("label", w.get("Label")),
        measures=_named("x", w.get("XAxis")) + _named("y", w.get("YAxis")) + _named("size", w.get("Size")),
        default_order="dimensions",
    )


def field_wells(kind: str, visual: dict) -> Wells:
    config = visual.get("ChartConfiguration") or {}
    wells = config.get("FieldWells") or {}
    sort = config.get("SortConfiguration") or {}
    if kind == "KPIVisual":  # the value, its target, and one row per trend period (the page shows the last)
        return Wells(
            dimensions=_named("trend", wells.get("TrendGroups"))[:1],
            measures=_named("value", wells.get("Values"))[:1] + _named("target", wells.get("TargetValues"))[:1],
            default_order="dimensions",
        )
    if kind in ("BarChartVisual", "LineChartVisual", "PieChartVisual", "ComboChartVisual"):
        return _category_chart_wells(kind, config)
    if kind == "TableVisual":
        if "TableUnaggregatedFieldWells" in wells:
            return Wells(
                unaggregated=list(wells["TableUnaggregatedFieldWells"].get("Values", [])),
                sort=list(sort.get("RowSort", [])),
                limit=TABLE_ROW_LIMIT,
            )
        aggregated = wells.get("TableAggregatedFieldWells") or {}
        return Wells(
            dimensions=_named("group_by", aggregated.get("GroupBy")),
            measures=_named("value", aggregated.get("Values")),
            sort=list(sort.get("RowSort", [])),
            limit=TABLE_ROW_LIMIT,
            default_order="dimensions",
        )
    if kind == "PivotTableVisual":
        aggregated = wells.get("PivotTableAggregatedFieldWells") or {}
        return Wells(
            dimensions=_named("row", aggregated.get("Rows")) + _named("column", aggregated.get("Columns")),
            measures=_named("value", aggregated.get("Values")),
            sort=_pivot_sort(sort),
            default_order="dimensions",
        )
    if kind == "HeatMapVisual":
        aggregated = wells.get("HeatMapAggregatedFieldWells") or {}
        return Wells(
            dimensions=_named("row", aggregated.get("Rows")) + _named("column", aggregated.get("Columns")),
            measures=_named("value", aggregated.get("Values"))[:1],
            sort=list(sort.get("HeatMapRowSort", [])) + list(sort.get("HeatMapColumnSort", [])),
            default_order="dimensions",
        )
    if kind == "ScatterPlotVisual":
        return _scatter_wells(wells)
    if kind in ("FilledMapVisual", "GeospatialMapVisual"):
        aggregated = next(iter(wells.values()), {}) or {}
        return Wells(
            dimensions=_named("geo", aggregated.get("Geospatial")) + _named("color", aggregated.get("Colors")),
            measures=_named("value", aggregated.get("Values")),
            default_order="measure_desc",
        )
    raise CompileError(f"unsupported visual: {kind} (the local viewer draws {', '.join(SUPPORTED_VISUALS)})")


def visual_dataset_identifier(wrapper: dict) -> str:
    """The DataSetIdentifier a visual's fields use (they must all use one)."""
    kind, visual = visual_kind(wrapper)
    identifiers = {c.get("DataSetIdentifier") for c in field_wells(kind, visual).all_columns()}
    identifiers.discard(None)
    if not identifiers:
        raise CompileError("the visual has no fields in its field wells")
    if len(identifiers) > 1:
        raise CompileError(f"the visual mixes datasets {sorted(identifiers)}")
    return identifiers.pop()


@dataclass
class SelectItem:
    sql: str
    meta: dict


class _FieldCompiler:
    def __init__(self, ctx: QueryContext, definition: dict, labels: dict[str, str]):
        self.ctx = ctx
        self.labels = labels
        self.formats = _column_formats(definition)

    def _meta(self, field_id: str | None, role: str, well: str, column: str, label: str, fmt: dict | None, **extra) -> dict:
        column_format = self.formats.get((self.ctx.source.identifier, column))
        return {
            "field_id": field_id,
            "label": self.labels.get(field_id or "", label),
            "role": role,
            "well": well,
            "column": column,
            "format": fmt or column_format,
            "granularity": None,
            **extra,
        }

    def dimension(self, well: str, wrapper: dict) -> SelectItem:
        kind, dimension = _single(wrapper)
        name = dimension["Column"]["ColumnName"]
        expr = self.ctx.field_column(dimension["Column"])
        if expr.aggregate:
            raise CompileError(f"{name!r} is an aggregated calculated field and cannot be used as a dimension")
        sql, granularity = expr.text, None
        if kind == "DateDimensionField":
            granularity = dimension.get("DateGranularity") or "DAY"
            sql = _truncate(sql, granularity)
        meta = self._meta(dimension.get("FieldId"), "dimension", well, name, name, number_format(dimension.get("FormatConfiguration")))
        meta["granularity"] = granularity
        if well == "geo":
            meta["geographic_role"] = self.ctx.source.geographic_roles.get(name)
        return SelectItem(sql, meta)

    def measure(self, well: str, wrapper: dict) -> SelectItem:
        kind, measure = _single(wrapper)
        fmt = number_format(measure.get("FormatConfiguration"))
        if kind == "CalculatedMeasureField":
            expr = translate(measure["Expression"], self.ctx)
            sql = expr.text if expr.aggregate else aggregate("SUM", expr.text)
            return SelectItem(sql, self._meta(measure.get("FieldId"), "measure", well, "", measure.get("FieldId", ""), fmt))
        name = measure["Column"]["ColumnName"]
        expr = self.ctx.field_column(measure["Column"])
        if expr.aggregate:  # an aggregated calculated field: QuickSight uses it as is
            return SelectItem(expr.text, self._meta(measure.get("FieldId"), "measure", well, name, name, fmt))
        function = measure.get("AggregationFunction")
        if kind in ("CategoricalMeasureField", "DateMeasureField"):  # the function is a plain string here
            if (function or "COUNT") not in _AGGREGATIONS:
                raise CompileError(f"aggregation {function} is not supported by the local viewer")
            template, agg_label = _AGGREGATIONS[function or "COUNT"]
        else:
            template, agg_label = _generic_aggregation(function) or _AGGREGATIONS["SUM"]
        return SelectItem(
            template.format(expr.text),
            self._meta(measure.get("FieldId"), "measure", well, name, f"{name} ({agg_label})", fmt),
        )

    def unaggregated(self, unaggregated: dict) -> SelectItem:
        name = unaggregated["Column"]["ColumnName"]
        expr = self.ctx.field_column(unaggregated["Column"])
        fmt = number_format(unaggregated.get("FormatConfiguration"))
        role = "measure" if expr.aggregate else "value"  # QuickSight then aggregates the table by the other columns
        return SelectItem(expr.text, self._meta(unaggregated.get("FieldId"), role, "value", name, name, fmt))


def _truncate(sql: str, granularity: str) -> str:
    if granularity not in _GRANULARITIES:
        raise CompileError(f"date granularity {granularity} is not supported")
    truncated = f"date_trunc('{_GRANULARITIES[granularity]}', {sql})"
    return f"CAST({truncated} AS DATE)" if granularity in _DATE_GRANULARITIES else truncated


# ---- filters ----------------------------------------------------------------------------------------------


@dataclass
class Condition:
    sql: str
    having: bool = False  # on an aggregated value


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
        function = {"CONTAINS": "contains", "DOES_NOT_CONTAIN": "contains", "STARTS_WITH": "starts_with", "ENDS_WITH": "ends_with"}.get(operator)
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
    if options.get("SelectAllOptions") == "FILTER_ALL_VALUES" or (not values and options.get("NullOption") != "NULLS_ONLY"):
        return None
    sql = _category_condition(ctx, expr.text, operator, values, options.get("NullOption"))
    return Condition(sql, expr.aggregate)


def _filter_value(ctx: QueryContext, bound: dict | None, kind: str) -> Any:
    """A range bound / value: {StaticValue} or {Parameter}; None when absent or the parameter is unset."""
    if not bound:
        return None
    if "RollingDate" in bound:
        raise CompileError("rolling-date filter bounds are not supported by the local viewer")
    if "Parameter" in bound:
        value = ctx.parameter_value(bound["Parameter"])
        value = value[0] if isinstance(value, list) and value else value
        return None if value in (None, [], "") else coerce_value(kind, value)
    return coerce_value(kind, bound.get("StaticValue"))


def _filter_expression(ctx: QueryContext, f: dict) -> tuple[str, bool]:
    """The filtered expression and whether it is aggregated (HAVING)."""
    expr = ctx.field_column(f["Column"])
    if expr.aggregate:
        return expr.text, True
    function = _generic_aggregation(f.get("AggregationFunction"))
    if function:
        return function[0].format(expr.text), True
    return expr.text, False


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
            parts.append(f"{expr} {inclusive if f.get(include_key, True) else exclusive} {ctx.bind(value)}")
    if not parts:
        return None
    return Condition(_with_nulls(" AND ".join(parts), expr, f.get("NullOption")), having)


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
    return Condition(_with_nulls(f"{expr} {operator} {ctx.bind(value)}", expr, f.get("NullOption")), having)


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
            bound = _truncated(f"CAST({ctx.bind(value)} AS TIMESTAMP)", unit)
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
    return Condition(f"{_truncated(expr, unit)} = {_truncated(f'CAST({ctx.bind(value)} AS TIMESTAMP)', unit)}")


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


_RELATIVE_UNITS = {"YEAR": "year", "QUARTER": "quarter", "MONTH": "month", "WEEK": "week", "DAY": "day", "HOUR": "hour", "MINUTE": "minute", "SECOND": "second"}


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
        anchor = f"CAST({ctx.bind(value)} AS TIMESTAMP)" if value is not None else anchor
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
    return Condition(_with_nulls(f"({condition})", expr, f.get("NullOption")))


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
        listed = {k: v for k, v in options.items() if k not in ("CategoryValue", "ParameterName", "CategoryValues", "SelectAllOptions")}
        listed["MatchOperator"] = options.get("MatchOperator", "EQUALS")
        if values:
            listed["CategoryValues"] = [str(v) for v in values]
        else:
            listed["SelectAllOptions"] = "FILTER_ALL_VALUES"
        return {**f, "Configuration": {"FilterListConfiguration": listed}}
    if kind in ("NumericRangeFilter", "TimeRangeFilter"):
        low, high = _pair(value)
        keys = ("RangeMinimum", "RangeMaximum") if kind == "NumericRangeFilter" else ("RangeMinimumValue", "RangeMaximumValue")
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


# ---- sorting ----------------------------------------------------------------------------------------------


def _order_by(ctx: QueryContext, wells: Wells, items: list[SelectItem], aliases: list[str], aggregated: bool) -> list[str]:
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


def _column_sort(ctx: QueryContext, sort: dict, items: list[SelectItem], aliases: list[str], aggregated: bool) -> str | None:
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


def _assemble(relation: str, select: list[str], where: list[str], group_by: int | str, having: list[str], order: list[str], limit: int | None) -> str:
    lines = ["SELECT", ",\n".join(f"    {s}" for s in select), f"FROM {relation} AS t"]
    if where:
        lines.append("WHERE " + "\n  AND ".join(where))
    if group_by == "ALL":
        lines.append("GROUP BY ALL")
    elif group_by:
        lines.append("GROUP BY " + ", ".join(str(i + 1) for i in range(int(group_by))))
    if having:
        lines.append("HAVING " + "\n   AND ".join(having))
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


def _compile(ctx: QueryContext, definition: dict, sheet_id: str, kind: str, visual: dict, filter_values: dict[str, Any]) -> CompiledQuery:
    wells = field_wells(kind, visual)
    fields = _FieldCompiler(ctx, definition, custom_labels(kind, visual))
    aggregated = wells.unaggregated is None
    if aggregated:
        items = [fields.dimension(well, d) for well, d in wells.dimensions] + [fields.measure(well, m) for well, m in wells.measures]
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
    if having and not aggregated:
        raise CompileError("an aggregated filter cannot apply to an unaggregated table")
    aliases = _aliases(items)
    limit = wells.limit
    if kind != "KPIVisual":
        limit = min(limit or CHART_ROW_LIMIT, CHART_ROW_LIMIT)
    sql = _assemble(
        ctx.source.relation,
        [f"{item.sql} AS {alias}" for item, alias in zip(items, aliases)],
        [c.sql for c in conditions if not c.having],
        group_by,
        having,
        _order_by(ctx, wells, items, aliases, aggregated),
        limit,
    )
    return CompiledQuery(sql, ctx.params, [item.meta for item in items])


def compile_column_values(definition: dict, column: dict, source: DatasetSource, parameter_values: dict[str, Any]) -> CompiledQuery:
    """Distinct values of a column (a dropdown's LinkToDataSetColumn)."""
    ctx = QueryContext(definition, source, parameter_values)
    try:
        expr = ctx.field_column(column)
    except ExpressionError as error:
        raise CompileError(str(error)) from None
    if expr.aggregate:
        raise CompileError(f"{column.get('ColumnName')!r} is aggregated; a control cannot list its values")
    alias = quote_identifier(column["ColumnName"])
    sql = _assemble(source.relation, [f"DISTINCT {expr.text} AS {alias}"], [f"{expr.text} IS NOT NULL"], 0, [], ["1"], VALUES_LIMIT)
    meta = {"field_id": None, "label": column["ColumnName"], "role": "dimension", "well": "values", "column": column["ColumnName"], "format": None, "granularity": None}
    return CompiledQuery(sql, ctx.params, [meta])


__all__ = [
    "CompileError",
    "CompiledQuery",
    "compile_column_values",
    "compile_visual",
    "visual_dataset_identifier",
]
