"""The one quoting of SQL strings and identifiers: whatever the text, it stays one literal or one name."""

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from qs_platform.sql.text import constant_string, quote, sql_string

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(TEXT)
def test_a_quoted_string_is_read_back_as_exactly_itself(value):
    assert duckdb.execute(f"select {sql_string(value)}").fetchone()[0] == value


@settings(max_examples=100, derandomize=True, deadline=None)
@given(TEXT)
def test_a_constant_string_column_is_written_and_read_back_as_a_string(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("constant") / "file.parquet"
    con = duckdb.connect()
    con.execute(f"copy (select {constant_string(value)} as k from range(3)) to '{path}' (format parquet)")
    assert con.execute(f"select typeof(k), k from '{path}'").fetchall() == [("VARCHAR", value)] * 3


@settings(max_examples=200, derandomize=True, deadline=None)
@given(TEXT.filter(lambda t: t.strip()))
def test_a_quoted_identifier_names_exactly_one_column(name):
    con = duckdb.connect()
    row = con.execute(f"select 1 as {quote(name)}")
    assert [d[0] for d in row.description] == [name]


def test_injection_attempts_stay_data():
    hostile = "x'); drop table t; --"
    assert duckdb.execute(f"select {sql_string(hostile)}").fetchone()[0] == hostile
    assert quote('a"b') == '"a""b"'
