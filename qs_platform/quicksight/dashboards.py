"""Dashboard specs (YAML) -> QuickSight `Definition`s, validated before any API call, deployed idempotently.

Ids in the Definition are the spec's ids (sheet, visual) and `<visual>.<column>.<aggregation>` for fields,
so a diff of two Definitions is readable.
"""

from __future__ import annotations

import re
import time

import botocore.session
from botocore.validate import ParamValidator

from qs_platform.config.models import Dashboard, Dimension, Measure, Parameter, Visual
from qs_platform.quicksight.common import MANAGED_BY, Outcome, arn, exists, is_current, managed_tags

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


class DashboardError(ValueError):
    """A dashboard spec or Definition that must not be deployed; the message names sheet, visual and field."""


# ---- compile ------------------------------------------------------------------------------------------------


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


def _measure(visual: Visual, measure: Measure, column_types: dict[str, str]) -> dict:
    field_id = measure_field_id(visual, measure)
    column = _column(visual.dataset, measure.column)
    if column_types.get(measure.column, "DECIMAL") not in NUMERIC_TYPES:
        if measure.aggregation not in ("count", "distinct_count"):
            raise DashboardError(f"visual {visual.id}: field {measure.column}: {measure.aggregation} needs a numeric column, it is {column_types[measure.column]}")
        return {"CategoricalMeasureField": {"FieldId": field_id, "Column": column, "AggregationFunction": AGGREGATIONS[measure.aggregation]}}
    field = {"FieldId": field_id, "Column": column, "FormatConfiguration": _number_format(measure)}
    if measure.aggregation != "none":
        field["AggregationFunction"] = {"SimpleNumericalAggregation": AGGREGATIONS[measure.aggregation]}
    return {"NumericalMeasureField": field}


def _dimension(visual: Visual, dimension: Dimension, column_types: dict[str, str]) -> dict:
    field = {"FieldId": dimension_field_id(visual, dimension), "Column": _column(visual.dataset, dimension.column)}
    kind = column_types.get(dimension.column, "STRING")
    if kind == "DATETIME":
        return {"DateDimensionField": {**field, "DateGranularity": dimension.granularity or "DAY"}}
    if dimension.granularity:
        raise DashboardError(f"visual {visual.id}: field {dimension.column}: granularity needs a date column, it is {kind}")
    if kind in NUMERIC_TYPES:
        return {"NumericalDimensionField": field}
    return {"CategoricalDimensionField": field}


def dimension_field_id(visual: Visual, dimension: Dimension) -> str:
    return f"{visual.id}.{dimension.column}"


def _labels(visual: Visual) -> list[tuple[str, str, str]]:
    """(field id, column, label) of every field the spec gave a label."""
    labelled = [(measure_field_id(visual, m), m.column, m.label) for m in visual.values if m.label]
    dimensions = visual.group_by + ([visual.category] if visual.category else [])
    return labelled + [(dimension_field_id(visual, d), d.column, d.label) for d in dimensions if d.label]


def _axis_labels(visual: Visual, fields: list[tuple[str, str, str]]) -> dict:
    return {
        "AxisLabelOptions": [
            {"CustomLabel": label, "ApplyTo": {"FieldId": field_id, "Column": _column(visual.dataset, column)}}
            for field_id, column, label in fields
        ]
    }


def _chart_labels(visual: Visual, category_key: str = "CategoryLabelOptions", value_key: str = "ValueLabelOptions") -> dict:
    """Category/value axis labels of bar, line and pie charts, when the spec names them."""
    labels = _labels(visual)
    category_id = dimension_field_id(visual, visual.category)
    category = [f for f in labels if f[0] == category_id]
    values = [f for f in labels if f[0] != category_id]
    return {
        **({category_key: _axis_labels(visual, category)} if category else {}),
        **({value_key: _axis_labels(visual, values)} if values else {}),
    }


