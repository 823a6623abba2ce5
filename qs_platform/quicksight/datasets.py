"""QuickSight data source and datasets over catalog tables, created or updated idempotently, and SPICE refreshes.

The same calls go to AWS or to the local backend. Idempotency is describe-and-compare: the described resource
is compared with what we would send (only the keys we send: AWS adds defaults and generated parts of its own),
and an update goes out only when something differs; permissions and tags likewise. No spec-hash tag here:
datasets and data sources come back from Describe* as they were sent, so the comparison is exact and also
catches a change made by hand in the console.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dataset
from qs_platform.quicksight.common import (
    MANAGED_BY,
    Outcome,
    arn,
    describe_or_none,
    differences,
    ensure_permissions,
    ensure_tags,
    error_code,
    permissions_for,
    poll,
    tag_value,
)

DATA_SOURCE_ID = "qs-platform-lake"
DATA_VERSION_TAG = "qs-platform:data-version"  # the upstream data version the SPICE copy was last refreshed from

DATA_SOURCE_OWNER_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
)
DATASET_OWNER_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)

# Manual SPICE refreshes (CreateIngestion) allowed per dataset in 24 hours, by QuickSight edition.
SPICE_DAILY_CAP = {"ENTERPRISE": 32, "STANDARD": 8}
MANUAL_REFRESH_TYPES = (
    "FULL_REFRESH",
    "INCREMENTAL_REFRESH",
)  # what CreateIngestion starts; INITIAL_INGESTION/EDIT come with create/update

# DuckDB / Glue type (prefix) -> QuickSight InputColumn type; the first matching prefix wins.
INPUT_COLUMN_TYPES = [
    ("DECIMAL", "DECIMAL"),
    ("DOUBLE", "DECIMAL"),
    ("FLOAT", "DECIMAL"),
    ("REAL", "DECIMAL"),
    ("HUGEINT", "DECIMAL"),
    ("BIGINT", "INTEGER"),
    ("INTEGER", "INTEGER"),
    ("INTERVAL", "STRING"),
    ("INT", "INTEGER"),  # Glue's int
    ("SMALLINT", "INTEGER"),
    ("TINYINT", "INTEGER"),
    ("UBIGINT", "DECIMAL"),
    ("UINTEGER", "INTEGER"),
    ("TIMESTAMP", "DATETIME"),
    ("DATE", "DATETIME"),
    ("BOOLEAN", "BOOLEAN"),
]


def quicksight_type(catalog_type: str) -> str:
    upper = catalog_type.upper()
    return next((qs for prefix, qs in INPUT_COLUMN_TYPES if upper.startswith(prefix)), "STRING")


def _ensure(
    client,
    *,
    kind: str,
    ident: dict,
    resource_arn: str,
    desired: dict,
    create_only: dict,
    described_key: str,
    permissions: list[dict],
) -> Outcome:
    """Create when missing; else update only the parts that differ (spec, permissions, ManagedBy tag)."""
    account = {"AwsAccountId": resource_arn.split(":")[4]}
    describe, create, update = (getattr(client, f"{verb}_{kind}") for verb in ("describe", "create", "update"))
    current = describe_or_none(describe, **account, **ident)
    if current is None:
        extra = {"Permissions": permissions} if permissions else {}
        try:
            response = create(**account, **ident, **create_only, **desired, **extra, Tags=[MANAGED_BY])
            return Outcome(resource_arn, "created", ("created",), response)
        except Exception as error:
            if error_code(error) != "ResourceExistsException":
                raise
            # created meanwhile by a concurrent deployment: compared and updated like any existing one
            current = describe(**account, **ident)
    changes, response = differences(desired, current[described_key]), {}
    if changes:
        response = update(**account, **ident, **desired)
    describe_permissions, update_permissions = (
        getattr(client, f"{verb}_{kind}_permissions") for verb in ("describe", "update")
    )
    if ensure_permissions(describe_permissions, update_permissions, permissions, **account, **ident):
        changes.append("Permissions")
    if ensure_tags(client, resource_arn, [MANAGED_BY]):
        changes.append("Tags")
    return Outcome(resource_arn, "updated" if changes else "unchanged", tuple(changes), response)


class DataSourceFailed(RuntimeError):
    """Creating or updating the data source failed (e.g. no such Athena workgroup); the message holds its ErrorInfo."""


def ensure_data_source(
    client,
    account_id: str,
    region: str,
    *,
    workgroup: str = "primary",
    principals: tuple[str, ...] = (),
    timeout: float = 300,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """An ATHENA data source over the catalog (QuickSight reads Parquet only through Athena); after a create or
    update, polled until QuickSight has finished with it."""
    desired = {"Name": "qs-platform lake", "DataSourceParameters": {"AthenaParameters": {"WorkGroup": workgroup}}}
    outcome = _ensure(
        client,
        kind="data_source",
        ident={"DataSourceId": DATA_SOURCE_ID},
        resource_arn=arn(account_id, region, "datasource", DATA_SOURCE_ID),
        desired=desired,
        create_only={"Type": "ATHENA"},
        described_key="DataSource",
        permissions=permissions_for(principals, DATA_SOURCE_OWNER_ACTIONS),
    )
    if outcome.response:
        described = poll(
            lambda: client.describe_data_source(AwsAccountId=account_id, DataSourceId=DATA_SOURCE_ID)["DataSource"],
            lambda d: not d["Status"].endswith("IN_PROGRESS"),
            what=f"data source {DATA_SOURCE_ID}",
            timeout=timeout,
            sleep=sleep,
        )
        if described["Status"].endswith("FAILED"):
            error = described.get("ErrorInfo", {})
            raise DataSourceFailed(
                f"data source {DATA_SOURCE_ID} (ATHENA, workgroup {workgroup!r}) {described['Status']}: "
                f"{error.get('Type', 'no error type')}: {error.get('Message', 'no error message')}"
            )
    return outcome


def dataset_request(
    dataset: Dataset, table: CatalogTable, data_source_arn: str, *, database: str | None = None
) -> dict:
    """DataSetId, Name, ImportMode and PhysicalTableMap: a RelationalTable over the catalog table, or CustomSql
    (Athena SQL) when the dataset config has `sql`. Input columns are typed from the catalog schema of `table`;
    `database` is the Glue database holding it (default: the layer's name)."""
    columns = [{"Name": column, "Type": quicksight_type(type_)} for column, type_ in table.columns]
    if dataset.sql:
        physical = {
            "CustomSql": {
                "DataSourceArn": data_source_arn,
                "Name": dataset.id,
                "SqlQuery": dataset.sql,
                "Columns": columns,
            }
        }
    else:
        layer, name = dataset.table.split(".", 1)
        physical = {
            "RelationalTable": {
                "DataSourceArn": data_source_arn,
                "Catalog": "AwsDataCatalog",
                "Schema": database or layer,
                "Name": name,
                "InputColumns": columns,
            }
        }
    return {
        "DataSetId": dataset.id,
        "Name": dataset.display_name,
        "ImportMode": dataset.import_mode,
        "PhysicalTableMap": {"table": physical},
    }


def ensure_dataset(client, account_id: str, region: str, request: dict, *, principals: tuple[str, ...] = ()) -> Outcome:
    """Create or update; `Outcome.response` holds the IngestionId AWS starts itself on create/update of a SPICE dataset."""
    desired = {k: v for k, v in request.items() if k not in ("DataSetId", "AwsAccountId")}
    return _ensure(
        client,
        kind="data_set",
        ident={"DataSetId": request["DataSetId"]},
        resource_arn=arn(account_id, region, "dataset", request["DataSetId"]),
        desired=desired,
        create_only={},
        described_key="DataSet",
        permissions=permissions_for(principals, DATASET_OWNER_ACTIONS),
    )


# ---- SPICE --------------------------------------------------------------------------------------------------


class SpiceRefreshFailed(RuntimeError):
    """An ingestion ended FAILED or CANCELLED; the message spells out its ErrorInfo."""


@dataclass(frozen=True)
class SpiceRefresh:
    status: str  # "refreshed" | "unchanged" | "skipped_cap"
    message: str
    ingestion: dict | None = None
    refreshes_last_24h: int | None = None
    cap: int | None = None

    @property
    def row_info(self) -> dict:
        return (self.ingestion or {}).get("RowInfo", {})


def refreshes_in_last_day(client, account_id: str, dataset_id: str, now: datetime) -> int:
    """CreateIngestion calls of the last 24 h for a dataset, as ListIngestions reports them."""
    since, count, token = now - timedelta(hours=24), 0, None
    while True:
        page = client.list_ingestions(
            AwsAccountId=account_id, DataSetId=dataset_id, **({"NextToken": token} if token else {})
        )
        for ingestion in page.get("Ingestions", []):
            manual = (
                ingestion.get("RequestSource", "MANUAL") == "MANUAL"
                and ingestion.get("RequestType") in MANUAL_REFRESH_TYPES
            )
            if manual and ingestion["CreatedTime"] >= since:
                count += 1
        token = page.get("NextToken")
        if not token:
            return count


def wait_for_ingestion(
    client,
    account_id: str,
    dataset_id: str,
    ingestion_id: str,
    *,
    timeout: float = 1800,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll an ingestion to COMPLETED; SpiceRefreshFailed with its ErrorInfo when it fails or is cancelled."""
    ingestion = poll(
        lambda: client.describe_ingestion(AwsAccountId=account_id, DataSetId=dataset_id, IngestionId=ingestion_id)[
            "Ingestion"
        ],
        lambda i: i["IngestionStatus"] in ("COMPLETED", "FAILED", "CANCELLED"),
        what=f"SPICE ingestion {ingestion_id} of dataset {dataset_id}",
        timeout=timeout,
        sleep=sleep,
    )
    if ingestion["IngestionStatus"] != "COMPLETED":
        error = ingestion.get("ErrorInfo", {})
        raise SpiceRefreshFailed(
            f"SPICE ingestion {ingestion_id} of dataset {dataset_id} {ingestion['IngestionStatus']}: "
            f"{error.get('Type', 'no error type')}: {error.get('Message', 'no error message')}"
        )
    return ingestion


def refresh_spice(
    client,
    account_id: str,
    region: str,
    dataset_id: str,
    *,
    data_version: str,
    edition: str = "ENTERPRISE",
    started_ingestion: str | None = None,
    now: datetime | None = None,
    timeout: float = 1800,
    sleep: Callable[[float], None] = time.sleep,
) -> SpiceRefresh:
    """Bring the SPICE copy to `data_version` (a fingerprint of the upstream data), at most once per version.

    - `started_ingestion`: the ingestion AWS started itself because the dataset was just created or updated;
      it is awaited instead of starting another.
    - the version already ingested (tag on the dataset) -> nothing is sent.
    - the daily cap of manual refreshes used up -> a skip with the reason; the tag stays old, so the next run retries.
    """
    resource_arn = arn(account_id, region, "dataset", dataset_id)
    tags = client.list_tags_for_resource(ResourceArn=resource_arn).get("Tags", [])
    if started_ingestion is None and tag_value(tags, DATA_VERSION_TAG) == data_version:
        return SpiceRefresh(
            "unchanged", f"SPICE copy of {dataset_id} is already at data version {data_version}: no ingestion"
        )
    used = cap = None
    if started_ingestion is None:
        cap = SPICE_DAILY_CAP.get(edition.upper(), SPICE_DAILY_CAP["STANDARD"])
        used = refreshes_in_last_day(client, account_id, dataset_id, now or datetime.now(UTC))
        if used >= cap:
            return SpiceRefresh(
                "skipped_cap",
                f"SPICE refresh of dataset {dataset_id} skipped: {used} of {cap} manual refreshes allowed in 24 h "
                f"({edition.upper()} edition) already used; the dataset keeps its previous data until a later run",
                refreshes_last_24h=used,
                cap=cap,
            )
        started_ingestion = f"qs-platform-{uuid.uuid4().hex}"
        client.create_ingestion(
            AwsAccountId=account_id, DataSetId=dataset_id, IngestionId=started_ingestion, IngestionType="FULL_REFRESH"
        )
        used += 1
    ingestion = wait_for_ingestion(client, account_id, dataset_id, started_ingestion, timeout=timeout, sleep=sleep)
    client.tag_resource(ResourceArn=resource_arn, Tags=[{"Key": DATA_VERSION_TAG, "Value": data_version}])
    return SpiceRefresh(
        "refreshed", f"SPICE copy of {dataset_id} refreshed to data version {data_version}", ingestion, used, cap
    )
