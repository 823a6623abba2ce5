"""The local DuckDB catalog: a view per table over the lake's Parquet files, written only when its SQL changed."""

import duckdb
import pytest

from qs_platform.catalog.local import LocalCatalog
from qs_platform.config.models import ProjectConfig, Table


def write_parquet(lake, key: str, sql: str) -> None:
    path = lake.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(f"copy ({sql}) to '{path}' (format parquet)")


def view_oid(catalog) -> int:
    with duckdb.connect(str(catalog.path), read_only=True) as con:
        return con.execute("select view_oid from duckdb_views() where view_name = 'kpis'").fetchone()[0]


def test_a_registered_table_is_a_view_over_the_lake_described_and_counted(lake, tmp_path):
    config = ProjectConfig(tables=[Table(name="kpis", sql="select 1")])
    write_parquet(lake, "processed/kpis/data.parquet", "select range as n, 'x' as s from range(3)")
    catalog = LocalCatalog(tmp_path / "catalog.duckdb", lake, config)

    entry = catalog.register("processed.kpis")

    assert entry.columns == [("n", "BIGINT"), ("s", "VARCHAR")] and entry.row_count == 3
    assert catalog.describe("processed.kpis") == entry
    write_parquet(lake, "processed/kpis/data.parquet", "select range as n, 'y' as s from range(5)")
    assert catalog.describe("processed.kpis").row_count == 5, "a view: new data is seen without registering again"
    with duckdb.connect(str(catalog.path), read_only=True) as con:
        assert con.execute("select count(*) from processed.kpis where s = 'y'").fetchone()[0] == 5


def test_registering_again_leaves_the_view_alone_and_unknown_tables_say_so(lake, tmp_path):
    config = ProjectConfig(tables=[Table(name="kpis", sql="select 1")])
    write_parquet(lake, "processed/kpis/data.parquet", "select 1 as n")
    catalog = LocalCatalog(tmp_path / "catalog.duckdb", lake, config)
    catalog.register("processed.kpis")
    created = view_oid(catalog)

    catalog.register("processed.kpis")

    assert view_oid(catalog) == created, "an unchanged view is not replaced"
    with pytest.raises(LookupError, match="processed.other is not registered"):
        catalog.describe("processed.other")
    with pytest.raises(LookupError, match="does not exist yet"):
        LocalCatalog(tmp_path / "none.duckdb", lake, config).describe("processed.kpis")
