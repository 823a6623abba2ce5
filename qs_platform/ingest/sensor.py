"""One landing sensor per source: new or changed files become runs of the raw asset, one partition each."""

import fnmatch
import json

import dagster as dg

from qs_platform.config.models import Source
from qs_platform.ingest.archives import is_archive
from qs_platform.ingest.partitions import partition_key_for
from qs_platform.lake import Lake, LakeObject
from qs_platform.resources import LakeResource

MAX_FILES_PER_TICK = 200  # bounds one tick's hashing work; the rest waits for the next tick
LANDING_KEY_TAG = "qs_platform/landing_key"
CONTENT_HASH_TAG = "qs_platform/content_hash"


def landing_sensor_name(source: Source) -> str:
    return f"landing_{source.name}"


def landed_files(lake: Lake, source: Source) -> list[LakeObject]:
    """Files matching the source's pattern, and zip archives (expanded into files that do)."""
    return [
        obj
        for obj in lake.list(source.landing_prefix)
        if fnmatch.fnmatch(obj.key.rsplit("/", 1)[-1], source.file_pattern) or is_archive(obj.key)
    ]


def evaluate_landing(lake: Lake, source: Source, cursor: str | None, *, max_files: int = MAX_FILES_PER_TICK):
    """(run requests, new partition keys, landing events, new cursor) for files new or changed since `cursor`.

    The cursor maps key -> cheap fingerprint, so unchanged files are not re-hashed. The run key is
    `key|md5(content)`: a changed file runs again, a touched-but-identical one does not (Dagster drops the
    repeated run key), and the original key travels in the run's tags.
    """
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    listing = landed_files(lake, source)
    present = {obj.key for obj in listing}
    changed = sorted((obj for obj in listing if seen.get(obj.key) != obj.etag), key=lambda o: (o.modified, o.key))
    next_seen = {key: etag for key, etag in seen.items() if key in present}  # deleted files are forgotten
    run_requests, partition_keys, events = [], [], []
    for obj in changed[:max_files]:
        try:
            digest = lake.content_hash(obj.key)
        except FileNotFoundError:  # deleted between listing and hashing
            continue
        partition = partition_key_for(obj.key.removeprefix(source.landing_prefix))
        run_requests.append(
            dg.RunRequest(
                run_key=f"{obj.key}|{digest}",
                partition_key=partition,
                tags={LANDING_KEY_TAG: obj.key, CONTENT_HASH_TAG: digest},
            )
        )
        partition_keys.append(partition)
        events.append(
            dg.AssetMaterialization(
                asset_key=["landing", source.name],
                partition=partition,
                metadata={"key": obj.key, "size_bytes": obj.size, "md5": digest},
            )
        )
        next_seen[obj.key] = obj.etag
    return run_requests, partition_keys, events, json.dumps(next_seen, sort_keys=True)


def build_landing_sensor(source: Source, raw_asset_key: dg.AssetKey, partitions_def: dg.DynamicPartitionsDefinition):
    @dg.sensor(
        name=landing_sensor_name(source),
        description=f"Watches {source.landing_prefix} for new or changed {source.file_pattern} files.",
        asset_selection=[raw_asset_key],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=10,
    )
    def _landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        runs, partitions, events, cursor = evaluate_landing(lake.get(), source, context.cursor)
        new_partitions = [p for p in dict.fromkeys(partitions) if not context.instance.has_dynamic_partition(partitions_def.name, p)]
        return dg.SensorResult(
            run_requests=runs,
            cursor=cursor,
            asset_events=events,
            dynamic_partitions_requests=[partitions_def.build_add_request(new_partitions)] if new_partitions else [],
        )

    return _landing_sensor
