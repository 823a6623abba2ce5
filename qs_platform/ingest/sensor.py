"""One landing sensor per source: new or changed files become runs of the raw asset, one partition each."""

import fnmatch
import json
import time

import dagster as dg

from qs_platform.config.models import Source
from qs_platform.ingest.archives import is_archive
from qs_platform.ingest.partitions import partition_key_for
from qs_platform.lake import Lake, LakeObject
from qs_platform.resources import LakeResource, SqsResource

MAX_FILES_PER_TICK = 200  # bounds one tick's hashing work; the rest waits for the next tick
LANDING_KEY_TAG = "qs_platform/landing_key"
CONTENT_HASH_TAG = "qs_platform/content_hash"


def landing_sensor_name(source: Source) -> str:
    return f"landing_{source.name}"


def wanted(source: Source, key: str) -> bool:
    """Files matching the source's pattern, and zip archives (expanded into files that do)."""
    return key.startswith(source.landing_prefix) and (fnmatch.fnmatch(key.rsplit("/", 1)[-1], source.file_pattern) or is_archive(key))


# ---- finding candidates: each mode returns (objects to look at, the cursor state to keep) ----------------------


def _full(lake: Lake, source: Source, state: dict, now: float) -> tuple[list[LakeObject], dict]:
    """Everything under the prefix; `seen` maps key -> fingerprint, deleted keys drop out."""
    listing = [obj for obj in lake.list(source.landing_prefix) if wanted(source, obj.key)]
    present = {obj.key for obj in listing}
    seen = {key: etag for key, etag in state.get("seen", {}).items() if key in present}
    return [obj for obj in listing if seen.get(obj.key) != obj.etag], {"seen": seen}


def _start_after(lake: Lake, source: Source, state: dict, now: float) -> tuple[list[LakeObject], dict]:
    """Keys after a watermark; keys first seen within the look-back window are remembered with their etag."""
    after = state.get("after")
    recent = state.get("recent", {})  # key -> [etag, first seen epoch]
    expired = [key for key, (_, first_seen) in recent.items() if now - first_seen > source.listing.lookback_seconds]
    if expired:
        after = max([after or "", *expired])
    recent = {key: value for key, value in recent.items() if key > (after or "")}
    listing = [obj for obj in lake.list(source.landing_prefix, start_after=after) if wanted(source, obj.key)]
    return [obj for obj in listing if recent.get(obj.key, [None])[0] != obj.etag], {"after": after, "recent": recent}


def _remember(mode: str, state: dict, obj: LakeObject, now: float) -> None:
    if mode == "full":
        state["seen"][obj.key] = obj.etag
    else:
        state["recent"][obj.key] = [obj.etag, now]


def run_request(source: Source, key: str, digest: str) -> tuple[dg.RunRequest, str]:
    partition = partition_key_for(key.removeprefix(source.landing_prefix))
    request = dg.RunRequest(
        run_key=f"{key}|{digest}", partition_key=partition, tags={LANDING_KEY_TAG: key, CONTENT_HASH_TAG: digest}
    )
    return request, partition


def landing_event(source: Source, partition: str, key: str, size: int | None, digest: str) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(
        asset_key=["landing", source.name], partition=partition, metadata={"key": key, "size_bytes": size or 0, "md5": digest}
    )


def evaluate_landing(lake: Lake, source: Source, cursor: str | None, *, max_files: int = MAX_FILES_PER_TICK, now: float | None = None):
    """(run requests, partition keys, landing events, new cursor) for files new or changed since `cursor`.

    The run key is `key|md5(content)`: a changed file runs again, the same content delivered again does not
    (Dagster drops a repeated run key), and the original key travels in the run's tags.
    """
    now = time.time() if now is None else now
    mode = source.listing.mode
    state = json.loads(cursor) if cursor else {}
    candidates, state = (_full if mode == "full" else _start_after)(lake, source, state, now)
    run_requests, partition_keys, events = [], [], []
    for obj in sorted(candidates, key=lambda o: (o.modified, o.key))[:max_files]:
        try:
            digest = lake.content_hash(obj.key)
        except FileNotFoundError:  # deleted between listing and hashing
            continue
        request, partition = run_request(source, obj.key, digest)
        run_requests.append(request)
        partition_keys.append(partition)
        events.append(landing_event(source, partition, obj.key, obj.size, digest))
        _remember(mode, state, obj, now)
    return run_requests, partition_keys, events, json.dumps(state, sort_keys=True)


def evaluate_events(lake: Lake, source: Source, sqs, cursor: str | None, *, max_files: int = MAX_FILES_PER_TICK):
    """Event mode: acknowledge what the previous tick requested (its runs are committed by now), then drain."""
    from qs_platform.lake.notifications import acknowledge, drain_s3_events
    from qs_platform.lake.s3 import S3Lake

    state = json.loads(cursor) if cursor else {}
    if state.get("to_acknowledge"):
        acknowledge(sqs, source.listing.queue_url, state["to_acknowledge"])
    root = lake.root if isinstance(lake, S3Lake) else ""
    events, handles = drain_s3_events(sqs, source.listing.queue_url, root_prefix=root, max_messages=max_files)
    run_requests, partition_keys, materializations = [], [], []
    for event in events:
        if event.is_removal or not wanted(source, event.key):
            continue
        try:
            digest = lake.content_hash(event.key)  # the object as it is now (the event may be old)
        except FileNotFoundError:
            continue
        request, partition = run_request(source, event.key, digest)
        if request.run_key in {r.run_key for r in run_requests}:
            continue
        run_requests.append(request)
        partition_keys.append(partition)
        materializations.append(landing_event(source, partition, event.key, event.size, digest))
    return run_requests, partition_keys, materializations, json.dumps({"to_acknowledge": handles})


def build_landing_sensor(source: Source, raw_asset_key: dg.AssetKey, partitions_def: dg.DynamicPartitionsDefinition):
    @dg.sensor(
        name=landing_sensor_name(source),
        description=f"Watches {source.landing_prefix} for new or changed {source.file_pattern} files ({source.listing.mode} listing).",
        asset_selection=[raw_asset_key],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=10,
    )
    def _landing_sensor(context: dg.SensorEvaluationContext, landing: LakeResource, sqs: SqsResource):
        store = landing.get()
        if source.listing.mode == "events":
            runs, partitions, events, cursor = evaluate_events(store, source, sqs.client(), context.cursor)
        else:
            runs, partitions, events, cursor = evaluate_landing(store, source, context.cursor)
        new_partitions = [p for p in dict.fromkeys(partitions) if not context.instance.has_dynamic_partition(partitions_def.name, p)]
        return dg.SensorResult(
            run_requests=runs,
            cursor=cursor,
            asset_events=events,
            dynamic_partitions_requests=[partitions_def.build_add_request(new_partitions)] if new_partitions else [],
        )

    return _landing_sensor
