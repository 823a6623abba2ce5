"""The QuickSight assets on the strict local backend: SPICE refresh decisions as Dagster sees them (metadata, the
non-blocking `spice_current` check), a failed dashboard version failing the asset, and the one-writer pool."""

from types import SimpleNamespace

import dagster as dg
import pytest
import yaml
from dagster_aws.s3 import S3Resource

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dashboard, Dataset
from qs_platform.local.quicksight import (
    LocalQuickSightBackend,
    local_quicksight_client,
)
from qs_platform.orchestration.catalog import catalog_asset_key
from qs_platform.orchestration.quicksight import (
    SPICE_CHECK,
    build_dashboard_asset,
    build_dataset_asset,
)
from qs_platform.orchestration.resources import CatalogResource, LakeResource, QuickSightResource
from qs_platform.project import build_definitions
from qs_platform.runtime.instance import prepare_dagster_home

ACCOUNT, REGION = "111122223333", "us-east-1"
TABLE = "processed.division_kpis"
COLUMNS = [("division", "VARCHAR"), ("requests", "BIGINT")]
VERSION_ERRORS = [
    {
        "Type": "DATA_SET_NOT_FOUND",
        "Message": "data set division_kpis was deleted",
        "ViolatedEntities": [{"Path": "DataSetIdentifierDeclarations[0]"}],
    }
]


class StaticCatalog(CatalogResource):
    """A catalog that knows one table, so the dataset asset runs without a lake."""

    def get(self, lake, config):
        return SimpleNamespace(describe=lambda name: CatalogTable(name, COLUMNS, 5), database=lambda layer: layer)


class StrictQuickSight(QuickSightResource):
    def raw_client(self):
        return local_quicksight_client(self.local_store, account_id=self.account_id, region=self.region, strict=True)


class FailingVersionsQuickSight(QuickSightResource):
    def raw_client(self):
        return local_quicksight_client(
            self.local_store, account_id=self.account_id, region=self.region, strict=True, version_errors=VERSION_ERRORS
        )


@dg.asset(key=catalog_asset_key(TABLE))
def catalog_entry() -> None:
    """Stands for the catalog asset: each materialization is new upstream data."""


@pytest.fixture
def store(tmp_path):
    return tmp_path / "qs.sqlite"


def resources(tmp_path, store, quicksight_class=StrictQuickSight, **options) -> dict:
    return {
        "lake": LakeResource(url=str(tmp_path / "lake"), s3=S3Resource()),
        "catalog": StaticCatalog(),
        "quicksight": quicksight_class(
            account_id=ACCOUNT, region=REGION, local_store=str(store), requests_per_second=1000, **options
        ),
    }


def materialization(result, key: dg.AssetKey) -> dict:
    events = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    found = next(m for m in events if m.asset_key == key)
    return {k: getattr(v, "value", v) for k, v in found.metadata.items()}


def mutating(store) -> list[str]:
    calls = LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION).call_log()
    return [c["operation"] for c in calls if c["mutating"] and not c["error"]]


def reset_log(store) -> None:
    LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION).reset_call_log()


def spice_asset(config):
    return build_dataset_asset(config.dataset("division_kpis"), config, None)


def test_dataset_asset_refreshes_spice_once_per_upstream_change(tmp_path, store, config, instance):
    dataset = spice_asset(config)
    first = dg.materialize([catalog_entry, dataset], resources=resources(tmp_path, store), instance=instance)
    assert materialization(first, dataset.key)["spice_refresh"] == "refreshed"
    reset_log(store)

    again = dg.materialize([dataset], resources=resources(tmp_path, store), instance=instance)

    metadata = materialization(again, dataset.key)
    assert (metadata["action"], metadata["spice_refresh"]) == ("unchanged", "unchanged")
    assert mutating(store) == [], "no new upstream data: no ingestion, no write at all"
    [check] = again.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == (SPICE_CHECK, True)

    newer = dg.materialize([catalog_entry, dataset], resources=resources(tmp_path, store), instance=instance)
    assert materialization(newer, dataset.key)["spice_refresh"] == "refreshed"
    assert mutating(store) == ["CreateIngestion", "TagResource"]


