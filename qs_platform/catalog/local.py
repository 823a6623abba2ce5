"""The local catalog: a DuckDB file with schemas raw/processed/quarantine and one view per table.

Anyone can then `duckdb <catalog> -c "select * from processed.<table>"`. The file is opened only for the
moment of a write or read, with retries, because other processes (runs, the viewer, a user's shell) open it too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from qs_platform.catalog.base import Catalog, CatalogTable
from qs_platform.catalog.tables import table_select
from qs_platform.config.models import ProjectConfig
from qs_platform.lake import Lake


def _is_lock_conflict(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


# Written so that older DuckDB releases (e.g. the `duckdb` CLI users have installed) can open the catalog too.
STORAGE_COMPATIBILITY = {"storage_compatibility_version": "v1.0.0"}

retry_on_lock = retry(
    retry=retry_if_exception(_is_lock_conflict),
    wait=wait_exponential(multiplier=0.1, max=2),
    stop=stop_after_delay(60),
    reraise=True,
)


class LocalCatalog(Catalog):
    def __init__(self, path: str | Path, lake: Lake, config: ProjectConfig):
        self.path = Path(path)
        self.lake = lake
        self.config = config

    @property
    def location(self) -> str:
        return str(self.path)

    def query_hint(self, table_name: str) -> tuple[str, str]:
        return str(self.path), f'duckdb {self.path} -c "select * from {table_name} limit 10"'

    @retry_on_lock
    def register(self, table_name: str) -> CatalogTable:
        layer, name = table_name.split(".", 1)
        select = table_select(self.lake, self.config, table_name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.path), config=STORAGE_COMPATIBILITY) as con:
            con.execute(f'create schema if not exists "{layer}"')
            current = con.execute(
                "select sql from duckdb_views() where schema_name = ? and view_name = ?", [layer, name]
            ).fetchone()
            if current is None or select not in current[0]:
                con.execute(f'create or replace view "{layer}"."{name}" as {select}')
            return self._describe(con, table_name)

    @retry_on_lock
    def describe(self, table_name: str) -> CatalogTable:
        if not self.path.exists():
            raise LookupError(f"{table_name}: the catalog {self.path} does not exist yet")
        with duckdb.connect(str(self.path), read_only=True) as con:
            return self._describe(con, table_name)

    @staticmethod
    def _describe(con: duckdb.DuckDBPyConnection, table_name: str) -> CatalogTable:
        layer, name = table_name.split(".", 1)
        try:
            columns = [(r[0], r[1]) for r in con.execute(f'describe "{layer}"."{name}"').fetchall()]
        except duckdb.CatalogException as error:
            raise LookupError(f"{table_name} is not registered in the catalog") from error
        count = con.execute(f'select count(*) from "{layer}"."{name}"').fetchone()[0]
        return CatalogTable(table_name, columns, count)
