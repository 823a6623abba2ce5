"""Broken dashboards are refused before any API call, each problem naming the sheet, visual and field; held-out specs
(written here, as a user would) go through `qs-platform validate`."""

import copy
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from qs_platform.cli.main import app
from qs_platform.config.loader import ConfigError, load_config
from qs_platform.config.models import Dashboard
from qs_platform.quicksight.definition import (
    DashboardError,
    build_definition,
    compile_definition,
    definition_problems,
)
from qs_platform_tests.conftest import CONFIG_DIR, PROJECT
from qs_platform_tests.quicksight.conftest import arns
from qs_platform_tests.quicksight.definition.conftest import COLUMNS, GEOGRAPHIC, SPEC

runner = CliRunner()


@pytest.fixture
def definition(spec) -> dict:
    return compile_definition(spec, arns(spec), COLUMNS)


def with_visual(spec: Dashboard, **changes) -> Dashboard:
    """The spec with its bar visual changed as a YAML edit would (re-validated)."""
    data = spec.model_dump()
    data["sheets"][0]["visuals"][2].update(changes)
    return Dashboard.model_validate(data)


def bar(definition: dict) -> dict:
    return definition["Sheets"][0]["Visuals"][2]["BarChartVisual"]


def test_bad_enum_value_is_refused_with_its_place_and_the_valid_values(definition):
    bar(definition)["ChartConfiguration"]["Orientation"] = "DIAGONAL"
    problems = definition_problems(definition, COLUMNS)
    assert problems == [
        (
            "sheet charts: visual bar: Definition.Sheets[0].Visuals[2].BarChartVisual.ChartConfiguration.Orientation: "
            "'DIAGONAL' is not a valid BarChartOrientation; expected one of ['HORIZONTAL', 'VERTICAL']"
        )
    ]


def test_two_members_of_a_union_are_refused(definition):
    wrapper = definition["Sheets"][0]["Visuals"][2]
    wrapper["PieChartVisual"] = copy.deepcopy(definition["Sheets"][0]["Visuals"][4]["PieChartVisual"])
    problems = definition_problems(definition, COLUMNS)
    assert any(
        p.startswith(
            "sheet charts: Definition.Sheets[0].Visuals[2]: a Visual takes exactly one of its members, got ['BarChartVisual', 'PieChartVisual']"
        )
        for p in problems
    ), problems


def test_two_kinds_of_one_field_are_refused(definition):
    value = bar(definition)["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Values"][0]
    value["CategoricalMeasureField"] = {
        "FieldId": "bar.amount.count",
        "Column": value["NumericalMeasureField"]["Column"],
        "AggregationFunction": "COUNT",
    }
    problems = definition_problems(definition, COLUMNS)
    assert problems == [
        (
            "sheet charts: visual bar: Definition.Sheets[0].Visuals[2].BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells"
            ".Values[0]: a MeasureField takes exactly one of its members, got ['CategoricalMeasureField', 'NumericalMeasureField']"
        )
    ]


def test_undeclared_dataset_identifier_is_refused(definition):
    bar(definition)["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Values"][0][
        "NumericalMeasureField"
    ]["Column"]["DataSetIdentifier"] = "ghost"
    problems = definition_problems(definition, COLUMNS)
    assert problems == [
        (
            "sheet charts: visual bar: field bar.amount.sum: Sheets[0].Visuals[2].BarChartVisual.ChartConfiguration.FieldWells.BarChartAggregatedFieldWells"
            ".Values[0].NumericalMeasureField.Column: dataset identifier 'ghost' is not declared in DataSetIdentifierDeclarations ['sales', 'targets']"
        )
    ]


def test_unknown_column_is_refused_naming_sheet_visual_and_field(spec):
    broken = with_visual(spec, values=[{"column": "amount_eur"}])
    with pytest.raises(DashboardError) as refused:
        compile_definition(broken, arns(spec), COLUMNS)
    assert str(refused.value).startswith(
        "dashboard every-visual: sheet charts: visual bar: field 'amount_eur' is not a column of dataset 'sales' (FieldId bar.amount_eur.sum; columns: ["
    )


