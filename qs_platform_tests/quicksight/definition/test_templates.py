"""The exported logistics Definition as a template (explicit placeholders, structural rebinding, pruning), the
scenario comparison table, and the dashboard asset reporting what it pruned."""

import json

import dagster as dg
import pytest

from qs_platform.config.models import Dashboard
from qs_platform.local.quicksight import local_quicksight_client
from qs_platform.orchestration.quicksight import build_dashboard_asset
from qs_platform.orchestration.resources import QuickSightResource
from qs_platform.quicksight.common import arn
from qs_platform.quicksight.dashboards import dashboard_request, ensure_dashboard
from qs_platform.quicksight.definition import DashboardError, build_definition
from qs_platform.quicksight.definition.columns import offline_column_types
from qs_platform.quicksight.definition.templates import (
    load_template,
    template_identifiers,
)
from qs_platform_tests.conftest import CONFIG_DIR, SEEDS
from qs_platform_tests.quicksight.conftest import ACCOUNT, REGION, arns

SHIPPED_TEMPLATE = CONFIG_DIR / "quicksight" / "templates" / "logistics_dashboard_definition.json"
SHARED_TEMPLATE = SEEDS / "logistics" / "quicksight" / "dashboard_definition_template.json"


@pytest.fixture(scope="module")
def columns(config):
    return offline_column_types(config)


def rebound(config, **template_changes) -> Dashboard:
    data = config.dashboard("logistics-assessment").model_dump()
    data["template"].update(template_changes)
    return Dashboard.model_validate(data)


def visual_ids(definition: dict) -> list[str]:
    return [next(iter(v.values()))["VisualId"] for s in definition["Sheets"] for v in s["Visuals"]]


def test_shipped_template_is_the_shared_export(config):
    if SHARED_TEMPLATE.exists():
        assert SHIPPED_TEMPLATE.read_bytes() == SHARED_TEMPLATE.read_bytes()
    assert config.dashboard("logistics-assessment").template.path == str(SHIPPED_TEMPLATE.resolve())


def placeholders_of(visual: dict) -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if "DataSetIdentifier" in node:
                found.add(node["DataSetIdentifier"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(visual)
    return found


def test_template_binds_every_dataset_structurally_validates_and_is_created(tmp_path, config, columns):
    dashboard = config.dashboard("logistics-assessment")
    definition, pruned = build_definition(dashboard, arns(dashboard), columns)
    text = json.dumps(definition)
    assert "_dataset_template" not in text and "dataset-template" not in text  # no placeholder or template ARN left
    assert sorted(d["Identifier"] for d in definition["DataSetIdentifierDeclarations"]) == sorted(dashboard.datasets)
    assert len(dashboard.datasets) == 17 and pruned.as_dict() == {}, "nothing pruned when every dataset is there"
    template = load_template(SHIPPED_TEMPLATE)
    assert [s["Name"] for s in definition["Sheets"]] == [s["Name"] for s in template["Sheets"]] and len(
        definition["Sheets"]
    ) == 16
    assert visual_ids(definition) == visual_ids(template) and len(visual_ids(definition)) == 58
    pos_table = next(
        v["TableVisual"] for s in definition["Sheets"] for v in s["Visuals"] if "POS-logicalTable" in json.dumps(v)
    )
    wells = pos_table["ChartConfiguration"]["FieldWells"]["TableAggregatedFieldWells"]
    assert wells["GroupBy"][0]["CategoricalDimensionField"]["Column"] == {
        "DataSetIdentifier": "logistics_periods",
        "ColumnName": "pos",
    }
    # the original's Period is each period's end day (30/60/90/115), not its length
    assert wells["Values"][0]["NumericalMeasureField"]["Column"]["ColumnName"] == "end_day"
    calculated = {f["Name"]: f["Expression"] for f in definition["CalculatedFields"]}
    assert (
        "pos1_carfrate = 'CarfAhtSustainment'" in calculated["CARF Rate POS1"]
        and "POS1CARFRate" not in calculated["CARF Rate POS1"]
    )
    assert calculated["TotalWT"].startswith(
        "{dos1_units_pallet_tot_wt_lbs} + "
    )  # {DOS1_Units_Pallet_Tot_Wt.lbs.} normalised
    # Day is also a keyword (a period name): bound as the column {day}
    assert "{day} >= ${startDay} AND {day} <= operation_duration" in calculated["DayRangeFilter"]
    assert "STONS" in calculated and "{weight_lbs}" in calculated["STONS"]  # a calculated field keeps its name
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)
    outcome = ensure_dashboard(
        client, ACCOUNT, REGION, dashboard_request(dashboard, ACCOUNT, definition), sleep=lambda _: None
    )
    assert outcome.action == "created"
    stored = client.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="logistics-assessment")[
        "Definition"
    ]
    assert visual_ids(stored) == visual_ids(definition)