def _visual(visual: Visual, column_types: dict[str, str]) -> dict:
    values = [_measure(visual, m, column_types) for m in visual.values]
    base = {"VisualId": visual.id, "Title": _title(visual.title)}
    if visual.type == "kpi":
        return {"KPIVisual": {**base, "ChartConfiguration": {"FieldWells": {"Values": values}}}}
    if visual.type == "table":
        group_by = [_dimension(visual, d, column_types) for d in visual.group_by]
        configuration = {"FieldWells": {"TableAggregatedFieldWells": {"GroupBy": group_by, "Values": values}}}
        if _labels(visual):
            configuration["FieldOptions"] = {"SelectedFieldOptions": [{"FieldId": f, "CustomLabel": label} for f, _, label in _labels(visual)]}
        return {"TableVisual": {**base, "ChartConfiguration": configuration}}
    category = [_dimension(visual, visual.category, column_types)]
    direction = "DESC" if visual.sort_descending else "ASC"
    by_value = {"FieldSort": {"FieldId": measure_field_id(visual, visual.values[0]), "Direction": direction}}
    if visual.type == "bar":
        return {
            "BarChartVisual": {
                **base,
                "ChartConfiguration": {
                    "FieldWells": {"BarChartAggregatedFieldWells": {"Category": category, "Values": values}},
                    "SortConfiguration": {"CategorySort": [by_value]},
                    "Orientation": "HORIZONTAL",
                    **_chart_labels(visual),
                },
            }
        }
    if visual.type == "pie":
        return {
            "PieChartVisual": {
                **base,
                "ChartConfiguration": {
                    "FieldWells": {"PieChartAggregatedFieldWells": {"Category": category, "Values": values}},
                    "SortConfiguration": {"CategorySort": [by_value]},
                    **_chart_labels(visual),
                },
            }
        }
    by_category = {"FieldSort": {"FieldId": dimension_field_id(visual, visual.category), "Direction": "ASC"}}
    return {
        "LineChartVisual": {
            **base,
            "ChartConfiguration": {
                "FieldWells": {"LineChartAggregatedFieldWells": {"Category": category, "Values": values}},
                "SortConfiguration": {"CategorySort": [by_category]},
                **_chart_labels(visual, "XAxisLabelOptions", "PrimaryYAxisLabelOptions"),
            },
        }
    }


def _parameter_declaration(parameter: Parameter) -> dict:
    kind = {"string": "StringParameterDeclaration", "integer": "IntegerParameterDeclaration", "decimal": "DecimalParameterDeclaration"}[parameter.type]
    cast = {"string": str, "integer": int, "decimal": float}[parameter.type]
    return {kind: {"ParameterValueType": "SINGLE_VALUED", "Name": parameter.name, "DefaultValues": {"StaticValues": [cast(parameter.default)]}}}


def _parameter_control(parameter: Parameter) -> dict:
    base = {"ParameterControlId": f"control-{parameter.name}", "Title": parameter.title or parameter.name, "SourceParameterName": parameter.name}
    if parameter.control == "slider":
        return {"Slider": {**base, "MinimumValue": parameter.min, "MaximumValue": parameter.max, "StepSize": parameter.step}}
    if parameter.control == "dropdown":
        return {"Dropdown": {**base, "Type": "SINGLE_SELECT", "SelectableValues": {"Values": parameter.values}}}
    return {"TextField": base}


def _grid(visuals: list[Visual]) -> dict:
    elements, column, row, row_height = [], 0, 0, 0
    for visual in visuals:
        if column + visual.width > GRID_COLUMNS:
            column, row, row_height = 0, row + row_height, 0
        elements.append(
            {"ElementId": visual.id, "ElementType": "VISUAL", "ColumnIndex": column, "ColumnSpan": visual.width, "RowIndex": row, "RowSpan": visual.height}
        )
        column += visual.width
        row_height = max(row_height, visual.height)
    return {"Configuration": {"GridLayout": {"Elements": elements}}}


def compile_definition(dashboard: Dashboard, dataset_arns: dict[str, str], dataset_columns: dict[str, dict[str, str]]) -> dict:
    """The QuickSight Definition of a dashboard spec.

    `dataset_columns[dataset][column]` is the QuickSight type of each column (STRING, INTEGER, DECIMAL, DATETIME…);
    calculated fields are numeric.
    """
    types = {ds: dict(cols) for ds, cols in dataset_columns.items()}
    for field in dashboard.calculated_fields:
        types.setdefault(field.dataset, {})[field.name] = "DECIMAL"
    check_columns(dashboard, types)
    controls = [_parameter_control(p) for p in dashboard.parameters]
    sheets = []
    for sheet in dashboard.sheets:
        entry = {
            "SheetId": sheet.id,
            "Name": sheet.title,
            "Visuals": [_visual(v, types.get(v.dataset, {})) for v in sheet.visuals],
            "Layouts": [_grid(sheet.visuals)],
        }
        if controls:
            entry["ParameterControls"] = controls
        sheets.append(entry)
    definition = {
        "DataSetIdentifierDeclarations": [{"Identifier": ds, "DataSetArn": dataset_arns[ds]} for ds in dashboard.datasets],
        "Sheets": sheets,
    }
    if dashboard.calculated_fields:
        definition["CalculatedFields"] = [
            {"DataSetIdentifier": f.dataset, "Name": f.name, "Expression": f.expression} for f in dashboard.calculated_fields
        ]
    if dashboard.parameters:
        definition["ParameterDeclarations"] = [_parameter_declaration(p) for p in dashboard.parameters]
    return definition


