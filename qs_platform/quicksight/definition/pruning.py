"""Remove from a Definition exactly what depends on absent datasets, found from the Definition itself.

A part depends on a dataset when any column reference inside it names that dataset's identifier (calculated
fields are referenced the same way, so a visual over a pruned calculated field goes with it). Removing visuals
then removes what pointed at them: filter scopes, layout elements, action targets, and sheets left with no visual.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from qs_platform.quicksight.definition.validator import walk


@dataclass
class PruneReport:
    datasets: list[str] = field(default_factory=list)
    calculated_fields: list[str] = field(default_factory=list)
    column_configurations: list[str] = field(default_factory=list)
    visuals: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    filter_groups: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)

    def merge(self, other: PruneReport) -> PruneReport:
        return PruneReport(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})

    def as_dict(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.__dict__.items() if v}

    def lines(self) -> list[str]:
        return [
            f"pruned {len(items)} {kind.replace('_', ' ')}: {', '.join(items)}"
            for kind, items in self.as_dict().items()
        ]


def depends_on(value: object, absent: set[str]) -> bool:
    return any(isinstance(n.value, dict) and n.value.get("DataSetIdentifier") in absent for n in walk(value))


def _inner(wrapper: dict) -> dict:
    """The one member of a union wrapper such as {"BarChartVisual": {...}}."""
    return next(iter(wrapper.values()), {}) if wrapper else {}


def _prune_sheet_visuals(sheet: dict, absent: set[str], report: PruneReport) -> None:
    kept = []
    for visual in sheet.get("Visuals", []):
        if depends_on(visual, absent):
            report.visuals.append(_inner(visual).get("VisualId"))
        else:
            kept.append(visual)
    sheet["Visuals"] = kept
    controls = []
    for control in sheet.get("ParameterControls", []):
        if depends_on(control, absent):
            report.controls.append(_inner(control).get("ParameterControlId"))
        else:
            controls.append(control)
    if "ParameterControls" in sheet:
        sheet["ParameterControls"] = controls


def _prune_filter_groups(
    definition: dict, absent: set[str], gone_sheets: set[str], gone_visuals: set[str], report: PruneReport
) -> set[str]:
    """Drop filters over absent datasets and scopes to removed sheets/visuals; a group left empty goes. Returns the
    ids of every removed filter (their controls go too)."""
    removed_filters: set[str] = set()
    groups = []
    for group in definition.get("FilterGroups", []):
        filters = []
        for flt in group.get("Filters", []):
            if depends_on(flt, absent):
                removed_filters.add(_inner(flt).get("FilterId"))
            else:
                filters.append(flt)
        selected = group.get("ScopeConfiguration", {}).get("SelectedSheets")
        if selected:
            scopes = []
            for scope in selected.get("SheetVisualScopingConfigurations", []):
                if scope.get("SheetId") in gone_sheets:
                    continue
                if "VisualIds" in scope:
                    visuals = [v for v in scope["VisualIds"] if v not in gone_visuals]
                    if not visuals and scope["VisualIds"]:
                        continue
                    scope["VisualIds"] = visuals
                scopes.append(scope)
            selected["SheetVisualScopingConfigurations"] = scopes
        if filters and (not selected or selected["SheetVisualScopingConfigurations"]):
            group["Filters"] = filters
            groups.append(group)
        else:
            report.filter_groups.append(group.get("FilterGroupId"))
            removed_filters |= {_inner(f).get("FilterId") for f in filters}
    if "FilterGroups" in definition:
        definition["FilterGroups"] = groups
    report.filters += sorted(removed_filters)
    return removed_filters


def _prune_controls_and_layouts(
    sheet: dict, removed_filters: set[str], gone_visuals: set[str], report: PruneReport
) -> None:
    controls = []
    for control in sheet.get("FilterControls", []):
        inner = _inner(control)
        if inner.get("SourceFilterId") in removed_filters:
            report.controls.append(inner.get("FilterControlId"))
        else:
            controls.append(control)
    if "FilterControls" in sheet:
        sheet["FilterControls"] = controls
    gone = gone_visuals | set(report.controls)
    for node in list(walk(sheet.get("Layouts", []) + sheet.get("SheetControlLayouts", []))):
        if node.key == "Elements" and isinstance(node.value, dict) and node.value.get("ElementId") in gone:
            node.value["_pruned"] = True
    for node in list(walk(sheet)):
        if isinstance(node.value, dict):
            for key, value in node.value.items():
                if key == "Elements" and isinstance(value, list):
                    node.value[key] = [e for e in value if not e.get("_pruned")]
                if key in ("TargetVisuals", "VisualIds") and isinstance(value, list):
                    node.value[key] = [v for v in value if v not in gone_visuals]


def prune_definition(definition: dict, absent: set[str] | list[str]) -> tuple[dict, PruneReport]:
    """A copy of `definition` without the datasets in `absent` and all that depends on them, and what went."""
    absent = set(absent)
    report = PruneReport(datasets=sorted(absent))
    if not absent:
        return definition, report
    pruned = copy.deepcopy(definition)
    pruned["DataSetIdentifierDeclarations"] = [
        d for d in pruned["DataSetIdentifierDeclarations"] if d["Identifier"] not in absent
    ]
    for key, kind in (("CalculatedFields", "calculated_fields"), ("ColumnConfigurations", "column_configurations")):
        if key in pruned:
            kept = [item for item in pruned[key] if not depends_on(item, absent)]
            getattr(report, kind).extend(_name_of(item) for item in pruned[key] if depends_on(item, absent))
            pruned[key] = kept
    for declaration in pruned.get("ParameterDeclarations", []):
        inner = _inner(declaration)
        if "MappedDataSetParameters" in inner:
            inner["MappedDataSetParameters"] = [
                m for m in inner["MappedDataSetParameters"] if m.get("DataSetIdentifier") not in absent
            ]
        if depends_on(inner.get("DefaultValues", {}).get("DynamicValue"), absent):
            del inner["DefaultValues"]["DynamicValue"]
    for sheet in pruned["Sheets"]:
        _prune_sheet_visuals(sheet, absent, report)
    gone_visuals = set(report.visuals)
    emptied = [s for s in pruned["Sheets"] if not s.get("Visuals") and _had_visuals(definition, s["SheetId"])]
    report.sheets = [s["SheetId"] for s in emptied]
    pruned["Sheets"] = [s for s in pruned["Sheets"] if s not in emptied]
    removed_filters = _prune_filter_groups(pruned, absent, set(report.sheets), gone_visuals, report)
    for sheet in pruned["Sheets"]:
        _prune_controls_and_layouts(sheet, removed_filters, gone_visuals, report)
    return _drop_empty_lists(pruned), report


def _name_of(item: dict) -> str:
    if "Name" in item:
        return f"{item.get('DataSetIdentifier')}.{item['Name']}"
    column = item.get("Column", {})
    return f"{column.get('DataSetIdentifier')}.{column.get('ColumnName')}"


def _had_visuals(definition: dict, sheet_id: str) -> bool:
    return any(s["SheetId"] == sheet_id and s.get("Visuals") for s in definition["Sheets"])


def _drop_empty_lists(definition: dict) -> dict:
    """QuickSight refuses some emptied optional lists (min length 1); an absent list means the same."""
    for key in ("CalculatedFields", "ColumnConfigurations", "FilterGroups"):
        if key in definition and not definition[key]:
            del definition[key]
    for sheet in definition["Sheets"]:
        for key in ("FilterControls", "ParameterControls"):
            if key in sheet and not sheet[key]:
                del sheet[key]
    return definition
