"""Asset factories of the QuickSight layer: the data source, one asset per dataset and per dashboard.

Every asset here writes to QuickSight, so each runs in the `quicksight` pool (limited to one at a time in the
dagster.yaml that runtime/instance.py writes): writes never run concurrently.
"""

import dagster as dg

from qs_platform.config.models import Dashboard, Dataset, ProjectConfig
from qs_platform.orchestration.catalog import catalog_asset_key
from qs_platform.orchestration.metadata import Deployment
from qs_platform.orchestration.resources import CatalogResource, LakeResource, QuickSightResource
from qs_platform.quicksight.common import arn, permissions_for
from qs_platform.quicksight.dashboards import (
    DASHBOARD_OWNER_ACTIONS,
    DashboardError,
    dashboard_request,
    ensure_dashboard,
)
from qs_platform.quicksight.datasets import (
    DATA_SOURCE_ID,
    DataSourceFailed,
    SpiceRefreshFailed,
    dataset_request,
    ensure_data_source,
    ensure_dataset,
    refresh_spice,
)
from qs_platform.quicksight.definition import build_definition

DATA_SOURCE_KEY = dg.AssetKey(["quicksight", "data_source", "lake"])
QUICKSIGHT_POOL = "quicksight"  # QuickSight writes never run concurrently (throttling)
SPICE_CHECK = "spice_current"


def dataset_key(dataset_id: str) -> dg.AssetKey:
    return dg.AssetKey(["quicksight", "dataset", dataset_id])


def dashboard_key(dashboard_id: str) -> dg.AssetKey:
    return dg.AssetKey(["quicksight", "dashboard", dashboard_id])


def build_data_source_asset(condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DATA_SOURCE_KEY,
        group_name="quicksight",
        kinds={"quicksight"},
        pool=QUICKSIGHT_POOL,
        automation_condition=condition,
        description="The ATHENA data source every dataset reads through.",
    )
    def _data_source(quicksight: QuickSightResource) -> dg.MaterializeResult:
        try:
            outcome = ensure_data_source(
                quicksight.client(),
                quicksight.account_id,
                quicksight.region,
                workgroup=quicksight.athena_workgroup,
                principals=tuple(quicksight.principals),
            )
        except DataSourceFailed as error:
            raise dg.Failure(description=str(error)) from error
        return dg.MaterializeResult(
            metadata={"arn": outcome.arn, **Deployment(outcome.action, list(outcome.changes)).to_metadata()}
        )

    return _data_source


