"""Dashboards as code: sheets of visuals, parameters, calculated fields and filters, or an exported Definition
used as a template."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from qs_platform.config.models.base import DASHBOARD_ID, Strict

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
    sort_by: Literal["value", "category"] | None = Field(
        default=None, description="Default: category for line, value otherwise"
    )
    width: int = Field(default=12, ge=1, le=36)
    height: int = Field(default=8, ge=1, le=40)

    @model_validator(mode="after")
    def _wells_fit_type(self) -> Visual:
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
    def _control_fits_type(self) -> Parameter:
        if self.control == "slider" and (self.min is None or self.max is None or self.step is None):
            raise ValueError("a slider needs min, max and step")
        if self.control == "slider" and self.type not in ("integer", "decimal"):
            raise ValueError("a slider needs an integer or decimal parameter")
        if (self.control == "date_picker") != (self.type == "datetime") and self.control != "none":
            raise ValueError(
                "a datetime parameter takes a date_picker (or none) control, and a date_picker needs a datetime parameter"
            )
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
    def _fits_kind(self) -> Filter:
        if self.kind == "category" and not (self.values or self.parameter or self.control != "none"):
            raise ValueError(
                "a category filter needs values, a parameter or a dropdown control (then it starts with all values)"
            )
        if self.kind != "category" and (self.values or self.parameter):
            raise ValueError(f"a {self.kind} filter takes min/max, not values or parameter")
        if self.kind != "category" and self.min is None and self.max is None:
            raise ValueError(f"a {self.kind} filter needs min or max")
        if self.kind == "date_range":
            for bound in (self.min, self.max):
                if bound is not None:
                    datetime.fromisoformat(str(bound))
        expected = {
            "category": ("dropdown", "none"),
            "range": ("slider", "none"),
            "date_range": ("date_picker", "none"),
        }[self.kind]
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

    path: str = Field(
        description="JSON file (a Definition or a DescribeDashboardDefinition answer), relative to the YAML file"
    )
    datasets: dict[str, str] = Field(description="template DataSetIdentifier -> our dataset id")
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="template identifier -> {template column: our column}"
    )
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
    def _bound_once(self) -> TemplateBinding:
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
    optional_datasets: list[str] = Field(
        default_factory=list, description="Pruned with what depends on them when absent or empty"
    )
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
    def _references(self) -> Dashboard:
        declared = set(self.datasets)
        if bool(self.sheets) == bool(self.template):
            raise ValueError("a dashboard has either sheets or a template")
        if self.template:
            for placeholder, dataset in self.template.datasets.items():
                if dataset not in declared:
                    raise ValueError(
                        f"template.datasets.{placeholder}: {dataset!r} is not in datasets {sorted(declared)}"
                    )
        extra = sorted(set(self.optional_datasets) - declared)
        if extra:
            raise ValueError(f"optional_datasets {extra} are not in datasets {sorted(declared)}")
        params = {p.name for p in self.parameters}
        for field in self.calculated_fields:
            for used in PARAMETER_REFERENCE.findall(field.expression):
                if used not in params:
                    raise ValueError(
                        f"calculated field {field.name!r} uses ${{{used}}}, which is not a declared parameter; declared: {sorted(params)}"
                    )
        users = [("calculated field", f.name, f.dataset) for f in self.calculated_fields] + [
            ("filter", f.id, f.dataset) for f in self.filters
        ]
        users += [("visual", v.id, v.dataset) for s in self.sheets for v in s.visuals]
        for kind, name, dataset in users:
            if dataset not in declared:
                raise ValueError(f"{kind} {name!r} uses dataset {dataset!r}, not in datasets {sorted(declared)}")
        for flt in self.filters:
            if flt.parameter and flt.parameter not in params:
                raise ValueError(
                    f"filter {flt.id!r} uses parameter {flt.parameter!r}, which is not declared; declared: {sorted(params)}"
                )
        ids = (
            [v.id for s in self.sheets for v in s.visuals] + [s.id for s in self.sheets] + [f.id for f in self.filters]
        )
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"sheet, visual and filter ids must be unique within a dashboard; repeated: {duplicates}")
        return self
