"""Shared by the QuickSight tests: a strict local QuickSight client behind the throttling wrapper, the catalog columns
of two shipped datasets, and `deploy`, which does what the data source, dataset and dashboard assets do, in order."""

import pytest

from qs_platform.catalog.base import CatalogTable
from qs_platform.local.quicksight import (
    LocalQuickSightBackend,
    local_quicksight_client,
)
from qs_platform.quicksight.common import (
    ThrottledClient,
    TokenBucket,
    arn,
    permissions_for,
)
from qs_platform.quicksight.dashboards import (
    DASHBOARD_OWNER_ACTIONS,
    ensure_dashboard,
)
from qs_platform.quicksight.datasets import (
    DATA_SOURCE_ID,
    dataset_request,
    ensure_data_source,
    ensure_dataset,
    refresh_spice,
)

ACCOUNT, REGION = "111122223333", "us-east-1"
ANALYST = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:user/default/analyst"
VIEWERS = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:group/default/viewers"
SOURCE_ARN = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)
CATALOG_COLUMNS = {  # DuckDB types, as the catalog reports them
    "service_requests": [
        ("id", "BIGINT"),
        ("start_date", "DATE"),
        ("division", "VARCHAR"),
        ("service_result", "VARCHAR"),
        ("ward_id", "BIGINT"),
        ("estimated_cost", "DOUBLE"),
        ("business_days_to_completion", "BIGINT"),
    ],
    "division_kpis": [("division", "VARCHAR"), ("requests", "BIGINT"), ("total_estimated_cost", "DECIMAL(18,2)")],
}
MUTATING_INGESTION = "CreateIngestion"


def no_sleep(_seconds: float) -> None:
    pass


def small_dashboard_request(name: str = "Service requests by division") -> dict:
    """A small Definition over both datasets (compiling specs is tested elsewhere; this file tests deploying)."""
    measure = {
        "NumericalMeasureField": {
            "FieldId": "kpi.requests",
            "Column": {"DataSetIdentifier": "division_kpis", "ColumnName": "requests"},
            "AggregationFunction": {"SimpleNumericalAggregation": "SUM"},
        }
    }
    definition = {
        "DataSetIdentifierDeclarations": [
            {"Identifier": ds, "DataSetArn": arn(ACCOUNT, REGION, "dataset", ds)} for ds in CATALOG_COLUMNS
        ],
        "Sheets": [
            {
                "SheetId": "overview",
                "Name": "Overview",
                "Visuals": [
                    {
                        "KPIVisual": {
                            "VisualId": "kpi-requests",
                            "ChartConfiguration": {"FieldWells": {"Values": [measure]}},
                        }
                    }
                ],
            }
        ],
    }
    return {"AwsAccountId": ACCOUNT, "DashboardId": "service-division", "Name": name, "Definition": definition}


def qs_client(store, **backend_options):
    """A strict local QuickSight client behind the throttling wrapper (a generous bucket, retries without waiting)."""
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, **backend_options)
    return ThrottledClient(raw, TokenBucket(10_000), sleep=no_sleep)


def log_of(store) -> LocalQuickSightBackend:
    return LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION)


def mutating(store) -> list[str]:
    return [c["operation"] for c in log_of(store).call_log() if c["mutating"] and not c["error"]]


def deploy(client, config, *, principals=(), data_version="v1", edition="ENTERPRISE") -> dict:
    """What the data source, dataset and dashboard assets do, in order."""
    outcomes = {"data_source": ensure_data_source(client, ACCOUNT, REGION, principals=principals, sleep=no_sleep)}
    for dataset in [config.dataset(ds) for ds in CATALOG_COLUMNS]:
        table = CatalogTable(dataset.table, CATALOG_COLUMNS[dataset.id], 10)
        outcome = ensure_dataset(
            client, ACCOUNT, REGION, dataset_request(dataset, table, SOURCE_ARN), principals=principals
        )
        outcomes[dataset.id] = outcome
        outcomes[f"{dataset.id}/spice"] = refresh_spice(
            client,
            ACCOUNT,
            REGION,
            dataset.id,
            data_version=data_version,
            edition=edition,
            started_ingestion=outcome.response.get("IngestionId"),
            sleep=no_sleep,
        )
    outcomes["dashboard"] = ensure_dashboard(
        client,
        ACCOUNT,
        REGION,
        small_dashboard_request(),
        permissions=permissions_for(principals, DASHBOARD_OWNER_ACTIONS),
        sleep=no_sleep,
    )
    return outcomes


def actions(outcomes: dict) -> dict:
    return {name: getattr(o, "action", None) or o.status for name, o in outcomes.items()}


@pytest.fixture
def store(tmp_path):
    return tmp_path / "qs.sqlite"


def arns(dashboard) -> dict[str, str]:
    """The ARN of each dataset a dashboard spec declares."""
    return {ds: arn(ACCOUNT, REGION, "dataset", ds) for ds in dashboard.datasets}
