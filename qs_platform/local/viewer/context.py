"""Resolving one dataset's columns, calculated fields and parameters while a visual's query is compiled.

`QueryContext` is the expression `Resolver` of a query: it inlines calculated fields, binds parameter values
(`$p0`, `$p1`, …) and collects the per-row columns that PRE_AGG / PRE_FILTER calculations need, which
`wrap_relation` computes in subqueries under the visual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .datasets import DatasetSource, quote_identifier
from .expressions import ExpressionError, Sql, translate

_AGGREGATIONS = {
    "SUM": ("sum({})", "Sum"),
    "AVERAGE": ("avg({})", "Average"),
    "MIN": ("min({})", "Min"),
    "MAX": ("max({})", "Max"),
    "COUNT": ("count({})", "Count"),
    "DISTINCT_COUNT": ("count(DISTINCT {})", "Distinct count"),
    "MEDIAN": ("median({})", "Median"),
    "VAR": ("var_samp({})", "Variance"),
    "VARP": ("var_pop({})", "Population variance"),
    "STDEV": ("stddev_samp({})", "Standard deviation"),
    "STDEVP": ("stddev_pop({})", "Population standard deviation"),
}
_GRANULARITIES = {
    "YEAR": "year",
    "QUARTER": "quarter",
    "MONTH": "month",
    "WEEK": "week",
    "DAY": "day",
    "HOUR": "hour",
    "MINUTE": "minute",
    "SECOND": "second",
    "MILLISECOND": "millisecond",
}
_DATE_GRANULARITIES = ("YEAR", "QUARTER", "MONTH", "WEEK", "DAY")


class CompileError(ValueError):
    """The visual cannot be turned into SQL; the message is shown in the visual."""


class CalculatedFieldError(ExpressionError):
    """An expression error, already attributed to the calculated field it occurred in."""


@dataclass
class CompiledQuery:
    sql: str
    params: dict[str, Any]
    fields: list[dict]  # one per result column: field_id, label, role, well, column, granularity, format
    notes: list[str] = field(default_factory=list)  # what the viewer did differently, for the visual's card


class QueryContext:
    """Resolves the columns and parameters of one dataset while a query is compiled; collects bound values."""

    def __init__(self, definition: dict, source: DatasetSource, parameter_values: dict[str, Any]):
        self.source = source
        self.parameter_values = parameter_values
        self.params: dict[str, Any] = {}
        self._calculated = {
            f["Name"]: f["Expression"]
            for f in definition.get("CalculatedFields", [])
            if f.get("DataSetIdentifier") == source.identifier
        }
        self._resolving: list[str] = []
        self._parameters: dict[str, str] = {}  # parameter name -> its placeholder (bound once per query)
        self._row_level: list[tuple[str, str, str]] = []  # (alias, SQL, level) of per-row window columns
        self.grouped: dict[str, str] = {}  # a date column's SQL -> the visual's grouping of it (windows use that)
        self.notes: list[str] = []  # what the visual should say it did differently (shown on its card)
        self.nested: list[str] = []  # SQL of table calculations another one takes, each computed per visual row

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def is_calculated(self, name: str) -> bool:
        return name in self._calculated

    def _known_name(self, name: str) -> str:
        """The name as written, or without surrounding spaces when only that is known (`{name }` for `name`)."""
        if name in self._calculated or name in self.source.columns or not self.source.columns:
            return name
        stripped = name.strip()
        return stripped if stripped in self._calculated or stripped in self.source.columns else name

    def row_level(self, sql: str, level: str) -> Sql:
        """A per-row column computing `sql` (a window over the dataset's rows) at PRE_FILTER or PRE_AGG."""
        for alias, known, known_level in self._row_level:
            if (known, known_level) == (sql, level):
                return Sql(quote_identifier(alias))
        alias = f"__row_level_{len(self._row_level)}"
        self._row_level.append((alias, sql, level))
        return Sql(quote_identifier(alias))

    def visual_level(self, sql: Sql) -> Sql:
        """A table calculation's value on each row of the visual, for another table calculation to take: computed in
        a query of its own grouped like the visual (`nested_queries`), joined to the visual's rows on its groups."""
        if sql.text not in self.nested:
            self.nested.append(sql.text)
        return Sql(f"any_value({nested_name(self.nested.index(sql.text))}.value)", aggregate=True)

    def wrap_relation(self, relation: str, where: list[str]) -> str:
        """The relation under the visual with its per-row window columns: PRE_FILTER ones over every row, then
        PRE_AGG ones over the rows the visual's row filters keep (one subquery each, in dependency order)."""
        pre_agg_filtered = False
        for level in ("PRE_FILTER", "PRE_AGG"):
            for alias, sql, known_level in self._row_level:
                if known_level != level:
                    continue
                condition = ""
                if level == "PRE_AGG" and not pre_agg_filtered:
                    pushed = [w for w in where if '"__row_level_' not in w]
                    condition = " WHERE " + " AND ".join(pushed) if pushed else ""
                    pre_agg_filtered = True
                relation = f"(SELECT *, {sql} AS {quote_identifier(alias)} FROM {relation} AS t{condition})"
        return relation

    def column(self, name: str) -> Sql:
        name = self._known_name(name)
        if name not in self._calculated:
            if self.source.columns and name not in self.source.columns:
                raise ExpressionError(
                    f"column {name!r} is neither in dataset {self.source.dataset_id!r} nor a calculated field of it"
                    f" (dataset columns: {', '.join(self.source.columns)})"
                )
            return Sql(self.source.sql_column(name))
        if name in self._resolving:
            raise CalculatedFieldError(f"calculated field {name!r} refers to itself")
        self._resolving.append(name)
        try:
            inner = translate(self._calculated[name], self)
        except CalculatedFieldError:
            raise
        except ExpressionError as error:
            raise CalculatedFieldError(f"calculated field {name!r}: {error}") from None
        finally:
            self._resolving.pop()
        text = inner.text if inner.text.startswith("(") and inner.text.endswith(")") else f"({inner.text})"
        return Sql(text, inner.aggregate, window=inner.window)

    def parameter(self, name: str) -> Sql:
        if name not in self.parameter_values:
            raise ExpressionError(f"unknown parameter ${{{name}}}")
        if name not in self._parameters:
            self._parameters[name] = self.bind(self.parameter_values[name])
        return Sql(self._parameters[name])

    def used_params(self, sql: str) -> dict[str, Any]:
        """The bound values the final SQL uses (a value bound for an expression the query then did not need, such
        as a sort by a field the SELECT already has, is dropped: DuckDB refuses unused parameters)."""
        used = set(re.findall(r"\$(p\d+)\b", sql))
        return {name: value for name, value in self.params.items() if name in used}

    def parameter_value(self, name: str) -> Any:
        """A filter's parameter value. One the Definition does not declare (an export's `MissingParameter…`, left by a
        deleted parameter; QuickSight accepts it) is unset, so its filter is not applied: the visual notes why."""
        if name not in self.parameter_values:
            self.note(f"filter parameter {name!r} is not declared in the Definition: the filter is not applied")
            return None
        return self.parameter_values[name]

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def field_column(self, column: dict) -> Sql:
        """A field well / filter / sort `Column` {DataSetIdentifier, ColumnName} of this dataset."""
        return self.column(column["ColumnName"])


def nested_name(index: int) -> str:
    return f"__nested_{index}"


def _single(wrapper: dict) -> tuple[str, dict]:
    """`{"NumericalMeasureField": {...}}` -> ("NumericalMeasureField", {...})."""
    for kind, value in wrapper.items():
        if isinstance(value, dict):
            return kind, value
    raise CompileError(f"empty field {wrapper!r}")


def aggregate(name: str, sql: str) -> str:
    return _AGGREGATIONS[name][0].format(sql)


def _generic_aggregation(function: dict | None) -> tuple[str, str] | None:
    """(SQL template, label) of an `AggregationFunction` / `NumericalAggregationFunction`, or None."""
    if not function:
        return None
    numerical = function.get("NumericalAggregationFunction", function)
    if "SimpleNumericalAggregation" in numerical:
        name = numerical["SimpleNumericalAggregation"]
    elif "PercentileAggregation" in numerical:
        percentile = float(numerical["PercentileAggregation"].get("PercentileValue", 50))
        return f"quantile_cont({{}}, {percentile / 100!r})", f"P{percentile:g}"
    else:
        name = function.get("CategoricalAggregationFunction") or function.get("DateAggregationFunction")
    if not name:
        return None
    if name not in _AGGREGATIONS:
        raise CompileError(f"aggregation {name} is not supported by the local viewer")
    return _AGGREGATIONS[name]
