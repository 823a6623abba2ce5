"""Hostile input: every file loaded or quarantined with a readable reason, no value lost or altered, nothing crashes."""

import gzip
import io
import json
import os
import zipfile

import pytest

from qs_platform.config.models import Source
from qs_platform.ingest.landing import landed
from qs_platform.ingest.ledger import Ledger
from qs_platform.ingest.runner import ingest_group
from qs_platform_tests.conftest import HEADER, ingest, land, raw_records

ROW = "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1,\n"


@pytest.fixture
def source(config):
    return config.source("service_requests")


def json_source(**overrides) -> Source:
    spec = {
        "name": "events",
        "format": "json",
        "file_pattern": "*.json",
        "columns": [{"name": "id", "required": True}, {"name": "n", "type": "integer"}],
    }
    return Source.model_validate({**spec, **overrides})


def load_all(lake, source):
    """One run over everything landed, as the sensor would request it."""
    return ingest_group(lake, lake, source, list(landed(lake, source)), Ledger.load(lake, source))


def test_files_the_listing_cannot_read_are_quarantined_and_the_others_load(lake, source, tmp_path):
    folder = lake.root / "landing" / "service_requests"
    land(lake, "landing/service_requests/good.csv", HEADER + ROW)
    outside = tmp_path / "secret.csv"
    outside.write_text(HEADER + ROW)
    os.symlink(outside, folder / "link.csv")
    os.symlink(folder / "missing.csv", folder / "dangling.csv")
    with open(os.fsencode(folder) + b"/caf\xe9.csv", "wb") as handle:  # a name that is not UTF-8
        handle.write((HEADER + ROW).encode())
    group = load_all(lake, source)
    outcomes = {o.obj.key: o.record for o in group.outcomes}
    assert outcomes["landing/service_requests/good.csv"].status == "loaded"
    assert "outside the lake: not read" in outcomes["landing/service_requests/link.csv"].reason
    assert "does not exist" in outcomes["landing/service_requests/dangling.csv"].reason
    assert "not valid UTF-8" in outcomes["landing/service_requests/caf\\xe9.csv"].reason
    assert not lake.exists("quarantine/service_requests/files/link.csv"), "a file outside the lake is never copied in"
    known = {k: r.fingerprint for k, r in Ledger.load(lake, source).records.items()}
    assert all(known.get(o.key) == o.etag for o in landed(lake, source)), "recorded: they do not come back every tick"


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("utf16.csv", None, "loaded"),
        ("non-ascii-header.csv", "Straße,Größe,名前,住所\n1,2,3,4\n", "loaded"),
        ("unterminated-header.csv", 'id,"start_date,end_date\n1,2,3\n', "quarantined"),
    ],
)
def test_headers_in_other_encodings_names_and_broken_ones(lake, name, text, expected):
    source = Source.model_validate(
        {"name": "any", "columns": [{"name": "id"}], "csv": {"encoding": "utf-16"} if name == "utf16.csv" else {}}
    )
    data = ("id,naïve,été\n1,x,y\n2,\u2603,z\n").encode("utf-16") if text is None else text.encode()
    key = land(lake, f"landing/any/{name}", data)
    result = ingest(lake, source, key)
    assert result.status == expected, result.reason
    if expected == "quarantined":
        assert "line 1" in result.reason and "unterminated quote" in result.reason
    elif name == "utf16.csv":
        assert result.new_columns == ["naive", "ete"] and result.loaded_rows == 2
        assert raw_records(lake, source, key).select("naive").fetchall() == [("x",), ("\u2603",)]
    else:
        assert len(result.new_columns) == 4 and len(set(result.new_columns)) == 4, "distinct names stay distinct"


def test_undeclared_names_that_normalise_alike_keep_every_value(lake):
    source = json_source()
    records = [
        {"id": "a", "名前": "x", "住所": "y", "Name": "n1", "name": "n2", "": "empty key", "$t.id": "internal-looking"}
    ]
    key = land(lake, "landing/events/e.json", json.dumps(records))
    result = ingest(lake, source, key)
    assert result.status == "loaded", result.reason
    row = dict(zip(*(lambda r: (r.columns, r.fetchall()[0]))(raw_records(lake, source, key))))
    values = {row[c] for c in result.new_columns}
    assert values == {"x", "y", "n1", "n2", "empty key", "internal-looking"}, row
    assert row["id"] == "a", "an undeclared column named like an internal one does not overwrite a declared one"


