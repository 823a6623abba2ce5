"""Field wells of each visual type: which fields are dimensions and measures, labels, formats, limits, sorts."""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import (
    _AGGREGATIONS,
    _DATE_GRANULARITIES,
    _GRANULARITIES,
    CompileError,
    QueryContext,
    _generic_aggregation,
    _single,
    aggregate,
)
from .definition import visual_kind
from .expressions import translate
from .visual_types import SUPPORTED_VISUALS, unsupported_reason

TABLE_ROW_LIMIT = 1000
CHART_ROW_LIMIT = 5000

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
    box_plot: bool = False  # each measure becomes min, quartiles and max of its rows

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
            dimensions=_named("x", w.get("XAxis"))
            + _named("y", w.get("YAxis"))
            + _named("category", w.get("Category"))
            + _named("label", w.get("Label")),
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
    simple = _SIMPLE_WELLS.get(kind)
    if simple:
        aggregated = next(iter(wells.values()), {}) if wells else {}
        aggregated = aggregated if isinstance(aggregated, dict) else {}
        dims, measures, order = simple
        limit = (sort.get("CategoryItemsLimit") or sort.get("CategoryItemsLimitConfiguration") or {}).get("ItemsLimit")
        return Wells(
            dimensions=[d for well, key in dims for d in _named(well, aggregated.get(key))],
            measures=[m for well, key in measures for m in _named(well, aggregated.get(key))],
            sort=list(sort.get("CategorySort", [])),
            limit=limit,
            default_order=order,
        )
    if kind == "GaugeChartVisual":
        return Wells(
            measures=_named("value", wells.get("Values"))[:1] + _named("target", wells.get("TargetValues"))[:1]
        )
    if kind == "BoxPlotVisual":
        aggregated = wells.get("BoxPlotAggregatedFieldWells") or {}
        return Wells(
            dimensions=_named("category", aggregated.get("GroupBy")),
            measures=_named("value", aggregated.get("Values"))[:1],
            default_order="dimensions",
            box_plot=True,
        )
    if kind == "HistogramVisual":
        values = (wells.get("HistogramAggregatedFieldWells") or {}).get("Values") or []
        return Wells(unaggregated=[next(iter(v.values()), {}) for v in values[:1]], limit=CHART_ROW_LIMIT)
    raise CompileError(
        f"unsupported visual: {kind} ({unsupported_reason(kind)}; the local viewer draws {', '.join(SUPPORTED_VISUALS)})"
    )


# kind -> ([(well, field-well key)] of dimensions, [(well, key)] of measures, default order)
_SIMPLE_WELLS = {
    "WordCloudVisual": ([("category", "GroupBy")], [("value", "Size")], "measure_desc"),
    "FunnelChartVisual": ([("category", "Category")], [("value", "Values")], "measure_desc"),
    "TreeMapVisual": ([("category", "Groups")], [("value", "Sizes"), ("color_value", "Colors")], "measure_desc"),
    "RadarChartVisual": ([("category", "Category"), ("color", "Color")], [("value", "Values")], "dimensions"),
    "WaterfallVisual": ([("category", "Categories"), ("color", "Breakdowns")], [("value", "Values")], "dimensions"),
    "SankeyDiagramVisual": (
        [("source", "Source"), ("destination", "Destination")],
        [("value", "Weight")],
        "measure_desc",
    ),
}


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

    def _meta(
        self, field_id: str | None, role: str, well: str, column: str, label: str, fmt: dict | None, **extra
    ) -> dict:
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
            self.ctx.grouped.setdefault(expr.text, sql)
        meta = self._meta(
            dimension.get("FieldId"), "dimension", well, name, name, number_format(dimension.get("FormatConfiguration"))
        )
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
            return SelectItem(
                sql, self._meta(measure.get("FieldId"), "measure", well, "", measure.get("FieldId", ""), fmt)
            )
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

    def box_stats(self, wrapper: dict) -> list[SelectItem]:
        """min, first quartile, median, third quartile and max of a box plot's measure over its rows."""
        _, measure = _single(wrapper)
        name = measure["Column"]["ColumnName"]
        expr = self.ctx.field_column(measure["Column"])
        if expr.aggregate:
            raise CompileError(f"a box plot needs a row-level column, and {name!r} is aggregated")
        fmt = number_format(measure.get("FormatConfiguration"))
        stats = [
            ("min", "min({})"),
            ("q1", "quantile_cont({}, 0.25)"),
            ("median", "median({})"),
            ("q3", "quantile_cont({}, 0.75)"),
            ("max", "max({})"),
        ]
        return [
            SelectItem(
                template.format(expr.text),
                self._meta(measure.get("FieldId"), "measure", stat, name, f"{name} ({stat})", fmt),
            )
            for stat, template in stats
        ]

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
