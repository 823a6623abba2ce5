"""Every format a replaced system delivered lands the same way: typed rows, drift flagged, bad input explained."""

import gzip
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qs_platform.config.models import Source
from qs_platform.ingest import formats
from qs_platform.sql.engine import connect
from qs_platform_tests.conftest import CLICKSTREAM_EVENTS as CLICKSTREAM
from qs_platform_tests.conftest import ingest, land, raw_records


def rows(lake, source, key):
    relation = raw_records(lake, source, key).order("_line_number")
    return [dict(zip(relation.columns, r)) for r in relation.fetchall()]


def clickstream_source(**overrides) -> Source:
    spec = {
        "name": "clickstream",
        "format": "json",
        "file_pattern": "*.json",
        "key_template": "{yyyy}/{mm}/{dd}/{hh}/{name}",
        "columns": [
            {"name": "element_clicked", "required": True},
            {"name": "time_spent", "type": "integer"},
            {"name": "source_menu"},
            {
                "name": "created_at",
                "type": "timestamp",
                "formats": ["%Y-%m-%d %H:%M:%S"],
                "aliases": ["createdAt"],
                "replace": {"\u2013": "-"},
            },
        ],
    }
    spec.update(overrides)
    return Source.model_validate(spec)


def test_seed_clickstream_events_with_en_dash_and_createdat_drift(lake):
    source = clickstream_source()
    key = land(lake, "landing/clickstream/2022/09/11/23/events.json", CLICKSTREAM.read_bytes())
    result = ingest(lake, source, key)
    assert (result.input_rows, result.loaded_rows, result.rejected_rows) == (5, 5, 0)
    loaded = rows(lake, source, key)
    assert [r["element_clicked"] for r in loaded] == ["entree_1", "entree_1", "entree_4", "drink_1", "drink_3"]
    assert {str(r["created_at"]) for r in loaded} == {"2022-09-11 23:00:00"}, (
        "EN DASH normalised, createdAt read as created_at"
    )
    assert {(r["yyyy"], r["mm"], r["dd"], r["hh"], r["name"]) for r in loaded} == {
        ("2022", "09", "11", "23", "events.json")
    }
    assert sum(r["time_spent"] for r in loaded) == 67 + 12 + 32 + 15 + 14


@pytest.mark.parametrize(
    "payload",
    [
        "\n".join(
            json.dumps(r)
            for r in [{"element_clicked": "a", "time_spent": 1}, {"element_clicked": "b", "time_spent": 2}]
        ),
        json.dumps([{"element_clicked": "a", "time_spent": 1}, {"element_clicked": "b", "time_spent": 2}]),
        '{"element_clicked": "a", "time_spent": 1}{"element_clicked": "b", "time_spent": 2}',
    ],
    ids=["json-lines", "json-array", "concatenated-without-newlines"],
)
def test_json_shapes(lake, payload):
    source = clickstream_source(key_template=None)
    key = land(lake, "landing/clickstream/f.json", payload)
    result = ingest(lake, source, key)
    assert (result.status, result.loaded_rows) == ("loaded", 2)
    assert [r["time_spent"] for r in rows(lake, source, key)] == [1, 2]
    assert result.missing_columns == ["source_menu", "created_at"]


def test_nested_objects_by_path_and_epoch_seconds(lake):
    source = Source.model_validate(
        {
            "name": "subscriptions",
            "format": "json",
            "file_pattern": "*.json",
            "columns": [
                {"name": "id", "required": True},
                {"name": "plan_amount", "type": "integer"},
                {"name": "updated_at", "type": "timestamp", "formats": ["epoch"]},
                {"name": "city", "path": "customer.billing_address.city"},
            ],
        }
    )
    records = [
        {
            "id": "s1",
            "plan_amount": 1999,
            "updated_at": 1704067200,
            "customer": {"billing_address": {"city": "Lyon"}},
            "addons": [],
        },
        {"id": "s2", "plan_amount": 500, "updated_at": 1706745600, "customer": {"email": "x@y"}, "coupons": [{"c": 1}]},
    ]
    key = land(lake, "landing/subscriptions/pull.json", json.dumps(records))
    result = ingest(lake, source, key)
    loaded = rows(lake, source, key)
    assert [(r["id"], r["city"], str(r["updated_at"])) for r in loaded] == [
        ("s1", "Lyon", "2024-01-01 00:00:00"),
        ("s2", None, "2024-02-01 00:00:00"),
    ]
    assert result.new_columns == ["addons", "coupons"], "undeclared fields are kept and flagged"
    assert json.loads(loaded[1]["coupons"]) == [{"c": 1}]


