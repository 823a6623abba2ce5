"""QuickSight datasets: a catalog table, whole or through CustomSql."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qs_platform.config.models.base import IDENTIFIER, Strict


class Dataset(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: str = ""
    table: str = Field(
        pattern=r"^(raw|processed)\.[a-z][a-z0-9_]*$", description="Catalog name, e.g. processed.division_kpis"
    )
    import_mode: Literal["SPICE", "DIRECT_QUERY"] = "SPICE"
    sql: str = Field(
        default="",
        description="Athena SQL for a CustomSql dataset instead of the whole table; it must return the columns of `table` "
        "(e.g. a row filter), which type the dataset's columns",
    )

    @property
    def display_name(self) -> str:
        return self.name or self.id
