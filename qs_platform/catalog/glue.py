"""The AWS catalog: one Glue database per layer, one Parquet table per catalog name, queried by Athena.

A table is created or updated from the Parquet schema of its files (their footers, read by DuckDB as Arrow types),
idempotently: an unchanged table is not written to. Columns added by newer files are added; a column whose type changes in a way
Athena cannot read from the older files raises `IncompatibleSchema`, which the catalog asset reports as a failed check.

Type mapping, Parquet (as pyarrow reads it) → Glue/Hive (→ the DuckDB name `describe` reports):

| Parquet / Arrow                          | Glue                         |
|------------------------------------------|------------------------------|
| int8 / int16 / int32 / int64             | tinyint / smallint / int / bigint |
| uint8 / uint16 / uint32                  | smallint / int / bigint (widened) |
| uint64, HUGEINT as fixed binary, UUID    | refused: cast in SQL (bigint, decimal(38,0), varchar) |
| float32 / float64                        | float / double               |
| decimal128(p, s), p ≤ 38                 | decimal(p,s)                 |
| bool                                     | boolean                      |
| string / large_string / dictionary       | string                       |
| binary / large_binary                    | binary                       |
| date32                                   | date                         |
| timestamp[ms/us] (with or without zone)  | timestamp (Athena reads UTC-adjusted timestamps as UTC) |
| timestamp[ns], time, interval, null      | refused: cast to microseconds / varchar / a typed null |
| list<T> / struct<a: T, …> / map<K, V>    | array<T> / struct<a:T,…> / map<K,V> (recursively) |

Compatible changes (the older files stay readable): tinyint → smallint → int → bigint, float → double,
decimal(p,s) → decimal(p',s) with p' ≥ p, a struct gaining fields. A file with a narrower type than the table is fine.

Partitioned processed tables (`processed/<table>/<column>=<value>/data.parquet`) get one partition key. Its name is
the column itself when the folder value is the column's whole value (grain `value`, or grain `day` of a date
column); otherwise the data column stays and the key is `<column>_<grain>` (e.g. `event_hour_day` next to the
`event_hour` timestamp). With partition projection (default for day/month grains) the table carries the projection
range spanning the partitions present; otherwise partitions are registered (and deregistered) explicitly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
from botocore.exceptions import ClientError

from qs_platform.catalog.base import Catalog, CatalogTable, SchemaError
from qs_platform.catalog.tables import table_prefix, table_select
from qs_platform.config.models import PartitionBy, ProjectConfig
from qs_platform.config.settings import AwsSettings
from qs_platform.lake import Lake
from qs_platform.lake.s3 import DEFAULT_MAX_ATTEMPTS, retry_config
from qs_platform.sql.engine import connect

PARQUET_STORAGE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
ROW_COUNT_PARAMETER = "recordCount"
MANAGED_BY_PARAMETER = "qs_platform.managed"
INTEGER_WIDTHS = ["tinyint", "smallint", "int", "bigint"]
PROJECTION_FORMATS = {"day": ("yyyy-MM-dd", "DAYS"), "month": ("yyyy-MM", "MONTHS")}
GLUE_BATCH = 100  # BatchCreatePartition takes at most 100 partitions, BatchDeletePartition 25
GLUE_DELETE_BATCH = 25


class UnsupportedType(SchemaError):
    pass


class IncompatibleSchema(SchemaError):
    """The table's new data cannot be read through the registered Glue table (or vice versa)."""


# ---- types ------------------------------------------------------------------------------------------------


