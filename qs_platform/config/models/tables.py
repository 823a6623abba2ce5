"""Processed tables: their SQL, declared checks, partitioning and schedule."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from qs_platform.config.acquisition import Schedule
from qs_platform.config.models.base import COLUMN_IDENTIFIER, IDENTIFIER, Strict
from qs_platform.sql.text import quote


class CheckBase(Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str = ""
    blocking: bool = Field(default=False, description="A failure keeps the new data unpublished and stops downstream")


class RowCountCheck(CheckBase):
    kind: Literal["row_count"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class UniqueCheck(CheckBase):
    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1)


class NotNullCheck(CheckBase):
    kind: Literal["not_null"]
    columns: list[str] = Field(min_length=1)


class AcceptedValuesCheck(CheckBase):
    kind: Literal["accepted_values"]
    column: str
    values: list[str | int | float] = Field(min_length=1)


class FreshnessCheck(CheckBase):
    kind: Literal["freshness"]
    column: str = Field(description="A timestamp/date column whose newest value must be recent")
    max_age_hours: float = Field(gt=0)


class SqlCheck(CheckBase):
    kind: Literal["sql"]
    sql: str = Field(description="A query returning the violating rows; {table} is the table being checked")


Check = Annotated[
    RowCountCheck | UniqueCheck | NotNullCheck | AcceptedValuesCheck | FreshnessCheck | SqlCheck,
    Field(discriminator="kind"),
]


class PartitionBy(Strict):
    """Store the table as one Parquet file per partition and recompute only the partitions new input touches.

    `input` is the upstream table whose new or removed files decide which partitions are recomputed;
    `input_expression` (SQL over its rows, default: the output column's name) must give the same partition value as
    `column` does for the output rows made from them. Any change in another input recomputes every partition.
    """

    column: str = Field(pattern=COLUMN_IDENTIFIER)
    grain: Literal["day", "month", "value"] = "day"
    input: str = Field(pattern=r"^(raw|processed)\.[a-z][a-z0-9_]*$")
    input_expression: str = ""

    @property
    def input_sql(self) -> str:
        return self.input_expression or quote(self.column)


class Table(Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str = ""
    sql: str
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Column name -> what it is: the UI's Columns table and the Glue column comment",
    )
    checks: list[Check] = Field(default_factory=list)
    partition_by: PartitionBy | None = None
    engine: Literal["duckdb", "athena"] = "duckdb"  # athena: the same SQL runs as CTAS / INSERT INTO on Athena
    schedule: Schedule | None = Field(
        default=None,
        description="Rebuild the whole table on a clock (e.g. month-end snapshots); running by default when its SQL reads the date",
    )

    @model_validator(mode="after")
    def _unique_check_names(self) -> Table:
        names = [c.name for c in self.checks]
        if len(names) != len(set(names)):
            raise ValueError(f"check names must be unique, got {names}")
        return self

    @property
    def table_name(self) -> str:
        return f"processed.{self.name}"
