"""The catalog seam: where a table's name is registered for query engines and QuickSight.

Local: one DuckDB file with a view per table. AWS: Glue tables queried by Athena.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass


class SchemaError(ValueError):
    """The table's data cannot be registered as it is (an incompatible type change, a type the engine cannot read)."""


@dataclass(frozen=True)
class CatalogTable:
    name: str  # e.g. processed.division_kpis
    columns: list[tuple[str, str]]  # (column, DuckDB type)
    row_count: int


class Catalog(abc.ABC):
    @abc.abstractmethod
    def register(self, table_name: str) -> CatalogTable:
        """Create or update the catalog entry of a table from its data in the lake."""

    @abc.abstractmethod
    def describe(self, table_name: str) -> CatalogTable:
        """The registered table's columns and row count; LookupError if it is not registered."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where users find the catalog (a file path, or a Glue database)."""

    def database(self, layer: str) -> str:
        """The database (schema) a layer's tables are in, as query engines and QuickSight name it."""
        return layer

    @abc.abstractmethod
    def query_hint(self, table_name: str) -> tuple[str, str]:
        """(where the table is, a command or query that reads it), for people looking at an asset."""
