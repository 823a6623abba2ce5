"""Pruning a Definition of absent datasets removes exactly what depends on them, found from the Definition itself."""

from qs_platform.quicksight.definition import compile_definition
from qs_platform.quicksight.definition.pruning import depends_on, prune_definition
from qs_platform.quicksight.definition.validator import walk
from qs_platform_tests.quicksight.conftest import arns
from qs_platform_tests.quicksight.definition.conftest import COLUMNS


def visual_ids(definition: dict) -> set[str]:
    return {next(iter(v.values()))["VisualId"] for sheet in definition["Sheets"] for v in sheet.get("Visuals", [])}


def test_a_missing_dataset_takes_its_visuals_filters_and_layout_elements_and_nothing_else(spec):
    definition = compile_definition(spec, arns(spec), COLUMNS)

    pruned, report = prune_definition(definition, {"targets"})

    assert report.datasets == ["targets"] and report.visuals == ["targets-table"]
    assert visual_ids(pruned) == visual_ids(definition) - {"targets-table"}
    assert not depends_on(pruned, {"targets"}), "no reference to the absent dataset is left anywhere"
    assert [d["Identifier"] for d in pruned["DataSetIdentifierDeclarations"]] == ["sales"]
    groups = {g["FilterGroupId"] for g in pruned.get("FilterGroups", [])}
    assert "group-north-targets" in {g["FilterGroupId"] for g in definition["FilterGroups"]}
    assert groups == {"group-region-pick", "group-region-param", "group-amount-range", "group-dates"}, (
        "north-targets went"
    )
    layout_ids = {
        e["ElementId"] for n in walk(pruned) if isinstance(n.value, dict) for e in n.value.get("Elements", [])
    }
    assert "targets-table" not in layout_ids and "pivot" in layout_ids
    assert definition is not pruned and "targets" in {
        d["Identifier"] for d in definition["DataSetIdentifierDeclarations"]
    }


def test_a_sheet_left_without_visuals_goes_and_nothing_absent_changes_nothing(spec):
    definition = compile_definition(spec, arns(spec), COLUMNS)
    assert prune_definition(definition, set()) == (definition, prune_definition(definition, set())[1])

    pruned, report = prune_definition(definition, {"sales"})

    assert report.sheets == ["charts"], "every chart reads sales; the tables sheet keeps the targets table"
    assert visual_ids(pruned) == {"targets-table"}
    assert report.lines()[0] == "pruned 1 datasets: sales"
