"""Configuration cannot inject: identifiers from YAML are refused at load (naming the file and key) or quoted wherever
SQL is built, keys never leave their folder, and SQL runs only where the YAML declares SQL."""

import duckdb
import pytest
import yaml

from qs_platform.config.loader import ConfigError, load_config
from qs_platform.config.models import Source, Table
from qs_platform.ingest.load import quarantined_file_key, quarantined_rows_key, raw_key
from qs_platform.sql.text import quote
from qs_platform.transform.checks import evaluate_checks
from qs_platform_tests.conftest import ingest, land, raw_records

HOSTILE = ['x"; drop table raw.y; --', "x' or '1'='1", "../../etc", "x/../raw", "x -- comment", "x/* */", "X;Y"]


def project(**changes) -> dict:
    """A valid one-of-each configuration; `changes` maps a dotted key to its hostile value."""
    data = {
        "sources": [
            {
                "name": "src",
                "columns": [{"name": "id", "type": "bigint"}],
                "rules": [{"name": "positive", "kind": "range", "column": "id", "min": 0}],
            }
        ],
        "tables": [
            {
                "name": "tbl",
                "sql": "select id, current_date as day from raw.src",
                "checks": [{"name": "unique_id", "kind": "unique", "columns": ["id"]}],
                "partition_by": {"column": "day", "input": "raw.src"},
            }
        ],
        "datasets": [{"id": "ds", "table": "processed.tbl"}],
    }
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = data
        for part in path:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return data


def load_problems(tmp_path, data: dict) -> list[str]:
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    return raised.value.problems


def test_the_valid_configuration_loads(tmp_path):
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(project()))
    assert load_config(tmp_path).source("src").landing_prefix == "landing/src/"


@pytest.mark.parametrize(
    "key",
    [
        "sources.0.name",
        "sources.0.rules.0.name",
        "tables.0.name",
        "tables.0.checks.0.name",
        "tables.0.partition_by.column",
        "tables.0.partition_by.input",
        "datasets.0.id",
        "datasets.0.table",
    ],
)
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_identifier_is_refused_naming_the_file_and_key(tmp_path, key, value):
    found = load_problems(tmp_path, project(**{key: value}))
    shown = key.replace("rules.0.", "rules.0.range.").replace(
        "checks.0.", "checks.0.unique."
    )  # the kind of a rule or check
    assert any(line.startswith(f"{tmp_path / 'project.yaml'}: {shown}: ") and repr(value) in line for line in found), (
        found
    )


@pytest.mark.parametrize(
    "prefix",
    [
        "../outside/",
        "/etc/",
        "landing/../raw/src/",
        "landing//src/",
        "raw/src/",
        "processed/",
        ".staging/x/",
        "ledger/",
    ],
)
def test_a_landing_prefix_outside_the_landing_area_is_refused(tmp_path, prefix):
    found = load_problems(tmp_path, project(**{"sources.0.landing_prefix": prefix}))
    assert any(
        line.startswith(f"{tmp_path / 'project.yaml'}: sources.0: ") and repr(prefix) in line for line in found
    ), found


def test_sql_in_a_column_type_is_refused(tmp_path):
    found = load_problems(
        tmp_path, project(**{"sources.0.columns": [{"name": "id", "type": "varchar); drop table raw.y; --"}]})
    )
    assert any("sources.0.columns.0.type: expected one of" in line for line in found), found
    found = load_problems(tmp_path, project(**{"sources.0.columns": [{"name": "id", "type": "decimal(18,2)) --"}]}))
    assert any("sources.0.columns.0.type" in line for line in found), found


NASTY = 'a"; drop table x; --'
APOSTROPHE = "it's; select 1 --"