def glue_type(arrow_type: pa.DataType, where: str) -> str:
    """The Glue/Hive type of an Arrow type; UnsupportedType (naming `where`) for what Athena cannot read."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return glue_type(t.value_type, where)
    simple = [
        (pa.types.is_int8, "tinyint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "int"),
        (pa.types.is_int64, "bigint"),
        (pa.types.is_uint8, "smallint"),
        (pa.types.is_uint16, "int"),
        (pa.types.is_uint32, "bigint"),
        (pa.types.is_float32, "float"),
        (pa.types.is_float64, "double"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_string, "string"),
        (pa.types.is_large_string, "string"),
        (pa.types.is_binary, "binary"),
        (pa.types.is_large_binary, "binary"),
        (pa.types.is_date32, "date"),
    ]
    for test, name in simple:
        if test(t):
            return name
    if pa.types.is_timestamp(t):
        if t.unit == "ns":
            raise UnsupportedType(
                f"{where}: nanosecond timestamps are not read correctly by Athena; write ms or us (cast(x as timestamp))"
            )
        return "timestamp"
    if pa.types.is_decimal128(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{glue_type(t.value_type, where + '[]')}>"
    if pa.types.is_map(t):
        return f"map<{glue_type(t.key_type, where + '.key')},{glue_type(t.item_type, where + '.value')}>"
    if pa.types.is_struct(t):
        fields = ",".join(
            f"{t.field(i).name}:{glue_type(t.field(i).type, where + '.' + t.field(i).name)}"
            for i in range(t.num_fields)
        )
        return f"struct<{fields}>"
    hint = {
        "uint64": "cast to bigint or decimal(20,0)",
        "null": "cast the null to the intended type",
        "fixed_size_binary[16]": "a UUID or HUGEINT: cast to varchar or decimal(38,0)",
    }.get(str(t), "cast it in the SQL to a type in the catalog/glue.py mapping")
    raise UnsupportedType(f"{where}: Parquet type {t} has no Athena equivalent; {hint}")


def duckdb_type(glue: str) -> str:
    """The DuckDB spelling of a Glue type, as the Catalog seam reports columns."""
    names = {
        "string": "VARCHAR",
        "int": "INTEGER",
        "tinyint": "TINYINT",
        "smallint": "SMALLINT",
        "bigint": "BIGINT",
        "float": "FLOAT",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "binary": "BLOB",
    }
    return names.get(glue, glue.upper())


def _split_top_level(inner: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in inner:
        depth += char == "<"
        depth -= char == ">"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current] if current else parts


def wider_type(existing: str, new: str, where: str) -> str:
    """The type that reads both; IncompatibleSchema when there is none."""
    if existing == new:
        return existing
    if existing in INTEGER_WIDTHS and new in INTEGER_WIDTHS:
        return max(existing, new, key=INTEGER_WIDTHS.index)
    if {existing, new} == {"float", "double"}:
        return "double"
    if existing.startswith("decimal(") and new.startswith("decimal("):
        (p1, s1), (p2, s2) = (tuple(int(x) for x in t[8:-1].split(",")) for t in (existing, new))
        if s1 == s2:
            return f"decimal({max(p1, p2)},{s1})"
    if existing.startswith("struct<") and new.startswith("struct<"):
        fields = dict(f.split(":", 1) for f in _split_top_level(existing[7:-1]))
        for name, type_ in (f.split(":", 1) for f in _split_top_level(new[7:-1])):
            fields[name] = wider_type(fields[name], type_, f"{where}.{name}") if name in fields else type_
        return "struct<" + ",".join(f"{n}:{t}" for n, t in fields.items()) + ">"
    if existing.startswith("array<") and new.startswith("array<"):
        return f"array<{wider_type(existing[6:-1], new[6:-1], where + '[]')}>"
    raise IncompatibleSchema(
        f"{where}: the Glue table has type {existing} but the new data has {new}; Athena cannot read the older files "
        f"as {new}. Cast the column back to {existing} in the SQL, or drop the Glue table to rebuild it"
    )


def merge_columns(existing: list[dict], new: list[dict], table: str) -> list[dict]:
    """Existing columns in their order (types widened), then the columns new files added."""
    incoming = {c["Name"]: c["Type"] for c in new}
    merged = [
        {
            **c,
            "Type": wider_type(c["Type"], incoming[c["Name"]], f"{table}.{c['Name']}")
            if c["Name"] in incoming
            else c["Type"],
        }
        for c in existing
    ]
    known = {c["Name"] for c in existing}
    return merged + [c for c in new if c["Name"] not in known]


def with_comments(columns: list[dict], descriptions: dict[str, str]) -> list[dict]:
    """Glue's column Comment from the YAML's description (Glue allows 255 characters); none where the YAML is silent."""
    commented = []
    for column in columns:
        rest = {k: v for k, v in column.items() if k != "Comment"}
        description = descriptions.get(column["Name"], "")
        commented.append({**rest, "Comment": description[:255]} if description else rest)
    return commented


# ---- partitions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionKey:
    name: str  # the Glue partition key
    type: str
    folder: str  # the Hive folder's column name
    grain: str
    replaces_column: bool  # the key is the column itself, so the data column of that name is not declared


def partition_key_for(partition_by: PartitionBy, column_type: str) -> PartitionKey:
    column, grain = partition_by.column, partition_by.grain
    if grain == "value":
        return PartitionKey(column, column_type, column, grain, True)
    if grain == "day" and column_type == "date":
        return PartitionKey(column, "date", column, grain, True)
    return PartitionKey(f"{column}_{grain}", "date" if grain == "day" else "string", column, grain, False)


def partition_values(lake: Lake, prefix: str, folder: str) -> dict[str, str]:
    """{value: its folder key} of the Hive-style partition folders under a table's prefix."""
    values = {}
    for obj in lake.list(prefix):
        head, _, rest = obj.key.removeprefix(prefix).partition("/")
        name, equals, value = head.partition("=")
        if equals and rest and name == folder and obj.key.endswith(".parquet"):
            values[unquote(value)] = f"{prefix}{head}/"
    return values


