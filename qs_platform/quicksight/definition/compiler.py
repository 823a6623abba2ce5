"""Dashboard spec -> QuickSight `Definition`.

Ids in the Definition are the spec's ids (sheet, visual, filter) and `<visual>.<column>.<aggregation>` for measures,
`<visual>.<column>` for dimensions, `control-<parameter|filter>` for controls, so a diff of two Definitions is
readable. Column types decide the field kinds (numerical, categorical, date); whether the columns exist and fit is
the validator's job, which runs on the result.
"""

from __future__ import annotations

from datetime import datetime

from qs_platform.config.models import (
    Dashboard,
    Dimension,
    Filter,
    Measure,
    Parameter,
    Sheet,
    Visual,
)

GRID_COLUMNS = 36
AGGREGATIONS = {
    "sum": "SUM",
    "avg": "AVERAGE",
    "min": "MIN",
    "max": "MAX",
    "count": "COUNT",
    "distinct_count": "DISTINCT_COUNT",
    "median": "MEDIAN",
}
NUMERIC_TYPES = ("INTEGER", "DECIMAL")
COUNTING = ("count", "distinct_count")
VISUAL_KINDS = {
    "kpi": "KPIVisual",
    "bar": "BarChartVisual",
    "line": "LineChartVisual",
    "pie": "PieChartVisual",
    "table": "TableVisual",
    "pivot": "PivotTableVisual",
    "combo": "ComboChartVisual",
    "scatter": "ScatterPlotVisual",
    "heatmap": "HeatMapVisual",
    "map": "GeospatialMapVisual",
}


def _timestamp(value: object) -> str:
    """An ISO 8601 timestamp string: botocore accepts it for timestamp members, and it stays JSON (spec hashes)."""
    return datetime.fromisoformat(str(value)).isoformat()


def _title(text: str) -> dict:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": text}}


def _column(dataset: str, name: str) -> dict:
    return {"DataSetIdentifier": dataset, "ColumnName": name}


def _number_format(measure: Measure) -> dict:
    decimals = {"DecimalPlacesConfiguration": {"DecimalPlaces": measure.decimals}}
    if measure.format == "currency":
        return {"FormatConfiguration": {"CurrencyDisplayFormatConfiguration": {"Symbol": "USD", **decimals}}}
    if measure.format == "percent":
        return {"FormatConfiguration": {"PercentageDisplayFormatConfiguration": decimals}}
    return {"FormatConfiguration": {"NumberDisplayFormatConfiguration": decimals}}


def measure_field_id(visual: Visual, measure: Measure) -> str:
    return f"{visual.id}.{measure.column}.{measure.aggregation}"


def dimension_field_id(visual: Visual, dimension: Dimension) -> str:
    return f"{visual.id}.{dimension.column}"


def _measure(visual: Visual, measure: Measure, column_types: dict[str, str]) -> dict:
    """A numerical measure, unless a count over a non-numeric column (then categorical). Unknown columns are taken
    as numeric so that the validator, not the compiler, reports them."""
    field_id = measure_field_id(visual, measure)
    column = _column(visual.dataset, measure.column)
    if column_types.get(measure.column, "DECIMAL") not in NUMERIC_TYPES and measure.aggregation in COUNTING:
        return {
            "CategoricalMeasureField": {
                "FieldId": field_id,
                "Column": column,
                "AggregationFunction": AGGREGATIONS[measure.aggregation],
            }
        }
    field = {"FieldId": field_id, "Column": column, "FormatConfiguration": _number_format(measure)}
    if measure.aggregation != "none":
        field["AggregationFunction"] = {"SimpleNumericalAggregation": AGGREGATIONS[measure.aggregation]}
    return {"NumericalMeasureField": field}


def _dimension(visual: Visual, dimension: Dimension, column_types: dict[str, str]) -> dict:
    field = {"FieldId": dimension_field_id(visual, dimension), "Column": _column(visual.dataset, dimension.column)}
    kind = column_types.get(dimension.column, "STRING")
    if kind == "DATETIME" or dimension.granularity:  # a granularity on a non-date column is the validator's to report
        return {"DateDimensionField": {**field, "DateGranularity": dimension.granularity or "DAY"}}
    if kind in NUMERIC_TYPES:
        return {"NumericalDimensionField": field}
    return {"CategoricalDimensionField": field}


