"""Where a QuickSight dataset's rows come from in the local DuckDB catalog.

A `RelationalTable` {Schema: processed, Name: division_kpis} reads `"processed"."division_kpis"`; a
`CustomSql` is used as a subquery. A logical table's RenameColumnOperation / CreateColumnsOperation /
FilterOperation transforms are applied on top; joins and other sources are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expressions import ExpressionError, Sql, translate


class DatasetError(ValueError):
    """A dataset the local viewer cannot read."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class DatasetSource:
    identifier: str  # the DataSetIdentifier used inside the Definition
    dataset_id: str
    relation: str  # what goes after FROM
    columns: tuple[str, ...] = field(default_factory=tuple)  # known column names (may be empty)
    geographic_roles: dict[str, str] = field(
        default_factory=dict
    )  # column -> LATITUDE | LONGITUDE | CITY ... (TagColumnOperation)


class _PhysicalColumns:
    """Resolver for dataset-level expressions: plain columns, no dashboard parameters."""

    def column(self, name: str) -> Sql:
        return Sql(quote_identifier(name))

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


def _transformed_columns(columns: list[str], transforms: list[dict]) -> list[str]:
    """The column names after renames and created columns."""
    columns = list(columns)
    for transform in transforms:
        if "RenameColumnOperation" in transform:
            op = transform["RenameColumnOperation"]
            columns = [op["NewColumnName"] if c == op["ColumnName"] else c for c in columns]
        elif "CreateColumnsOperation" in transform:
            columns += [c["ColumnName"] for c in transform["CreateColumnsOperation"].get("Columns", [])]
    return columns


def _geographic_roles(transforms: list[dict]) -> dict[str, str]:
    roles = {}
    for transform in transforms:
        tag = transform.get("TagColumnOperation") or {}
        for item in tag.get("Tags", []):
            if item.get("ColumnGeographicRole"):
                roles[tag["ColumnName"]] = item["ColumnGeographicRole"]
    return roles


def _apply_transforms(relation: str, transforms: list[dict]) -> str:
    for transform in transforms:
        if "RenameColumnOperation" in transform:
            op = transform["RenameColumnOperation"]
            relation = (
                f"(SELECT * RENAME ({quote_identifier(op['ColumnName'])} AS {quote_identifier(op['NewColumnName'])}) "
                f"FROM {relation} AS _src)"
            )
        elif "CreateColumnsOperation" in transform:
            created = [
                f"{translate(c['Expression'], _PhysicalColumns()).text} AS {quote_identifier(c['ColumnName'])}"
                for c in transform["CreateColumnsOperation"].get("Columns", [])
            ]
            if created:
                relation = f"(SELECT *, {', '.join(created)} FROM {relation} AS _src)"
        elif "FilterOperation" in transform:
            condition = transform["FilterOperation"].get("ConditionExpression")
            if condition:
                relation = f"(SELECT * FROM {relation} AS _src WHERE {translate(condition, _PhysicalColumns()).text})"
        # ProjectOperation, CastColumnTypeOperation, Tag/Untag: nothing to do for reading
    return relation


def dataset_source(identifier: str, dataset: dict) -> DatasetSource:
    """The FROM relation of a `describe_data_set(...)["DataSet"]`."""
    physical = dataset.get("PhysicalTableMap") or {}
    logical = dataset.get("LogicalTableMap") or {}
    roles: dict[str, str] = {}
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
            relation = _apply_transforms(relation, table.get("DataTransforms", []))
            columns = _transformed_columns(columns, table.get("DataTransforms", []))
            roles = _geographic_roles(table.get("DataTransforms", []))
        else:
            if len(physical) != 1:
                raise DatasetError(f"expected one physical table, found {len(physical)}")
            table_id, table = next(iter(physical.items()))
            relation, columns = _physical_relation(table_id, table)
    except ExpressionError as error:
        raise DatasetError(f"dataset {dataset.get('DataSetId')!r}: {error}") from None
    columns += [c["Name"] for c in dataset.get("OutputColumns", []) if c.get("Name") not in columns]
    return DatasetSource(identifier, dataset.get("DataSetId", identifier), relation, tuple(columns), roles)
