"""The Dagster side of pull sources: one asset per pull source in the landing group, materialized by its schedule.

The asset is the source's landing asset (`landing/<source>`): a run pulls every page after the watermark and lands
one file, which the landing sensor then hands to the raw asset like any dropped file. The watermark lives in
Dagster's own storage: the `watermark` (and `watermark_ids`, `landed_key`) metadata of the asset's latest
materialization, which Dagster records only after the step returned, that is after the file was published.
"""

import dagster as dg

from qs_platform.config.acquisition import Schedule
from qs_platform.config.models import Source
from qs_platform.orchestration.raw import landing_asset_key
from qs_platform.orchestration.resources import LakeResource
from qs_platform.pull.credentials import http_client, read_secret
from qs_platform.pull.puller import PullState, run_pull

WATERMARK = "watermark"
WATERMARK_IDS = "watermark_ids"
LANDED_KEY = "landed_key"
PULL_TAG = "qs_platform/pull"


class PullResource(dg.ConfigurableResource):
    """How pulls wait and where secrets come from (every API's own settings are in its source's `pull:`)."""

    max_wait_seconds: float = 60.0  # the longest single wait, whatever Retry-After asks
    initial_backoff_seconds: float = 0.5  # first wait of the exponential backoff when there is no Retry-After
    secrets_region: str = ""  # AWS Secrets Manager region (default: AWS_REGION)


def stored_state(instance: dg.DagsterInstance, key: dg.AssetKey) -> PullState:
    """The watermark of the newest materialization that has one (the pull's own, never a runless event)."""
    records = instance.fetch_materializations(key, limit=25).records
    for record in records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        if WATERMARK in metadata:
            values = {name: getattr(entry, "value", entry) for name, entry in metadata.items()}
            watermark = values[WATERMARK]
            return PullState(
                str(watermark) if watermark not in (None, "") else None,
                tuple(values.get(WATERMARK_IDS) or ()),
                values.get(LANDED_KEY) or None,
            )
    return PullState()


def default_running(schedule: Schedule, needs_clock: bool) -> dg.DefaultScheduleStatus:
    status = schedule.default_status or ("running" if needs_clock else "stopped")
    return dg.DefaultScheduleStatus.RUNNING if status == "running" else dg.DefaultScheduleStatus.STOPPED


def pull_job_name(source: Source) -> str:
    return f"pull_{source.name}"


def build_pull_asset(source: Source) -> dg.AssetsDefinition:
    spec = source.pull
    key = landing_asset_key(source)

    @dg.asset(
        key=key,
        group_name="landing",
        kinds={"http", "json"},
        pool=f"pull_{source.name}",  # one pull of a source at a time (pools default to 1 slot)
        description=f"Pulls {spec.url} page by page ({spec.pagination.kind} pagination) after the stored watermark "
        f"and lands one JSON Lines file under {source.landing_prefix}; the landing sensor takes it from there.",
        metadata={
            "landing_prefix": source.landing_prefix,
            "url": spec.url,
            "schedule": spec.schedule.cron,
            "watermark_field": spec.watermark.field if spec.watermark else "none",
        },
        op_tags={PULL_TAG: source.name},
    )
    def _pull(context: dg.AssetExecutionContext, landing: LakeResource, pull: PullResource) -> dg.MaterializeResult:
        state = stored_state(context.instance, key)
        secret = read_secret(spec.credentials, region=pull.secrets_region or None) if spec.credentials else None
        client = http_client(
            spec,
            secret,
            on_retry=context.log.warning,
            max_wait_seconds=pull.max_wait_seconds,
            initial_backoff=pull.initial_backoff_seconds,
        )
        context.log.info(f"{source.name}: pulling after watermark {state.watermark or '(none: full load)'}")
        try:
            outcome = run_pull(
                spec, landing.get(), source.landing_prefix, state, client, label=source.name, log=context.log.info
            )
        finally:
            client.close()
        landed = (
            f"landed {outcome.key}"
            if outcome.written
            else f"{outcome.key} already landed"
            if outcome.key
            else "nothing new to land"
        )
        context.log.info(
            f"{source.name}: {outcome.pulled} records in {outcome.pages} pages ({outcome.retries} retries), "
            f"{outcome.skipped} already landed; {landed}; watermark {outcome.state.watermark}"
        )
        return dg.MaterializeResult(
            metadata={
                "records": outcome.pulled,
                "records_landed": outcome.landed,
                "records_already_landed": outcome.skipped,
                "pages": outcome.pages,
                "retries": outcome.retries,
                "seconds": round(outcome.seconds, 3),
                "previous_watermark": outcome.start or "",
                WATERMARK: outcome.state.watermark or "",
                WATERMARK_IDS: dg.MetadataValue.json(list(outcome.state.seen)),
                LANDED_KEY: outcome.state.landed_key or "",
                "adopted_key": outcome.adopted or "",
            }
        )

    return _pull


def build_pull_schedule(source: Source) -> dg.ScheduleDefinition:
    schedule = source.pull.schedule
    job = dg.define_asset_job(
        pull_job_name(source),
        selection=[landing_asset_key(source)],
        tags={PULL_TAG: source.name},
        description=f"Pull {source.name} from its API into {source.landing_prefix}.",
    )
    return dg.ScheduleDefinition(
        name=f"{pull_job_name(source)}_schedule",
        job=job,
        cron_schedule=schedule.cron,
        execution_timezone=schedule.timezone,
        default_status=default_running(schedule, needs_clock=True),
        description=f"Pulls {source.name} ({schedule.cron}, {schedule.timezone}); the source has no other way in.",
    )
