"""Declared columns and their types."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from qs_platform.config.models.base import Strict, normalise_column_name

# Declared type -> DuckDB type. Keys are what users may write in YAML.
COLUMN_TYPES = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "integer": "BIGINT",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
DECIMAL_TYPE = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


class Column(Strict):
    name: str = Field(description="The column's name as it appears in the file header (CSV) or record (JSON).")
    type: str = "string"
    formats: list[str] = Field(
        default_factory=list,
        description="strptime formats for date/timestamp columns, tried in order; `epoch` / `epoch_ms` for Unix times.",
    )
    required: bool = False
    description: str = ""
    aliases: list[str] = Field(default_factory=list, description="Other names the column arrives under (schema drift).")
    path: str | None = Field(
        default=None, description="JSON: dotted path of a nested value, e.g. customer.billing_address.city"
    )
    replace: dict[str, str] = Field(
        default_factory=dict, description="Text normalisation before typing, e.g. {'\u2013': '-'}"
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in COLUMN_TYPES and not DECIMAL_TYPE.match(value):
            raise ValueError(f"expected one of {sorted(COLUMN_TYPES)} or decimal(p,s), got {value!r}")
        return value

    @model_validator(mode="after")
    def _formats_only_for_dates(self) -> Column:
        if self.formats and self.type not in ("date", "timestamp"):
            raise ValueError(f"formats is only allowed on date/timestamp columns, not {self.type!r}")
        return self

    @property
    def column_name(self) -> str:
        return normalise_column_name(self.name)

    @property
    def duckdb_type(self) -> str:
        return COLUMN_TYPES.get(self.type) or self.type.upper()
