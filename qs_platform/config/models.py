"""The shape of `assets_config/`: sources, processed tables, QuickSight datasets and dashboards.

Everything is validated when the project loads; `loader.py` turns pydantic errors into messages that name
the YAML file and the key.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
DASHBOARD_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def version(self) -> str:
        """A short hash of the declaration: the Dagster code version of the asset built from it."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def normalise_column_name(name: str) -> str:
    """`Service Division Owner` / `serviceDivisionOwner` -> `service_division_owner`."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return f"c_{name}" if name[:1].isdigit() else name or "unnamed"


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
    path: str | None = Field(default=None, description="JSON: dotted path of a nested value, e.g. customer.billing_address.city")
    replace: dict[str, str] = Field(default_factory=dict, description="Text normalisation before typing, e.g. {'\u2013': '-'}")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in COLUMN_TYPES and not DECIMAL_TYPE.match(value):
            raise ValueError(f"expected one of {sorted(COLUMN_TYPES)} or decimal(p,s), got {value!r}")
        return value

    @model_validator(mode="after")
    def _formats_only_for_dates(self) -> "Column":
        if self.formats and self.type not in ("date", "timestamp"):
            raise ValueError(f"formats is only allowed on date/timestamp columns, not {self.type!r}")
        return self

    @property
    def column_name(self) -> str:
        return normalise_column_name(self.name)

    @property
    def duckdb_type(self) -> str:
        return COLUMN_TYPES.get(self.type) or self.type.upper()


class CsvOptions(Strict):
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', max_length=1)
    escape: str = Field(default='"', max_length=1)
    header: bool = True
    encoding: Literal["utf-8", "latin-1", "utf-16"] = Field(default="utf-8", description="utf-8 also accepts a BOM")


class Listing(Strict):
    """How the landing sensor finds new files.

    full: list the whole prefix every tick (local folders, small buckets).
    start_after: S3 StartAfter from a key watermark; keys must sort by arrival (date-scoped key templates such as
        {yyyy}/{mm}/{dd}/...); keys first seen within `lookback_seconds` stay in the cursor so late writes into the
        current folders are still caught. Listing cost follows the window, not the bucket's history.
    events: drain S3 event notifications from the SQS queue `queue_url` (at-least-once; run keys dedupe).
    """

    mode: Literal["full", "start_after", "events"] = "full"
    lookback_seconds: int = Field(default=86400, ge=0)
    queue_url: str | None = None

    @model_validator(mode="after")
    def _queue_for_events(self) -> "Listing":
        if self.mode == "events" and not self.queue_url:
            raise ValueError("listing mode 'events' needs queue_url (an SQS queue receiving the bucket's S3 notifications)")
        return self


class Batch(Strict):
    """Files that belong together (e.g. the three files of a store-day); downstream sees a batch once complete.

    A batch is identified by key_template fields (`key`); it is complete when every `expected_files` name (the
    {name} field) has loaded, or `expected_count` distinct files have. After `deadline_seconds` from its first
    file it is released anyway, and the `batches_complete` check warns which files are missing.
    """

    key: list[str] = Field(min_length=1)
    expected_files: list[str] = Field(default_factory=list)
    optional_files: list[str] = Field(default_factory=list, description="May arrive; never waited for")
    expected_count: int | None = Field(default=None, ge=1)
    deadline_seconds: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _something_expected(self) -> "Batch":
        if not self.expected_files and self.expected_count is None:
            raise ValueError("a batch needs expected_files or expected_count")
        return self


class RuleBase(Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str = ""


class NotNullRule(RuleBase):
    kind: Literal["not_null"]
    column: str


class AcceptedValuesRule(RuleBase):
    kind: Literal["accepted_values"]
    column: str
    values: list[str | int | float] = Field(min_length=1)


class RangeRule(RuleBase):
    kind: Literal["range"]
    column: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _has_a_bound(self) -> "RangeRule":
        if self.min is None and self.max is None:
            raise ValueError("a range rule needs min, max or both")
        return self


class RegexRule(RuleBase):
    kind: Literal["regex"]
    column: str
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class UniqueRule(RuleBase):
    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1, description="Rows repeating an earlier row's key in the same file are rejected.")


class ExpressionRule(RuleBase):
    kind: Literal["expression"]
    sql: str = Field(description="A DuckDB boolean expression over typed columns that good rows satisfy.")


Rule = Annotated[
    Union[NotNullRule, AcceptedValuesRule, RangeRule, RegexRule, UniqueRule, ExpressionRule], Field(discriminator="kind")
]


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
        default="csv", description="json reads JSON Lines, JSON arrays and records concatenated without newlines; .gz files are decompressed"
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

    @model_validator(mode="after")
    def _defaults_and_references(self) -> "Source":
        if not self.landing_prefix:
            object.__setattr__(self, "landing_prefix", f"landing/{self.name}/")
        if not self.landing_prefix.endswith("/"):
            object.__setattr__(self, "landing_prefix", self.landing_prefix + "/")
        names = [c.column_name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"columns normalise to duplicate names: {duplicated}")
        for rule in self.rules:
            for column in [getattr(rule, "column", None), *getattr(rule, "columns", [])]:
                if column is not None and normalise_column_name(column) not in names:
                    raise ValueError(f"rule {rule.name!r} names column {column!r}, which is not declared; declared: {names}")
        fields = self.key_fields
        clashing = sorted(set(fields) & set(names))
        if clashing:
            raise ValueError(f"key_template fields {clashing} clash with declared columns")
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
    Union[RowCountCheck, UniqueCheck, NotNullCheck, AcceptedValuesCheck, FreshnessCheck, SqlCheck], Field(discriminator="kind")
]


class PartitionBy(Strict):
    """Store the table as one Parquet file per partition and recompute only the partitions new input touches.

    `input` is the upstream table whose new or removed files decide which partitions are recomputed;
    `input_expression` (SQL over its rows, default: the output column's name) must give the same partition value as
    `column` does for the output rows made from them. Any change in another input recomputes every partition.
    """

    column: str
    grain: Literal["day", "month", "value"] = "day"
    input: str = Field(pattern=r"^(raw|processed)\.[a-z][a-z0-9_]*$")
    input_expression: str = ""

    @property
    def input_sql(self) -> str:
        return self.input_expression or f'"{self.column}"'


class Table(Strict):
    name: str = Field(pattern=IDENTIFIER)
    description: str = ""
    sql: str
    checks: list[Check] = Field(default_factory=list)
    partition_by: PartitionBy | None = None
    engine: Literal["duckdb", "athena"] = "duckdb"  # athena: the same SQL runs as CTAS / INSERT INTO on Athena

    @model_validator(mode="after")
    def _unique_check_names(self) -> "Table":
        names = [c.name for c in self.checks]
        if len(names) != len(set(names)):
            raise ValueError(f"check names must be unique, got {names}")
        return self

    @property
    def table_name(self) -> str:
        return f"processed.{self.name}"


class Dataset(Strict):
    id: str = Field(pattern=IDENTIFIER)
    name: str = ""
    table: str = Field(pattern=r"^(raw|processed)\.[a-z][a-z0-9_]*$", description="Catalog name, e.g. processed.division_kpis")
    import_mode: Literal["SPICE", "DIRECT_QUERY"] = "SPICE"

    @property
    def display_name(self) -> str:
        return self.name or self.id


# ---- dashboards -------------------------------------------------------------------------------------------

Aggregation = Literal["sum", "avg", "min", "max", "count", "distinct_count", "median", "none"]


class Measure(Strict):
    column: str
    aggregation: Aggregation = "sum"
    label: str = ""
    format: Literal["number", "currency", "percent"] = "number"
    decimals: int = Field(default=0, ge=0, le=6)


class Dimension(Strict):
    column: str
    label: str = ""
    granularity: Literal["YEAR", "QUARTER", "MONTH", "WEEK", "DAY"] | None = None


class Visual(Strict):
    id: str = Field(pattern=DASHBOARD_ID)
    type: Literal["kpi", "bar", "line", "pie", "table"]
    title: str
    dataset: str
    values: list[Measure] = Field(min_length=1)
    category: Dimension | None = None
    group_by: list[Dimension] = Field(default_factory=list)
    sort_descending: bool = True
    width: int = Field(default=12, ge=1, le=36)
    height: int = Field(default=8, ge=1, le=40)

    @model_validator(mode="after")
    def _wells_fit_type(self) -> "Visual":
        if self.type in ("bar", "line", "pie") and self.category is None:
            raise ValueError(f"a {self.type} visual needs a category")
        if self.type == "line" and self.category and self.category.granularity is None:
            pass  # a line over a non-date category is allowed
        if self.type == "kpi" and (self.category or self.group_by or len(self.values) != 1):
            raise ValueError("a kpi visual has exactly one value and no category/group_by")
        if self.type == "table" and not self.group_by:
            raise ValueError("a table visual needs group_by")
        return self


class Parameter(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$")
    type: Literal["string", "integer", "decimal"]
    default: str | int | float
    control: Literal["slider", "dropdown", "text"] = "slider"
    title: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: list[str] = Field(default_factory=list, description="Choices of a dropdown")

    @model_validator(mode="after")
    def _slider_bounds(self) -> "Parameter":
        if self.control == "slider" and (self.min is None or self.max is None or self.step is None):
            raise ValueError("a slider needs min, max and step")
        if self.control == "slider" and self.type == "string":
            raise ValueError("a slider needs an integer or decimal parameter")
        return self


class CalculatedField(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    dataset: str
    expression: str


class Sheet(Strict):
    id: str = Field(pattern=DASHBOARD_ID)
    title: str
    visuals: list[Visual] = Field(min_length=1)


class Dashboard(Strict):
    id: str = Field(pattern=DASHBOARD_ID)
    name: str
    datasets: list[str] = Field(min_length=1)
    parameters: list[Parameter] = Field(default_factory=list)
    calculated_fields: list[CalculatedField] = Field(default_factory=list)
    sheets: list[Sheet] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> "Dashboard":
        declared = set(self.datasets)
        for field in self.calculated_fields:
            if field.dataset not in declared:
                raise ValueError(f"calculated field {field.name!r} uses dataset {field.dataset!r}, not in datasets {sorted(declared)}")
        params = {p.name for p in self.parameters}
        for field in self.calculated_fields:
            for used in re.findall(r"\$\{(\w+)\}", field.expression):
                if used not in params:
                    raise ValueError(f"calculated field {field.name!r} uses ${{{used}}}, which is not a declared parameter")
        ids = [v.id for s in self.sheets for v in s.visuals] + [s.id for s in self.sheets]
        if len(ids) != len(set(ids)):
            raise ValueError("sheet and visual ids must be unique within a dashboard")
        for sheet in self.sheets:
            for visual in sheet.visuals:
                if visual.dataset not in declared:
                    raise ValueError(f"visual {visual.id!r} uses dataset {visual.dataset!r}, not in datasets {sorted(declared)}")
        return self


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

    def raw_owner(self, table_name: str) -> tuple[Source, ChildTable | None]:
        """The source writing a raw table, and the child table it is (None for the source's own table)."""
        for source in self.sources:
            if table_name == source.table_name:
                return source, None
            for child in source.children:
                if table_name == source.child_table_name(child):
                    return source, child
        raise KeyError(table_name)