def _labels(visual: Visual) -> list[tuple[str, str, str]]:
    """(field id, column, label) of every field the spec gave a label."""
    labelled = [(measure_field_id(visual, m), m.column, m.label) for m in visual.measures if m.label]
    return labelled + [(dimension_field_id(visual, d), d.column, d.label) for d in visual.dimensions if d.label]


def _axis_labels(visual: Visual, fields: list[tuple[str, str, str]]) -> dict:
    return {
        "AxisLabelOptions": [
            {"CustomLabel": label, "ApplyTo": {"FieldId": field_id, "Column": _column(visual.dataset, column)}}
            for field_id, column, label in fields
        ]
    }


def _chart_labels(
    visual: Visual, category_key: str = "CategoryLabelOptions", value_key: str = "ValueLabelOptions"
) -> dict:
    """Category/value axis labels of charts, when the spec names them."""
    labels = _labels(visual)
    category_id = dimension_field_id(visual, visual.category)
    category = [f for f in labels if f[0] == category_id]
    measure_ids = {measure_field_id(visual, m) for m in visual.measures}
    values = [f for f in labels if f[0] in measure_ids]
    return {
        **({category_key: _axis_labels(visual, category)} if category else {}),
        **({value_key: _axis_labels(visual, values)} if values else {}),
    }


def _sort(visual: Visual, default: str) -> dict:
    if (visual.sort_by or default) == "category":
        return {"FieldSort": {"FieldId": dimension_field_id(visual, visual.category), "Direction": "ASC"}}
    direction = "DESC" if visual.sort_descending else "ASC"
    return {"FieldSort": {"FieldId": measure_field_id(visual, visual.values[0]), "Direction": direction}}


def _field_options(visual: Visual) -> dict:
    labels = _labels(visual)
    return (
        {"FieldOptions": {"SelectedFieldOptions": [{"FieldId": f, "CustomLabel": label} for f, _, label in labels]}}
        if labels
        else {}
    )


def _configuration(visual: Visual, types: dict[str, str]) -> dict:
    """The ChartConfiguration of a visual: its field wells, sorting and labels."""
    values = [_measure(visual, m, types) for m in visual.values]

    def dims(dimensions: list[Dimension]) -> list[dict]:
        return [_dimension(visual, d, types) for d in dimensions]

    category = dims([visual.category]) if visual.category else []
    colors = {"Colors": dims([visual.color])} if visual.color else {}
    if visual.type == "kpi":
        return {"FieldWells": {"Values": values}}
    if visual.type == "table":
        return {
            "FieldWells": {"TableAggregatedFieldWells": {"GroupBy": dims(visual.group_by), "Values": values}},
            **_field_options(visual),
        }
    if visual.type == "pivot":
        wells = {"Rows": dims(visual.group_by), "Columns": dims(visual.columns), "Values": values}
        return {"FieldWells": {"PivotTableAggregatedFieldWells": wells}, **_field_options(visual)}
    if visual.type == "bar":
        return {
            "FieldWells": {"BarChartAggregatedFieldWells": {"Category": category, "Values": values, **colors}},
            "SortConfiguration": {"CategorySort": [_sort(visual, "value")]},
            "Orientation": "HORIZONTAL" if not visual.color else "VERTICAL",
            "BarsArrangement": "CLUSTERED",
            **_chart_labels(visual),
        }
    if visual.type == "pie":
        return {
            "FieldWells": {"PieChartAggregatedFieldWells": {"Category": category, "Values": values}},
            "SortConfiguration": {"CategorySort": [_sort(visual, "value")]},
            **_chart_labels(visual),
        }
    if visual.type == "line":
        return {
            "FieldWells": {"LineChartAggregatedFieldWells": {"Category": category, "Values": values, **colors}},
            "SortConfiguration": {"CategorySort": [_sort(visual, "category")]},
            **_chart_labels(visual, "XAxisLabelOptions", "PrimaryYAxisLabelOptions"),
        }
    if visual.type == "combo":
        lines = [_measure(visual, m, types) for m in visual.line_values]
        wells = {"Category": category, "BarValues": values, "LineValues": lines, **colors}
        return {
            "FieldWells": {"ComboChartAggregatedFieldWells": wells},
            "SortConfiguration": {"CategorySort": [_sort(visual, "category")]},
            "BarsArrangement": "CLUSTERED",
            **_chart_labels(visual, "CategoryLabelOptions", "PrimaryYAxisLabelOptions"),
        }
    if visual.type == "scatter":
        wells = {
            "XAxis": values[:1],
            "YAxis": values[1:2],
            "Category": category,
            **({"Size": values[2:]} if len(values) > 2 else {}),
        }
        return {"FieldWells": {"ScatterPlotCategoricallyAggregatedFieldWells": wells}}
    if visual.type == "heatmap":
        wells = {"Rows": category, "Columns": dims(visual.columns), "Values": values}
        return {"FieldWells": {"HeatMapAggregatedFieldWells": wells}}
    return {"FieldWells": {"GeospatialMapAggregatedFieldWells": {"Geospatial": category, "Values": values}}}