def test_column_of_the_wrong_type_is_refused(spec):
    summed_text = with_visual(spec, values=[{"column": "product", "aggregation": "sum"}], color=None)
    with pytest.raises(
        DashboardError,
        match=r"sheet charts: visual bar: field 'product' of dataset 'sales' is STRING, a NumericalMeasureField needs a numeric",
    ):
        compile_definition(summed_text, arns(spec), COLUMNS)
    monthly_text = with_visual(spec, category={"column": "region", "granularity": "MONTH"})
    with pytest.raises(
        DashboardError,
        match=r"visual bar: field 'region' of dataset 'sales' is STRING, a DateDimensionField needs a DATETIME column",
    ):
        compile_definition(monthly_text, arns(spec), COLUMNS)


def test_undeclared_parameter_is_refused(spec, definition):
    definition["CalculatedFields"][0]["Expression"] = "sum({amount}) * ${Inflation}"
    bar(definition)["Title"]["FormatText"] = {"PlainText": "Amount at ${Rate}"}
    problems = definition_problems(definition, COLUMNS)
    assert any(
        "calculated field 'projected': CalculatedFields[0].Expression: parameter 'Inflation' is not declared" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(
            "sheet charts: visual bar: Sheets[0].Visuals[2].BarChartVisual.Title.FormatText.PlainText: parameter 'Rate' is not declared"
        )
        for p in problems
    ), problems
    data = spec.model_dump()
    data["calculated_fields"][0]["expression"] = "sum({amount}) * ${Inflation}"
    with pytest.raises(
        ValueError, match=r"calculated field 'projected' uses \$\{Inflation\}, which is not a declared parameter"
    ):
        Dashboard.model_validate(data)


def test_duplicate_field_id_is_refused(spec):
    twice = with_visual(spec, type="combo", values=[{"column": "amount"}], line_values=[{"column": "amount"}])
    with pytest.raises(
        DashboardError, match=r"sheet charts: visual bar: FieldId 'bar.amount.sum' is used twice in the visual"
    ):
        compile_definition(twice, arns(spec), COLUMNS)


def test_filter_scope_to_a_missing_visual_or_sheet_is_refused(spec):
    data = spec.model_dump()
    data["filters"][3]["scope"] = [{"sheet": "charts", "visuals": ["line", "lines"]}, {"sheet": "chart", "visuals": []}]
    with pytest.raises(DashboardError) as refused:
        compile_definition(Dashboard.model_validate(data), arns(spec), COLUMNS)
    message = str(refused.value)
    assert (
        "filter group group-dates: scope: sheet charts: visual 'lines' does not exist on that sheet; visuals: ["
        in message
    )
    assert "filter group group-dates: scope: sheet 'chart' does not exist; sheets: ['charts', 'tables']" in message


def test_map_needs_a_geographic_column(spec):
    with pytest.raises(
        DashboardError,
        match=r"sheet charts: visual map: field 'country': a map needs a geographic column .* geographic columns: \[\]",
    ):
        build_definition(spec, arns(spec), COLUMNS, geographic={"sales": set()})


def test_unknown_column_in_a_calculated_field_is_refused(definition):
    definition["CalculatedFields"][0]["Expression"] = "sum(amount_eur) * (1 + ${Growth})"
    problems = definition_problems(definition, COLUMNS)
    assert problems == [
        f"calculated field 'projected': 'amount_eur' is not a column of dataset 'sales' nor a calculated field of it (columns: {sorted(COLUMNS['sales'])})"
    ]


def test_spec_errors_name_the_file_and_key(tmp_path):
    folder = tmp_path / "config"
    (folder / "quicksight").mkdir(parents=True)
    spec = yaml.safe_load(SPEC)
    spec["sheets"][0]["visuals"][2]["type"] = "donut"
    spec["parameters"][3]["control"] = "slider"
    (folder / "quicksight" / "held_out.yaml").write_text(yaml.safe_dump({"dashboards": [spec]}))
    with pytest.raises(ConfigError) as refused:
        load_config(folder)
    problems = refused.value.problems
    assert any(
        p.startswith(
            f"{folder / 'quicksight' / 'held_out.yaml'}: dashboards.0.sheets.0.visuals.2.type: Input should be 'kpi', 'bar'"
        )
        for p in problems
    ), problems
    assert any("dashboards.0.parameters.3: a slider needs min, max and step" in p for p in problems), problems


