"""A source: where its files land, how they are read and typed, its rules, child tables, pull or collector."""

from __future__ import annotations

import fnmatch
import re
from typing import Literal

from pydantic import Field, model_validator

from qs_platform.config.acquisition import Collect, Pull
from qs_platform.config.models.base import IDENTIFIER, Strict, lake_folder, normalise_column_name, template_regex
from qs_platform.config.models.columns import Column
from qs_platform.config.models.delivery import Batch, CsvOptions, Listing
from qs_platform.config.models.rules import Rule


class ChildTable(Strict):
    """A nested list of a JSON source as a table of its own (raw.<source>__<name>), keyed to its parent row."""

    name: str = Field(pattern=IDENTIFIER)
    path: str = Field(description="Dotted path of the list in each record, e.g. addons")
    parent_columns: list[str] = Field(min_length=1, description="Parent columns copied into every child row (its key)")
    columns: list[Column] = Field(min_length=1, description="Fields of each element; `path` is relative to the element")


class Source(Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str = ""
    landing_prefix: str = ""
    file_pattern: str = "*.csv"
    format: Literal["csv", "json", "parquet"] = Field(
        default="csv",
        description="json reads JSON Lines, JSON arrays and records concatenated without newlines; .gz files are decompressed",
    )
    key_template: str | None = Field(
        default=None,
        description="Landing key below the prefix with named fields, e.g. {store}/{date}/{name}.csv; fields become lineage columns",
    )
    extra_columns: Literal["keep", "quarantine"] = Field(
        default="keep", description="Undeclared columns: kept as text and flagged, or the whole file quarantined"
    )
    csv: CsvOptions = CsvOptions()
    listing: Listing = Listing()
    batch: Batch | None = None
    columns: list[Column] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    children: list[ChildTable] = Field(default_factory=list)
    pull: Pull | None = Field(default=None, description="Pulled from an HTTP API on a schedule into the landing prefix")
    collect: Collect | None = Field(default=None, description="Fed by events posted to `qs-platform collect`")

    @model_validator(mode="after")
    def _defaults_and_references(self) -> Source:
        object.__setattr__(self, "landing_prefix", lake_folder(self.landing_prefix or f"landing/{self.name}/"))
        names = [c.column_name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"columns normalise to duplicate names: {duplicated}")
        for rule in self.rules:
            for column in [getattr(rule, "column", None), *getattr(rule, "columns", [])]:
                if column is not None and normalise_column_name(column) not in names:
                    raise ValueError(
                        f"rule {rule.name!r} names column {column!r}, which is not declared; declared: {names}"
                    )
        fields = self.key_fields
        clashing = sorted(set(fields) & set(names))
        if clashing:
            raise ValueError(f"key_template fields {clashing} clash with declared columns")
        reserved = sorted(f for f in fields if f.startswith("_") or f == "file_row_number")
        if reserved:
            raise ValueError(
                f"key_template fields {reserved}: names starting with '_' (and file_row_number) are the platform's "
                "own columns in raw and quarantine files (_source_key, _line_number, _rules …); rename the field"
            )
        if self.batch:
            unknown = [f for f in self.batch.key if f not in fields]
            if unknown:
                raise ValueError(f"batch.key {unknown} are not fields of key_template {self.key_template!r}")
            if (self.batch.expected_files or self.batch.optional_files) and "name" not in fields:
                raise ValueError("batch.expected_files name files by the {name} field of key_template, which it lacks")
        for child in self.children:
            if self.format != "json":
                raise ValueError(f"children ({child.name}) need format json")
            unknown = [c for c in child.parent_columns if normalise_column_name(c) not in names]
            if unknown:
                raise ValueError(f"children.{child.name}.parent_columns {unknown} are not declared columns")
        rule_names = [r.name for r in self.rules]
        if len(set(rule_names)) != len(rule_names):
            raise ValueError(f"rule names must be unique, got {rule_names}")
        for kind, block in (("pull", self.pull), ("collect", self.collect)):
            if block is None:
                continue
            if self.format != "json":
                raise ValueError(f"{kind}: lands JSON Lines, so the source needs format json, not {self.format}")
            sample = block.sample_key()
            name = sample.rsplit("/", 1)[-1]
            if not fnmatch.fnmatch(name, self.file_pattern):
                raise ValueError(
                    f"{kind}: landed files such as {sample!r} do not match file_pattern {self.file_pattern!r}"
                )
            if self.key_template and not template_regex(self.key_template).fullmatch(sample):
                raise ValueError(
                    f"{kind}: landed keys such as {sample!r} do not fit key_template {self.key_template!r}"
                )
        return self

    @property
    def table_name(self) -> str:
        return f"raw.{self.name}"

    @property
    def table_names(self) -> list[str]:
        return [self.table_name] + [self.child_table_name(c) for c in self.children]

    def child_table_name(self, child: ChildTable) -> str:
        return f"raw.{self.name}__{child.name}"

    @property
    def key_fields(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.key_template or "")
