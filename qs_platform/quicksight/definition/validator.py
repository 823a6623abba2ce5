"""Checks of a dashboard Definition before any API call; every message names the sheet, visual and field.

Shapes, enum values and unions come from botocore's QuickSight service model (no hand-kept lists); the rest is
what QuickSight would refuse only after a create: undeclared datasets, unknown or ill-typed columns, undeclared
`${parameters}`, repeated FieldIds, dangling filter scopes, controls and layout elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import botocore.session
from botocore.validate import ParamValidator

from qs_platform.quicksight.expression_language import column_references, parameter_references

NUMERIC_TYPES = ("INTEGER", "DECIMAL")
PARAMETER_REFERENCE = re.compile(r"\$\{(\w+)\}")
COLUMN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PARAMETER_NAME_KEYS = ("ParameterName", "SourceParameterName", "DestinationParameterName")
SHEET_ELEMENT_ID_KEYS = (
    "VisualId",
    "FilterControlId",
    "ParameterControlId",
    "SheetTextBoxId",
    "SheetImageId",
    "InsightVisualId",
)

_validator = ParamValidator()
_service_model = botocore.session.get_session().get_service_model("quicksight")
DEFINITION_SHAPE = _service_model.operation_model("CreateDashboard").input_shape.members["Definition"]
# The members of these one-of shapes are the kinds of field definitions (NumericalMeasureField, DateDimensionField…).
FIELD_KINDS = frozenset(_service_model.shape_for("MeasureField").members) | frozenset(
    _service_model.shape_for("DimensionField").members
)
# The column kinds each field or filter kind needs; absent kinds take any column type.
NEEDS_NUMERIC = {"NumericalMeasureField", "NumericalDimensionField", "NumericRangeFilter", "NumericEqualityFilter"}
NEEDS_DATE = {"DateDimensionField", "DateMeasureField", "TimeRangeFilter", "TimeEqualityFilter", "RelativeDatesFilter"}


class DashboardError(ValueError):
    """A dashboard spec or Definition that must not be deployed; the message names sheet, visual and field."""


def validate_request(operation: str, params: dict) -> None:
    """botocore's own shape validation of a QuickSight request, run before sending anything."""
    report = _validator.validate(params, _service_model.operation_model(operation).input_shape)
    if report.has_errors():
        raise DashboardError(f"{operation} request does not match the QuickSight API:\n{report.generate_report()}")


# ---- walking a Definition with the place of each node ------------------------------------------------------


@dataclass(frozen=True)
class Node:
    value: object
    path: str  # e.g. Sheets[0].Visuals[2].BarChartVisual.ChartConfiguration
    key: str  # the key this node sits under (list items: the list's key)
    where: tuple[str, ...]  # ("sheet overview", "visual bar-1", "field bar-1.x")
    kind: str = ""  # the nearest enclosing field or filter kind (NumericalMeasureField, TimeRangeFilter…)

    @property
    def place(self) -> str:
        return ": ".join(self.where) or "definition"

    @property
    def place_of_column(self) -> str:
        """The place without a trailing field id: column messages name the field by its column."""
        where = self.where[:-1] if self.where and self.where[-1].startswith("field ") else self.where
        return ": ".join(where) or "definition"

    @property
    def field_id(self) -> str:
        return self.where[-1].removeprefix("field ") if self.where and self.where[-1].startswith("field ") else ""


def _entering(value: dict, key: str, where: tuple[str, ...]) -> tuple[str, ...]:
    if key == "Sheets" and "SheetId" in value:
        name = value.get("Name", "")
        named = (
            f" ({name!r})" if name and name.lower() != str(value["SheetId"]).lower() else ""
        )  # exported ids are uuids
        return (*where, f"sheet {value['SheetId']}{named}")
    if "VisualId" in value and key.endswith("Visual"):
        return (*where, f"visual {value['VisualId']}")
    if key == "FilterGroups" and "FilterGroupId" in value:
        return (*where, f"filter group {value['FilterGroupId']}")
    if "FilterId" in value and "Column" in value:
        return (*where, f"filter {value['FilterId']}")
    if key == "CalculatedFields":
        return (*where, f"calculated field {value.get('Name')!r}")
    if key == "ColumnConfigurations":
        column = value.get("Column", {})
        return (*where, f"column configuration {column.get('DataSetIdentifier')}.{column.get('ColumnName')}")
    if key in ("FilterControls", "ParameterControls"):
        inner = next(iter(value.values()), {}) if len(value) == 1 else {}
        return (*where, f"control {inner.get('FilterControlId') or inner.get('ParameterControlId')}")
    if key.endswith("ParameterDeclaration") and "Name" in value:
        return (*where, f"parameter {value['Name']}")
    if key in FIELD_KINDS and "FieldId" in value:
        return (*where, f"field {value['FieldId']}")
    return where


