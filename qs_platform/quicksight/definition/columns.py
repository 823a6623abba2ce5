"""The QuickSight column types of each dataset, known offline from the config alone.

Raw tables are their declared empty relations and processed tables their SQL over them, as views in an in-memory
DuckDB: `describe` gives the exact output types without any data, lake or API call (what `qs-platform validate`
checks dashboards against).
"""

from __future__ import annotations

import duckdb

from qs_platform.catalog.tables import empty_raw_select
from qs_platform.config.models import ProjectConfig
from qs_platform.quicksight.datasets import quicksight_type
from qs_platform.sql.dependencies import sql_dependencies


def _create_view(con: duckdb.DuckDBPyConnection, config: ProjectConfig, name: str, created: set[str]) -> None:
    if name in created:
        return
    layer, table = name.split(".", 1)
    if layer == "raw":
        source, child = config.raw_owner(name)
        select = empty_raw_select(source, child)
    else:
        definition = config.table(table)
        for dependency in sql_dependencies(definition.sql):
            _create_view(con, config, dependency, created)
        select = definition.sql
    con.execute(f'create view "{layer}"."{table}" as {select}')
    created.add(name)


def offline_column_types(
    config: ProjectConfig, dataset_ids: list[str] | None = None
) -> dict[str, dict[str, str] | None]:
    """dataset id -> {column: QuickSight type}; None for a dataset whose table cannot be described offline."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'; create schema raw; create schema processed")
    created: set[str] = set()
    types: dict[str, dict[str, str] | None] = {}
    for dataset in config.datasets:
        if dataset_ids is not None and dataset.id not in dataset_ids:
            continue
        try:
            _create_view(con, config, dataset.table, created)
            described = con.execute(f"describe select * from {dataset.table}").fetchall()
        except (duckdb.Error, KeyError, StopIteration):
            types[dataset.id] = None
            continue
        types[dataset.id] = {row[0]: quicksight_type(row[1]) for row in described}
    return types


# --- A Definition's own columns, typed by how it uses them (no config, no catalog) ---------------------------------

_DATE_FUNCTIONS = frozenset(
    f.lower()
    for f in (
        "truncDate addDateTime dateAdd dateDiff extract formatDate addWorkDays netWorkDays workDays "
        "periodOverPeriodDifference periodOverPeriodLastValue periodOverPeriodPercentDifference "
        "periodToDateAvg periodToDateCount periodToDateMax periodToDateMin periodToDateSum"
    ).split()
)
_STRING_FUNCTIONS = frozenset(
    f.lower()
    for f in (
        "concat contains startsWith endsWith left right substring split locate strlen toLower toUpper trim ltrim "
        "rtrim replace parseDate parseDecimal parseInt parseJson"  # not toString: it takes any type
    ).split()
)
_NUMBER_FUNCTIONS = frozenset(
    f.lower()
    for f in (
        "sum avg median percentile percentileCont percentileDisc stdev stdevp var varp abs ceil floor round log ln "
        "exp sqrt mod intToDecimal decimalToInt epochDate sumOver avgOver stdevOver varOver runningSum runningAvg "
        "percentOfTotal sumIf avgIf"
    ).split()
)
# Where a column reference sits in a Definition -> the QuickSight type that use implies
_CONTEXT_TYPES = {
    "DateDimensionField": "DATETIME",
    "DateMeasureField": "DATETIME",
    "TimeRangeFilter": "DATETIME",
    "TimeEqualityFilter": "DATETIME",
    "RelativeDatesFilter": "DATETIME",
    "DateTimeFormatConfiguration": "DATETIME",
    "NumericalDimensionField": "DECIMAL",
    "NumericalMeasureField": "DECIMAL",
    "NumericRangeFilter": "DECIMAL",
    "NumericEqualityFilter": "DECIMAL",
    "NumberFormatConfiguration": "DECIMAL",
    "CurrencyFormatConfiguration": "DECIMAL",
    "PercentageFormatConfiguration": "DECIMAL",
    "CategoricalDimensionField": "STRING",
    "CategoricalMeasureField": "STRING",
    "CategoryFilter": "STRING",
    "StringFormatConfiguration": "STRING",
}
# A string function or a comparison with a string literal wins ("STRING!"); then a date use; then a numeric one;
# then a categorical field; then being inside a numeric aggregation or a calculated field used as a number/date.
_PRECEDENCE = ("STRING!", "DATETIME", "DECIMAL", "STRING", "DECIMAL?", "DATETIME?")


_EQUALITY = ("=", "<>", "!=", "==")
_SEARCHES = frozenset(("contains", "startswith", "endswith"))
_ORDERING = ("<", ">", "<=", ">=")


def _compared(side: list, now_call: tuple[str, str, str]) -> tuple[str | None, object, bool]:
    """(operator, the token on its other side, whether that is `now()`) for the tokens on one side of a column
    reference, nearest first; (None, None, False) when no operator is there."""
    if len(side) < 2 or side[0].kind != "op":
        return None, None, False
    call = side[1:4]
    shape = tuple("name" if t.kind == "name" else t.text for t in call)
    now = shape == now_call and any(t.kind == "name" and t.text.lower() == "now" for t in call)
    return side[0].text, side[1], now


def _expression_uses(expression: str) -> list[tuple[str, str | None, str | None]]:
    """(column, implied type or None, string literal compared with it or None) per column reference."""
    from qs_platform.quicksight.expression_language import (
        PERIODS,
        ExpressionError,
        braced_name,
        is_keyword,
        tokenize,
    )

    try:
        tokens = tokenize(expression)
    except ExpressionError:
        return []
    uses, stack = [], []  # stack: the function name (lowercase) of each open parenthesis, '' for grouping
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.text == "(":
            previous = tokens[index - 1] if index else None
            stack.append(previous.text.lower() if previous is not None and previous.kind == "name" else "")
            continue
        if token.text == ")":
            stack and stack.pop()
            continue
        if token.kind == "column":
            name = braced_name(token)
        elif token.kind == "name" and (following is None or following.text != "("):
            period_argument = token.text.upper() in PERIODS and (stack[-1] if stack else "") in _DATE_FUNCTIONS
            if (is_keyword(token.text) and token.text.upper() not in PERIODS) or period_argument:
                continue
            name = token.text  # `month` in parseInt(month) is a column; MONTH in addDateTime(1, MONTH, …) is not
        else:
            continue
        implied, literal = None, None
        function = stack[-1] if stack else ""
        if function in _DATE_FUNCTIONS:
            implied = "DATETIME"
        elif function in _STRING_FUNCTIONS:
            implied = "STRING!"
        elif function in _NUMBER_FUNCTIONS:
            implied = "DECIMAL"
        after, before = tokens[index + 1 : index + 5], list(reversed(tokens[max(index - 4, 0) : index]))
        for op, value, now in (_compared(after, ("name", "(", ")")), _compared(before, (")", "(", "name"))):
            if op is None:
                continue
            if op in _EQUALITY and value.kind == "string":
                implied, literal = "STRING!", value.text[1:-1]
            elif now:  # now() >= {year_3_start}
                implied = "DATETIME"
            elif op in ("+", "-", "*", "/") or (op in _EQUALITY + _ORDERING and value.kind == "number"):
                implied = implied or "DECIMAL"
        if function in _SEARCHES and after[:2] and after[0].text == "," and after[1].kind == "string":
            literal = after[1].text[1:-1]  # contains({summary}, 'three years'): a row holding it matches
        if implied is None and any(f in _NUMBER_FUNCTIONS for f in stack):
            implied = "DECIMAL?"  # somewhere inside sum(…): a number unless something says otherwise
        uses.append((name, implied, literal))
    return uses


_NUMERIC_ONLY_AGGREGATIONS = frozenset(("SUM", "AVERAGE", "MEDIAN", "STDEV", "STDEVP", "VAR", "VARP"))


def _aggregation_type(function) -> str | None:
    """DECIMAL for an AggregationFunction only numbers take (a sum, an average, a percentile), else None."""
    if not isinstance(function, dict):
        return None
    numerical = function.get("NumericalAggregationFunction", function)
    if not isinstance(numerical, dict):
        return None
    if (
        "PercentileAggregation" in numerical
        or numerical.get("SimpleNumericalAggregation") in _NUMERIC_ONLY_AGGREGATIONS
    ):
        return "DECIMAL"
    return None


def infer_definition_columns(definition: dict) -> dict[str, dict[str, dict]]:
    """Dataset identifier -> {physical column: {"type": QuickSight type, "values": [string literals the Definition
    compares it with or filters it on]}}, for every column the Definition names (its calculated fields followed to
    the columns they read), typed by use: date fields, time filters, date functions and datetime formats make a
    DATETIME; numeric fields, filters, formats and arithmetic a DECIMAL; everything else a STRING. What an exported
    Definition says about its datasets' columns, without the datasets."""
    calculated: dict[str, set[str]] = {}
    for field in definition.get("CalculatedFields", []):
        calculated.setdefault(field.get("DataSetIdentifier"), set()).add(field.get("Name"))
    votes: dict[str, dict[str, set[str]]] = {}
    values: dict[str, dict[str, list[str]]] = {}

    def note(identifier: str, column: str, implied: str | None, literal: str | None = None) -> None:
        votes.setdefault(identifier, {}).setdefault(column, set())
        if implied:
            votes[identifier][column].add(implied)
        if literal is not None and literal not in values.setdefault(identifier, {}).setdefault(column, []):
            values[identifier][column].append(literal)

    def walk(node, context: str | None) -> None:
        if isinstance(node, dict):
            context = _aggregation_type(node.get("AggregationFunction")) or context  # a sort by sum(x)
            reference = node.get("Column")
            if isinstance(reference, dict) and {"DataSetIdentifier", "ColumnName"} <= reference.keys():
                configuration = node.get("Configuration") or {}
                for kind in ("FilterListConfiguration", "CustomFilterListConfiguration", "CustomFilterConfiguration"):
                    listed = configuration.get(kind) or {}
                    for literal in listed.get("CategoryValues", []) + [listed.get("CategoryValue")]:
                        if literal is not None:
                            note(reference["DataSetIdentifier"], reference["ColumnName"], None, str(literal))
            for key, value in node.items():
                if isinstance(value, dict) and {"DataSetIdentifier", "ColumnName"} <= value.keys():
                    note(value["DataSetIdentifier"], value["ColumnName"], context)
                walk(value, _CONTEXT_TYPES.get(key, context))
        elif isinstance(node, list):
            for item in node:
                walk(item, context)

    walk({k: v for k, v in definition.items() if k != "CalculatedFields"}, None)
    for column_configuration in definition.get("ColumnConfigurations", []):
        reference = column_configuration.get("Column") or {}
        for kind in (column_configuration.get("FormatConfiguration") or {}).keys():
            key = kind.replace("FormatConfiguration", "") + "FormatConfiguration"
            if reference.get("DataSetIdentifier") and _CONTEXT_TYPES.get(key):
                note(reference["DataSetIdentifier"], reference["ColumnName"], _CONTEXT_TYPES[key])
    read: dict[tuple[str, str], list[str]] = {}
    for field in definition.get("CalculatedFields", []):
        uses = _expression_uses(field.get("Expression", ""))
        read[(field.get("DataSetIdentifier"), field.get("Name"))] = [column for column, _, _ in uses]
        for column, implied, literal in uses:
            note(field.get("DataSetIdentifier"), column, implied, literal)
    for _ in range(5):  # a calculated field used as a number or a date: so, weakly, are the columns it reads
        for (identifier, name), columns in read.items():
            implied = votes.get(identifier, {}).get(name, set())
            weak = next((t for t in _PRECEDENCE if t in implied), None)
            weak = {"DECIMAL": "DECIMAL?", "DATETIME": "DATETIME?"}.get(weak or "", weak)
            if weak in ("DECIMAL?", "DATETIME?"):
                for column in columns:
                    if not votes[identifier].get(column):
                        note(identifier, column, weak)
    tables: dict[str, dict[str, dict]] = {}
    for declaration in definition.get("DataSetIdentifierDeclarations", []):
        identifier = declaration["Identifier"]
        columns = {}
        for column, implied in sorted(votes.get(identifier, {}).items()):
            if column in calculated.get(identifier, set()):
                continue
            kind = next((t for t in _PRECEDENCE if t in implied), "STRING").rstrip("!?")
            columns[column] = {"type": kind, "values": values.get(identifier, {}).get(column, [])}
        tables[identifier] = columns
    return tables