HELD_OUT = """
dashboards:
  - id: held-out
    name: Held-out spec
    datasets: [service_requests, division_kpis]
    parameters:
      - {name: Target, type: integer, default: 10, control: slider, min: 0, max: 100, step: 1}
    calculated_fields:
      - {name: over_target, dataset: division_kpis, expression: "sum({requests}) - ${Target}"}
    filters:
      - {id: results, dataset: service_requests, column: service_result, kind: category, control: dropdown, scope: [{sheet: main}]}
      - {id: started, dataset: service_requests, column: start_date, kind: date_range, min: "2020-01-01", control: date_picker}
    sheets:
      - id: main
        title: Main
        visuals:
          - {id: by-division, type: combo, title: Requests and cost, dataset: division_kpis, category: {column: division},
             values: [{column: requests}], line_values: [{column: total_estimated_cost}]}
          - {id: over, type: kpi, title: Over target, dataset: division_kpis, values: [{column: over_target, aggregation: none}]}
          - {id: wards, type: heatmap, title: Wards by result, dataset: service_requests, category: {column: ward_id},
             columns: [{column: service_result}], values: [{column: id, aggregation: count}]}
          - {id: cost-days, type: scatter, title: Cost against days, dataset: service_requests, category: {column: division},
             values: [{column: business_days_to_completion, aggregation: avg}, {column: estimated_cost}]}
"""


@pytest.fixture
def held_out_config(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    monkeypatch.setenv("QS_CONFIG_DIR", str(folder))
    monkeypatch.setenv("QS_LAKE_URL", str(tmp_path / "lake"))
    for name in ("DAGSTER_HOME", "QS_CATALOG_PATH", "QS_QUICKSIGHT_STORE"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_validate_command_checks_a_held_out_spec_and_refuses_a_broken_one(held_out_config):
    spec_file = held_out_config / "quicksight" / "held_out.yaml"
    spec_file.write_text(HELD_OUT)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "dashboard held-out: OK — 1 sheets, 4 visuals" in result.output
    assert "dashboard logistics-assessment: OK — 16 sheets, 58 visuals" in result.output  # every placeholder bound
    assert "pruned" not in result.output.split("dashboard logistics-assessment")[1].split("\ndashboard ")[0]
    spec_file.write_text(
        HELD_OUT.replace("{column: total_estimated_cost}", "{column: total_cost}").replace("visuals: [cost-days]", "")
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert (
        "dashboard held-out: sheet main: visual by-division: field 'total_cost' is not a column of dataset 'division_kpis' "
        "(FieldId by-division.total_cost.sum; columns: ['avg_business_days', 'cost_per_business_day', 'division', 'requests', 'total_estimated_cost'])"
    ) in result.output


def test_readme_example_spec_compiles():
    import re

    readme = PROJECT / "README.md"
    section = readme.read_text().split("### Dashboards as code", 1)[1]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1))["dashboards"][0]
    dashboard = Dashboard.model_validate(example)
    definition, _ = build_definition(dashboard, arns(dashboard), COLUMNS, geographic=GEOGRAPHIC)
    assert [s["SheetId"] for s in definition["Sheets"]] == ["charts", "tables"]


# ---- exported Definitions: what QuickSight accepts is not refused ------------------------------------------


def test_words_in_expression_comments_and_strings_are_not_columns(definition):
    definition["CalculatedFields"][0]["Expression"] = (
        "// projected amount: Add ${Growth} and round to whole units\n"
        "sum({amount}) /* was: sum(amount_eur) */ * (1 + ${Growth}) + strlen('not a column')"
    )
    assert definition_problems(definition, COLUMNS) == []
    definition["CalculatedFields"][0]["Expression"] += " + sum(amount_eur) // a real unknown column"
    assert definition_problems(definition, COLUMNS) == [
        f"calculated field 'projected': 'amount_eur' is not a column of dataset 'sales' nor a calculated field of it (columns: {sorted(COLUMNS['sales'])})"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "sumOver(sum({amount}), [{region}], PRE_AGG)",
        "avgOver({amount}, [], PRE_FILTER)",
        "rank([sum({amount}) DESC], [{region}], POST_AGG_FILTER)",
        "ifelse(contains({product}, 'x', CASE_INSENSITIVE) AND startsWith({region}, 'N', CASE_SENSITIVE), 1, 0)",
        "periodOverPeriodDifference(sum({amount}), {order_date}, MONTH, 1)",
    ],
)
def test_quicksight_keywords_are_not_columns(definition, expression):
    definition["CalculatedFields"][0]["Expression"] = expression
    assert definition_problems(definition, COLUMNS) == []


