"""Dagster resources: thin handles on the lake, the catalog, Athena, SQS and QuickSight, configured from Settings.

S3 clients come from dagster-aws's `S3Resource`, other AWS clients are configured the same way
(`ResourceWithBoto3Configuration`); the catalog is typed per target (`LocalCatalogResource`, `GlueCatalogResource`).
"""

from __future__ import annotations

import boto3
import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_aws.utils import ResourceWithBoto3Configuration

from qs_platform.catalog.athena import Athena
from qs_platform.catalog.base import Catalog
from qs_platform.catalog.local import LocalCatalog
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.lake import Lake, open_lake
from qs_platform.lake.s3 import botocore_max_attempts


def boto3_client(service: str, config: ResourceWithBoto3Configuration):
    """A client configured like dagster-aws's resources (region, endpoint, retries, profile); `max_attempts` is
    botocore's: the retries after the first try."""
    from botocore.config import Config

    session = boto3.session.Session(profile_name=config.profile_name)
    return session.client(
        service,
        region_name=config.region_name,
        endpoint_url=config.endpoint_url,
        use_ssl=config.use_ssl,
        verify=config.verify,
        config=Config(retries={"max_attempts": config.max_attempts, "mode": "standard"}),
    )


class LakeResource(dg.ConfigurableResource):
    """The data lake or the landing zone: a local folder, or S3 (clients from dagster-aws's S3Resource)."""

    url: str
    layer_urls: dict[str, str] = {}  # layers in buckets/prefixes of their own (aws profile)
    s3: S3Resource

    def get(self) -> Lake:
        def lake(url: str) -> Lake:
            return open_lake(url, s3_client=self.s3.get_client() if url.startswith("s3://") else None)

        if self.layer_urls:
            from qs_platform.lake.layered import LayeredLake

            return LayeredLake(lake(self.url), {layer: lake(url) for layer, url in self.layer_urls.items()})
        return lake(self.url)


class IngestResource(dg.ConfigurableResource):
    """How landed files are grouped into runs, and when a file that keeps killing its run is given up on."""

    max_files_per_run: int = 1000
    max_bytes_per_run: int = 2 << 30
    max_runs_in_flight: int = 4  # per source: queued or running raw runs the landing sensor leaves before it waits
    max_run_deaths: int = 3  # a file whose loading killed the run this many times is quarantined


class SqsResource(ResourceWithBoto3Configuration):
    """SQS, for landing sensors that drain S3 event notifications (configured like dagster-aws's resources)."""

    def client(self):
        return boto3_client("sqs", self)


class CatalogResource(dg.ConfigurableResource):
    """Where tables are registered for queries and QuickSight: `LocalCatalogResource` or `GlueCatalogResource`."""

    def get(self, lake: Lake, config: ProjectConfig) -> Catalog:
        raise NotImplementedError

    def athena(self) -> Athena | None:
        """The engine of `engine: athena` tables; None where there is no Athena (they run on DuckDB)."""
        return None


class LocalCatalogResource(CatalogResource):
    """The local profile's catalog: a DuckDB file with a view per table."""

    path: str

    def get(self, lake: Lake, config: ProjectConfig) -> Catalog:
        return LocalCatalog(self.path, lake, config)


class AthenaResource(dg.ConfigurableResource):
    """Athena for `engine: athena` tables and the catalog's queries (our own client: catalog/athena.py)."""

    region: str
    workgroup: str = "primary"
    output_location: str
    max_attempts: int = 5  # botocore's attempts per request (standard retry mode); QS_AWS_MAX_ATTEMPTS

    def get(self) -> Athena:
        return Athena(
            region=self.region,
            workgroup=self.workgroup,
            output_location=self.output_location,
            max_attempts=self.max_attempts,
        )


