"""The shape of `assets_config/`: sources, processed tables, QuickSight datasets and dashboards.

Everything is validated when the project loads; `loader.py` turns pydantic errors into messages that name
the YAML file and the key.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qs_platform.config.acquisition import Collect, Pull, Schedule

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


def template_regex(template: str) -> re.Pattern:
    """A key template such as `{yyyy}/{mm}/{name}` as a regex (for `fullmatch`) with one named group per field; a
    field never spans a `/`."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def version(self) -> str:
        """A short hash of the declaration: the Dagster code version of the asset built from it."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def normalise_column_name(name: str) -> str:
    """`Service Division Owner` / `serviceDivisionOwner` -> `service_division_owner`; `Prénom` -> `prenom`.

    Letters with accents lose them; other non-ASCII letters and digits become their code point (`名前` ->
    `u540d_u524d`), so distinct names stay distinct and every name is a plain SQL/Athena identifier.
    """
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    folded = "".join(
        c if c.isascii() else f"_u{ord(c):04x}_" if c.isalnum() else "" if unicodedata.combining(c) else "_"
        for c in unicodedata.normalize("NFKD", name)
    )
    name = re.sub(r"[^0-9a-zA-Z]+", "_", folded).strip("_").lower()
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
    null_values: list[str] = Field(
        default_factory=list, description="Values meaning missing besides the empty one, e.g. ['null', 'NA'] (exact, case-sensitive)"
    )
    max_line_bytes: int = Field(default=2_097_152, ge=1 << 16, description="The longest line (record) accepted, in bytes (DuckDB's default: 2 MiB)")


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
    pull: Pull | None = Field(default=None, description="Pulled from an HTTP API on a schedule into the landing prefix")
    collect: Collect | None = Field(default=None, description="Fed by events posted to `qs-platform collect`")

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
        for kind, block in (("pull", self.pull), ("collect", self.collect)):
            if block is None:
                continue
            if self.format != "json":
                raise ValueError(f"{kind}: lands JSON Lines, so the source needs format json, not {self.format}")
            sample = block.sample_key()
            name = sample.rsplit("/", 1)[-1]
            if not fnmatch.fnmatch(name, self.file_pattern):
                raise ValueError(f"{kind}: landed files such as {sample!r} do not match file_pattern {self.file_pattern!r}")
            if self.key_template and not template_regex(self.key_template).fullmatch(sample):
                raise ValueError(f"{kind}: landed keys such as {sample!r} do not fit key_template {self.key_template!r}")
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
    schedule: Schedule | None = Field(
        default=None, description="Rebuild the whole table on a clock (e.g. month-end snapshots); running by default when its SQL reads the date"
    )

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
    sql: str = Field(
        default="",
        description="Athena SQL for a CustomSql dataset instead of the whole table; it must return the columns of `table` "
        "(e.g. a row filter), which type the dataset's columns",
    )

    @property
    def display_name(self) -> str:
        return self.name or self.id


# ---- dashboards -------------------------------------------------------------------------------------------

Aggregation = Literal["sum", "avg", "min", "max", "count", "distinct_count", "median", "none"]
VisualType = Literal["kpi", "bar", "line", "pie", "table", "pivot", "combo", "scatter", "heatmap", "map"]
PARAMETER_REFERENCE = re.compile(r"\$\{(\w+)\}")


class Measure(Strict):
    column: str
    aggregation: Aggregation = "sum"
    label: str = ""
    format: Literal["number", "currency", "percent"] = "number"
    decimals: int = Field(default=0, ge=0, le=6)


class Dimension(Strict):
    column: str
    label: str = ""
    granularity: Literal["YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR"] | None = None


class Visual(Strict):
    """One visual. Wells by type: `category` is the x axis (bar, line, pie, combo), the rows (heatmap), the colour
    (scatter) or the geographic column (map); `color` splits bars/lines into series (e.g. one per scenario);
    `group_by` are table/pivot rows; `columns` pivot/heatmap columns; `line_values` the lines of a combo."""

    id: str = Field(pattern=DASHBOARD_ID)
    type: VisualType
    title: str
    dataset: str
    values: list[Measure] = Field(min_length=1)
    category: Dimension | None = None
    color: Dimension | None = None
    group_by: list[Dimension] = Field(default_factory=list)
    columns: list[Dimension] = Field(default_factory=list)
    line_values: list[Measure] = Field(default_factory=list)
    sort_descending: bool = True
    sort_by: Literal["value", "category"] | None = Field(default=None, description="Default: category for line, value otherwise")
    width: int = Field(default=12, ge=1, le=36)
    height: int = Field(default=8, ge=1, le=40)

    @model_validator(mode="after")
    def _wells_fit_type(self) -> "Visual":
        needs_category = ("bar", "line", "pie", "combo", "heatmap", "map")
        if self.type in needs_category and self.category is None:
            raise ValueError(f"a {self.type} visual needs a category")
        if self.type == "kpi" and (self.category or self.group_by or len(self.values) != 1):
            raise ValueError("a kpi visual has exactly one value and no category/group_by")
        if self.type in ("table", "pivot") and not self.group_by:
            raise ValueError(f"a {self.type} visual needs group_by (its rows)")
        if self.type == "combo" and not self.line_values:
            raise ValueError("a combo visual needs line_values (values are its bars)")
        if self.type == "scatter" and len(self.values) not in (2, 3):
            raise ValueError("a scatter visual has 2 values (x, y) and optionally a third (size)")
        if self.type == "heatmap" and (len(self.columns) != 1 or len(self.values) != 1):
            raise ValueError("a heatmap visual has one category (rows), one entry in columns and one value")
        if self.type == "map" and len(self.values) != 1:
            raise ValueError("a map visual has one value")
        if self.color and self.type not in ("bar", "line", "combo"):
            raise ValueError("color (series) applies to bar, line and combo visuals")
        if self.columns and self.type not in ("pivot", "heatmap"):
            raise ValueError("columns apply to pivot and heatmap visuals")
        if self.line_values and self.type != "combo":
            raise ValueError("line_values apply to combo visuals")
        return self

    @property
    def dimensions(self) -> list[Dimension]:
        return [d for d in (self.category, self.color) if d] + self.group_by + self.columns

    @property
    def measures(self) -> list[Measure]:
        return self.values + self.line_values


class Parameter(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$")
    type: Literal["string", "integer", "decimal", "datetime"]
    default: str | int | float = Field(description="datetime: ISO 8601, e.g. 2024-01-31")
    control: Literal["slider", "dropdown", "text", "date_picker", "none"] = "slider"
    title: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: list[str] = Field(default_factory=list, description="Choices of a dropdown")

    @model_validator(mode="after")
    def _control_fits_type(self) -> "Parameter":
        if self.control == "slider" and (self.min is None or self.max is None or self.step is None):
            raise ValueError("a slider needs min, max and step")
        if self.control == "slider" and self.type not in ("integer", "decimal"):
            raise ValueError("a slider needs an integer or decimal parameter")
        if (self.control == "date_picker") != (self.type == "datetime") and self.control != "none":
            raise ValueError("a datetime parameter takes a date_picker (or none) control, and a date_picker needs a datetime parameter")
        if self.control == "dropdown" and not self.values:
            raise ValueError("a dropdown needs values")
        if self.type == "datetime":
            datetime.fromisoformat(str(self.default))  # ValueError names the bad default
        return self


class CalculatedField(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    dataset: str
    expression: str


class FilterScope(Strict):
    sheet: str
    visuals: list[str] = Field(default_factory=list, description="Empty: every visual of the sheet")


class Filter(Strict):
    """A filter on one dataset column, scoped to sheets or visuals, optionally with a control on those sheets.

    category: keep `values` (or drop them with `exclude`), or the values of a (string) `parameter`, or all values
    until a user picks some in its dropdown control;
    range: numeric `min`/`max` (a slider control also needs `step`); date_range: ISO dates `min`/`max`."""

    id: str = Field(pattern=DASHBOARD_ID)
    dataset: str
    column: str
    kind: Literal["category", "range", "date_range"]
    values: list[str] = Field(default_factory=list)
    exclude: bool = False
    parameter: str | None = None
    min: float | str | None = None
    max: float | str | None = None
    step: float | None = None
    scope: list[FilterScope] = Field(default_factory=list, description="Empty: every sheet, every visual")
    control: Literal["dropdown", "slider", "date_picker", "none"] = "none"
    title: str = ""

    @model_validator(mode="after")
    def _fits_kind(self) -> "Filter":
        if self.kind == "category" and not (self.values or self.parameter or self.control != "none"):
            raise ValueError("a category filter needs values, a parameter or a dropdown control (then it starts with all values)")
        if self.kind != "category" and (self.values or self.parameter):
            raise ValueError(f"a {self.kind} filter takes min/max, not values or parameter")
        if self.kind != "category" and self.min is None and self.max is None:
            raise ValueError(f"a {self.kind} filter needs min or max")
        if self.kind == "date_range":
            for bound in (self.min, self.max):
                if bound is not None:
                    datetime.fromisoformat(str(bound))
        expected = {"category": ("dropdown", "none"), "range": ("slider", "none"), "date_range": ("date_picker", "none")}[self.kind]
        if self.control not in expected:
            raise ValueError(f"a {self.kind} filter takes a {expected[0]} control (or none), not {self.control}")
        if self.control == "slider" and (self.min is None or self.max is None or self.step is None):
            raise ValueError("a slider control needs min, max and step")
        return self


class Sheet(Strict):
    id: str = Field(pattern=DASHBOARD_ID)
    title: str
    visuals: list[Visual] = Field(min_length=1)


class TemplateBinding(Strict):
    """An exported QuickSight Definition used as a template: its DataSetIdentifiers are the placeholders.

    Every identifier of the template is either bound to one of our datasets (`datasets`) or `prune`d (with all that
    depends on it); `columns` renames the template's columns of an identifier to ours, structurally."""

    path: str = Field(description="JSON file (a Definition or a DescribeDashboardDefinition answer), relative to the YAML file")
    datasets: dict[str, str] = Field(description="template DataSetIdentifier -> our dataset id")
    columns: dict[str, dict[str, str]] = Field(default_factory=dict, description="template identifier -> {template column: our column}")
    normalise_columns: bool = Field(
        default=False,
        description="Rename every other template column of a bound identifier as source columns are normalised "
        "(Unit.of.Issue -> unit_of_issue, daily_Inflow -> daily_inflow); calculated fields keep their names",
    )
    prune: list[str] = Field(default_factory=list, description="template identifiers deliberately left unbound")

    @field_validator("path")
    @classmethod
    def _resolve(cls, path: str, info) -> str:
        base = (info.context or {}).get("base_dir")
        resolved = Path(base) / path if base else Path(path)
        if not resolved.is_file():
            raise ValueError(f"template file {resolved} does not exist")
        return str(resolved.resolve())

    @model_validator(mode="after")
    def _bound_once(self) -> "TemplateBinding":
        both = sorted(set(self.datasets) & set(self.prune))
        if both:
            raise ValueError(f"identifiers both bound and pruned: {both}")
        unbound = sorted(set(self.columns) - set(self.datasets))
        if unbound:
            raise ValueError(f"columns given for identifiers that are not bound in datasets: {unbound}")
        return self


