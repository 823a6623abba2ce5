"""Where a QuickSight dataset's rows come from in the local DuckDB catalog.

A `RelationalTable` {Schema: processed, Name: division_kpis} reads `"processed"."division_kpis"`; a
`CustomSql` is used as a subquery. A logical table's RenameColumnOperation / CreateColumnsOperation /
FilterOperation / CastColumnTypeOperation transforms are applied on top; joins and other sources are not supported.

QuickSight's column names are case-sensitive and DuckDB's are not: a dataset may hold `resource id` and a column
renamed or created as `Resource Id`, which DuckDB would take for one. Such a column gets a name of its own in the
relation (`DatasetSource.sql_names`), and every reference to it is resolved through that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expressions import ExpressionError, Sql, translate
from .functions import strftime_format

# QuickSight's column types as DuckDB's (a value that does not convert is NULL, as in a direct query)
CAST_TYPES = {"STRING": "VARCHAR", "INTEGER": "BIGINT", "DECIMAL": "DOUBLE", "DATETIME": "TIMESTAMP"}


class DatasetError(ValueError):
    """A dataset the local viewer cannot read."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def unique_ignoring_case(name: str, taken: set[str]) -> str:
    """`name`, or `name#2`, `name#3` …: the first that no name of `taken` (lower case) matches, ignoring case."""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name}#{n}"
    return candidate


@dataclass(frozen=True)
class DatasetSource:
    identifier: str  # the DataSetIdentifier used inside the Definition
    dataset_id: str
    relation: str  # what goes after FROM
    columns: tuple[str, ...] = field(default_factory=tuple)  # known column names (may be empty)
    geographic_roles: dict[str, str] = field(
        default_factory=dict
    )  # column -> LATITUDE | LONGITUDE | CITY ... (TagColumnOperation)
    sql_names: dict[str, str] = field(default_factory=dict)  # column -> its name in `relation`, where they differ

    def sql_column(self, name: str) -> str:
        """The quoted identifier of the dataset column `name` in `relation`."""
        return quote_identifier(self.sql_names.get(name, name))


class _PhysicalColumns:
    """Resolver for dataset-level expressions: plain columns, no dashboard parameters."""

    def __init__(self, sql_names: dict[str, str] | None = None):
        self.sql_names = sql_names or {}

    def column(self, name: str) -> Sql:
        return Sql(quote_identifier(self.sql_names.get(name, name)))

    def parameter(self, name: str) -> Sql:
        raise ExpressionError(f"dataset expressions cannot use parameters (${{{name}}})")


def _physical_relation(table_id: str, physical: dict) -> tuple[str, list[str]]:
    if "RelationalTable" in physical:
        table = physical["RelationalTable"]
        parts = [p for p in (table.get("Schema"), table["Name"]) if p]
        columns = [c["Name"] for c in table.get("InputColumns", [])]
        return ".".join(quote_identifier(p) for p in parts), columns
    if "CustomSql" in physical:
        custom = physical["CustomSql"]
        query = custom["SqlQuery"].strip().rstrip(";").strip()
        columns = [c["Name"] for c in custom.get("Columns", [])]
        return f"({query})", columns
    kind = next(iter(physical), "unknown")
    raise DatasetError(
        f"physical table {table_id!r} is a {kind}, which the local viewer cannot read (only RelationalTable and CustomSql)"
    )


def _geographic_roles(transforms: list[dict]) -> dict[str, str]:
    roles = {}
    for transform in transforms:
        tag = transform.get("TagColumnOperation") or {}
        for item in tag.get("Tags", []):
            if item.get("ColumnGeographicRole"):
                roles[tag["ColumnName"]] = item["ColumnGeographicRole"]
    return roles


