"""Asset factories of the QuickSight layer: the data source, one asset per dataset and per dashboard."""

import dagster as dg

from qs_platform.catalog.assets import catalog_asset_key
from qs_platform.config.models import Dashboard, Dataset, ProjectConfig
from qs_platform.quicksight.common import arn
from qs_platform.quicksight.dashboards import DashboardError, compile_definition, dashboard_request, ensure_dashboard
from qs_platform.quicksight.datasets import DATA_SOURCE_ID, dataset_request, ensure_data_source, ensure_dataset, refresh_spice
from qs_platform.resources import CatalogResource, LakeResource, QuickSightResource

DATA_SOURCE_KEY = dg.AssetKey(["quicksight", "data_source", "lake"])
QUICKSIGHT_POOL = "quicksight"  # QuickSight writes never run concurrently (throttling)


def dataset_key(dataset_id: str) -> dg.AssetKey:
    return dg.AssetKey(["quicksight", "dataset", dataset_id])


def dashboard_key(dashboard_id: str) -> dg.AssetKey:
    return dg.AssetKey(["quicksight", "dashboard", dashboard_id])


def build_data_source_asset(condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(key=DATA_SOURCE_KEY, group_name="quicksight", kinds={"quicksight"}, pool=QUICKSIGHT_POOL, automation_condition=condition,
              description="The ATHENA data source every dataset reads through.")
    def _data_source(quicksight: QuickSightResource) -> dg.MaterializeResult:
        outcome = ensure_data_source(quicksight.client(), quicksight.account_id, quicksight.region)
        return dg.MaterializeResult(metadata={"arn": outcome.arn, "action": outcome.action})

    return _data_source


def build_dataset_asset(dataset: Dataset, config: ProjectConfig, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dataset_key(dataset.id),
        deps=[catalog_asset_key(dataset.table), DATA_SOURCE_KEY],
        group_name="quicksight",
        kinds={"quicksight"},
        pool=QUICKSIGHT_POOL,
        automation_condition=condition,
        description=f"QuickSight dataset {dataset.display_name!r} over {dataset.table} ({dataset.import_mode}).",
        code_version=dataset.version,
    )
    def _dataset(context: dg.AssetExecutionContext, lake: LakeResource, catalog: CatalogResource, quicksight: QuickSightResource) -> dg.MaterializeResult:
        table = catalog.get(lake.get(), config).describe(dataset.table)
        client, account, region = quicksight.client(), quicksight.account_id, quicksight.region
        request = dataset_request(dataset, table, arn(account, region, "datasource", DATA_SOURCE_ID))
        outcome = ensure_dataset(client, account, region, request)
        metadata = {"arn": outcome.arn, "action": outcome.action, "table": dataset.table, "import_mode": dataset.import_mode, "dagster/row_count": table.row_count}
        if dataset.import_mode == "SPICE":
            ingestion = refresh_spice(client, account, dataset.id, f"qs-platform-{context.run_id}")
            if ingestion["IngestionStatus"] != "COMPLETED":
                raise dg.Failure(description=f"SPICE ingestion of {dataset.id} {ingestion['IngestionStatus']}: {ingestion.get('ErrorInfo')}")
            metadata["spice_rows"] = dg.MetadataValue.json(ingestion.get("RowInfo", {}))
        return dg.MaterializeResult(metadata=metadata)

    return _dataset


def dataset_column_types(client, account_id: str, dataset_id: str) -> dict[str, str]:
    described = client.describe_data_set(AwsAccountId=account_id, DataSetId=dataset_id)["DataSet"]
    if described.get("OutputColumns"):
        return {c["Name"]: c["Type"] for c in described["OutputColumns"]}
    tables = described["PhysicalTableMap"].values()
    return {c["Name"]: c["Type"] for t in tables for c in next(iter(t.values())).get("InputColumns", [])}


def build_dashboard_asset(dashboard: Dashboard, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dashboard_key(dashboard.id),
        deps=[dataset_key(ds) for ds in dashboard.datasets],
        group_name="quicksight",
        kinds={"quicksight"},
        pool=QUICKSIGHT_POOL,
        automation_condition=condition,
        description=f"QuickSight dashboard {dashboard.name!r}.",
        code_version=dashboard.version,
    )
    def _dashboard(quicksight: QuickSightResource) -> dg.MaterializeResult:
        client, account, region = quicksight.client(), quicksight.account_id, quicksight.region
        arns = {ds: arn(account, region, "dataset", ds) for ds in dashboard.datasets}
        columns = {ds: dataset_column_types(client, account, ds) for ds in dashboard.datasets}
        try:
            request = dashboard_request(dashboard, account, compile_definition(dashboard, arns, columns))
            outcome = ensure_dashboard(client, account, region, request)
        except DashboardError as error:
            raise dg.Failure(description=str(error)) from error
        metadata = {
            "arn": outcome.arn,
            "action": outcome.action,
            "sheets": len(dashboard.sheets),
            "visuals": sum(len(s.visuals) for s in dashboard.sheets),
        }
        if quicksight.local_store and quicksight.viewer_url:
            metadata["viewer"] = dg.MetadataValue.url(f"{quicksight.viewer_url}/dashboards/{dashboard.id}")
        else:
            metadata["console"] = dg.MetadataValue.url(f"https://{region}.quicksight.aws.amazon.com/sn/dashboards/{dashboard.id}")
        return dg.MaterializeResult(metadata=metadata)

    return _dashboard
