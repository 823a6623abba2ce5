"""Dagster resources: thin handles on the lake, the catalog and QuickSight, configured from Settings."""

from __future__ import annotations

import dagster as dg

from qs_platform.catalog.base import Catalog
from qs_platform.catalog.local import LocalCatalog
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.lake import Lake, open_lake


class LakeResource(dg.ConfigurableResource):
    """The data lake (a local folder, later s3://)."""

    url: str

    def get(self) -> Lake:
        return open_lake(self.url)


class SqsResource(dg.ConfigurableResource):
    """SQS, for landing sensors that drain S3 event notifications (endpoint from the standard AWS settings)."""

    region: str

    def client(self):
        import boto3

        return boto3.client("sqs", region_name=self.region)


class CatalogResource(dg.ConfigurableResource):
    """Where tables are registered for queries: a DuckDB file locally."""

    path: str

    def get(self, lake: Lake, config: ProjectConfig) -> Catalog:
        return LocalCatalog(self.path, lake, config)


class QuickSightResource(dg.ConfigurableResource):
    """A boto3 QuickSight client: the local backend when `local_store` is set, else AWS."""

    account_id: str
    region: str
    local_store: str = ""
    viewer_url: str = ""

    def client(self):
        if self.local_store:
            from qs_platform.quicksight.local_backend import local_quicksight_client

            return local_quicksight_client(self.local_store, region=self.region, account_id=self.account_id)
        import boto3
        from botocore.config import Config

        return boto3.client("quicksight", region_name=self.region, config=Config(retries={"mode": "adaptive", "max_attempts": 10}))


def resources_for(settings: Settings) -> dict:
    return {
        "lake": LakeResource(url=settings.lake_url),
        "landing": LakeResource(url=settings.landing_url),
        "sqs": SqsResource(region=settings.aws_region),
        "catalog": CatalogResource(path=str(settings.catalog_path)),
        "quicksight": QuickSightResource(
            account_id=settings.aws_account_id, region=settings.aws_region, local_store=str(settings.quicksight_store),
            viewer_url=settings.viewer_url,
        ),
    }
