"""Everything of `assets_config/` together, and the lookups across it."""

from __future__ import annotations

from pydantic import Field

from qs_platform.config.models.base import Strict
from qs_platform.config.models.dashboards import Dashboard
from qs_platform.config.models.datasets import Dataset
from qs_platform.config.models.sources import ChildTable, Source
from qs_platform.config.models.tables import Table


class ProjectConfig(Strict):
    sources: list[Source] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    datasets: list[Dataset] = Field(default_factory=list)
    dashboards: list[Dashboard] = Field(default_factory=list)

    def source(self, name: str) -> Source:
        return next(s for s in self.sources if s.name == name)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def dataset(self, dataset_id: str) -> Dataset:
        return next(d for d in self.datasets if d.id == dataset_id)

    def dashboard(self, dashboard_id: str) -> Dashboard:
        return next(d for d in self.dashboards if d.id == dashboard_id)

    @property
    def catalog_tables(self) -> list[str]:
        return [name for s in self.sources for name in s.table_names] + [t.table_name for t in self.tables]

    @property
    def ledger_tables(self) -> list[str]:
        """`ledger.<source>`: what became of every landed file (in the catalog beside the data, not read by SQL)."""
        return [f"ledger.{s.name}" for s in self.sources]

    def column_descriptions(self, table_name: str) -> dict[str, str]:
        """What the YAML says each column of a catalog table is: a table's `columns:`, a source's column descriptions."""
        layer, name = table_name.split(".", 1)
        if layer == "processed":
            return dict(next((t.columns for t in self.tables if t.name == name), {}))
        source = next((s for s in self.sources if s.table_name == table_name), None) if layer == "raw" else None
        return {c.column_name: c.description for c in source.columns if c.description} if source else {}

    def raw_owner(self, table_name: str) -> tuple[Source, ChildTable | None]:
        """The source writing a raw table, and the child table it is (None for the source's own table)."""
        for source in self.sources:
            if table_name == source.table_name:
                return source, None
            for child in source.children:
                if table_name == source.child_table_name(child):
                    return source, child
        raise KeyError(table_name)
