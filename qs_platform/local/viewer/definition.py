"""Reading a stored dashboard `Definition` (botocore `DashboardVersionDefinition` shapes).

Lookups (sheets, visuals, controls), parameter declarations and their values, and the summary the page
needs to lay a dashboard out. No SQL here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dateutil import parser as dateutil_parser

from .rich_text import rich_text_lines
from .visual_types import SUPPORTED_VISUALS, unsupported_reason

# DefaultFilterControlOptions member -> the FilterControl kind it stands for (CrossSheet controls use it)
_DEFAULT_CONTROL_KINDS = {
    "DefaultDropdownOptions": "Dropdown",
    "DefaultListOptions": "List",
    "DefaultSliderOptions": "Slider",
    "DefaultDateTimePickerOptions": "DateTimePicker",
    "DefaultTextFieldOptions": "TextField",
    "DefaultTextAreaOptions": "TextArea",
    "DefaultRelativeDateTimeOptions": "RelativeDateTime",
}

_DECLARATION_TYPES = {
    "StringParameterDeclaration": "STRING",
    "IntegerParameterDeclaration": "INTEGER",
    "DecimalParameterDeclaration": "DECIMAL",
    "DateTimeParameterDeclaration": "DATETIME",
}


class NotFound(LookupError):
    """A sheet, visual or control the Definition does not have."""


class ParameterError(ValueError):
    """A parameter value that does not fit its declaration."""


# ---- lookups ----------------------------------------------------------------------------------------------


def dataset_id_from_arn(arn: str) -> str:
    """`arn:aws:quicksight:us-east-1:111122223333:dataset/sales` -> `sales`."""
    return arn.rsplit("/", 1)[-1]


def dataset_arns(definition: dict) -> dict[str, str]:
    """DataSetIdentifier -> DataSetArn."""
    return {d["Identifier"]: d["DataSetArn"] for d in definition.get("DataSetIdentifierDeclarations", [])}


def visual_kind(wrapper: dict) -> tuple[str, dict]:
    """`{"KPIVisual": {...}}` -> ("KPIVisual", {...})."""
    for kind, visual in wrapper.items():
        if isinstance(visual, dict):
            return kind, visual
    raise NotFound("empty visual")


def visual_id(wrapper: dict) -> str:
    return visual_kind(wrapper)[1].get("VisualId", "")


def find_visual(definition: dict, wanted_visual: str, sheet_id: str | None = None) -> tuple[dict, dict]:
    """(sheet, visual wrapper) of a visual id, optionally only within one sheet."""
    for sheet in definition.get("Sheets", []):
        if sheet_id and sheet.get("SheetId") != sheet_id:
            continue
        for wrapper in sheet.get("Visuals", []):
            if visual_id(wrapper) == wanted_visual:
                return sheet, wrapper
    where = f" on sheet {sheet_id!r}" if sheet_id else ""
    raise NotFound(f"no visual {wanted_visual!r}{where}")


def find_control(definition: dict, control_id: str) -> tuple[str, dict]:
    """(control kind, control) of a sheet parameter control id."""
    for sheet in definition.get("Sheets", []):
        for wrapper in sheet.get("ParameterControls", []):
            for kind, control in wrapper.items():
                if isinstance(control, dict) and control.get("ParameterControlId") == control_id:
                    return kind, control
    raise NotFound(f"no parameter control {control_id!r}")


def filters_by_id(definition: dict) -> dict[str, tuple[str, dict]]:
    """FilterId -> (filter kind, filter) over every filter group."""
    found = {}
    for group in definition.get("FilterGroups", []):
        for wrapper in group.get("Filters", []):
            for kind, f in wrapper.items():
                if isinstance(f, dict) and f.get("FilterId"):
                    found[f["FilterId"]] = (kind, f)
    return found


def resolved_filter_control(wrapper: dict, filters: dict[str, tuple[str, dict]]) -> tuple[str, dict] | None:
    """(control kind, control) of a sheet FilterControl; a CrossSheet control takes its shape from the source
    filter's DefaultFilterControlConfiguration. None when that says nothing drawable."""
    for kind, control in wrapper.items():
        if not isinstance(control, dict):
            continue
        if kind != "CrossSheet":
            return kind, control
        _, source = filters.get(control.get("SourceFilterId"), ("", {}))
        default = source.get("DefaultFilterControlConfiguration") or {}
        for option_key, option in (default.get("ControlOptions") or {}).items():
            if option_key in _DEFAULT_CONTROL_KINDS and isinstance(option, dict):
                return _DEFAULT_CONTROL_KINDS[option_key], {**option, **control, "Title": default.get("Title", "")}
        return None
    return None