def walk(value: object, path: str = "", key: str = "", where: tuple[str, ...] = (), kind: str = "") -> Iterator[Node]:
    """Every node of a Definition, depth first, with where it is (sheet, visual, field…)."""
    if isinstance(value, dict):
        where = _entering(value, key, where)
        kind = key if key in FIELD_KINDS or key.endswith("Filter") else kind
        yield Node(value, path, key, where, kind)
        for child_key, child in value.items():
            yield from walk(child, f"{path}.{child_key}" if path else child_key, child_key, where, kind)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]", key, where, kind)
    else:
        yield Node(value, path, key, where, kind)


# ---- the checks ---------------------------------------------------------------------------------------------


def _is_union(shape) -> bool:
    """A one-of structure: the model's union trait, its documentation ("This is a union type structure"), or, for the
    undocumented ones (MeasureField, DimensionField, FormatConfiguration…), optional structure members that are all
    kinds of the shape itself (NumericalMeasureField, CategoricalMeasureField… of MeasureField)."""
    if shape.type_name != "structure":
        return False
    if shape.is_tagged_union or "union type structure" in (shape.documentation or ""):
        return True
    members = shape.members
    return (
        len(members) > 1
        and not shape.required_members
        and all(name.endswith(shape.name) and member.type_name == "structure" for name, member in members.items())
    )