def test_an_undeclared_csv_column_named_like_an_internal_one_overwrites_nothing(lake, source):
    key = land(
        lake, "landing/service_requests/x.csv", HEADER.strip() + ",text_id,$t.id,_rules\n" + ROW.strip() + ",a,b,c\n"
    )
    result = ingest(lake, source, key)
    row = dict(zip(*(lambda r: (r.columns, r.fetchall()[0]))(raw_records(lake, source, key))))
    assert row["id"] == 1 and {row[c] for c in result.new_columns} == {"a", "b", "c"}


def test_fractions_in_integer_fields_are_rejected_in_json_too(lake):
    source = json_source()
    key = land(
        lake, "landing/events/n.json", json.dumps([{"id": "a", "n": 3.5}, {"id": "b", "n": 4}, {"id": "c", "n": 4.0}])
    )
    result = ingest(lake, source, key)
    assert result.rejected_by_rule == {"type_n": 1}
    assert raw_records(lake, source, key).select("id, n").fetchall() == [("b", 4), ("c", 4)]


def test_corrupt_archives_are_refused(lake, source):
    good = gzip.compress((HEADER + ROW).encode())
    broken = bytearray(good)
    broken[-6] ^= 0xFF  # the CRC-32 in the trailer
    key = land(lake, "landing/service_requests/a.csv.gz", bytes(broken))
    result = ingest(lake, source.model_copy(update={"file_pattern": "*.csv*"}), key)
    assert result.status == "quarantined" and "corrupt gzip data" in result.reason

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("one.csv", HEADER + ROW)
        archive.writestr("two.csv", HEADER + ROW.replace("1,", "2,", 1))
    data = bytearray(buffer.getvalue())
    data[data.index(b"2,1/3/2000")] = ord("3")  # a member's bytes no longer match its CRC
    zkey = land(lake, "landing/service_requests/b.zip", bytes(data))
    result = ingest(lake, source, zkey)
    assert result.status == "expanded" and result.archive_members == ["landing/service_requests/b/one.csv"]
    assert "unreadable member" in result.refused_members["two.csv"] and "CRC" in result.refused_members["two.csv"]


def test_a_zip_with_two_members_landing_at_the_same_key_is_refused(lake, source):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("day.csv", HEADER + ROW)
        with pytest.warns(UserWarning):
            archive.writestr("day.csv", HEADER + ROW.replace("1,", "9,", 1))
        archive.writestr("./day.csv", HEADER + ROW)
    key = land(lake, "landing/service_requests/dup.zip", buffer.getvalue())
    result = ingest(lake, source, key)
    assert result.status == "quarantined" and "one would replace the other" in result.reason
    assert not lake.exists("landing/service_requests/dup/day.csv")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b'{"id": "a"}\n{"id": ', "line"),
        (b"", "no JSON records"),
        (b"[1, 2]", "not JSON objects"),
    ],
)
def test_json_reasons_say_where_and_what(lake, data, reason):
    source = json_source()
    result = ingest(lake, source, land(lake, "landing/events/bad.json", data))
    assert result.status == "quarantined" and reason in result.reason, result.reason
    assert "Binder Error" not in result.reason and "(Set By User)" not in result.reason


def test_mixed_line_endings_and_overlong_lines_are_explained(lake, source):
    mixed = land(
        lake,
        "landing/service_requests/mixed.csv",
        (HEADER + ROW).replace("\n", "\r\n", 1) + ROW.replace("\n", "\r") + ROW,
    )
    result = ingest(lake, source, mixed)
    assert result.status in ("loaded", "quarantined")
    if result.status == "quarantined":
        assert "line endings" in result.reason or "line" in result.reason
    long = land(lake, "landing/service_requests/long.csv", HEADER + ROW.replace("Toronto Water", "x" * 3_000_000))
    result = ingest(lake, source, long)
    assert result.status == "quarantined" and "max_line_bytes" in result.reason, result.reason
