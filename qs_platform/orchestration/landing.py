"""One landing sensor per source: pending files become runs of the raw asset, a group of files per run.

Pending = listed now, with a fingerprint the ledger does not have for that key (new, changed, or never finished
because its run died). Files already named by a queued or running raw run of the source are left to it, and at
most `max_runs_in_flight` such runs are queued at once, so a backlog of 100,000 files is worked through a few
groups at a time. The cursor holds only a counter (run keys must be new for a group asked again after a failure)
and, for the `start_after` and `events` listings, their watermark or unacknowledged messages: it never grows
with the history of the landing zone.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import dagster as dg

from qs_platform.config.models import Source
from qs_platform.ingest.landing import Group, groups, landed, pending, wanted
from qs_platform.ingest.ledger import fingerprints
from qs_platform.lake import Lake, LakeObject
from qs_platform.orchestration.raw import landing_asset_key, raw_asset_key, raw_op_name
from qs_platform.orchestration.resources import IngestResource, LakeResource, SqsResource
from qs_platform.runtime.instance import SOURCE_TAG
from qs_platform.runtime.state import NOT_FINISHED

KEYS_SHOWN = 20


def landing_sensor_name(source: Source) -> str:
    return f"landing_{source.name}"


@dataclass
class Tick:
    """What one evaluation asks for: run requests, the landing event, the next cursor."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    landing_event: dg.AssetMaterialization | None = None
    cursor: str = "{}"
    pending: int = 0  # pending files seen, requested or not


def ingest_run_config(source: Source, keys: list[str]) -> dict:
    return {"ops": {raw_op_name(source): {"config": {"files": keys, "reprocess": False}}}}