def test_names_and_options_that_look_like_sql_load_as_data(lake):
    """Column names, aliases, rule values and patterns, null strings, replacements and key fields, each with quotes,
    semicolons and comments: all of it reaches DuckDB only as quoted identifiers or string literals."""
    source = Source.model_validate(
        {
            "name": "src",
            "key_template": "{store}/{name}.csv",
            "csv": {"null_values": ["'); drop table x; --"]},
            "columns": [
                {"name": "id", "type": "bigint"},
                {"name": NASTY, "replace": {"'": "’"}},
                {"name": "note", "aliases": [APOSTROPHE]},
            ],
            "rules": [
                {"name": "known", "kind": "accepted_values", "column": NASTY, "values": ["o’brien", 'x"y', "'); --"]},
                {"name": "shaped", "kind": "regex", "column": "note", "pattern": "^[^;]*;?[^']*'?.*$"},
            ],
        }
    )
    assert source.columns[1].column_name == "a_drop_table_x"
    header = f'id,"{NASTY.replace(chr(34), chr(34) * 2)}",{APOSTROPHE}\n'
    key = land(
        lake,
        "landing/src/o'brien\"; --/part.csv",
        header + '1,o\'brien,"semi; colon -- ""q"""\n2,"x""y",\'); drop table x; --\n',
    )
    result = ingest(lake, source, key)
    assert (result.status, result.loaded_rows, result.rejected_rows) == ("loaded", 2, 0), result
    rows = raw_records(lake, source).order("id").select('id, a_drop_table_x, note, store, "name"').fetchall()
    assert rows == [
        (1, "o’brien", 'semi; colon -- "q"', "o'brien\"; --", "part"),
        (2, 'x"y', None, "o'brien\"; --", "part"),
    ]


def test_checks_quote_the_columns_they_name():
    con = duckdb.connect()
    con.execute(
        f"create table t as select * from (values (1, 'a'), (2, 'b')) as v({quote(NASTY)}, {quote(APOSTROPHE)})"
    )
    table = Table.model_validate(
        {
            "name": "t",
            "sql": "select 1",
            "checks": [
                {"name": "unique", "kind": "unique", "columns": [NASTY]},
                {"name": "present", "kind": "not_null", "columns": [NASTY, APOSTROPHE]},
                {"name": "known", "kind": "accepted_values", "column": APOSTROPHE, "values": ["a", "b"]},
            ],
        }
    )
    assert [o.passed for o in evaluate_checks(con, table.checks, "t")] == [True, True, True]
    assert con.execute("select count(*) from t").fetchone() == (2,)


@pytest.mark.parametrize(
    "landed", ["landing/src/../../raw/src/x.csv", "landing/src/../../../outside.csv", "landing/src/a/../../b.csv"]
)
def test_a_landed_key_never_names_a_file_outside_its_folder(lake, landed):
    """An S3 key may hold `..` literally: its raw and quarantine keys stay below the source's folders, encoded; a
    local lake refuses such a key outright, even one that would resolve inside the lake."""
    source = Source(name="src", columns=[{"name": "id"}])
    for key in (raw_key(source, landed), quarantined_rows_key(source, landed), quarantined_file_key(source, landed)):
        assert ".." not in key.split("/") and key.split("/")[1] == "src", key
    with pytest.raises(ValueError, match="escapes its folder"):
        lake.put_bytes(landed, b"id\n1\n")
    with pytest.raises(ValueError, match="escapes its folder"):
        lake.stat(landed)
    assert not (lake.root / "raw").exists() and not (lake.root.parent / "outside.csv").exists()


def test_json_paths_that_look_like_sql_or_json_path_syntax_load_as_data(lake):
    import json

    source = Source.model_validate(
        {
            "name": "events",
            "format": "json",
            "file_pattern": "*.json",
            "columns": [
                {"name": "id", "type": "bigint"},
                {"name": "v", "path": "we\"ird.k'ey; --"},
                {"name": "w", "path": "a\\\\b.$[0]"},
            ],
        }
    )
    record = {"id": 1, 'we"ird': {"k'ey; --": "quoted"}, "a\\\\b": {"$[0]": "bracketed"}}
    key = land(lake, "landing/events/e.json", json.dumps(record) + "\n")
    assert ingest(lake, source, key).loaded_rows == 1
    assert raw_records(lake, source).select("id, v, w").fetchall() == [(1, "quoted", "bracketed")]