def _visual(visual: Visual, column_types: dict[str, str]) -> dict:
    return {
        VISUAL_KINDS[visual.type]: {
            "VisualId": visual.id,
            "Title": _title(visual.title),
            "ChartConfiguration": _configuration(visual, column_types),
        }
    }


PARAMETER_KINDS = {
    "string": ("StringParameterDeclaration", str),
    "integer": ("IntegerParameterDeclaration", int),
    "decimal": ("DecimalParameterDeclaration", float),
    "datetime": ("DateTimeParameterDeclaration", lambda value: _timestamp(value)),
}


def _parameter_declaration(parameter: Parameter) -> dict:
    kind, cast = PARAMETER_KINDS[parameter.type]
    declaration = {"Name": parameter.name, "DefaultValues": {"StaticValues": [cast(parameter.default)]}}
    if parameter.type != "datetime":
        declaration["ParameterValueType"] = "SINGLE_VALUED"
    else:
        declaration["TimeGranularity"] = "DAY"
    return {kind: declaration}


def _parameter_control(parameter: Parameter) -> dict | None:
    base = {
        "ParameterControlId": f"control-{parameter.name}",
        "Title": parameter.title or parameter.name,
        "SourceParameterName": parameter.name,
    }
    if parameter.control == "slider":
        return {
            "Slider": {**base, "MinimumValue": parameter.min, "MaximumValue": parameter.max, "StepSize": parameter.step}
        }
    if parameter.control == "dropdown":
        return {"Dropdown": {**base, "Type": "SINGLE_SELECT", "SelectableValues": {"Values": parameter.values}}}
    if parameter.control == "date_picker":
        return {"DateTimePicker": base}
    if parameter.control == "text":
        return {"TextField": base}
    return None


def _filter(flt: Filter) -> dict:
    base = {"FilterId": flt.id, "Column": _column(flt.dataset, flt.column)}
    if flt.kind == "category":
        if flt.parameter:
            custom = {
                "MatchOperator": "DOES_NOT_EQUAL" if flt.exclude else "EQUALS",
                "ParameterName": flt.parameter,
                "NullOption": "NON_NULLS_ONLY",
            }
            return {"CategoryFilter": {**base, "Configuration": {"CustomFilterConfiguration": custom}}}
        listed = {"MatchOperator": "DOES_NOT_CONTAIN" if flt.exclude else "CONTAINS", "NullOption": "NON_NULLS_ONLY"}
        listed.update({"CategoryValues": flt.values} if flt.values else {"SelectAllOptions": "FILTER_ALL_VALUES"})
        return {"CategoryFilter": {**base, "Configuration": {"FilterListConfiguration": listed}}}
    if flt.kind == "range":
        bounds = {
            **({"RangeMinimum": {"StaticValue": float(flt.min)}} if flt.min is not None else {}),
            **({"RangeMaximum": {"StaticValue": float(flt.max)}} if flt.max is not None else {}),
        }
        return {
            "NumericRangeFilter": {
                **base,
                **bounds,
                "IncludeMinimum": True,
                "IncludeMaximum": True,
                "NullOption": "NON_NULLS_ONLY",
            }
        }
    bounds = {
        **({"RangeMinimumValue": {"StaticValue": _timestamp(flt.min)}} if flt.min is not None else {}),
        **({"RangeMaximumValue": {"StaticValue": _timestamp(flt.max)}} if flt.max is not None else {}),
    }
    return {
        "TimeRangeFilter": {
            **base,
            **bounds,
            "IncludeMinimum": True,
            "IncludeMaximum": True,
            "NullOption": "NON_NULLS_ONLY",
            "TimeGranularity": "DAY",
        }
    }