def shape_problems(
    value: object, shape=DEFINITION_SHAPE, path: str = "Definition", where: tuple[str, ...] = (), key: str = ""
) -> Iterator[str]:
    """Enum values and exactly-one-member unions, walked along the service model (unknown keys are botocore's)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        where = _entering(value, key, where)
        place = ": ".join(where) + ": " if where else ""
        if _is_union(shape) and len(value) != 1:
            yield f"{place}{path}: a {shape.name} takes exactly one of its members, got {sorted(value) or 'none'}"
        for name, child in value.items():
            if name in shape.members:
                yield from shape_problems(child, shape.members[name], f"{path}.{name}", where, name)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from shape_problems(item, shape.member, f"{path}[{index}]", where, key)
    elif shape.type_name == "map" and isinstance(value, dict):
        for name, item in value.items():
            yield from shape_problems(item, shape.value, f"{path}.{name}", where, key)
    elif shape.type_name == "string" and shape.enum and isinstance(value, str) and value not in shape.enum:
        place = ": ".join(where) + ": " if where else ""
        yield f"{place}{path}: {value!r} is not a valid {shape.name}; expected one of {shape.enum}"


def _botocore_problems(definition: dict) -> list[str]:
    report = _validator.validate(definition, DEFINITION_SHAPE)
    return (
        [f"Definition shape: {line.strip()}" for line in report.generate_report().splitlines()[1:]]
        if report.has_errors()
        else []
    )


def _declared_datasets(definition: dict) -> set[str]:
    return {d.get("Identifier") for d in definition.get("DataSetIdentifierDeclarations", [])}


def _calculated(definition: dict) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for field in definition.get("CalculatedFields", []):
        names.setdefault(field.get("DataSetIdentifier"), set()).add(field.get("Name"))
    return names


def _column_problems(nodes: list[Node], definition: dict, columns: dict[str, dict[str, str] | None]) -> Iterator[str]:
    declared, calculated = _declared_datasets(definition), _calculated(definition)
    for node in nodes:
        if not (isinstance(node.value, dict) and "DataSetIdentifier" in node.value):
            continue
        dataset = node.value["DataSetIdentifier"]
        if _broken_in_export(dataset) or _broken_in_export(node.value.get("ColumnName", "")):
            continue
        if dataset not in declared:
            yield f"{node.place}: {node.path}: dataset identifier {dataset!r} is not declared in DataSetIdentifierDeclarations {sorted(declared)}"
            continue
        column = node.value.get("ColumnName")
        known = columns.get(dataset)
        if column is None or known is None or node.key == "CalculatedFields":
            continue
        if column in calculated.get(dataset, set()):
            continue  # a calculated field's type is only known to QuickSight
        if column not in known:
            field_id = f"FieldId {node.field_id}; " if node.field_id else ""
            yield f"{node.place_of_column}: field {column!r} is not a column of dataset {dataset!r} ({field_id}columns: {sorted(known)})"
            continue
        kind = node.kind
        if known[column] is None:  # e.g. a dataset's calculated column: its type is QuickSight's to infer
            continue
        if kind in NEEDS_NUMERIC and known[column] not in NUMERIC_TYPES:
            yield f"{node.place_of_column}: field {column!r} of dataset {dataset!r} is {known[column]}, a {kind} needs a numeric (INTEGER or DECIMAL) column"
        if kind in NEEDS_DATE and known[column] != "DATETIME":
            yield f"{node.place_of_column}: field {column!r} of dataset {dataset!r} is {known[column]}, a {kind} needs a DATETIME column"


def _broken_in_export(name: str) -> bool:
    """QuickSight exports a reference to a deleted dataset, column or parameter as `MissingDataSetId_…`,
    `MissingColumnId_…` or `MissingParameter…` and accepts such a Definition (the reference is just inert)."""
    return isinstance(name, str) and name.startswith(("MissingDataSetId_", "MissingColumnId_", "MissingParameter"))


def _expression_problems(definition: dict, columns: dict[str, dict[str, str] | None]) -> Iterator[str]:
    calculated = _calculated(definition)
    by_arn_id = {
        d.get("DataSetArn", "").rsplit("/", 1)[-1]: d.get("Identifier")
        for d in definition.get("DataSetIdentifierDeclarations", [])
    }
    for field in definition.get("CalculatedFields", []):
        dataset = field.get("DataSetIdentifier")
        for used in dict.fromkeys(c for _, _, c in column_references(field.get("Expression", ""))):
            in_dataset = dataset
            qualifier, _, name = used.rpartition(".")
            if qualifier and COLUMN_ID.fullmatch(qualifier):  # {<dataset id>.column}: a column of that dataset
                in_dataset, used = by_arn_id.get(qualifier), name
            known = columns.get(in_dataset)
            if known is None or COLUMN_ID.fullmatch(used):
                continue  # not known offline, or {<ColumnId>}: a dataset column by the id only its dataset knows
            if used not in known and used not in calculated.get(in_dataset, set()):
                yield (
                    f"calculated field {field.get('Name')!r}: {used!r} is not a column of dataset {in_dataset!r} nor a calculated "
                    f"field of it (columns: {sorted(known)})"
                )


def _parameter_problems(nodes: list[Node], definition: dict) -> Iterator[str]:
    declared = {next(iter(p.values())).get("Name") for p in definition.get("ParameterDeclarations", []) if p}
    for node in nodes:
        if isinstance(node.value, str):
            # in an expression, ${…} inside a comment or a string is no reference
            used = set(
                parameter_references(node.value)
                if node.key == "Expression"
                else PARAMETER_REFERENCE.findall(node.value)
            )
            if node.key in PARAMETER_NAME_KEYS:
                used.add(node.value)
            # ${<uuid>}: a reference by id, resolved by QuickSight (exports write them for dataset parameters)
            for name in sorted(n for n in used - declared if not _broken_in_export(n) and not COLUMN_ID.fullmatch(n)):
                yield f"{node.place}: {node.path}: parameter {name!r} is not declared; declared: {sorted(declared)}"


_COMPUTATION = re.compile(r"\.Computations\[\d+\]")


def _field_id_problems(nodes: list[Node]) -> Iterator[str]:
    """FieldIds are unique within a visual (exported dashboards reuse them across copied visuals); the computations
    of an InsightVisual each have their own fields and share FieldIds between them."""
    seen: dict[tuple[tuple[str, ...], str], str] = {}
    for node in nodes:
        if isinstance(node.value, dict) and node.key in FIELD_KINDS and "FieldId" in node.value:
            computation = _COMPUTATION.search(node.path)
            visual = (*node.where[:-1], node.path[: computation.end()] if computation else "")
            field_id = node.value["FieldId"]
            if (visual, field_id) in seen:
                yield f"{node.place_of_column}: FieldId {field_id!r} is used twice in the visual (first at {seen[visual, field_id]}); FieldIds must be unique"
            else:
                seen[visual, field_id] = node.path


def _sheet_elements(sheet: dict) -> set[str]:
    return {
        n.value
        for n in walk(sheet)
        if n.key in SHEET_ELEMENT_ID_KEYS and isinstance(n.value, str) and "Layouts" not in n.path
    }


def _scope_problems(definition: dict) -> Iterator[str]:
    sheets = {s.get("SheetId"): s for s in definition.get("Sheets", [])}
    visuals = {
        sheet_id: {next(iter(v.values())).get("VisualId") for v in s.get("Visuals", []) if v}
        for sheet_id, s in sheets.items()
    }
    filter_ids = {
        n.value["FilterId"]
        for n in walk(definition.get("FilterGroups", []))
        if isinstance(n.value, dict) and "FilterId" in n.value
    }
    for group in definition.get("FilterGroups", []):
        where = f"filter group {group.get('FilterGroupId')}"
        selected = (
            group.get("ScopeConfiguration", {}).get("SelectedSheets", {}).get("SheetVisualScopingConfigurations", [])
        )
        for scope in selected:
            sheet_id = scope.get("SheetId")
            if sheet_id not in sheets:
                yield f"{where}: scope: sheet {sheet_id!r} does not exist; sheets: {sorted(sheets)}"
                continue
            for visual_id in scope.get("VisualIds", []):
                if visual_id not in visuals[sheet_id]:
                    yield f"{where}: scope: sheet {sheet_id}: visual {visual_id!r} does not exist on that sheet; visuals: {sorted(visuals[sheet_id])}"
    for sheet_id, sheet in sheets.items():
        for control in sheet.get("FilterControls", []):
            inner = next(iter(control.values()), {})
            if inner.get("SourceFilterId") not in filter_ids:
                yield f"sheet {sheet_id}: control {inner.get('FilterControlId')}: source filter {inner.get('SourceFilterId')!r} does not exist"
        elements = _sheet_elements(sheet)
        for node in walk(sheet.get("Layouts", []), f"sheet {sheet_id} layout"):
            if node.key == "ElementId" and node.value not in elements:
                yield f"sheet {sheet_id}: layout element {node.value!r} is not a visual, control or text box of the sheet"


def _geographic_problems(nodes: list[Node], geographic: dict[str, set[str]]) -> Iterator[str]:
    for node in nodes:
        if node.key == "Geospatial" and isinstance(node.value, dict):
            field = next(iter(node.value.values()), {})
            column = field.get("Column", {})
            dataset, name = column.get("DataSetIdentifier"), column.get("ColumnName")
            if dataset in geographic and name not in geographic[dataset]:
                yield (
                    f"{node.place}: field {name!r}: a map needs a geographic column (tagged with a geographic role in dataset "
                    f"{dataset!r}); geographic columns: {sorted(geographic[dataset])}"
                )


def definition_problems(
    definition: dict,
    columns: dict[str, dict[str, str] | None],
    geographic: dict[str, set[str]] | None = None,
) -> list[str]:
    """Every problem of a Definition. `columns[dataset]` maps column -> QuickSight type (None: not known, skip
    column checks); `geographic[dataset]` the columns with a geographic role (absent dataset: not checked)."""
    nodes = list(walk(definition))
    problems = _botocore_problems(definition)
    problems += shape_problems(definition)
    problems += _column_problems(nodes, definition, columns)
    problems += _expression_problems(definition, columns)
    problems += _parameter_problems(nodes, definition)
    problems += _field_id_problems(nodes)
    problems += _scope_problems(definition)
    problems += _geographic_problems(nodes, geographic or {})
    return list(dict.fromkeys(problems))


def check_definition(
    dashboard_id: str,
    definition: dict,
    columns: dict[str, dict[str, str] | None],
    geographic: dict[str, set[str]] | None = None,
) -> None:
    problems = definition_problems(definition, columns, geographic)
    if problems:
        raise DashboardError("\n".join(f"dashboard {dashboard_id}: {p}" for p in problems))