def upstream_data_version(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str:
    """A fingerprint of the upstream table's data: the run that last materialized its catalog entry (a new
    run id every time the data changed; the same as long as nothing upstream ran)."""
    event = context.instance.get_latest_materialization_event(key)
    return event.run_id if event else "never-materialized"


def build_dataset_asset(
    dataset: Dataset, config: ProjectConfig, condition: dg.AutomationCondition
) -> dg.AssetsDefinition:
    key = dataset_key(dataset.id)
    spice = dataset.import_mode == "SPICE"
    check_specs = (
        [
            dg.AssetCheckSpec(
                SPICE_CHECK,
                asset=key,
                description="The SPICE copy holds the latest upstream data (warns when the daily refresh cap skipped a refresh).",
            )
        ]
        if spice
        else []
    )

    @dg.asset(
        key=key,
        deps=[catalog_asset_key(dataset.table), DATA_SOURCE_KEY],
        group_name="quicksight",
        kinds={"quicksight"},
        pool=QUICKSIGHT_POOL,
        automation_condition=condition,
        description=f"QuickSight dataset {dataset.display_name!r} over {dataset.table} ({dataset.import_mode}).",
        code_version=dataset.version,
        check_specs=check_specs,
    )
    def _dataset(
        context: dg.AssetExecutionContext, lake: LakeResource, catalog: CatalogResource, quicksight: QuickSightResource
    ) -> dg.MaterializeResult:
        catalog_ = catalog.get(lake.get(), config)
        table = catalog_.describe(dataset.table)
        client, account, region = quicksight.client(), quicksight.account_id, quicksight.region
        layer = dataset.table.split(".", 1)[0]
        database = catalog_.database(layer)
        request = dataset_request(dataset, table, arn(account, region, "datasource", DATA_SOURCE_ID), database=database)
        outcome = ensure_dataset(client, account, region, request, principals=tuple(quicksight.principals))
        metadata = {
            "arn": outcome.arn,
            **Deployment(outcome.action, list(outcome.changes)).to_metadata(),
            "table": dataset.table,
            "import_mode": dataset.import_mode,
            "dagster/row_count": table.row_count,
        }
        if not spice:
            return dg.MaterializeResult(metadata=metadata)
        try:
            refresh = refresh_spice(
                client,
                account,
                region,
                dataset.id,
                data_version=upstream_data_version(context, catalog_asset_key(dataset.table)),
                edition=quicksight.edition,
                started_ingestion=outcome.response.get("IngestionId"),
            )
        except SpiceRefreshFailed as error:
            raise dg.Failure(description=str(error), metadata=metadata) from error
        metadata.update(spice_refresh=refresh.status, spice_message=refresh.message)
        if refresh.refreshes_last_24h is not None:
            metadata.update(spice_refreshes_last_24h=refresh.refreshes_last_24h, spice_daily_cap=refresh.cap)
        if refresh.row_info:
            metadata.update(
                spice_rows_ingested=refresh.row_info.get("RowsIngested", 0),
                spice_rows_dropped=refresh.row_info.get("RowsDropped", 0),
            )
        skipped = refresh.status == "skipped_cap"
        if skipped:
            context.log.warning(refresh.message)
        check = dg.AssetCheckResult(
            check_name=SPICE_CHECK,
            passed=not skipped,
            severity=dg.AssetCheckSeverity.WARN,
            description=refresh.message,
        )
        return dg.MaterializeResult(metadata=metadata, check_results=[check])

    return _dataset


def _describe_data_set(client, account_id: str, dataset_id: str) -> dict | None:
    try:
        return client.describe_data_set(AwsAccountId=account_id, DataSetId=dataset_id)["DataSet"]
    except client.exceptions.ResourceNotFoundException:
        return None


def _column_types(described: dict) -> dict[str, str]:
    if described.get("OutputColumns"):
        return {c["Name"]: c["Type"] for c in described["OutputColumns"]}
    tables = described["PhysicalTableMap"].values()
    return {
        c["Name"]: c["Type"]
        for t in tables
        for c in next(iter(t.values())).get("InputColumns", next(iter(t.values())).get("Columns", []))
    }


def _geographic_columns(described: dict) -> set[str]:
    """Columns a TagColumnOperation gives a ColumnGeographicRole (what a map visual needs)."""
    return {
        transform["TagColumnOperation"]["ColumnName"]
        for table in described.get("LogicalTableMap", {}).values()
        for transform in table.get("DataTransforms", [])
        if any("ColumnGeographicRole" in tag for tag in transform.get("TagColumnOperation", {}).get("Tags", []))
    }


def dataset_column_types(client, account_id: str, dataset_id: str) -> dict[str, str]:
    return _column_types(client.describe_data_set(AwsAccountId=account_id, DataSetId=dataset_id)["DataSet"])


def _reported_empty(context: dg.AssetExecutionContext, dataset_id: str) -> bool:
    """The dataset's last materialization saw an empty table (its optional input never arrived)."""
    event = context.instance.get_latest_materialization_event(dataset_key(dataset_id))
    rows = (
        event.asset_materialization.metadata.get("dagster/row_count") if event and event.asset_materialization else None
    )
    return rows is not None and rows.value == 0


def build_dashboard_asset(dashboard: Dashboard, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        key=dashboard_key(dashboard.id),
        deps=[dataset_key(ds) for ds in dashboard.datasets],
        group_name="quicksight",
        kinds={"quicksight"},
        pool=QUICKSIGHT_POOL,
        automation_condition=condition,
        description=f"QuickSight dashboard {dashboard.name!r}"
        + (f" from template {dashboard.template.path}." if dashboard.template else "."),
        code_version=dashboard.version,
    )
    def _dashboard(context: dg.AssetExecutionContext, quicksight: QuickSightResource) -> dg.MaterializeResult:
        client, account, region = quicksight.client(), quicksight.account_id, quicksight.region
        arns = {ds: arn(account, region, "dataset", ds) for ds in dashboard.datasets}
        described = {ds: _describe_data_set(client, account, ds) for ds in dashboard.datasets}
        absent = {
            ds
            for ds, d in described.items()
            if d is None or (ds in dashboard.optional_datasets and _reported_empty(context, ds))
        }
        present = {ds: d for ds, d in described.items() if ds not in absent}
        columns = {ds: _column_types(d) for ds, d in present.items()}
        geographic = {ds: _geographic_columns(d) for ds, d in present.items()}
        try:
            definition, pruned = build_definition(dashboard, arns, columns, absent=absent, geographic=geographic)
            request = dashboard_request(dashboard, account, definition)
            outcome = ensure_dashboard(
                client,
                account,
                region,
                request,
                permissions=permissions_for(quicksight.principals, DASHBOARD_OWNER_ACTIONS),
            )
        except DashboardError as error:
            raise dg.Failure(description=str(error)) from error
        for line in pruned.lines():
            context.log.info(f"dashboard {dashboard.id}: {line}")
        metadata = {
            "arn": outcome.arn,
            **Deployment(outcome.action, list(outcome.changes)).to_metadata(),
            "sheets": len(definition["Sheets"]),
            "visuals": sum(len(s.get("Visuals", [])) for s in definition["Sheets"]),
            "pruned": dg.MetadataValue.json(pruned.as_dict()),
        }
        if quicksight.local_store and quicksight.viewer_url:
            metadata["viewer"] = dg.MetadataValue.url(f"{quicksight.viewer_url}/dashboards/{dashboard.id}")
            # drawn by the viewer from the stored Definition (layout + visual types, no data): see viewer/thumbnail.py
            thumbnail = f"{quicksight.viewer_url}/dashboards/{dashboard.id}/thumbnail.svg"
            metadata["thumbnail"] = dg.MetadataValue.md(
                f"[![{dashboard.name}]({thumbnail})]({quicksight.viewer_url}/dashboards/{dashboard.id})"
            )
        else:
            metadata["console"] = dg.MetadataValue.url(
                f"https://{region}.quicksight.aws.amazon.com/sn/dashboards/{dashboard.id}"
            )
        return dg.MaterializeResult(metadata=metadata)

    return _dashboard