def test_spice_cap_exhausted_succeeds_with_a_warning_check_and_metadata(tmp_path, store, config, instance):
    dataset = spice_asset(config)
    dg.materialize([catalog_entry, dataset], resources=resources(tmp_path, store), instance=instance)
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION)
    for n in range(8):
        raw.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="division_kpis", IngestionId=f"by-hand-{n}")
    reset_log(store)

    result = dg.materialize(
        [catalog_entry, dataset], resources=resources(tmp_path, store, edition="STANDARD"), instance=instance
    )

    assert result.success
    metadata = materialization(result, dataset.key)
    assert (metadata["spice_refresh"], metadata["spice_refreshes_last_24h"], metadata["spice_daily_cap"]) == (
        "skipped_cap",
        8,
        8,
    )
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == SPICE_CHECK and not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "8 of 8 manual refreshes allowed in 24 h (STANDARD edition) already used" in check.description
    assert "CreateIngestion" not in mutating(store)


def test_direct_query_dataset_has_no_ingestion_and_no_spice_check(tmp_path, store, config, instance):
    spec = Dataset(id="division_kpis_live", table=TABLE, import_mode="DIRECT_QUERY")
    asset = build_dataset_asset(spec, config, None)
    assert not list(asset.check_specs)
    result = dg.materialize([asset], resources=resources(tmp_path, store), instance=instance)
    assert materialization(result, asset.key)["action"] == "created"
    assert mutating(store) == ["CreateDataSet"]


def test_failed_dashboard_version_fails_the_asset_with_its_errors(tmp_path, store, config, instance):
    dg.materialize([spice_asset(config)], resources=resources(tmp_path, store), instance=instance)
    dashboard = Dashboard.model_validate(
        {
            "id": "mini",
            "name": "Mini",
            "datasets": ["division_kpis"],
            "sheets": [
                {
                    "id": "main",
                    "title": "Main",
                    "visuals": [
                        {
                            "id": "kpi-requests",
                            "type": "kpi",
                            "title": "Requests",
                            "dataset": "division_kpis",
                            "values": [{"column": "requests"}],
                        },
                    ],
                }
            ],
        }
    )
    asset = build_dashboard_asset(dashboard, None)

    result = dg.materialize(
        [asset],
        resources=resources(tmp_path, store, FailingVersionsQuickSight),
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert description == (
        "dashboard mini version 1 CREATION_FAILED: DATA_SET_NOT_FOUND: data set division_kpis was deleted "
        "(at DataSetIdentifierDeclarations[0])"
    )


def test_every_quicksight_asset_writes_in_the_one_slot_quicksight_pool(settings, config, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(settings.dagster_home))  # prepare_dagster_home points the process at it
    defs = build_definitions(settings, config)
    quicksight_assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.key.path[0] == "quicksight"]
    assert len(quicksight_assets) == 1 + len(config.datasets) + len(config.dashboards)
    assert {a.op.pool for a in quicksight_assets} == {"quicksight"}
    dagster_yaml = yaml.safe_load((prepare_dagster_home(settings) / "dagster.yaml").read_text())
    assert dagster_yaml["concurrency"]["pools"]["default_limit"] == 1


def test_requests_per_second_comes_from_the_environment(tmp_path):
    from qs_platform.config.settings import Settings
    from qs_platform.orchestration.resources import resources_for

    settings = Settings.from_env({"QS_LAKE_URL": str(tmp_path), "QS_QUICKSIGHT_REQUESTS_PER_SECOND": "2.5"})
    assert resources_for(settings)["quicksight"].requests_per_second == 2.5
    with pytest.raises(ValueError, match="QS_QUICKSIGHT_REQUESTS_PER_SECOND: expected a positive number, got 'fast'"):
        Settings.from_env({"QS_LAKE_URL": str(tmp_path), "QS_QUICKSIGHT_REQUESTS_PER_SECOND": "fast"})