@dataclass
class _Transformed:
    """A logical table's relation while its transforms are applied, with its columns' QuickSight names."""

    relation: str
    columns: list[str]
    sql_names: dict[str, str] = field(default_factory=dict)

    def sql_name(self, name: str) -> str:
        return self.sql_names.get(name, name)

    def own_name(self, name: str, replacing: str | None = None) -> str:
        """`name` in the relation, or a variant of it when DuckDB (whose names ignore case) would take it for another
        column (`replacing`: the column it takes the place of, whose name is free)."""
        taken = {self.sql_name(c).lower() for c in self.columns if c != (replacing or name)}
        return unique_ignoring_case(name, taken)

    def rename(self, old: str, new: str) -> None:
        current, target = self.sql_name(old), self.own_name(new, old)
        if current != target:
            self.relation = f"(SELECT * RENAME ({quote_identifier(current)} AS {quote_identifier(target)}) FROM {self.relation} AS _src)"
        self.sql_names.pop(old, None)
        self.columns = [new if c == old else c for c in self.columns]
        if target != new:
            self.sql_names[new] = target

    def create(self, columns: list[dict]) -> None:
        created = []
        for column in columns:
            name = column["ColumnName"]
            target = self.own_name(name)
            sql = translate(column["Expression"], _PhysicalColumns(self.sql_names)).text
            created.append(f"{sql} AS {quote_identifier(target)}")
            self.columns.append(name)
            if target != name:
                self.sql_names[name] = target
        if created:
            self.relation = f"(SELECT *, {', '.join(created)} FROM {self.relation} AS _src)"

    def cast(self, name: str, new_type: str, date_format: str | None = None) -> None:
        """CastColumnTypeOperation: the column as `new_type`; a DATETIME read from text with `date_format` (Java's
        date pattern, as QuickSight's), or as an ISO timestamp."""
        column = quote_identifier(self.sql_name(name))
        if new_type not in CAST_TYPES:
            raise DatasetError(f"column {name!r} is cast to {new_type!r}, which is not a QuickSight column type")
        sql = f"TRY_CAST({column} AS {CAST_TYPES[new_type]})"
        if new_type == "DATETIME" and date_format:
            pattern = strftime_format(date_format).replace("'", "''")
            sql = f"coalesce(try_strptime(CAST({column} AS VARCHAR), '{pattern}'), {sql})"
        self.relation = f"(SELECT * REPLACE ({sql} AS {column}) FROM {self.relation} AS _src)"

    def filter(self, condition: str) -> None:
        where = translate(condition, _PhysicalColumns(self.sql_names)).text
        self.relation = f"(SELECT * FROM {self.relation} AS _src WHERE {where})"


def _apply_transforms(relation: str, columns: list[str], transforms: list[dict]) -> _Transformed:
    table = _Transformed(relation, list(columns))
    for transform in transforms:
        if "RenameColumnOperation" in transform:
            op = transform["RenameColumnOperation"]
            table.rename(op["ColumnName"], op["NewColumnName"])
        elif "CreateColumnsOperation" in transform:
            table.create(transform["CreateColumnsOperation"].get("Columns", []))
        elif "FilterOperation" in transform:
            condition = transform["FilterOperation"].get("ConditionExpression")
            if condition:
                table.filter(condition)
        elif "CastColumnTypeOperation" in transform:
            op = transform["CastColumnTypeOperation"]
            table.cast(op["ColumnName"], op["NewColumnType"], op.get("Format"))
        # ProjectOperation, Tag/Untag: nothing to do for reading
    return table


def dataset_source(identifier: str, dataset: dict) -> DatasetSource:
    """The FROM relation of a `describe_data_set(...)["DataSet"]`."""
    physical = dataset.get("PhysicalTableMap") or {}
    logical = dataset.get("LogicalTableMap") or {}
    roles: dict[str, str] = {}
    sql_names: dict[str, str] = {}
    try:
        if logical:
            if len(logical) != 1:
                raise DatasetError("datasets with several logical tables (joins) are not supported")
            table = next(iter(logical.values()))
            source = table.get("Source") or {}
            if "PhysicalTableId" not in source:
                raise DatasetError("logical tables built from joins or other datasets are not supported")
            table_id = source["PhysicalTableId"]
            if table_id not in physical:
                raise DatasetError(f"logical table refers to unknown physical table {table_id!r}")
            relation, columns = _physical_relation(table_id, physical[table_id])
            transformed = _apply_transforms(relation, columns, table.get("DataTransforms", []))
            relation, columns, sql_names = transformed.relation, transformed.columns, transformed.sql_names
            roles = _geographic_roles(table.get("DataTransforms", []))
        else:
            if len(physical) != 1:
                raise DatasetError(f"expected one physical table, found {len(physical)}")
            table_id, table = next(iter(physical.items()))
            relation, columns = _physical_relation(table_id, table)
    except ExpressionError as error:
        raise DatasetError(f"dataset {dataset.get('DataSetId')!r}: {error}") from None
    columns += [c["Name"] for c in dataset.get("OutputColumns", []) if c.get("Name") not in columns]
    return DatasetSource(identifier, dataset.get("DataSetId", identifier), relation, tuple(columns), roles, sql_names)
