"""Is everything done? Per source, the balance of landed files; per automated asset, whether it is current.

A source balances when every landed file is processed (loaded or expanded) or quarantined at the content it has
now; the rest is pending, with its age. An automated asset is current when it materialized after every input
did; `missing` (its inputs exist, it was never built), `stale` (an input is newer) and `failed` (its last run
failed) are work left; `waiting` means an input has no data yet, so there is nothing to build.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dagster as dg

from qs_platform.config.models import Source
from qs_platform.ingest.landing import landed
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import Lake


@dataclass
class SourceBalance:
    source: str
    landed: int = 0
    loaded: int = 0
    expanded: int = 0
    quarantined: int = 0
    pending: list[tuple[str, float]] = field(default_factory=list)  # (key, age in seconds), oldest first
    removed: int = 0  # in the ledger, no longer landed (their rows stay)
    input_rows: int = 0
    loaded_rows: int = 0
    rejected_rows: int = 0
    unreconciled: list[str] = field(default_factory=list)  # files whose rows do not add up
    listed: bool = True  # False for event-driven sources (an SQS queue cannot be listed)

    @property
    def balanced(self) -> bool:
        return (
            not self.pending and not self.unreconciled and self.landed == self.loaded + self.expanded + self.quarantined
        )


def source_balance(store: Lake, lake: Lake, source: Source, now: float | None = None) -> SourceBalance:
    now = time.time() if now is None else now
    ledger = Ledger.load(lake, source)
    balance = SourceBalance(source.name)
    records = ledger.records
    seen = set()
    if source.listing.mode == "events":
        balance.listed = False
        objects = []
    else:
        objects = list(landed(store, source))
    for obj in objects:
        balance.landed += 1
        seen.add(obj.key)
        record = records.get(obj.key)
        if record is None or record.fingerprint != obj.etag:
            balance.pending.append((obj.key, max(now - obj.modified, 0.0)))
        elif record.status == "loaded":
            balance.loaded += 1
        elif record.status == "expanded":
            balance.expanded += 1
        else:
            balance.quarantined += 1
    for key, record in records.items():
        if key not in seen and balance.listed:
            balance.removed += 1
        balance.input_rows += record.input_rows
        balance.loaded_rows += record.loaded_rows
        balance.rejected_rows += record.rejected_rows
        if record.loaded_rows + record.rejected_rows != record.input_rows:
            balance.unreconciled.append(key)
    balance.pending.sort(key=lambda item: -item[1])
    return balance


@dataclass
class AssetState:
    key: str
    state: str  # current | missing | stale | failed | waiting
    detail: str = ""

    @property
    def is_work_left(self) -> bool:
        return self.state in ("missing", "stale", "failed")


def automated_asset_states(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[AssetState]:
    graph = defs.resolve_asset_graph()
    keys = sorted((k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None), key=str)
    parents_of = {k: sorted(graph.get(k).parent_keys, key=str) for k in keys}
    everything = sorted({k for k in keys} | {p for ps in parents_of.values() for p in ps}, key=str)
    latest = {}
    for record in instance.get_asset_records(everything):
        latest[record.asset_entry.asset_key] = record.asset_entry.last_materialization_record
    states = []
    for key in keys:
        mine = latest.get(key)
        parents = parents_of[key]
        unmaterialized = [p.to_user_string() for p in parents if latest.get(p) is None]
        planned = instance.get_latest_planned_materialization_info(key)
        run = instance.get_run_by_id(planned.run_id) if planned else None
        failed = (
            run is not None
            and run.status == dg.DagsterRunStatus.FAILURE
            and (mine is None or planned.storage_id > mine.storage_id)
        )
        if failed:
            states.append(AssetState(key.to_user_string(), "failed", f"run {run.run_id} failed"))
        elif mine is None:
            states.append(
                AssetState(
                    key.to_user_string(),
                    "waiting" if unmaterialized else "missing",
                    f"no data yet in {unmaterialized}" if unmaterialized else "never materialized",
                )
            )
        else:
            newer = [
                p.to_user_string()
                for p in parents
                if latest.get(p) is not None
                and latest[p].storage_id > mine.storage_id
                and latest[p].event_log_entry.run_id != mine.event_log_entry.run_id
            ]
            states.append(
                AssetState(key.to_user_string(), "stale", f"older than {newer}")
                if newer
                else AssetState(key.to_user_string(), "current")
            )
    return states