def find_filter_control(definition: dict, control_id: str) -> tuple[str, dict]:
    filters = filters_by_id(definition)
    for sheet in definition.get("Sheets", []):
        for wrapper in sheet.get("FilterControls", []):
            resolved = resolved_filter_control(wrapper, filters)
            if resolved and resolved[1].get("FilterControlId") == control_id:
                return resolved
    raise NotFound(f"no filter control {control_id!r}")


# ---- parameters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterDeclaration:
    name: str
    type: str  # STRING | INTEGER | DECIMAL | DATETIME
    multi_valued: bool
    default: Any  # a value, a list (multi-valued) or None
    unset: Any  # the value when a control is cleared
    problem: str = ""  # why a default could not be read (the parameter then starts unset); never fails the page


def parameter_declarations(definition: dict) -> dict[str, ParameterDeclaration]:
    declarations: dict[str, ParameterDeclaration] = {}
    for wrapper in definition.get("ParameterDeclarations", []):
        for key, declaration in wrapper.items():
            if key in _DECLARATION_TYPES and isinstance(declaration, dict):
                parsed = _declaration(_DECLARATION_TYPES[key], declaration)
                declarations[parsed.name] = parsed
    return declarations


def _declaration(kind: str, declaration: dict) -> ParameterDeclaration:
    multi = declaration.get("ParameterValueType") == "MULTI_VALUED"
    name = declaration["Name"]
    defaults = declaration.get("DefaultValues") or {}
    problems = []
    try:
        statics = [coerce_value(kind, v) for v in defaults.get("StaticValues", [])]
        if not statics and (defaults.get("RollingDate") or {}).get("Expression"):
            statics = [rolling_date(defaults["RollingDate"]["Expression"])]
    except ParameterError as error:
        statics, problems = [], [f"parameter {name}: default: {error}"]
    default = statics if multi else (statics[0] if statics else None)
    when_unset = declaration.get("ValueWhenUnset") or {}
    unset = default  # RECOMMENDED_VALUE: the default
    if when_unset.get("ValueWhenUnsetOption") == "NULL":
        unset = [] if multi else None
    elif "CustomValue" in when_unset:
        try:
            custom = coerce_value(kind, when_unset["CustomValue"])
            unset = [custom] if multi else custom
        except ParameterError as error:
            problems.append(f"parameter {name}: value when unset: {error}")
    return ParameterDeclaration(name, kind, multi, default, unset, "; ".join(problems))


def rolling_date(expression: str) -> dt.datetime:
    """The value of a RollingDate expression (`addDateTime(-1, 'MM', truncDate('MM', now()))`), computed now."""
    from .expressions import ExpressionError, evaluate_constant  # the translator imports this module

    try:
        return _datetime(evaluate_constant(expression))
    except (ExpressionError, ValueError, TypeError) as error:
        raise ParameterError(f"rolling date {expression!r}: {error}") from None


def coerce_value(kind: str, value: Any) -> Any:
    """One parameter value as the Python type DuckDB should bind; raises `ParameterError`."""
    if value is None:
        return None
    try:
        if kind == "INTEGER":
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "DECIMAL":
            return float(value)
        if kind == "DATETIME":
            return _datetime(value)
        return str(value)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(f"{value!r} is not a valid {kind.lower()} value") from None


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):  # botocore gives tz-aware UTC datetimes; DuckDB compares naive ones
        return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = dateutil_parser.parse(text)  # what botocore accepts for a timestamp: '2017/01/01', 'Jan 1 2017' …
    return parsed if parsed.tzinfo is None else parsed.astimezone(dt.UTC).replace(tzinfo=None)


def resolve_parameters(declarations: dict[str, ParameterDeclaration], requested: dict | None) -> dict[str, Any]:
    """Every declared parameter's value: the request's (coerced) if given, else the default."""
    requested = requested or {}
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        if name not in requested:
            values[name] = declaration.default
            continue
        raw = requested[name]
        try:
            values[name] = _requested_value(declaration, raw)
        except ParameterError as error:
            raise ParameterError(f"parameter {name}: {error}") from None
    return values


