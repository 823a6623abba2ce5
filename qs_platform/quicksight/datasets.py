"""QuickSight data source and datasets over catalog tables, created or updated idempotently.

The same calls go to AWS or to the local backend. Each resource carries a tag with a hash of what we asked
for; when the hash matches, nothing is sent but reads (AWS normalises what it returns, so comparing the
described resource field by field would update forever).
"""

from __future__ import annotations

import time

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dataset
from qs_platform.quicksight.common import Outcome, arn, exists, is_current, managed_tags

DATA_SOURCE_ID = "qs-platform-lake"

# DuckDB type (prefix) -> QuickSight InputColumn type
INPUT_COLUMN_TYPES = [
    ("DECIMAL", "DECIMAL"),
    ("DOUBLE", "DECIMAL"),
    ("FLOAT", "DECIMAL"),
    ("REAL", "DECIMAL"),
    ("HUGEINT", "DECIMAL"),
    ("BIGINT", "INTEGER"),
    ("INTEGER", "INTEGER"),
    ("SMALLINT", "INTEGER"),
    ("TINYINT", "INTEGER"),
    ("UBIGINT", "DECIMAL"),
    ("UINTEGER", "INTEGER"),
    ("TIMESTAMP", "DATETIME"),
    ("DATE", "DATETIME"),
    ("BOOLEAN", "BOOLEAN"),
]


def quicksight_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    return next((qs for prefix, qs in INPUT_COLUMN_TYPES if upper.startswith(prefix)), "STRING")


def _ensure(client, resource_arn: str, request: dict, *, kind: str, id_param: str, update_request: dict) -> Outcome:
    """Create when missing, leave alone when the recorded spec hash matches, else update and re-tag."""
    account_id = resource_arn.split(":")[4]
    describe, create, update = (getattr(client, f"{verb}_{kind}") for verb in ("describe", "create", "update"))
    if not exists(describe, AwsAccountId=account_id, **{id_param: request[id_param]}):
        create(AwsAccountId=account_id, Tags=managed_tags(request), **request)
        return Outcome(resource_arn, "created")
    if is_current(client, resource_arn, request):
        return Outcome(resource_arn, "unchanged")
    update(AwsAccountId=account_id, **update_request)
    client.tag_resource(ResourceArn=resource_arn, Tags=managed_tags(request))
    return Outcome(resource_arn, "updated")


def ensure_data_source(client, account_id: str, region: str, *, workgroup: str = "primary") -> Outcome:
    """An ATHENA data source over the catalog (QuickSight reads Parquet only through Athena)."""
    request = {
        "DataSourceId": DATA_SOURCE_ID,
        "Name": "qs-platform lake",
        "Type": "ATHENA",
        "DataSourceParameters": {"AthenaParameters": {"WorkGroup": workgroup}},
    }
    update_request = {k: v for k, v in request.items() if k != "Type"}  # UpdateDataSource takes no Type
    resource_arn = arn(account_id, region, "datasource", DATA_SOURCE_ID)
    return _ensure(client, resource_arn, request, kind="data_source", id_param="DataSourceId", update_request=update_request)


def dataset_request(dataset: Dataset, table: CatalogTable, data_source_arn: str) -> dict:
    layer, name = dataset.table.split(".", 1)
    columns = [{"Name": column, "Type": quicksight_type(type_)} for column, type_ in table.columns]
    return {
        "DataSetId": dataset.id,
        "Name": dataset.display_name,
        "ImportMode": dataset.import_mode,
        "PhysicalTableMap": {
            "table": {
                "RelationalTable": {
                    "DataSourceArn": data_source_arn,
                    "Catalog": "AwsDataCatalog",
                    "Schema": layer,
                    "Name": name,
                    "InputColumns": columns,
                }
            }
        },
    }


def ensure_dataset(client, account_id: str, region: str, request: dict) -> Outcome:
    resource_arn = arn(account_id, region, "dataset", request["DataSetId"])
    return _ensure(client, resource_arn, request, kind="data_set", id_param="DataSetId", update_request=request)


def refresh_spice(client, account_id: str, dataset_id: str, ingestion_id: str, *, timeout: float = 600) -> dict:
    """Start a SPICE ingestion and wait for it; returns the final Ingestion description."""
    client.create_ingestion(AwsAccountId=account_id, DataSetId=dataset_id, IngestionId=ingestion_id)
    deadline, delay = time.monotonic() + timeout, 0.2
    while True:
        ingestion = client.describe_ingestion(AwsAccountId=account_id, DataSetId=dataset_id, IngestionId=ingestion_id)["Ingestion"]
        if ingestion["IngestionStatus"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return ingestion
        if time.monotonic() > deadline:
            raise TimeoutError(f"SPICE ingestion {ingestion_id} of dataset {dataset_id} still {ingestion['IngestionStatus']} after {timeout}s")
        time.sleep(delay)
        delay = min(delay * 2, 10)
