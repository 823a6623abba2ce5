"""Raw layer: the real seed file loads typed; bad rows and unreadable files are quarantined with reasons."""

import csv
from decimal import Decimal

import pytest

from qs_platform.ingest.keys import decode_key, encode_key
from qs_platform.ingest.ledger import Ledger
from qs_platform.ingest.load import quarantined_file_key, quarantined_rows_key, raw_key
from qs_platform_tests.conftest import HEADER, SERVICE_REQUESTS_CSV, ingest, land, parquet, raw_records


@pytest.fixture
def source(config):
    return config.source("service_requests")


def test_seed_file_loads_every_row_typed(lake, source):
    key = land(lake, "landing/service_requests/seed.csv", SERVICE_REQUESTS_CSV.read_bytes())
    result = ingest(lake, source, key)
    with open(SERVICE_REQUESTS_CSV, newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert (result.status, result.input_rows, result.loaded_rows, result.rejected_rows) == ("loaded", 19324, 19324, 0)
    assert len(expected) == 19324 and len(result.content_hash) == 32
    relation = raw_records(lake, source, key)
    types = dict(zip(relation.columns, map(str, relation.types)))
    assert types["id"] == "BIGINT" and types["start_date"] == "DATE" and types["estimated_cost"] == "DECIMAL(18,2)"
    assert {"_source_key", "_ingested_at", "_line_number", "_content_hash"} <= set(types)
    assert not {"_reject", "_first_line", "_rules"} & set(types), "record status columns stay inside the raw files"
    first = relation.order("_line_number").limit(1).fetchall()[0]
    row = dict(zip(relation.columns, first))
    assert row["id"] == int(expected[0]["id"]) and str(row["start_date"]) == "2000-01-14" and row["_line_number"] == 2
    assert row["_source_key"] == "landing/service_requests/seed.csv"
    last = dict(zip(relation.columns, relation.order("_line_number desc").limit(1).fetchall()[0]))
    assert last["_line_number"] == 19325 and last["id"] == int(expected[-1]["id"])
    total = relation.aggregate("sum(estimated_cost)").fetchall()[0][0]
    assert total == sum(int(r["estimated_cost"]) for r in expected)
    assert not lake.exists(quarantined_rows_key(source, key))
    [record] = Ledger.load(lake, source).records.values()
    assert (record.key, record.status, record.input_rows, record.loaded_rows) == (key, "loaded", 19324, 19324)
    assert record.fingerprint == lake.stat(key).etag and record.content_hash == result.content_hash


def test_rows_breaking_rules_are_quarantined_with_rule_names(lake, source):
    key = land(
        lake,
        "landing/service_requests/mixed.csv",
        HEADER
        + "\n".join(
            [
                "1,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,",  # good
                "2,1/2/2000,1/1/2000,Toronto Water,MAYBE,3,-5,",  # known_result, cost_not_negative, ends_after_start
                "3,13/45/2000,,Toronto Water,PASS,x,1,",  # bad date and ward
                "4,1/2/2000,1/3/2000,,FAIL,4,7,",  # division required
                "5,1/2/2000,,Solid Waste Management,,9,0,",  # good: empty optional values
            ]
        )
        + "\n",
    )
    result = ingest(lake, source, key)
    assert (result.input_rows, result.loaded_rows, result.rejected_rows) == (5, 2, 3)
    assert result.reconciled
    assert result.rejected_by_rule == {
        "cost_not_negative": 1,
        "ends_after_start": 1,
        "known_result": 1,
        "service_division_owner_required": 1,
        "start_date_required": 1,
        "type_start_date": 1,
        "type_ward_id": 1,
    }
    relation = parquet(lake, quarantined_rows_key(source, key)).order("_line_number")
    quarantined = [dict(zip(relation.columns, row)) for row in relation.fetchall()]
    assert [row["id"] for row in quarantined] == ["2", "3", "4"], "the original text of each rejected row is kept"
    assert [row["start_date"] for row in quarantined] == ["1/2/2000", "13/45/2000", "1/2/2000"]
    assert [row["_line_number"] for row in quarantined] == [3, 4, 5]
    assert {row["_source_key"] for row in quarantined} == {"landing/service_requests/mixed.csv"}
    assert "ward_id: expected an integer, got 'x'" in quarantined[1]["_errors"]
    loaded = raw_records(lake, source, key).order("id")
    assert [r[0] for r in loaded.fetchall()] == [1, 5]
    assert [r[0] for r in loaded.select("_line_number").fetchall()] == [2, 6], "loaded rows keep their own line numbers"


def test_values_that_do_not_convert_exactly_are_rejected_not_rounded(lake, source):
    key = land(
        lake,
        "landing/service_requests/fractions.csv",
        HEADER
        + "".join(
            [
                "1,1/2/2000,,Toronto Water,PASS,1.5,100,\n",  # a fraction in an integer column
                "2,1/2/2000,,Toronto Water,PASS,-2.5,100,\n",
                "3,1/2/2000,,Toronto Water,PASS,3,0.005,\n",  # more decimals than decimal(18,2) holds
                "4,1/2/2000,,Toronto Water,PASS, 7 ,12.50,\n",  # spaces and a trailing zero are fine
                "5,1/2/2000,,Toronto Water,PASS,0x10,1,\n",  # hexadecimal is not an integer here
                "6,1/2/2000,,Toronto Water,PASS,0b101,1,\n",  # nor binary
                "7,1/2/2000,,Toronto Water,PASS,15e-1,1,\n",  # an exponent that leaves a fraction
                "8,1/2/2000,,Toronto Water,PASS,+8,1e-3,\n",  # too many decimals by exponent
                "9,1/2/2000,,Toronto Water,PASS,009,1,\n",  # a sign, leading zeros and 1e1 are exact
                "10,1/2/2000,,Toronto Water,PASS,1e1,1,\n",
            ]
        ),
    )
    result = ingest(lake, source, key)
    assert result.rejected_by_rule == {"type_ward_id": 5, "type_estimated_cost": 2}
    assert raw_records(lake, source, key).select("id, ward_id, estimated_cost").order("id").fetchall() == [
        (4, 7, Decimal("12.50")),
        (9, 9, Decimal("1.00")),
        (10, 10, Decimal("1.00")),
    ]


@pytest.mark.parametrize(
    "content, reason",
    [
        (HEADER + '1,1/2/2000,1/3/2000,"Toronto Water,PASS,3,1,\n', "unterminated quote"),
        (HEADER.encode() + "1,1/2/2000,1/3/2000,Café,PASS,3,1,\n".encode("latin-1"), "not valid UTF-8"),
        ("id,start,end\n1,2,3\n", "missing required columns ['start_date', 'service_division_owner']"),
        (
            HEADER + "1,1/2/2000,1/3/2000,Toronto Water,PASS,3,1,,extra\n",
            "line 2: more fields than the 8 of the header",
        ),
        ("", "empty"),
        (
            "Report of 2024-01-02\n" + HEADER + "1,1/2/2000,1/3/2000,Toronto Water,PASS,3,1,\n",
            "line 2: more fields than the 1 of the header",
        ),
    ],
    ids=["broken-quoting", "latin-1", "wrong-header", "extra-field", "empty", "title-line"],
)
def test_unreadable_file_is_quarantined_whole_with_a_reason(lake, source, content, reason):
    key = land(lake, "landing/service_requests/bad.csv", content)
    result = ingest(lake, source, key)
    assert result.status == "quarantined"
    assert reason in result.reason
    assert "(Set By User)" not in result.reason
    assert result.loaded_rows == 0 and result.reconciled
    assert lake.read_bytes(quarantined_file_key(source, key)) == lake.read_bytes(key)
    assert reason in lake.read_bytes(quarantined_file_key(source, key) + ".reason.json").decode()
    assert not lake.exists(raw_key(source, key))


def test_headers_are_read_by_the_same_reader_as_the_rows(lake, source):
    """CR-only line endings, a quoted newline inside a header name, blank lines before it, a long header field."""
    rows = "1,1/2/2000,1/3/2000,Toronto Water,PASS,3,1,\n"
    cases = {
        "cr.csv": (HEADER + rows).replace("\n", "\r"),
        "crlf.csv": (HEADER + rows).replace("\n", "\r\n"),
        "blank-first.csv": "\n\n" + HEADER + rows,
        "quoted-header.csv": HEADER.replace(",notes", ',"no\ntes"') + rows,
        "long-header.csv": HEADER.replace(",notes", ",notes," + "x" * 200_000) + rows.replace(",\n", ",,\n"),
    }
    for name, text in cases.items():
        key = land(lake, f"landing/service_requests/{name}", text)
        result = ingest(lake, source, key)
        assert (result.status, result.loaded_rows, result.rejected_rows) == ("loaded", 1, 0), (name, result.reason)
    assert raw_records(lake, source, "landing/service_requests/blank-first.csv").select("_line_number").fetchall() == [
        (4,)
    ]


def test_broken_reupload_replaces_the_earlier_rows(lake, source):
    key = land(lake, "landing/service_requests/f.csv", HEADER + "1,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n")
    ingest(lake, source, key)
    assert lake.exists(raw_key(source, key))
    land(lake, key, "garbage,header\n")
    ingest(lake, source, key)
    assert not lake.exists(raw_key(source, key)), "the old rows of a re-uploaded key must not count any more"
    land(lake, key, HEADER + "2,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n")
    ingest(lake, source, key)
    assert not lake.exists(quarantined_file_key(source, key))
    assert raw_records(lake, source, key).select("id").fetchall() == [(2,)]


@pytest.mark.parametrize("key", ["a.csv", "2024/01/02/f.csv", "x y,[1].csv", "é/naïve.csv", "~t.csv", "../..", "a/./b"])
def test_file_ids_are_safe_and_reversible(key):
    file_id = encode_key(key)
    assert decode_key(file_id) == key
    assert set(file_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/~")
    assert all(segment not in ("", ".", "..") for segment in file_id.split("/"))


def test_unique_rule_rejects_repeated_keys_after_the_first(lake, config):
    declared = config.source("service_requests")
    source = type(declared).model_validate(
        {**declared.model_dump(), "rules": [{"name": "one_row_per_id", "kind": "unique", "columns": ["id"]}]}
    )
    key = land(
        lake,
        "landing/service_requests/d.csv",
        HEADER + "".join(f"{i},1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n" for i in [1, 2, 1, "", 1]),
    )
    result = ingest(lake, source, key)
    # lines: 2 -> id 1, 3 -> id 2, 4 -> id 1 again, 5 -> no id (required, but not a repeat), 6 -> id 1 again
    assert result.rejected_by_rule == {"one_row_per_id": 2, "id_required": 1}
    relation = parquet(lake, quarantined_rows_key(source, key)).order("_line_number")
    errors = {row[0]: row[1] for row in relation.select("_line_number, _errors").fetchall()}
    assert errors == {
        4: ["one_row_per_id: (id) repeats the key of line 2"],
        5: ["id_required: id is required"],
        6: ["one_row_per_id: (id) repeats the key of line 2"],
    }
    assert result.loaded_rows == 2 and result.reconciled


def test_a_rule_on_the_clock_explains_every_record_it_rejected(lake, config):
    """The rules a record broke are worked out in a second pass over the raw file; a rule on `now()` must see the
    same time in both (one transaction), or a rejected record would be quarantined with no rule at all."""
    declared = config.source("service_requests")
    source = type(declared).model_validate(
        {
            **declared.model_dump(),
            "rules": [
                {"name": "even_microsecond", "kind": "expression", "sql": "extract(microsecond from now()) % 2 = 0"}
            ],
        }
    )
    for attempt in range(12):  # each load is rejected or not by its own clock; either way it must add up
        key = land(
            lake,
            f"landing/service_requests/clock-{attempt}.csv",
            HEADER + "1,1/2/2000,1/5/2000,Toronto Water,PASS,3,100,\n",
        )
        result = ingest(lake, source, key)
        assert sum(result.rejected_by_rule.values()) == result.rejected_rows, result
        if result.rejected_rows:
            [rules] = parquet(lake, quarantined_rows_key(source, key)).select("_rules").fetchall()[0]
            assert rules == ["even_microsecond"]