def _filter_scope(flt: Filter, sheet_ids: list[str]) -> dict:
    if not flt.scope:
        return {
            "SelectedSheets": {
                "SheetVisualScopingConfigurations": [{"SheetId": s, "Scope": "ALL_VISUALS"} for s in sheet_ids]
            }
        }
    scoped = [
        {"SheetId": s.sheet, "Scope": "SELECTED_VISUALS", "VisualIds": s.visuals}
        if s.visuals
        else {"SheetId": s.sheet, "Scope": "ALL_VISUALS"}
        for s in flt.scope
    ]
    return {"SelectedSheets": {"SheetVisualScopingConfigurations": scoped}}


def _filter_group(flt: Filter, sheet_ids: list[str]) -> dict:
    return {
        "FilterGroupId": f"group-{flt.id}",
        "Filters": [_filter(flt)],
        "ScopeConfiguration": _filter_scope(flt, sheet_ids),
        "Status": "ENABLED",
        "CrossDataset": "SINGLE_DATASET",
    }


def _filter_control(flt: Filter) -> dict | None:
    base = {"FilterControlId": f"control-{flt.id}", "Title": flt.title or flt.column, "SourceFilterId": flt.id}
    if flt.control == "dropdown":
        return {"Dropdown": {**base, "Type": "MULTI_SELECT"}}
    if flt.control == "slider":
        return {
            "Slider": {
                **base,
                "MinimumValue": float(flt.min),
                "MaximumValue": float(flt.max),
                "StepSize": flt.step,
                "Type": "RANGE",
            }
        }
    if flt.control == "date_picker":
        return {"DateTimePicker": {**base, "Type": "DATE_RANGE"}}
    return None


def _grid(visuals: list[Visual]) -> dict:
    elements, column, row, row_height = [], 0, 0, 0
    for visual in visuals:
        if column + visual.width > GRID_COLUMNS:
            column, row, row_height = 0, row + row_height, 0
        elements.append(
            {
                "ElementId": visual.id,
                "ElementType": "VISUAL",
                "ColumnIndex": column,
                "ColumnSpan": visual.width,
                "RowIndex": row,
                "RowSpan": visual.height,
            }
        )
        column += visual.width
        row_height = max(row_height, visual.height)
    return {"Configuration": {"GridLayout": {"Elements": elements}}}


def _filters_on_sheet(dashboard: Dashboard, sheet_id: str) -> list[Filter]:
    return [f for f in dashboard.filters if not f.scope or any(s.sheet == sheet_id for s in f.scope)]


def _sheet(dashboard: Dashboard, sheet: Sheet, types: dict[str, dict[str, str]]) -> dict:
    entry = {
        "SheetId": sheet.id,
        "Name": sheet.title,
        "Visuals": [_visual(v, types.get(v.dataset, {})) for v in sheet.visuals],
        "Layouts": [_grid(sheet.visuals)],
    }
    parameter_controls = [c for c in map(_parameter_control, dashboard.parameters) if c]
    filter_controls = [c for c in map(_filter_control, _filters_on_sheet(dashboard, sheet.id)) if c]
    if parameter_controls:
        entry["ParameterControls"] = parameter_controls
    if filter_controls:
        entry["FilterControls"] = filter_controls
    return entry


def compile_spec(
    dashboard: Dashboard, dataset_arns: dict[str, str], dataset_columns: dict[str, dict[str, str]]
) -> dict:
    """The Definition of a sheets-based spec, unvalidated. `dataset_columns[dataset][column]` is the QuickSight
    type (STRING, INTEGER, DECIMAL, DATETIME); calculated fields count as DECIMAL."""
    types = {ds: dict(cols) for ds, cols in dataset_columns.items()}
    for field in dashboard.calculated_fields:
        types.setdefault(field.dataset, {})[field.name] = "DECIMAL"
    definition = {
        "DataSetIdentifierDeclarations": [
            {"Identifier": ds, "DataSetArn": dataset_arns[ds]} for ds in dashboard.datasets
        ],
        "Sheets": [_sheet(dashboard, sheet, types) for sheet in dashboard.sheets],
    }
    if dashboard.calculated_fields:
        definition["CalculatedFields"] = [
            {"DataSetIdentifier": f.dataset, "Name": f.name, "Expression": f.expression}
            for f in dashboard.calculated_fields
        ]
    if dashboard.parameters:
        definition["ParameterDeclarations"] = [_parameter_declaration(p) for p in dashboard.parameters]
    if dashboard.filters:
        sheet_ids = [s.id for s in dashboard.sheets]
        definition["FilterGroups"] = [_filter_group(f, sheet_ids) for f in dashboard.filters]
    return definition