# ---- validate -----------------------------------------------------------------------------------------------


def check_columns(dashboard: Dashboard, types: dict[str, dict[str, str]]) -> None:
    problems = []
    for sheet in dashboard.sheets:
        for visual in sheet.visuals:
            known = types.get(visual.dataset, {})
            fields = [m.column for m in visual.values] + [d.column for d in visual.group_by]
            fields += [visual.category.column] if visual.category else []
            for column in fields:
                if column not in known:
                    problems.append(
                        f"dashboard {dashboard.id}: sheet {sheet.id}: visual {visual.id}: field {column!r} is not a column of dataset "
                        f"{visual.dataset!r} (columns: {sorted(known)})"
                    )
    for field in dashboard.calculated_fields:
        for used in re.findall(r"\{(\w+)\}", re.sub(r"\$\{\w+\}", "", field.expression)):
            if used not in types.get(field.dataset, {}):
                problems.append(f"dashboard {dashboard.id}: calculated field {field.name}: {{{used}}} is not a column of dataset {field.dataset!r}")
    if problems:
        raise DashboardError("\n".join(problems))


_validator = ParamValidator()
_service_model = botocore.session.get_session().get_service_model("quicksight")


def validate_request(operation: str, params: dict) -> None:
    """botocore's own shape validation of a QuickSight request, run before sending anything."""
    report = _validator.validate(params, _service_model.operation_model(operation).input_shape)
    if report.has_errors():
        raise DashboardError(f"{operation} request does not match the QuickSight API:\n{report.generate_report()}")


# ---- deploy -------------------------------------------------------------------------------------------------


def dashboard_request(dashboard: Dashboard, account_id: str, definition: dict) -> dict:
    request = {"AwsAccountId": account_id, "DashboardId": dashboard.id, "Name": dashboard.name, "Definition": definition}
    validate_request("CreateDashboard", request)
    return request


def _wait_for_version(client, account_id: str, dashboard_id: str, version: int, timeout: float = 300) -> dict:
    deadline, delay = time.monotonic() + timeout, 0.2
    while True:
        described = client.describe_dashboard(AwsAccountId=account_id, DashboardId=dashboard_id, VersionNumber=version)["Dashboard"]
        status = described["Version"]["Status"]
        if status in ("CREATION_SUCCESSFUL", "UPDATE_SUCCESSFUL"):
            return described
        if status.endswith("FAILED"):
            errors = "; ".join(f"{e.get('Type')}: {e.get('Message')}" for e in described["Version"].get("Errors", []))
            raise DashboardError(f"dashboard {dashboard_id} version {version} {status}: {errors or 'no error details'}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"dashboard {dashboard_id} version {version} still {status} after {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 5)


def _version_of(version_arn: str) -> int:
    return int(version_arn.rsplit("/", 1)[-1])


def ensure_dashboard(client, account_id: str, region: str, request: dict) -> Outcome:
    """Create or update, wait for the version, publish it, then record the spec hash.

    No mutating call when the recorded hash matches; a failed version keeps the old hash, so it is retried.
    """
    dashboard_id = request["DashboardId"]
    resource_arn = arn(account_id, region, "dashboard", dashboard_id)
    if not exists(client.describe_dashboard, AwsAccountId=account_id, DashboardId=dashboard_id):
        response = client.create_dashboard(**request, Tags=[MANAGED_BY])
        action = "created"
    elif is_current(client, resource_arn, request):
        return Outcome(resource_arn, "unchanged")
    else:
        response = client.update_dashboard(**request)
        action = "updated"
    version = _version_of(response["VersionArn"])
    _wait_for_version(client, account_id, dashboard_id, version)
    client.update_dashboard_published_version(AwsAccountId=account_id, DashboardId=dashboard_id, VersionNumber=version)
    client.tag_resource(ResourceArn=resource_arn, Tags=managed_tags(request))
    return Outcome(resource_arn, action)