class Dashboard(Strict):
    id: str = Field(pattern=DASHBOARD_ID)
    name: str
    datasets: list[str] = Field(min_length=1)
    optional_datasets: list[str] = Field(default_factory=list, description="Pruned with what depends on them when absent or empty")
    parameters: list[Parameter] = Field(default_factory=list)
    calculated_fields: list[CalculatedField] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    sheets: list[Sheet] = Field(default_factory=list)
    template: TemplateBinding | None = None

    @property
    def version(self) -> str:
        """The declaration's hash with the template's bytes instead of its path: editing either redeploys, moving the
        config folder does not."""
        declaration = self.model_dump(mode="json")
        if self.template:
            declaration["template"]["path"] = hashlib.sha256(Path(self.template.path).read_bytes()).hexdigest()
        return hashlib.sha256(json.dumps(declaration, sort_keys=True).encode()).hexdigest()[:12]

    @model_validator(mode="after")
    def _references(self) -> "Dashboard":
        declared = set(self.datasets)
        if bool(self.sheets) == bool(self.template):
            raise ValueError("a dashboard has either sheets or a template")
        if self.template:
            for placeholder, dataset in self.template.datasets.items():
                if dataset not in declared:
                    raise ValueError(f"template.datasets.{placeholder}: {dataset!r} is not in datasets {sorted(declared)}")
        extra = sorted(set(self.optional_datasets) - declared)
        if extra:
            raise ValueError(f"optional_datasets {extra} are not in datasets {sorted(declared)}")
        params = {p.name for p in self.parameters}
        for field in self.calculated_fields:
            for used in PARAMETER_REFERENCE.findall(field.expression):
                if used not in params:
                    raise ValueError(f"calculated field {field.name!r} uses ${{{used}}}, which is not a declared parameter; declared: {sorted(params)}")
        users = [("calculated field", f.name, f.dataset) for f in self.calculated_fields] + [("filter", f.id, f.dataset) for f in self.filters]
        users += [("visual", v.id, v.dataset) for s in self.sheets for v in s.visuals]
        for kind, name, dataset in users:
            if dataset not in declared:
                raise ValueError(f"{kind} {name!r} uses dataset {dataset!r}, not in datasets {sorted(declared)}")
        for flt in self.filters:
            if flt.parameter and flt.parameter not in params:
                raise ValueError(f"filter {flt.id!r} uses parameter {flt.parameter!r}, which is not declared; declared: {sorted(params)}")
        ids = [v.id for s in self.sheets for v in s.visuals] + [s.id for s in self.sheets] + [f.id for f in self.filters]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"sheet, visual and filter ids must be unique within a dashboard; repeated: {duplicates}")
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

    @property
    def ledger_tables(self) -> list[str]:
        """`ledger.<source>`: what became of every landed file (in the catalog beside the data, not read by SQL)."""
        return [f"ledger.{s.name}" for s in self.sources]

    def raw_owner(self, table_name: str) -> tuple[Source, ChildTable | None]:
        """The source writing a raw table, and the child table it is (None for the source's own table)."""
        for source in self.sources:
            if table_name == source.table_name:
                return source, None
            for child in source.children:
                if table_name == source.child_table_name(child):
                    return source, child
        raise KeyError(table_name)