def test_malformed_json_is_quarantined_whole(lake):
    source = clickstream_source(key_template=None)
    key = land(lake, "landing/clickstream/bad.json", '{"element_clicked": "a"}\n{"element_clicked": \n')
    result = ingest(lake, source, key)
    assert result.status == "quarantined" and "JSON" in result.reason
    assert result.input_rows == 2 and result.reconciled


SALES = Source.model_validate(
    {
        "name": "sales",
        "key_template": "{store}/{date}/{name}",
        "csv": {"delimiter": ";", "encoding": "latin-1"},
        "file_pattern": "*.csv*",
        "columns": [
            {"name": "order_id", "required": True},
            {"name": "customer_name"},
            {"name": "sale_amount", "type": "decimal(12,2)"},
        ],
    }
)


def test_latin1_semicolon_csv_with_key_fields(lake):
    text = "order_id;customer_name;sale_amount\n1;Zoë Müller;10.50\n2;François;3\n"
    key = land(lake, "landing/sales/store-7/2024-03-01/part-1.csv", text.encode("latin-1"))
    result = ingest(lake, SALES, key)
    loaded = rows(lake, SALES, key)
    assert result.loaded_rows == 2 and [r["customer_name"] for r in loaded] == ["Zoë Müller", "François"]
    assert {(r["store"], r["date"]) for r in loaded} == {("store-7", "2024-03-01")}


def test_gzip_and_bom(lake):
    source = SALES.model_copy(update={"csv": SALES.csv.model_copy(update={"encoding": "utf-8", "delimiter": ","})})
    key = land(
        lake,
        "landing/sales/s/2024-03-01/part-1.csv.gz",
        gzip.compress("\ufefforder_id,sale_amount,customer_name\n1,2.5,Ann\n".encode()),
    )
    result = ingest(lake, source, key)
    assert result.loaded_rows == 1 and rows(lake, source, key)[0]["order_id"] == "1", (
        "BOM stripped, columns matched by name"
    )


def test_key_outside_the_template_is_quarantined(lake):
    key = land(lake, "landing/sales/loose-file.csv", "order_id\n1\n")
    result = ingest(lake, SALES, key)
    assert result.status == "quarantined" and "does not match key_template '{store}/{date}/{name}'" in result.reason


def test_parquet_input(lake, tmp_path):
    table = pa.table({"order_id": ["1", "2"], "sale_amount": [1.25, 2.0], "surprise": [True, False]})
    pq.write_table(table, tmp_path / "in.parquet")
    source = SALES.model_copy(update={"format": "parquet", "key_template": None})
    key = land(lake, "landing/sales/in.parquet", (tmp_path / "in.parquet").read_bytes())
    result = ingest(lake, source, key)
    loaded = rows(lake, source, key)
    assert [str(r["sale_amount"]) for r in loaded] == ["1.25", "2.00"]
    assert result.new_columns == ["surprise"] and loaded[0]["surprise"] == "true"


def test_undeclared_columns_can_be_refused(lake):
    source = SALES.model_copy(
        update={
            "extra_columns": "quarantine",
            "key_template": None,
            "csv": SALES.csv.model_copy(update={"encoding": "utf-8"}),
        }
    )
    key = land(lake, "landing/sales/x.csv", "order_id;extra\n1;2\n")
    result = ingest(lake, source, key)
    assert result.status == "quarantined" and "undeclared columns ['extra']" in result.reason


