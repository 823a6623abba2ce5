"""Raw layer: the real seed file loads typed; bad rows and unreadable files are quarantined with reasons."""

import csv

import duckdb
import pytest

from qs_platform.ingest.load import ingest_file, quarantined_file_key, quarantined_rows_key, raw_key
from qs_platform.ingest.partitions import partition_key_for, relative_key_for
from qs_platform_tests.conftest import HEADER, SERVICE_REQUESTS_CSV, land


@pytest.fixture
def source(config):
    return config.source("service_requests")


def read(lake, key):
    return duckdb.sql(f"select * from read_parquet('{lake.uri(key)}')")


def test_seed_file_loads_every_row_typed(lake, source):
    land(lake, "landing/service_requests/seed.csv", SERVICE_REQUESTS_CSV.read_bytes())
    result = ingest_file(lake, source, "landing/service_requests/seed.csv", "seed.csv")
    with open(SERVICE_REQUESTS_CSV, newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert (result.status, result.input_rows, result.loaded_rows, result.rejected_rows) == ("loaded", 19324, 19324, 0)
    assert result.content_hash == lake.content_hash("landing/service_requests/seed.csv")
    assert len(expected) == 19324
    relation = read(lake, raw_key(source, "seed.csv"))
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert types["id"] == "BIGINT" and types["start_date"] == "DATE" and types["estimated_cost"] == "DECIMAL(18,2)"
    assert {"_source_key", "_ingested_at", "_line_number"} <= set(types)
    first = relation.order("_line_number").limit(1).fetchall()[0]
    row = dict(zip(relation.columns, first))
    assert row["id"] == int(expected[0]["id"]) and str(row["start_date"]) == "2000-01-14" and row["_line_number"] == 2
    assert row["_source_key"] == "landing/service_requests/seed.csv"
    total = duckdb.sql(f"select sum(estimated_cost) from read_parquet('{lake.uri(raw_key(source, 'seed.csv'))}')").fetchall()[0][0]
    assert total == sum(int(r["estimated_cost"]) for r in expected)
    assert not lake.exists(quarantined_rows_key(source, "seed.csv"))


def test_rows_breaking_rules_are_quarantined_with_rule_names(lake, source):
    land(lake, "landing/service_requests/mixed.csv", HEADER + "\n".join([
        "1,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,",        # good
        "2,1/2/2000,1/1/2000,Toronto Water,MAYBE,3,-5,",        # known_result, cost_not_negative, ends_after_start
        "3,13/45/2000,,Toronto Water,PASS,x,1,",                # bad date and ward
        "4,1/2/2000,1/3/2000,,FAIL,4,7,",                       # division required
        "5,1/2/2000,,Solid Waste Management,,9,0,",             # good: empty optional values
    ]) + "\n")
    result = ingest_file(lake, source, "landing/service_requests/mixed.csv", "mixed.csv")
    assert (result.input_rows, result.loaded_rows, result.rejected_rows) == (5, 2, 3)
    assert result.reconciled
    assert result.rejected_by_rule == {
        "cost_not_negative": 1, "ends_after_start": 1, "known_result": 1, "service_division_owner_required": 1,
        "start_date_required": 1, "type_start_date": 1, "type_ward_id": 1,
    }
    relation = read(lake, quarantined_rows_key(source, "mixed.csv")).order("_line_number")
    quarantined = [dict(zip(relation.columns, row)) for row in relation.fetchall()]
    assert [row["id"] for row in quarantined] == ["2", "3", "4"], "the original text of each rejected row is kept"
    assert [row["start_date"] for row in quarantined] == ["1/2/2000", "13/45/2000", "1/2/2000"]
    assert [row["_line_number"] for row in quarantined] == [3, 4, 5]
    assert {row["_source_key"] for row in quarantined} == {"landing/service_requests/mixed.csv"}
    assert "ward_id: expected integer, got 'x'" in quarantined[1]["_errors"]
    assert [r[0] for r in read(lake, raw_key(source, "mixed.csv")).order("id").fetchall()] == [1, 5]


@pytest.mark.parametrize(
    "content, reason",
    [
        (HEADER + '1,1/2/2000,1/3/2000,"Toronto Water,PASS,3,1,\n', "unterminated quote"),
        (HEADER.encode() + "1,1/2/2000,1/3/2000,Café,PASS,3,1,\n".encode("latin-1"), "not valid UTF-8"),
        ("id,start,end\n1,2,3\n", "missing required columns ['start_date', 'service_division_owner']"),
        (HEADER + "1,1/2/2000,1/3/2000,Toronto Water,PASS,3,1,,extra\n", "Expected Number of Columns"),
        ("", "empty"),
    ],
    ids=["broken-quoting", "latin-1", "wrong-header", "extra-field", "empty"],
)
def test_unreadable_file_is_quarantined_whole_with_a_reason(lake, source, content, reason):
    land(lake, "landing/service_requests/bad.csv", content)
    result = ingest_file(lake, source, "landing/service_requests/bad.csv", "bad.csv")
    assert result.status == "quarantined"
    assert reason in result.reason
    assert result.loaded_rows == 0 and result.reconciled
    assert lake.read_bytes(quarantined_file_key(source, "bad.csv")) == lake.read_bytes("landing/service_requests/bad.csv")
    assert reason in lake.read_bytes(quarantined_file_key(source, "bad.csv") + ".reason.json").decode()
    assert not lake.exists(raw_key(source, "bad.csv"))


def test_broken_reupload_replaces_the_earlier_rows(lake, source):
    key = land(lake, "landing/service_requests/f.csv", HEADER + "1,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n")
    ingest_file(lake, source, key, "f.csv")
    assert lake.exists(raw_key(source, "f.csv"))
    land(lake, key, "garbage,header\n")
    ingest_file(lake, source, key, "f.csv")
    assert not lake.exists(raw_key(source, "f.csv")), "the old rows of a re-uploaded key must not count any more"
    land(lake, key, HEADER + "2,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n")
    ingest_file(lake, source, key, "f.csv")
    assert not lake.exists(quarantined_file_key(source, "f.csv"))
    assert read(lake, raw_key(source, "f.csv")).fetchall()[0][0] == 2


@pytest.mark.parametrize("key", ["a.csv", "2024/01/02/f.csv", "x y,[1].csv", "é/naïve.csv", "~t.csv", "../..", "a/./b"])
def test_partition_keys_are_safe_and_reversible(key):
    partition = partition_key_for(key)
    assert relative_key_for(partition) == key
    assert set(partition) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/~")
    assert all(segment not in ("", ".", "..") for segment in partition.split("/"))


def test_unique_rule_rejects_repeated_keys_after_the_first(lake, config):
    declared = config.source("service_requests")
    source = type(declared).model_validate({**declared.model_dump(), "rules": [{"name": "one_row_per_id", "kind": "unique", "columns": ["id"]}]})
    land(lake, "landing/service_requests/d.csv", HEADER + "".join(
        f"{i},1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n" for i in [1, 2, 1, "", 1]
    ))
    result = ingest_file(lake, source, "landing/service_requests/d.csv", "d.csv")
    # lines: 2 -> id 1, 3 -> id 2, 4 -> id 1 again, 5 -> no id (required, but not a repeat), 6 -> id 1 again
    assert result.rejected_by_rule == {"one_row_per_id": 2, "id_required": 1}
    relation = read(lake, quarantined_rows_key(source, "d.csv")).order("_line_number")
    errors = {row[0]: row[1] for row in relation.select("_line_number, _errors").fetchall()}
    assert errors == {
        4: ["one_row_per_id: (id) repeats the key of line 2"],
        5: ["id_required: id is required"],
        6: ["one_row_per_id: (id) repeats the key of line 2"],
    }
    assert result.loaded_rows == 2 and result.reconciled