def _requested_value(declaration: ParameterDeclaration, raw: Any) -> Any:
    items = raw if isinstance(raw, list) else [raw]
    items = [item for item in items if item is not None and item != ""]
    if not items:
        return declaration.unset
    coerced = [coerce_value(declaration.type, item) for item in items]
    return coerced if declaration.multi_valued else coerced[0]


# ---- what the page needs ----------------------------------------------------------------------------------


def plain_text(format_text: dict | None) -> str:
    if not format_text:
        return ""
    if format_text.get("PlainText"):
        return format_text["PlainText"]
    return re.sub(r"<[^>]+>", "", format_text.get("RichText", "")).strip()


def visual_title(visual: dict) -> str:
    title = visual.get("Title") or {}
    if title.get("Visibility") == "HIDDEN":
        return ""
    return plain_text(title.get("FormatText"))


def grid_layout(sheet: dict) -> dict[str, dict]:
    """ElementId -> {column, column_span, row, row_span} from the sheet's first GridLayout."""
    for layout in sheet.get("Layouts", []):
        grid = (layout.get("Configuration") or {}).get("GridLayout")
        if grid:
            return {
                e["ElementId"]: {
                    "column": e.get("ColumnIndex"),
                    "column_span": e.get("ColumnSpan", 12),
                    "row": e.get("RowIndex"),
                    "row_span": e.get("RowSpan", 8),
                }
                for e in grid.get("Elements", [])
            }
    return {}


def _visual_options(kind: str, visual: dict) -> dict:
    config = visual.get("ChartConfiguration") or {}
    if kind == "BarChartVisual":
        return {
            "orientation": config.get("Orientation", "HORIZONTAL"),
            "arrangement": config.get("BarsArrangement", "CLUSTERED"),
        }
    if kind == "PieChartVisual":
        thickness = ((config.get("DonutOptions") or {}).get("ArcOptions") or {}).get("ArcThickness", "WHOLE")
        return {"donut": thickness in ("SMALL", "MEDIUM", "LARGE"), "arc_thickness": thickness}
    if kind == "TableVisual":
        return {"unaggregated": "TableUnaggregatedFieldWells" in (config.get("FieldWells") or {})}
    if kind == "ComboChartVisual":
        return {"arrangement": config.get("BarsArrangement", "CLUSTERED")}
    if kind == "PivotTableVisual":
        totals = config.get("TotalOptions") or {}
        return {
            "row_totals": (totals.get("RowTotalOptions") or {}).get("TotalsVisibility") == "VISIBLE",
            "column_totals": (totals.get("ColumnTotalOptions") or {}).get("TotalsVisibility") == "VISIBLE",
        }
    if kind == "ScatterPlotVisual":
        return {"unaggregated": "ScatterPlotUnaggregatedFieldWells" in (config.get("FieldWells") or {})}
    if kind == "HistogramVisual":
        return {"bin_count": ((config.get("BinOptions") or {}).get("BinCount") or {}).get("Value")}
    return {}


def visual_summary(wrapper: dict, layout: dict[str, dict]) -> dict:
    kind, visual = visual_kind(wrapper)
    vid = visual.get("VisualId", "")
    return {
        "visual_id": vid,
        "type": kind,
        "supported": kind in SUPPORTED_VISUALS,
        "unsupported_reason": "" if kind in SUPPORTED_VISUALS else unsupported_reason(kind),
        "title": visual_title(visual),
        "layout": layout.get(vid),
        "options": _visual_options(kind, visual),
    }


def control_summary(wrapper: dict) -> dict | None:
    for kind, control in wrapper.items():
        if not isinstance(control, dict):
            continue
        selectable = control.get("SelectableValues") or {}
        return {
            "control_id": control.get("ParameterControlId"),
            "kind": kind,  # Slider | Dropdown | List | TextField | TextArea | DateTimePicker
            "title": control.get("Title", control.get("SourceParameterName", "")),
            "parameter": control.get("SourceParameterName"),
            "min": control.get("MinimumValue"),
            "max": control.get("MaximumValue"),
            "step": control.get("StepSize"),
            "values": list(selectable.get("Values", [])),
            "linked": "LinkToDataSetColumn" in selectable,
            "multi": control.get("Type") == "MULTI_SELECT",
        }
    return None


