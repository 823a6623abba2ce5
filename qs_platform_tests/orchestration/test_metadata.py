"""The metadata records round-trip through what Dagster stores, and the reader picks the record by asset kind."""

import dagster as dg

from qs_platform.orchestration.metadata import CatalogEntry, Deployment, RawRun, TableBuild, summary_of


def stored(metadata: dict) -> dict:
    """As a reader gets it back from the event log: MetadataValue objects."""
    return dg.AssetMaterialization(asset_key="x", metadata=metadata).metadata


def test_records_round_trip_through_stored_metadata():
    run = RawRun(
        files=3,
        files_loaded=2,
        files_quarantined=1,
        input_rows=10,
        loaded_rows=7,
        rejected_rows=3,
        quarantined_files={"landing/a/x.csv": "line 2: unterminated quote"},
    )
    assert RawRun.from_metadata(stored(run.to_metadata())) == run
    build = TableBuild(
        row_count=5,
        partition_mode="incremental",
        partition_reason="1 partition touched",
        partitions=9,
        partitions_rewritten=1,
    )
    assert TableBuild.from_metadata(stored(build.to_metadata())) == build
    assert Deployment.from_metadata(stored(Deployment("updated", ["Name"]).to_metadata())) == Deployment(
        "updated", ["Name"]
    )
    assert CatalogEntry.from_metadata(stored(CatalogEntry(4).to_metadata())) == CatalogEntry(4)


def test_the_reader_picks_the_record_by_asset_kind_and_says_what_happened():
    raw = summary_of(
        dg.AssetKey(["raw", "sales"]),
        stored(RawRun(files=2, files_loaded=1, files_unchanged=1, loaded_rows=9).to_metadata()),
    )
    assert raw.summary() == "2 files: 1 loaded, 1 unchanged; 9 rows loaded, 0 quarantined"
    table = summary_of(dg.AssetKey(["processed", "t"]), stored(TableBuild(row_count=3, published=False).to_metadata()))
    assert table.summary() == "3 rows, NOT published (a blocking check failed)"
    assert (
        summary_of(dg.AssetKey(["quicksight", "dashboard", "d"]), stored({"action": "created"})).summary() == "created"
    )
    assert summary_of(dg.AssetKey(["landing", "sales"]), {}) is None