def test_a_missing_file_prunes_exactly_what_it_feeds(config, columns):
    """Each of the 14 optional datasets absent in turn: exactly the template's visuals that read its placeholder go,
    with the sheets left empty; everything else stays."""
    dashboard = config.dashboard("logistics-assessment")
    template = load_template(SHIPPED_TEMPLATE)
    placeholder_of = {ours: placeholder for placeholder, ours in dashboard.template.datasets.items()}
    assert len(dashboard.optional_datasets) == 14
    for absent in dashboard.optional_datasets:
        definition, pruned = build_definition(dashboard, arns(dashboard), columns, absent={absent})
        feeds = {next(iter(v.values()))["VisualId"] for s in template["Sheets"] for v in s["Visuals"]
                 if placeholder_of[absent] in placeholders_of(v)}  # fmt: skip
        assert set(pruned.visuals) == feeds and (feeds or absent == "logistics_i_pallets"), absent
        assert set(visual_ids(definition)) == set(visual_ids(template)) - feeds, absent
        emptied = [
            s["SheetId"]
            for s in template["Sheets"]
            if {next(iter(v.values()))["VisualId"] for v in s["Visuals"]} <= feeds
        ]
        assert pruned.sheets == emptied, absent
        assert absent not in json.dumps(definition), absent
    # the pallet file feeds only calculated fields the exported sheets never show
    _, pruned = build_definition(dashboard, arns(dashboard), columns, absent={"logistics_i_pallets"})
    assert sorted(pruned.calculated_fields) == [
        f"logistics_i_pallets.{n}" for n in ("TotalCuFT", "TotalTEUs", "TotalWT")
    ]
    definition, pruned = build_definition(dashboard, arns(dashboard), columns, absent={"logistics_locations"})
    assert sorted(pruned.calculated_fields) == ["logistics_locations.CountLocations", "logistics_locations.RegionCount"]
    definition, pruned = build_definition(dashboard, arns(dashboard), columns, absent={"logistics_force_flow"})
    assert [s["Name"] for s in load_template(SHIPPED_TEMPLATE)["Sheets"] if s["SheetId"] in pruned.sheets] == [
        "Force Flow"
    ]
    assert pruned.filter_groups == ["89c9153a-994b-4b7d-b21e-ddeb72130861"]  # the DayRangeFilter group went with it


def test_every_placeholder_must_be_bound_or_pruned_and_known(config, columns):
    binding = config.dashboard("logistics-assessment").template
    forgotten = dict(binding.datasets)
    del forgotten["Locations_dataset_template"]
    dropped = rebound(config, datasets=forgotten)
    with pytest.raises(
        DashboardError,
        match=r"identifier 'Locations_dataset_template' of .* is neither bound \(template.datasets\) nor pruned \(template.prune\)",
    ):
        build_definition(dropped, arns(dropped), columns)
    unknown = rebound(config, datasets={**binding.datasets, "Nope_dataset_template": "logistics_periods"})
    with pytest.raises(
        DashboardError,
        match=r"template.datasets: 'Nope_dataset_template' is not a DataSetIdentifier of .*; its identifiers: \[",
    ):
        build_definition(unknown, arns(unknown), columns)


def test_template_columns_that_our_tables_lack_are_named_precisely(config, columns):
    """aggregated_embark bound to the scenario comparison instead of the embark table: its normalised columns
    region, pos, cuft and teus (and weight_lbs in the STONS calculated field) are not there, and each is named."""
    data = config.dashboard("logistics-assessment").model_dump()
    data["datasets"] = [d if d != "logistics_embark" else "logistics_scenarios" for d in data["datasets"]]
    data["optional_datasets"] = [d for d in data["optional_datasets"] if d != "logistics_embark"]
    data["template"]["datasets"]["aggregated_embark_dataset_template"] = "logistics_scenarios"
    dashboard = Dashboard.model_validate(data)
    with pytest.raises(DashboardError) as refused:
        build_definition(dashboard, arns(dashboard), columns)
    lines = str(refused.value).splitlines()
    in_visuals = [line for line in lines if ": visual " in line]
    missing = sorted({line.split("field ")[-1].split(" is not a column")[0] for line in in_visuals})
    assert missing == ["'cuft'", "'pos'", "'region'", "'teus'"]
    assert all("is not a column of dataset 'logistics_scenarios'" in line for line in in_visuals)
    assert any(
        "sheet cb4e0c9d-3771-4997-b274-7b9e25e3b66e_e64adb51-5f19-4f4e-83e0-09624c298b87 ('Embark'): visual " in line
        and "field 'region'" in line
        for line in lines
    )
    assert any(
        line.startswith("dashboard logistics-assessment: calculated field 'STONS': 'weight_lbs'") for line in lines
    )


def test_unreadable_template_is_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"Sheets": []}')
    with pytest.raises(DashboardError, match=r"broken.json: no Definition with DataSetIdentifierDeclarations"):
        load_template(broken)
    assert len(template_identifiers(load_template(SHIPPED_TEMPLATE))) == 17


