"""Property tests of the readers: any dialect-valid CSV or JSON round-trips; any bytes are loaded or explained."""

import csv
import io
import json

import duckdb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qs_platform.config.models import Source
from qs_platform.ingest.ledger import Ledger
from qs_platform.ingest.runner import ingest_group
from qs_platform.lake import LocalLake

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


def load(tmp_path_factory, source: Source, name: str, data: bytes):
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    key = f"{source.landing_prefix}{name}"
    lake.put_bytes(key, data)
    [outcome] = ingest_group(lake, lake, source, [lake.stat(key)], Ledger(source, {})).outcomes
    return lake, key, outcome


def rows_of(lake, source, key):
    from qs_platform.catalog.tables import raw_rows_select

    names = ", ".join(c.column_name for c in source.columns)
    return duckdb.sql(
        f"select {names} from ({raw_rows_select(lake, source, first_copy_only=False)}) order by _line_number"
    ).fetchall()


@EXAMPLES
@given(
    rows=st.lists(st.lists(TEXT, min_size=3, max_size=3), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_any_dialect_valid_csv_round_trips(tmp_path_factory, rows, delimiter, quoting, line_end):
    # RFC 4180 quotes a field holding CR; Python's writer only does with QUOTE_ALL when its line end is "\n"
    assume(quoting == csv.QUOTE_ALL or not any("\r" in value for row in rows for value in row))
    source = Source.model_validate(
        {"name": "t", "csv": {"delimiter": delimiter}, "columns": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=line_end)
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    lake, key, outcome = load(tmp_path_factory, source, "f.csv", buffer.getvalue().encode())
    assert outcome.record.status == "loaded", outcome.record.reason
    assert outcome.record.input_rows == len(rows) == outcome.record.loaded_rows
    expected = [tuple(value if value != "" else None for value in row) for row in rows]
    got = [tuple(None if v == "" else v for v in row) for row in rows_of(lake, source, key)]
    assert got == expected


@EXAMPLES
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {"a": TEXT, "b": st.one_of(st.integers(-(10**15), 10**15), st.none())}, optional={"x": TEXT}
        ),
        max_size=10,
    ),
    shape=st.sampled_from(["lines", "array", "concatenated"]),
)
def test_any_json_records_round_trip(tmp_path_factory, records, shape):
    source = Source.model_validate(
        {
            "name": "j",
            "format": "json",
            "file_pattern": "*.json",
            "columns": [{"name": "a"}, {"name": "b", "type": "integer"}],
        }
    )
    if shape == "lines":
        data = "\n".join(json.dumps(r) for r in records)
    elif shape == "array":
        data = json.dumps(records)
    else:
        data = "".join(json.dumps(r) for r in records)
    lake, key, outcome = load(tmp_path_factory, source, "f.json", data.encode())
    if not records:
        assert outcome.record.status == "quarantined" and "no JSON records" in outcome.record.reason
        return
    assert outcome.record.status == "loaded", outcome.record.reason
    assert rows_of(lake, source, key) == [(r["a"], r["b"]) for r in records]


@EXAMPLES
@given(data=st.binary(max_size=300), name=st.sampled_from(["f.csv", "f.json", "f.csv.gz", "f.zip"]))
def test_any_bytes_are_loaded_or_quarantined_with_a_reason(tmp_path_factory, data, name):
    fmt = "json" if name.endswith(".json") else "csv"
    source = Source.model_validate({"name": "b", "format": fmt, "file_pattern": "*", "columns": [{"name": "a"}]})
    lake, key, outcome = load(tmp_path_factory, source, name, data)
    record = outcome.record
    assert record.status in ("loaded", "quarantined", "expanded")
    assert record.loaded_rows + record.rejected_rows == record.input_rows
    if record.status == "quarantined":
        assert record.reason and "Traceback" not in record.reason and str(lake.root) not in record.reason