class GlueCatalogResource(CatalogResource):
    """The aws profile's catalog: a Glue database per layer, queried by Athena."""

    region: str
    databases: dict[str, str]
    partition_projection: bool = True
    max_attempts: int = 5  # botocore's attempts per Glue request (standard retry mode); QS_AWS_MAX_ATTEMPTS
    engine: AthenaResource

    def get(self, lake: Lake, config: ProjectConfig) -> Catalog:
        from qs_platform.catalog.glue import GlueCatalog, GlueTarget

        return GlueCatalog(
            lake, config, GlueTarget(self.region, dict(self.databases), self.partition_projection, self.max_attempts)
        )

    def athena(self) -> Athena:
        return self.engine.get()


class QuickSightResource(dg.ConfigurableResource):
    """A boto3 QuickSight client: the local backend when `local_store` is set, else AWS (adaptive retries).

    Every call goes through a token bucket shared by the account's clients in this process and is retried on
    ThrottlingException with jittered exponential backoff (quicksight/common.py ThrottledClient)."""

    account_id: str
    region: str
    local_store: str = ""
    viewer_url: str = ""
    requests_per_second: float = 5.0
    max_attempts: int = 8  # tries of a call answered ThrottlingException (QS_QUICKSIGHT_MAX_ATTEMPTS)
    edition: str = "ENTERPRISE"  # the SPICE refresh cap: 32 manual refreshes a day (ENTERPRISE) or 8 (STANDARD)
    principals: list[str] = []  # user/group ARNs granted the data source, datasets and dashboards
    athena_workgroup: str = "primary"  # the workgroup of the ATHENA data source

    def client(self):
        from qs_platform.quicksight.common import throttled

        return throttled(
            self.raw_client(),
            rate=self.requests_per_second,
            scope=f"{self.region}:{self.account_id}",
            attempts=self.max_attempts,
        )

    def raw_client(self):
        if self.local_store:
            from qs_platform.local.quicksight import local_quicksight_client

            return local_quicksight_client(self.local_store, region=self.region, account_id=self.account_id)
        import boto3
        from botocore.config import Config

        return boto3.client(
            "quicksight", region_name=self.region, config=Config(retries={"mode": "adaptive", "max_attempts": 10})
        )


def catalog_resource(settings: Settings) -> CatalogResource:
    aws = settings.aws
    if aws is None:
        return LocalCatalogResource(path=str(settings.catalog_path))
    engine = AthenaResource(
        region=aws.region,
        workgroup=aws.athena_workgroup,
        output_location=aws.athena_output + "/",
        max_attempts=settings.aws_max_attempts,
    )
    return GlueCatalogResource(
        region=aws.region,
        databases=dict(aws.glue_databases),
        partition_projection=aws.partition_projection,
        max_attempts=settings.aws_max_attempts,
        engine=engine,
    )


def _pull_resource(settings: Settings):
    from qs_platform.orchestration.pulls import PullResource

    return PullResource(secrets_region=settings.aws_region)


def resources_for(settings: Settings) -> dict:
    # the one place S3 clients are configured: botocore's standard retries, QS_AWS_MAX_ATTEMPTS tries per request in all
    retries = botocore_max_attempts(settings.aws_max_attempts)
    s3 = S3Resource(region_name=settings.aws_region, max_attempts=retries)
    return {
        "lake": LakeResource(url=settings.lake_url, layer_urls=settings.aws.layer_urls if settings.aws else {}, s3=s3),
        "landing": LakeResource(url=settings.landing_url, s3=s3),
        "sqs": SqsResource(region_name=settings.aws_region, max_attempts=retries),
        "ingest": IngestResource(max_run_deaths=settings.max_run_deaths),
        "pull": _pull_resource(settings),
        "catalog": catalog_resource(settings),
        "quicksight": QuickSightResource(
            account_id=settings.aws_account_id,
            region=settings.aws_region,
            local_store=str(settings.quicksight_store) if settings.local_quicksight else "",
            viewer_url=settings.viewer_url,
            requests_per_second=settings.quicksight_requests_per_second,
            max_attempts=settings.quicksight_max_attempts,
            edition=settings.aws.quicksight_edition if settings.aws else "ENTERPRISE",
            principals=list(settings.aws.quicksight_principals) if settings.aws else [],
            athena_workgroup=settings.aws.athena_workgroup if settings.aws else "primary",
        ),
    }