def _filter_default(kind: str, f: dict) -> Any:
    """The value a filter control shows before the user touches it: the filter's own static values."""
    if kind == "CategoryFilter":
        config = f.get("Configuration") or {}
        options = next(iter(config.values()), {}) if config else {}
        if options.get("SelectAllOptions") == "FILTER_ALL_VALUES":
            return []
        if "CategoryValues" in options:
            return list(options["CategoryValues"])
        return [options["CategoryValue"]] if options.get("CategoryValue") is not None else []
    if kind == "NumericRangeFilter":
        return [(f.get(k) or {}).get("StaticValue") for k in ("RangeMinimum", "RangeMaximum")]
    if kind == "TimeRangeFilter":
        return [(f.get(k) or {}).get("StaticValue") for k in ("RangeMinimumValue", "RangeMaximumValue")]
    if kind in ("NumericEqualityFilter", "TimeEqualityFilter"):
        return f.get("Value")
    if kind == "TopBottomFilter":
        return f.get("Limit")
    if kind == "RelativeDatesFilter":
        return f.get("RelativeDateValue")
    return None


def filter_control_summary(wrapper: dict, filters: dict[str, tuple[str, dict]]) -> dict | None:
    resolved = resolved_filter_control(wrapper, filters)
    if resolved is None:
        return None
    kind, control = resolved
    filter_kind, source = filters.get(control.get("SourceFilterId"), ("", {}))
    selectable = control.get("SelectableValues") or {}
    return {
        "control_id": control.get("FilterControlId"),
        "kind": kind,  # Slider | Dropdown | List | TextField | TextArea | DateTimePicker | RelativeDateTime
        "title": control.get("Title") or (source.get("Column") or {}).get("ColumnName", ""),
        "filter_id": control.get("SourceFilterId"),
        "filter_kind": filter_kind,
        "column": (source.get("Column") or {}).get("ColumnName"),
        "min": control.get("MinimumValue"),
        "max": control.get("MaximumValue"),
        "step": control.get("StepSize"),
        "range": control.get("Type") in ("RANGE", "DATE_RANGE")
        or filter_kind in ("NumericRangeFilter", "TimeRangeFilter"),
        "values": list(selectable.get("Values", [])),
        "linked": not selectable.get("Values") and filter_kind == "CategoryFilter",
        "multi": control.get("Type", "MULTI_SELECT") == "MULTI_SELECT" and filter_kind == "CategoryFilter",
        "default": _filter_default(filter_kind, source),
        "supported": bool(filter_kind),
    }


def text_box_summary(box: dict, layout: dict[str, dict]) -> dict:
    lines = rich_text_lines(box.get("Content", ""))
    return {
        "text_box_id": box.get("SheetTextBoxId"),
        "text": "\n".join(lines),
        "lines": lines,
        "layout": layout.get(box.get("SheetTextBoxId", "")),
    }


def sheet_summary(sheet: dict, filters: dict[str, tuple[str, dict]] | None = None) -> dict:
    layout = grid_layout(sheet)
    controls = [c for c in (control_summary(w) for w in sheet.get("ParameterControls", [])) if c]
    filter_controls = [
        c for c in (filter_control_summary(w, filters or {}) for w in sheet.get("FilterControls", [])) if c
    ]
    return {
        "filter_controls": filter_controls,
        "sheet_id": sheet.get("SheetId"),
        "name": sheet.get("Name") or sheet.get("Title") or sheet.get("SheetId"),
        "title": sheet.get("Title", ""),
        "controls": controls,
        "visuals": [visual_summary(w, layout) for w in sheet.get("Visuals", [])],
        "text_boxes": [text_box_summary(b, layout) for b in sheet.get("TextBoxes", [])],
    }


def parameter_summary(declaration: ParameterDeclaration) -> dict:
    return {
        "name": declaration.name,
        "type": declaration.type,
        "multi_valued": declaration.multi_valued,
        "default": declaration.default,
        "problem": declaration.problem,
    }


def dashboard_summary(response: dict) -> dict:
    """The page's view of a `describe_dashboard_definition` response."""
    definition = response.get("Definition") or {}
    return {
        "dashboard_id": response.get("DashboardId"),
        "name": response.get("Name") or response.get("DashboardId"),
        "parameters": [parameter_summary(d) for d in parameter_declarations(definition).values()],
        "sheets": [sheet_summary(s, filters_by_id(definition)) for s in definition.get("Sheets", [])],
        "definition": definition,
    }