def test_exported_reference_forms_are_resolved_or_left_to_quicksight(definition):
    """`{<dataset id>.column}` is checked in that dataset; `{<ColumnId>}`, `${<id>}` and QuickSight's `Missing…`
    markers for deleted references are accepted, as QuickSight accepts them."""
    definition["DataSetIdentifierDeclarations"][0]["DataSetArn"] = (
        definition["DataSetIdentifierDeclarations"][0]["DataSetArn"].rsplit("/", 1)[0]
        + "/4879c257-b359-4a5e-a959-d7762da430ff"
    )
    definition["CalculatedFields"][0]["Expression"] = (
        "sum({4879c257-b359-4a5e-a959-d7762da430ff.amount}) + sum({0b4c0cab-545f-447d-b10c-8a7993a858e1}) + ${6ae4e600-65a3-4537-b750-9cc75de0b58d}"
    )
    assert definition_problems(definition, COLUMNS) == []
    definition["CalculatedFields"][0]["Expression"] = "sum({4879c257-b359-4a5e-a959-d7762da430ff.amount_eur})"
    assert [p.split(" (columns")[0] for p in definition_problems(definition, COLUMNS)] == [
        "calculated field 'projected': 'amount_eur' is not a column of dataset 'sales' nor a calculated field of it"
    ]
    definition["CalculatedFields"][0]["Expression"] = "sum({amount})"
    bar(definition)["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Category"][0][
        "CategoricalDimensionField"
    ]["Column"] = {
        "DataSetIdentifier": "MissingDataSetId_MissingDataSetId_9497cc49-c9b1-4dcd-8bcc-c16396898f29",
        "ColumnName": "region",
    }
    definition["FilterGroups"][0]["Filters"][0]["CategoryFilter"]["Column"]["ColumnName"] = (
        "MissingColumnId_2d2c8d29_ca597aad.region"
    )
    assert definition_problems(definition, COLUMNS) == []


def test_computations_of_an_insight_visual_share_field_ids(definition):
    value = {
        "NumericalMeasureField": {"FieldId": "total", "Column": {"DataSetIdentifier": "sales", "ColumnName": "amount"}}
    }
    when = {
        "DateDimensionField": {"FieldId": "when", "Column": {"DataSetIdentifier": "sales", "ColumnName": "order_date"}}
    }
    insight = {
        "InsightVisual": {
            "VisualId": "insight",
            "DataSetIdentifier": "sales",
            "InsightConfiguration": {
                "Computations": [
                    {"TotalAggregation": {"ComputationId": "c1", "Name": "Total", "Value": value}},
                    {
                        "MaximumMinimum": {
                            "ComputationId": "c2",
                            "Name": "Max",
                            "Type": "MAXIMUM",
                            "Time": when,
                            "Value": value,
                        }
                    },
                ]
            },
        }
    }
    definition["Sheets"][0]["Visuals"].append(insight)
    assert definition_problems(definition, COLUMNS) == []
    insight["InsightVisual"]["InsightConfiguration"]["Computations"][1]["MaximumMinimum"]["Time"] = {
        "DateDimensionField": {**when["DateDimensionField"], "FieldId": "total"}
    }
    assert any("FieldId 'total' is used twice in the visual" in p for p in definition_problems(definition, COLUMNS))