def test_nested_lists_become_child_tables_keyed_to_their_parent(lake):
    source = Source.model_validate(
        {
            "name": "subscriptions",
            "format": "json",
            "file_pattern": "*.json",
            "columns": [{"name": "id", "required": True}, {"name": "plan_amount", "type": "integer"}],
            "children": [
                {
                    "name": "addons",
                    "path": "addons",
                    "parent_columns": ["id"],
                    "columns": [
                        {"name": "addon_id", "path": "id", "required": True},
                        {"name": "quantity", "type": "integer"},
                    ],
                }
            ],
        }
    )
    records = [
        {"id": "s1", "plan_amount": 100, "addons": [{"id": "sso", "quantity": 2}, {"id": "api", "quantity": "many"}]},
        {"id": "s2", "plan_amount": 200, "addons": []},
        {"id": "s3", "plan_amount": -1, "addons": [{"id": "x", "quantity": 1}]},
        {"plan_amount": 5, "addons": [{"id": "orphan", "quantity": 1}]},
    ]
    key = land(lake, "landing/subscriptions/pull.json", json.dumps(records))
    result = ingest(lake, source, key)
    assert result.loaded_rows == 3 and result.rejected_rows == 1 and result.new_columns == []
    assert result.children == {"addons": {"loaded": 2, "rejected": 1}}
    child = duckdb.sql(
        f"select id, _position, addon_id, quantity, _source_key from '{lake.uri('raw/subscriptions__addons/pull.json.parquet')}' where _reject is null order by all"
    ).fetchall()
    assert child == [("s1", 0, "sso", 2, key), ("s3", 0, "x", 1, key)], "orphans of quarantined records are not loaded"
    rejected = duckdb.sql(
        f"select id, addon_id, quantity, _errors from '{lake.uri('quarantine/subscriptions__addons/rows/pull.json.parquet')}'"
    ).fetchall()
    assert rejected == [("s1", "api", "many", ["quantity: expected an integer, got 'many'"])]


HEADER_SR = "id,start_date,end_date,service_division_owner,service_result,ward_id,estimated_cost,notes"


@pytest.mark.parametrize(
    "source_name, name, data, status, input_rows, reason",
    [
        (
            "service_requests",
            "crlf.csv",
            (HEADER_SR + "\r\n1,1/3/2000,1/10/2000,W,PASS,3,1,\r\n2,1/3/2000,1/10/2000,W,PASS,3,1,").encode(),
            "loaded",
            2,
            None,
        ),
        ("service_requests", "header-only.csv", (HEADER_SR + "\n").encode(), "loaded", 0, None),
        (
            "service_requests",
            "utf16.csv",
            (HEADER_SR + "\n1,1/3/2000,,W,PASS,3,1,\n").encode("utf-16"),
            "quarantined",
            2,
            "not valid UTF-8",
        ),
        ("service_requests", "corrupt.csv.gz", b"\x1f\x8b\x08garbage", "quarantined", 0, "corrupt gzip data"),
        (
            "service_requests",
            "tabs.csv",
            (HEADER_SR.replace(",", "\t") + "\n1\t1/3/2000\n").encode(),
            "quarantined",
            1,
            "missing required columns",
        ),
        ("clickstream", "2022/09/11/23/empty.json", b"", "quarantined", 0, "no JSON records"),
        (
            "clickstream",
            "2022/09/11/23/scalars.json",
            b"[1, 2]",
            "quarantined",
            2,
            "2 of 2 records are not JSON objects",
        ),
        (
            "clickstream",
            "2022/09/11/23/truncated.json",
            b'{"element_clicked":"a","created_at":"2022-09-11 23:00:00"}\n{"element_cl',
            "quarantined",
            2,
            "Malformed JSON",
        ),
        (
            "clickstream",
            "2022/09/11/23/bom.json",
            '\ufeff{"element_clicked":"a","created_at":"2022-09-11 23:00:00"}'.encode(),
            "loaded",
            1,
            None,
        ),
    ],
)
def test_odd_files_are_loaded_or_quarantined_with_a_reason(
    lake, config, source_name, name, data, status, input_rows, reason
):
    source = config.source(source_name)
    key = land(lake, source.landing_prefix + name, data)
    result = ingest(lake, source, key)
    assert (result.status, result.input_rows) == (status, input_rows)
    assert result.reconciled
    if reason:
        assert reason in result.reason and str(lake.root) not in result.reason, "the reason names no temporary path"


@pytest.mark.parametrize(
    "text, header, skip",
    [
        ("a,b,c\n1,2,3\n", ["a", "b", "c"], 0),
        ('"a,b",c\n1,2\n', ["a,b", "c"], 0),  # a delimiter in a quoted name: sized again by DuckDB
        ("\ufeffa,b\n1,2\n", ["a", "b"], 0),
        ("\n\na,b\n1,2\n", ["a", "b"], 2),  # blank lines first: the sniffer counts them
    ],
)
def test_csv_header_is_the_first_line_that_is_not_blank(tmp_path, config, monkeypatch, text, header, skip):
    sniffed = []
    real_sniff = formats._sniff
    monkeypatch.setattr(formats, "_sniff", lambda *a: sniffed.append(a) or real_sniff(*a))
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    with connect() as con:
        assert formats.csv_header(con, str(path), config.source("service_requests")) == (header, skip)
    assert bool(sniffed) == text.startswith("\n"), "the sniffer runs only before blank lines"