def files_in_flight(instance: dg.DagsterInstance, source: Source) -> tuple[set[str], int, bool]:
    """(keys named by the source's queued or running raw runs, how many such runs, whether one loads every pending file)."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=NOT_FINISHED, tags={SOURCE_TAG: source.name}))
    keys, everything = set(), False
    for run in runs:
        config = (run.run_config or {}).get("ops", {}).get(raw_op_name(source), {}).get("config", {})
        files = config.get("files") or []
        keys.update(files)
        everything = everything or not files
    return keys, len(runs), everything


# ---- finding candidates: each listing mode returns (objects to compare with the ledger, the state to keep) ------


def _full(store: Lake, source: Source, state: dict, now: float, sqs=None) -> tuple[list[LakeObject], dict]:
    return list(landed(store, source)), {}


def _start_after(store: Lake, source: Source, state: dict, now: float, sqs=None) -> tuple[list[LakeObject], dict]:
    """Keys after a watermark. Keys modified within the look-back window stay listed (late writes into the current
    folders, multipart uploads completing later); the watermark moves past keys older than the window. The state is
    the watermark and the recent keys, bounded by what arrives within one window."""
    after = state.get("after")
    recent = state.get("recent", {})  # key -> when it was first seen (or last modified)
    expired = [key for key, seen in recent.items() if now - seen > source.listing.lookback_seconds]
    listing = list(landed(store, source, start_after=after))
    for obj in listing:
        seen = recent.get(obj.key, min(obj.modified, now))
        if now - seen > source.listing.lookback_seconds:
            expired.append(obj.key)
        else:
            recent[obj.key] = seen
    if expired:
        after = max([after or "", *expired])
    recent = {key: seen for key, seen in recent.items() if key > (after or "")}
    return listing, {"after": after, "recent": recent}


def _events(store: Lake, source: Source, state: dict, now: float, sqs=None) -> tuple[list[LakeObject], dict]:
    """Drain S3 notifications; what the previous tick drained is acknowledged first (its runs are committed)."""
    from qs_platform.lake.notifications import acknowledge, drain_s3_events
    from qs_platform.lake.s3 import S3Lake

    if state.get("to_acknowledge"):
        acknowledge(sqs, source.listing.queue_url, state["to_acknowledge"])
    root = store.root if isinstance(store, S3Lake) else ""
    events, handles = drain_s3_events(sqs, source.listing.queue_url, root_prefix=root)
    keys = dict.fromkeys(e.key for e in events if not e.is_removal and wanted(source, e.key))
    objects = [obj for obj in (store.stat(key) for key in keys) if obj is not None]  # as they are now
    return objects, {"to_acknowledge": handles}


LISTINGS = {"full": _full, "start_after": _start_after, "events": _events}


def evaluate_landing(
    store: Lake,
    lake: Lake,
    source: Source,
    cursor: str | None,
    *,
    in_flight: tuple[set[str], int, bool] = (set(), 0, False),
    ingest: IngestResource | None = None,
    sqs=None,
    now: float | None = None,
) -> Tick:
    ingest = ingest or IngestResource()
    now = time.time() if now is None else now
    state = json.loads(cursor) if cursor else {}
    busy_keys, busy_runs, everything = in_flight
    candidates, listing_state = LISTINGS[source.listing.mode](store, source, state.get("listing", {}), now, sqs)
    todo = pending(candidates, fingerprints(lake, source), exclude=busy_keys)
    tick = Tick(pending=len(todo))
    sequence = int(state.get("sequence", 0))
    room = 0 if everything else max(ingest.max_runs_in_flight - busy_runs, 0)
    requested = groups(todo, ingest.max_files_per_run, ingest.max_bytes_per_run)[:room]
    for group in requested:
        sequence += 1
        tick.run_requests.append(_run_request(source, group, sequence))
    if requested and not source.pull:  # a pull source's landing asset is the pull itself: it reports what it landed
        tick.landing_event = _landing_event(source, [o for g in requested for o in g.objects], len(todo))
    tick.cursor = json.dumps({"sequence": sequence, "listing": listing_state}, sort_keys=True)
    return tick


def _run_request(source: Source, group: Group, sequence: int) -> dg.RunRequest:
    digest = hashlib.sha1("\n".join(f"{o.key}|{o.etag}" for o in group.objects).encode()).hexdigest()[:12]
    return dg.RunRequest(
        run_key=f"{source.name}:{sequence}:{digest}",
        run_config=ingest_run_config(source, group.keys),
        tags={SOURCE_TAG: source.name, "qs_platform/files": str(len(group.objects))},
    )


def _landing_event(source: Source, objects: list[LakeObject], pending_count: int) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(
        asset_key=landing_asset_key(source),
        metadata={
            "files_requested": len(objects),
            "bytes_requested": sum(o.size for o in objects),
            "files_pending": pending_count,
            "keys": dg.MetadataValue.json(
                [o.key for o in objects[:KEYS_SHOWN]]
                + ([f"… {len(objects) - KEYS_SHOWN} more"] if len(objects) > KEYS_SHOWN else [])
            ),
        },
    )


def build_landing_sensor(source: Source) -> dg.SensorDefinition:
    @dg.sensor(
        name=landing_sensor_name(source),
        description=f"Watches {source.landing_prefix} for new or changed {source.file_pattern} files ({source.listing.mode} listing); "
        "requests raw runs of up to a few hundred files each.",
        asset_selection=[raw_asset_key(source)],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=5,
    )
    def _landing_sensor(
        context: dg.SensorEvaluationContext,
        landing: LakeResource,
        lake: LakeResource,
        sqs: SqsResource,
        ingest: IngestResource,
    ):
        tick = evaluate_landing(
            landing.get(),
            lake.get(),
            source,
            context.cursor,
            in_flight=files_in_flight(context.instance, source),
            ingest=ingest,
            sqs=sqs.client() if source.listing.mode == "events" else None,
        )
        if not tick.run_requests:
            return dg.SensorResult(
                skip_reason=f"{tick.pending} files pending, none to request" if tick.pending else "nothing pending",
                cursor=tick.cursor,
            )
        return dg.SensorResult(
            run_requests=tick.run_requests, cursor=tick.cursor, asset_events=[e for e in [tick.landing_event] if e]
        )

    return _landing_sensor