# ---- scenarios ------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not (SEEDS / "logistics").exists(), reason="needs ../shared/data/seeds/logistics")
def test_a_yaml_export_reads_like_the_json_one(tmp_path):
    """Exports also come as YAML (e.g. `DescribeDashboardDefinition` saved by a deployment tool)."""
    import json

    import yaml

    exported = json.loads(SHIPPED_TEMPLATE.read_text(encoding="utf-8"))
    as_yaml = tmp_path / "export.yaml"
    as_yaml.write_text(
        yaml.safe_dump({"DashboardId": "x", "Definition": exported.get("Definition", exported)}), encoding="utf-8"
    )
    assert load_template(as_yaml) == load_template(SHIPPED_TEMPLATE)
    broken = tmp_path / "broken.yml"
    broken.write_text("Definition: [unclosed", encoding="utf-8")
    with pytest.raises(DashboardError, match="cannot read a YAML Definition"):
        load_template(broken)


def test_scenario_dashboard_offers_side_by_side_visuals(config, columns):
    dashboard = config.dashboard("logistics-scenarios")
    definition, _ = build_definition(dashboard, arns(dashboard), columns)
    compare = definition["Sheets"][0]
    bar = next(v["BarChartVisual"] for v in compare["Visuals"] if "BarChartVisual" in v)
    assert (
        bar["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Colors"][0][
            "CategoricalDimensionField"
        ]["Column"]["ColumnName"]
        == "scenario_title"
    )
    pivot = next(v["PivotTableVisual"] for v in compare["Visuals"] if "PivotTableVisual" in v)
    assert (
        pivot["ChartConfiguration"]["FieldWells"]["PivotTableAggregatedFieldWells"]["Columns"][0][
            "CategoricalDimensionField"
        ]["FieldId"]
        == "pivot-scenarios.scenario_title"
    )
    assert "${CostGrowthPct}" in {f["Name"]: f["Expression"] for f in definition["CalculatedFields"]}["projected_cost"]


# ---- the dashboard asset --------------------------------------------------------------------------------------


def create_data_set(client, dataset_id: str, columns: dict[str, str]) -> None:
    table = {
        "RelationalTable": {
            "DataSourceArn": arn(ACCOUNT, REGION, "datasource", "lake"),
            "Schema": "processed",
            "Name": dataset_id,
            "InputColumns": [{"Name": c, "Type": t} for c, t in columns.items()],
        }
    }
    client.create_data_set(
        AwsAccountId=ACCOUNT,
        DataSetId=dataset_id,
        Name=dataset_id,
        ImportMode="DIRECT_QUERY",
        PhysicalTableMap={"t": table},
    )


def test_dashboard_asset_prunes_an_absent_optional_dataset_and_reports_it(tmp_path, instance, config, columns):
    store = tmp_path / "quicksight.sqlite"
    client = local_quicksight_client(store, region=REGION, account_id=ACCOUNT)
    for dataset_id in ("logistics_scenarios", "logistics_periods"):  # logistics_items never arrived
        create_data_set(client, dataset_id, columns[dataset_id])
    quicksight = QuickSightResource(
        account_id=ACCOUNT, region=REGION, local_store=str(store), viewer_url="http://127.0.0.1:8050"
    )
    result = dg.materialize(
        [build_dashboard_asset(config.dashboard("logistics-scenarios"), None)],
        resources={"quicksight": quicksight},
        instance=instance,
    )
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["pruned"].value == {
        "datasets": ["logistics_items"],
        "visuals": ["pie-cost-by-pos", "table-top-items"],
        "sheets": ["items"],
    }
    assert (
        metadata["sheets"].value == 2
        and metadata["viewer"].value == "http://127.0.0.1:8050/dashboards/logistics-scenarios"
    )
    stored = client.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="logistics-scenarios")["Definition"]
    assert [s["SheetId"] for s in stored["Sheets"]] == ["compare", "periods"]


def test_dashboard_asset_fails_naming_a_missing_mandatory_dataset(tmp_path, instance, config, columns):
    store = tmp_path / "quicksight.sqlite"
    client = local_quicksight_client(store, region=REGION, account_id=ACCOUNT)
    create_data_set(client, "logistics_periods", columns["logistics_periods"])
    quicksight = QuickSightResource(account_id=ACCOUNT, region=REGION, local_store=str(store))
    result = dg.materialize(
        [build_dashboard_asset(config.dashboard("logistics-scenarios"), None)],
        resources={"quicksight": quicksight},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node(result.all_node_events[0].node_name)
    assert (
        "datasets ['logistics_items', 'logistics_scenarios'] are absent and not in optional_datasets ['logistics_items']"
        not in str(failure)
    )
    assert "datasets ['logistics_scenarios'] are absent and not in optional_datasets ['logistics_items']" in str(
        failure.user_failure_data.description
    )


def test_template_dashboard_version_follows_the_template_bytes_not_its_location(tmp_path, config):
    import shutil

    from qs_platform.config.loader import load_config

    copy_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, copy_dir)
    original = config.dashboard("logistics-assessment").version
    assert (
        load_config(copy_dir).dashboard("logistics-assessment").version == original
    )  # moving the config redeploys nothing
    template = copy_dir / "quicksight" / "templates" / "logistics_dashboard_definition.json"
    template.write_text(template.read_text().replace('"Summary"', '"Overview"', 1))
    assert load_config(copy_dir).dashboard("logistics-assessment").version != original