# ---- the catalog ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlueTarget:
    """Where a GlueCatalog registers tables: the region, a Glue database per layer, partition projection or not."""

    region: str
    databases: dict[str, str]
    partition_projection: bool = True
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # botocore's attempts per Glue request (standard retry mode)

    @classmethod
    def of(cls, aws: AwsSettings) -> GlueTarget:
        return cls(aws.region, dict(aws.glue_databases), aws.partition_projection)


class GlueCatalog(Catalog):
    def __init__(self, lake: Lake, config: ProjectConfig, target: GlueTarget, *, glue=None):
        import boto3

        self.lake = lake
        self.config = config
        self.target = target
        self.glue = glue or boto3.client("glue", region_name=target.region, config=retry_config(target.max_attempts))
        self._databases_ready: set[str] = set()

    @property
    def location(self) -> str:
        return "glue://" + ",".join(
            self.target.databases[layer] for layer in ("raw", "processed", "quarantine", "ledger")
        )

    def database(self, layer: str) -> str:
        return self.target.databases[layer]

    def query_hint(self, table_name: str) -> tuple[str, str]:
        database, name = self.glue_name(table_name)
        return f"glue:{database}.{name}", f'select * from "{database}"."{name}" limit 10  -- Athena'

    def glue_name(self, table_name: str) -> tuple[str, str]:
        layer, name = table_name.split(".", 1)
        return self.database(layer), name

    # -- register

    def register(self, table_name: str) -> CatalogTable:
        columns, row_count = self._schema_and_rows(table_name)
        database, name = self.glue_name(table_name)
        self._ensure_database(database, table_name.split(".")[0])
        current = self._get_table(database, name)
        table_input, partitions = self._table_input(table_name, columns, current, row_count)
        if current is None:
            self.glue.create_table(DatabaseName=database, TableInput=table_input)
        elif _comparable(current) != _comparable(table_input):
            self.glue.update_table(DatabaseName=database, TableInput=table_input)
        if partitions is not None:
            self._sync_partitions(database, name, table_input, partitions)
        return self._catalog_table(table_name, table_input)

    def _schema_and_rows(self, table_name: str) -> tuple[list[dict], int]:
        """Glue columns and row count of what Athena will read: every Parquet file under the table's prefix.

        The schema is the union by name of the files' schemas (DuckDB reads their footers from the lake's local
        cache), so a column added by any file is seen. A raw table without files yet gets its declared columns
        (as the local catalog does); a processed table without data is TableNotMaterialized.
        """
        prefix = table_prefix(table_name)
        scan = self.lake.parquet_scan(prefix)
        select = f"select * from {scan}" if scan else table_select(self.lake, self.config, table_name)
        with connect() as con:
            schema = con.sql(f"select * from ({select}) limit 0").to_arrow_table().schema
            row_count = con.execute(f"select count(*) from {scan}").fetchone()[0] if scan else 0
        columns = [{"Name": f.name, "Type": glue_type(f.type, f"{table_name}.{f.name}")} for f in schema]
        return columns, row_count

    def _table_input(
        self, table_name: str, columns: list[dict], current: dict | None, row_count: int
    ) -> tuple[dict, dict | None]:
        layer, name = table_name.split(".", 1)
        table = next((t for t in self.config.tables if t.table_name == table_name), None)
        location = self.lake.uri(table_prefix(table_name)).rstrip("/")
        if current is not None:
            columns = merge_columns(current["StorageDescriptor"].get("Columns", []), columns, table_name)
        columns = with_comments(columns, self.config.column_descriptions(table_name))
        parameters = {
            "classification": "parquet",
            "EXTERNAL": "TRUE",
            MANAGED_BY_PARAMETER: "true",
            ROW_COUNT_PARAMETER: str(row_count),
        }
        partition_keys, partitions = [], None
        if table is not None and table.partition_by:
            types = {c["Name"]: c["Type"] for c in columns}
            if table.partition_by.column not in types:
                raise IncompatibleSchema(
                    f"{table_name}: partition_by.column {table.partition_by.column!r} is not a column of the data"
                )
            key = partition_key_for(table.partition_by, types[table.partition_by.column])
            if key.replaces_column:
                columns = [c for c in columns if c["Name"] != key.name]
            partition_keys = [{"Name": key.name, "Type": key.type}]
            values = partition_values(self.lake, table_prefix(table_name), key.folder)
            projected = self.target.partition_projection and key.grain in PROJECTION_FORMATS
            if projected:
                parameters.update(self._projection(key, location, values))
            else:
                partitions = {v: self.lake.uri(folder) for v, folder in values.items()}
        registered_keys = [{"Name": k["Name"], "Type": k["Type"]} for k in (current or {}).get("PartitionKeys", [])]
        if current is not None and registered_keys != partition_keys:
            raise IncompatibleSchema(
                f"{table_name}: the Glue table is partitioned by {registered_keys} but the declaration gives {partition_keys}; "
                f"drop the Glue table {'.'.join(self.glue_name(table_name))} to rebuild it"
            )
        description = table.description if table else f"{layer} data of {name}"
        table_input = {
            "Name": name,
            "Description": description.strip()[:2048],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
            "PartitionKeys": partition_keys,
            "StorageDescriptor": {"Columns": columns, "Location": location + "/", **PARQUET_STORAGE},
        }
        return table_input, partitions

    @staticmethod
    def _projection(key: PartitionKey, location: str, values: dict[str, str]) -> dict[str, str]:
        fmt, unit = PROJECTION_FORMATS[key.grain]
        known = sorted(v for v in values if not v.startswith("__"))  # the NULL partition cannot be projected
        span = (
            f"{known[0]},{known[-1]}" if known else "1970-01-01,1970-01-01" if key.grain == "day" else "1970-01,1970-01"
        )
        return {
            "projection.enabled": "true",
            f"projection.{key.name}.type": "date",
            f"projection.{key.name}.format": fmt,
            f"projection.{key.name}.range": span,
            f"projection.{key.name}.interval": "1",
            f"projection.{key.name}.interval.unit": unit,
            "storage.location.template": f"{location}/{key.folder}=${{{key.name}}}/",
        }

    def _sync_partitions(self, database: str, name: str, table_input: dict, wanted: dict[str, str]) -> None:
        """Register the partition folders present and deregister the ones gone (no MSCK REPAIR, no crawler)."""
        paginator = self.glue.get_paginator("get_partitions")
        registered = {
            p["Values"][0]: p["StorageDescriptor"]["Location"]
            for page in paginator.paginate(DatabaseName=database, TableName=name)
            for p in page["Partitions"]
        }
        stale = [v for v in registered if v not in wanted or registered[v] != wanted[v]]
        for start in range(0, len(stale), GLUE_DELETE_BATCH):
            batch = [{"Values": [v]} for v in stale[start : start + GLUE_DELETE_BATCH]]
            self.glue.batch_delete_partition(DatabaseName=database, TableName=name, PartitionsToDelete=batch)
        missing = sorted(v for v in wanted if v not in registered or v in stale)
        storage = table_input["StorageDescriptor"]
        for start in range(0, len(missing), GLUE_BATCH):
            batch = [
                {"Values": [v], "StorageDescriptor": {**storage, "Location": wanted[v]}}
                for v in missing[start : start + GLUE_BATCH]
            ]
            errors = self.glue.batch_create_partition(
                DatabaseName=database, TableName=name, PartitionInputList=batch
            ).get("Errors", [])
            if errors:
                raise RuntimeError(
                    f"{database}.{name}: Glue refused partitions: {json.dumps(errors, default=str)[:500]}"
                )

    def _ensure_database(self, database: str, layer: str) -> None:
        if database in self._databases_ready:
            return
        try:
            self.glue.get_database(Name=database)
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityNotFoundException":
                raise
            try:
                self.glue.create_database(DatabaseInput={"Name": database, "Description": f"qs-platform {layer} layer"})
            except self.glue.exceptions.AlreadyExistsException:
                pass  # created by a concurrent run
        self._databases_ready.add(database)

    def _get_table(self, database: str, name: str) -> dict | None:
        try:
            return self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "EntityNotFoundException":
                return None
            raise

    # -- describe

    def describe(self, table_name: str) -> CatalogTable:
        database, name = self.glue_name(table_name)
        table = self._get_table(database, name)
        if table is None:
            raise LookupError(f"{table_name} is not registered in the Glue catalog (table {database}.{name})")
        return self._catalog_table(table_name, table)

    @staticmethod
    def _catalog_table(table_name: str, table: dict) -> CatalogTable:
        columns = table["StorageDescriptor"].get("Columns", []) + table.get("PartitionKeys", [])
        row_count = int(table.get("Parameters", {}).get(ROW_COUNT_PARAMETER, 0))
        return CatalogTable(table_name, [(c["Name"], duckdb_type(c["Type"])) for c in columns], row_count)


def _comparable(table: dict) -> dict:
    """The parts of a table we set, as GetTable returns them (it adds timestamps, ids, versions …)."""
    storage = table.get("StorageDescriptor", {})
    return {
        "Description": table.get("Description", ""),
        "TableType": table.get("TableType"),
        "Parameters": table.get("Parameters", {}),
        "PartitionKeys": [{"Name": k["Name"], "Type": k["Type"]} for k in table.get("PartitionKeys", [])],
        "Columns": [{"Name": c["Name"], "Type": c["Type"]} for c in storage.get("Columns", [])],
        "Location": storage.get("Location"),
        "InputFormat": storage.get("InputFormat"),
        "OutputFormat": storage.get("OutputFormat"),
        "Serde": storage.get("SerdeInfo", {}).get("SerializationLibrary"),
    }
