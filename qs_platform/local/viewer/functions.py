"""The QuickSight expression language's function catalogue and each function's DuckDB translation.

One entry per function of QuickSight's reference ("Functions by category": aggregate, conditional, date, numeric,
mathematical, string, table calculation), with its arity and either a translation, an approximation (and how), or
"unsupported". The README's coverage table is generated from `FUNCTIONS` (`python -m
qs_platform.local.viewer.coverage`), so it cannot drift.

Levels of aggregation: a table calculation is computed on the visual's aggregated rows (POST_AGG_FILTER, the
default) as a window over them; with PRE_AGG or PRE_FILTER it is computed per row, in a subquery under the visual
(PRE_AGG after the visual's row filters, PRE_FILTER before them). An aggregate with a partition list (`sum(x, [a])`,
level-aware aggregation) is a per-row window over that partition. `[]` is the whole (filtered) dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from qs_platform.quicksight.expression_language import ExpressionError


@dataclass(frozen=True)
class Sql:
    text: str
    aggregate: bool = False  # contains an aggregation: usable as a measure, not as a dimension
    literal: object = None  # the Python value of a string/number literal, for functions that need constants
    is_list: bool = False  # a bracketed list `[a, b DESC]`: partitions, sort orders, in() values
    items: tuple = ()  # a list's (Sql, direction or None)
    keyword: str | None = None  # a bare keyword: PRE_AGG, DESC, CASE_INSENSITIVE, MONTH …
    window: bool = False  # a window over the visual's aggregated rows (filters on it go to QUALIFY)


@dataclass(frozen=True)
class Call:
    name: str
    args: list[Sql]
    resolver: object  # the Resolver: row_level(sql, level) makes a per-row column of a PRE_AGG/PRE_FILTER window


@dataclass(frozen=True)
class Function:
    name: str  # QuickSight's spelling
    category: str
    min_args: int
    max_args: int | None  # None: any number
    build: Callable[[Call], Sql] | None = None
    status: str = "supported"  # supported | approximated | unsupported
    how: str = ""  # for approximations and unsupported functions: what the viewer does instead

    @property
    def arity(self) -> str:
        if self.max_args is None:
            return f"{self.min_args}+"
        return str(self.min_args) if self.min_args == self.max_args else f"{self.min_args}-{self.max_args}"


# ---- helpers ----------------------------------------------------------------------------------------------

PERIODS = {
    "YYYY": "year",
    "YEAR": "year",
    "Q": "quarter",
    "QUARTER": "quarter",
    "MM": "month",
    "MONTH": "month",
    "WK": "week",
    "WEEK": "week",
    "DD": "day",
    "DAY": "day",
    "HH": "hour",
    "HOUR": "hour",
    "MI": "minute",
    "MINUTE": "minute",
    "SS": "second",
    "SECOND": "second",
    "MS": "millisecond",
    "MILLISECOND": "millisecond",
}
_EXTRACT_ONLY = {"WD": "isodow"}  # extract('WD', d): day of the week


def period(arg: Sql, function: str, extra: dict[str, str] | None = None) -> str:
    value = arg.keyword or arg.literal
    table = {**PERIODS, **(extra or {})}
    if not isinstance(value, str) or value.upper() not in table:
        raise ExpressionError(f"{function}() needs a period, one of {', '.join(sorted(table))}")
    return table[value.upper()]


def _flags(args: list[Sql]) -> dict:
    return {"aggregate": any(a.aggregate for a in args), "window": any(a.window for a in args)}


def _plain(args: list[Sql], function: str) -> None:
    for a in args:
        if a.is_list:
            raise ExpressionError(f"a [list] is not a valid argument of {function}()")
        if a.keyword and a.keyword not in PERIODS:
            raise ExpressionError(f"{a.keyword} is not a valid argument of {function}()")


def scalar(template: Callable[[list[str]], str]) -> Callable[[Call], Sql]:
    """A row-level function: its SQL from the arguments' SQL; aggregated if an argument is."""

    def build(call: Call) -> Sql:
        _plain(call.args, call.name)
        return Sql(template([a.text for a in call.args]), **_flags(call.args))

    return build


def simple(sql_name: str) -> Callable[[Call], Sql]:
    return scalar(lambda a: f"{sql_name}({', '.join(a)})")


def _regrouped(text: str, groups: dict[str, str]) -> str:
    """A partition or sort field of a window over the visual's rows, on the visual's groups: a date column the visual
    groups by month is that month there (QuickSight's reading; the raw column is not in the GROUP BY)."""
    for column, grouped in groups.items():
        text = text.replace(column, grouped)
    return text


def _partition_clause(partition: Sql | None, groups: dict[str, str]) -> str:
    if partition is None or not partition.items:
        return ""
    return "PARTITION BY " + ", ".join(_regrouped(item.text, groups) for item, _ in partition.items)


def _order_clause(order: Sql | None, groups: dict[str, str]) -> str:
    if order is None or not order.items:
        return ""
    return "ORDER BY " + ", ".join(
        f"{_regrouped(item.text, groups)} {direction or 'ASC'} NULLS LAST" for item, direction in order.items
    )


def visual_groups(call: Call, level: str) -> dict[str, str]:
    """Raw column SQL -> the visual's grouped SQL of it, for a window at the visual's level (none below it)."""
    return dict(getattr(call.resolver, "grouped", {})) if level == "POST_AGG_FILTER" else {}


def over(
    partition: Sql | None = None, order: Sql | None = None, frame: str = "", groups: dict[str, str] | None = None
) -> str:
    clauses = (_partition_clause(partition, groups or {}), _order_clause(order, groups or {}), frame)
    return "OVER (" + " ".join(p for p in clauses if p) + ")"


def _list(arg: Sql | None, function: str, what: str) -> Sql | None:
    if arg is None:
        return None
    if not arg.is_list:
        raise ExpressionError(f"{function}(): the {what} must be a [list]")
    return arg


def _level(args: list[Sql], function: str) -> tuple[list[Sql], str]:
    """The arguments without a trailing level keyword, and the level (POST_AGG_FILTER when absent)."""
    if args and args[-1].keyword in ("PRE_AGG", "PRE_FILTER", "POST_AGG_FILTER"):
        return args[:-1], args[-1].keyword
    return args, "POST_AGG_FILTER"


def lift_nested(call: Call) -> Call:
    """A table calculation of another one (`sumOver(x)` where x holds `minOver(sum(y))`, legal in QuickSight): DuckDB
    cannot nest window calls, so each argument that is a window over the visual's rows is computed per row of the
    visual in a query of its own first (the resolver's `visual_level`) and taken here as that row's value."""
    if not any(a.window or any(item.window for item, _ in a.items) for a in call.args):
        return call
    visual_level = getattr(call.resolver, "visual_level", None)
    if visual_level is None:
        raise ExpressionError(f"{call.name}() of another table calculation is not available here")

    def lifted(arg: Sql) -> Sql:
        return visual_level(arg) if arg.window else arg

    args = []
    for arg in call.args:
        if arg.is_list:
            items = tuple((lifted(item), direction) for item, direction in arg.items)
            text = "(" + ", ".join(item.text for item, _ in items) + ")"
            arg = replace(arg, text=text, items=items, aggregate=any(item.aggregate for item, _ in items))
        args.append(lifted(arg))
    return Call(call.name, args, call.resolver)


def windowed(call: Call, text: str, level: str, inner: list[Sql], counts_fields: bool = False) -> Sql:
    """A window function at its level: over the visual's rows, or a per-row column under the visual. A count at the
    visual's level (`countOver({pricing_unit}, [{resource_id}])`) may take a field the visual groups by."""
    if level == "POST_AGG_FILTER":
        if not counts_fields and not any(a.aggregate for a in inner):
            raise ExpressionError(f"{call.name}() at the visual's level needs an aggregated measure such as sum(x)")
        return Sql(text, aggregate=True, window=True)
    if any(a.aggregate for a in inner):
        raise ExpressionError(f"{call.name}() at {level} takes a row-level value, not an aggregation")
    row_level = getattr(call.resolver, "row_level", None)
    if row_level is None:
        raise ExpressionError(f"{call.name}() at {level} is not available here")
    return row_level(text, level)


# ---- aggregations -----------------------------------------------------------------------------------------


def aggregation(template: str, conditional: bool = False) -> Callable[[Call], Sql]:
    """`sum(x)`, `sumIf(x, condition)`, and level-aware `sum(x, [partition])` (a per-row window, PRE_AGG)."""

    def build(call: Call) -> Sql:
        args = list(call.args)
        partition = args.pop() if args and args[-1].is_list else None
        _plain(args, call.name)
        if any(a.aggregate for a in args):
            raise ExpressionError(f"nested aggregation: {call.name}() of an aggregated value")
        values = [a.text for a in args]
        text = template.format(*values)
        if conditional:
            text = f"{text} FILTER (WHERE {values[-1]})"
        if partition is None:
            return Sql(text, aggregate=True)
        return windowed(call, f"{text} {over(partition)}", "PRE_AGG", args)

    return build


def _percentile(function: str) -> Callable[[Call], Sql]:
    return aggregation(function + "({0}, ({1}) / 100.0)")


def period_to_date(template: str) -> Callable[[Call], Sql]:
    """periodToDateSum(measure, date, period[, endDate]): the aggregate over the period up to endDate (default now)."""

    def build(call: Call) -> Sql:
        measure, date, unit = call.args[0], call.args[1], period(call.args[2], call.name)
        end = call.args[3].text if len(call.args) > 3 else "current_timestamp"
        if measure.aggregate:
            raise ExpressionError(f"nested aggregation: {call.name}() of an aggregated value")
        condition = (
            f"CAST({date.text} AS TIMESTAMP) >= date_trunc('{unit}', CAST({end} AS TIMESTAMP)) "
            f"AND CAST({date.text} AS TIMESTAMP) <= CAST({end} AS TIMESTAMP)"
        )
        return Sql(f"{template.format(measure.text)} FILTER (WHERE {condition})", aggregate=True)

    return build


# ---- conditionals -----------------------------------------------------------------------------------------


def _ifelse(call: Call) -> Sql:
    args = call.args
    if len(args) < 3 or len(args) % 2 == 0:
        raise ExpressionError(
            "ifelse() takes condition, value pairs and a final else value (an odd number ≥ 3 of arguments)"
        )
    _plain(args, "ifelse")
    pairs = " ".join(f"WHEN {c.text} THEN {v.text}" for c, v in zip(args[:-1:2], args[1:-1:2]))
    return Sql(f"CASE {pairs} ELSE {args[-1].text} END", **_flags(args))


def _switch(call: Call) -> Sql:
    value, rest = call.args[0], call.args[1:]
    if len(rest) < 3 or len(rest) % 2 == 0:
        raise ExpressionError("switch() takes a value, value/result pairs and a default")
    _plain(call.args, "switch")
    pairs = " ".join(f"WHEN {c.text} THEN {r.text}" for c, r in zip(rest[:-1:2], rest[1:-1:2]))
    return Sql(f"CASE {value.text} {pairs} ELSE {rest[-1].text} END", **_flags(call.args))


def _in(negate: bool) -> Callable[[Call], Sql]:
    def build(call: Call) -> Sql:
        value, values = call.args
        op = "NOT " if negate else ""
        if values.is_list:
            if not values.items:
                return Sql("TRUE" if negate else "FALSE", **_flags([value]))
            listed = ", ".join(item.text for item, _ in values.items)
            return Sql(f"({value.text} {op}IN ({listed}))", **_flags([value, *[i for i, _ in values.items]]))
        return Sql(f"({op}list_contains({values.text}, {value.text}))", **_flags(call.args))  # a multi-valued parameter

    return build


# ---- strings ----------------------------------------------------------------------------------------------


def _case_aware(sql_name: str) -> Callable[[Call], Sql]:
    """contains / startsWith / endsWith (expression, substring[, CASE_SENSITIVE | CASE_INSENSITIVE])."""

    def build(call: Call) -> Sql:
        args = list(call.args)
        option = args.pop().keyword if len(args) == 3 else "CASE_SENSITIVE"
        if option not in ("CASE_SENSITIVE", "CASE_INSENSITIVE"):
            raise ExpressionError(f"{call.name}(): the third argument is CASE_SENSITIVE or CASE_INSENSITIVE")
        _plain(args, call.name)
        text, part = (a.text for a in args)
        if option == "CASE_INSENSITIVE":
            text, part = f"lower({text})", f"lower({part})"
        return Sql(f"{sql_name}({text}, {part})", **_flags(args))

    return build


def _locate(a: list[str]) -> str:
    if len(a) == 2:
        return f"strpos({a[0]}, {a[1]})"
    found = f"strpos(substring({a[0]}, {a[2]}), {a[1]})"
    return f"(CASE WHEN {found} = 0 THEN 0 ELSE {found} + ({a[2]}) - 1 END)"


_JAVA_DATE_FORMAT = [  # longest first: QuickSight formats are Java's (yyyy-MM-dd'T'HH:mm:ss)
    ("yyyy", "%Y"),
    ("YYYY", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("E", "%a"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("h", "%-I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%g"),
    ("a", "%p"),
    ("Z", "%z"),
    ("z", "%Z"),
]


def strftime_format(java: str) -> str:
    out, i = [], 0
    while i < len(java):
        if java[i] == "'":
            end = java.find("'", i + 1)
            end = len(java) if end < 0 else end
            out.append(java[i + 1 : end].replace("%", "%%") or "'")
            i = end + 1
            continue
        for pattern, code in _JAVA_DATE_FORMAT:
            if java.startswith(pattern, i):
                out.append(code)
                i += len(pattern)
                break
        else:
            out.append("%%" if java[i] == "%" else java[i])
            i += 1
    return "".join(out)


def _format_literal(arg: Sql, function: str) -> str:
    if not isinstance(arg.literal, str):
        raise ExpressionError(f"{function}() needs its format as a string literal")
    return "'" + strftime_format(arg.literal).replace("'", "''") + "'"


def _format_date(call: Call) -> Sql:
    _plain(call.args, call.name)
    fmt = _format_literal(call.args[1], call.name) if len(call.args) > 1 else "'%m/%d/%Y'"
    return Sql(f"strftime(CAST({call.args[0].text} AS TIMESTAMP), {fmt})", **_flags(call.args))


def _parse_date(call: Call) -> Sql:
    _plain(call.args, call.name)
    value = call.args[0].text
    if len(call.args) == 1:
        return Sql(f"TRY_CAST({value} AS TIMESTAMP)", **_flags(call.args))
    return Sql(
        f"try_strptime(CAST({value} AS VARCHAR), {_format_literal(call.args[1], call.name)})", **_flags(call.args)
    )


# ---- dates ------------------------------------------------------------------------------------------------


def _add_date_time(call: Call) -> Sql:
    amount, unit, date = call.args
    unit = period(unit, call.name)
    factor, unit = {"quarter": ("3 * ", "month"), "week": ("7 * ", "day")}.get(unit, ("", unit))
    return Sql(f"(CAST({date.text} AS TIMESTAMP) + {factor}({amount.text}) * INTERVAL 1 {unit})", **_flags(call.args))


_WEEKDAY = "lambda x: isodow(x) < 6"


def _add_work_days(a: list[str]) -> str:
    start, n = f"CAST({a[0]} AS DATE)", f"CAST({a[1]} AS BIGINT)"
    ahead = f"list_filter(range({start} + INTERVAL 1 DAY, {start} + (2 * abs({n}) + 10) * INTERVAL 1 DAY, INTERVAL 1 DAY), {_WEEKDAY})"
    behind = f"list_reverse(list_filter(range({start} - (2 * abs({n}) + 10) * INTERVAL 1 DAY, {start}, INTERVAL 1 DAY), {_WEEKDAY}))"
    return f"(CASE WHEN {n} = 0 THEN CAST({start} AS TIMESTAMP) WHEN {n} > 0 THEN {ahead}[{n}] ELSE {behind}[-{n}] END)"


def _net_work_days(a: list[str]) -> str:
    days = f"range(CAST({a[0]} AS DATE), CAST({a[1]} AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY)"
    return f"len(list_filter({days}, {_WEEKDAY}))"


def _date_diff(call: Call) -> Sql:
    unit = period(call.args[2], call.name) if len(call.args) == 3 else "day"
    first, second = call.args[0].text, call.args[1].text
    return Sql(f"date_diff('{unit}', CAST({first} AS TIMESTAMP), CAST({second} AS TIMESTAMP))", **_flags(call.args[:2]))


def _trunc_date(call: Call) -> Sql:
    unit = period(call.args[0], call.name)
    return Sql(f"date_trunc('{unit}', CAST({call.args[1].text} AS TIMESTAMP))", **_flags(call.args[1:]))


def _extract(call: Call) -> Sql:
    unit = period(call.args[0], call.name, _EXTRACT_ONLY)
    return Sql(f"date_part('{unit}', CAST({call.args[1].text} AS TIMESTAMP))", **_flags(call.args[1:]))


# ---- table calculations -----------------------------------------------------------------------------------


def over_function(template: str, counts_fields: bool = False) -> Callable[[Call], Sql]:
    """sumOver(measure, [partition], level) and kin: `template` of the measure, windowed over the partition."""

    def build(call: Call) -> Sql:
        args, level = _level(call.args, call.name)
        measure, extra = args[0], args[1:]
        partition = _list(extra.pop(), call.name, "partition") if extra and extra[-1].is_list else None
        _plain([measure, *extra], call.name)
        text = template.format(measure.text, *(e.text for e in extra))
        window = over(partition, groups=visual_groups(call, level))
        return windowed(call, f"{text} {window}", level, [measure], counts_fields)

    return build


def ranking(template: str) -> Callable[[Call], Sql]:
    """rank([sort], [partition], level), denseRank, percentileRank."""

    def build(call: Call) -> Sql:
        args, level = _level(call.args, call.name)
        order = _list(args[0], call.name, "sort order")
        partition = _list(args[1], call.name, "partition") if len(args) > 1 else None
        text = template.format(over=over(partition, order, groups=visual_groups(call, level)))
        return windowed(call, text, level, [i for i, _ in order.items])

    return build


def framed(template: str, frame: str) -> Callable[[Call], Sql]:
    """f(measure, [sort], [partition]) over a frame of the sorted partition: runningSum, firstValue and kin."""

    def build(call: Call) -> Sql:
        measure, order = call.args[0], _list(call.args[1], call.name, "sort order")
        partition = _list(call.args[2], call.name, "partition") if len(call.args) > 2 else None
        return _over_visual_rows(call, template, measure, partition, order, frame)

    return build


def _over_visual_rows(call: Call, template: str, measure: Sql, partition: Sql | None, order: Sql, frame: str) -> Sql:
    """`template` of the measure over a frame of the visual's sorted rows."""
    groups = visual_groups(call, "POST_AGG_FILTER")
    text = f"{template.format(measure.text)} {over(partition, order, frame, groups)}"
    return windowed(call, text, "POST_AGG_FILTER", [measure])


def running(template: str) -> Callable[[Call], Sql]:
    """runningSum(measure, [sort], [partition]) and kin: from the first row of the partition to this one."""
    return framed(template, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW")


def moving(template: str) -> Callable[[Call], Sql]:
    """windowSum(measure, [sort], start, end, [partition]): rows from `start` before to `end` after this one."""

    def build(call: Call) -> Sql:
        measure, order, start, end = call.args[:4]
        order = _list(order, call.name, "sort order")
        partition = _list(call.args[4], call.name, "partition") if len(call.args) > 4 else None
        bounds = [b.literal for b in (start, end)]
        if not all(isinstance(b, int) for b in bounds):
            raise ExpressionError(f"{call.name}(): the window bounds must be whole numbers")
        frame = f"ROWS BETWEEN {bounds[0]} PRECEDING AND {bounds[1]} FOLLOWING"
        return _over_visual_rows(call, template, measure, partition, order, frame)

    return build


def _offset_value(call: Call, default_direction: int) -> tuple[Sql, str]:
    """(measure, SQL of the measure `offset` rows away in the sort) for lag/lead/difference/percentDifference."""
    measure, order = call.args[0], _list(call.args[1], call.name, "sort order")
    offset = call.args[2].literal if len(call.args) > 2 else default_direction
    if not isinstance(offset, int):
        raise ExpressionError(f"{call.name}(): the lookup index must be a whole number")
    partition = _list(call.args[3], call.name, "partition") if len(call.args) > 3 else None
    offset *= default_direction if call.name.lower() in ("lag", "lead") else 1
    function = "lead" if offset > 0 else "lag"
    groups = visual_groups(call, "POST_AGG_FILTER")
    return measure, f"{function}({measure.text}, {abs(offset)}) {over(partition, order, groups=groups)}"


def _lag_lead(direction: int) -> Callable[[Call], Sql]:
    def build(call: Call) -> Sql:
        measure, other = _offset_value(call, direction)
        return windowed(call, other, "POST_AGG_FILTER", [measure])

    return build


def _difference(percent: bool) -> Callable[[Call], Sql]:
    def build(call: Call) -> Sql:
        measure, other = _offset_value(call, -1)
        text = f"(({measure.text}) - {other})"
        if percent:
            text = f"({text} / NULLIF({other}, 0))"
        return windowed(call, text, "POST_AGG_FILTER", [measure])

    return build


def _percent_of_total(call: Call) -> Sql:
    args, level = _level(call.args, call.name)
    measure = args[0]
    partition = _list(args[1], call.name, "partition") if len(args) > 1 else None
    window = over(partition, groups=visual_groups(call, level))
    return windowed(call, f"(({measure.text}) / NULLIF(sum({measure.text}) {window}, 0))", level, [measure])


def _first_last(function: str) -> Callable[[Call], Sql]:
    return framed(function + "({0})", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING")


def _period_over_period(kind: str) -> Callable[[Call], Sql]:
    """periodOverPeriod…(measure, date, period, offset): against the value `offset` periods before, in the visual."""

    def build(call: Call) -> Sql:
        measure, date = call.args[0], call.args[1]
        if len(call.args) > 2:
            period(call.args[2], call.name)  # checked; the visual's date granularity decides the rows
        offset = call.args[3].literal if len(call.args) > 3 else 1
        if not isinstance(offset, int):
            raise ExpressionError(f"{call.name}(): the offset must be a whole number")
        before = f"lag({measure.text}, {offset}) OVER (ORDER BY min(CAST({date.text} AS TIMESTAMP)))"
        text = {
            "last": before,
            "difference": f"(({measure.text}) - {before})",
            "percent": f"((({measure.text}) - {before}) / NULLIF({before}, 0))",
        }[kind]
        return windowed(call, text, "POST_AGG_FILTER", [measure])

    return build


def _period_to_date_over_time(template: str) -> Callable[[Call], Sql]:
    """periodToDateSumOverTime(measure, date, period): running within each period of the visual's rows."""

    def build(call: Call) -> Sql:
        measure, date = call.args[0], call.args[1]
        unit = period(call.args[2], call.name) if len(call.args) > 2 else "month"
        when = f"min(CAST({date.text} AS TIMESTAMP))"
        text = f"{template.format(measure.text)} OVER (PARTITION BY date_trunc('{unit}', {when}) ORDER BY {when} ROWS UNBOUNDED PRECEDING)"
        return windowed(call, text, "POST_AGG_FILTER", [measure])

    return build


# ---- the catalogue ----------------------------------------------------------------------------------------

_F = Function
TABLE_CALCULATION = "table calculation"
_AGG, _COND, _DATE, _NUM, _STR, _TABLE = "aggregate", "conditional", "date", "numeric", "string", TABLE_CALCULATION
LEVEL_AWARE = (
    "a per-row window over the partition (PRE_AGG); the visual then aggregates every row, not each partition once"
)
_POP = "on the visual's rows ordered by the date: the previous row, whatever the visual's date granularity"


def _catalogue() -> list[Function]:
    f: list[Function] = []
    for name, template in [
        ("avg", "avg({0})"),
        ("count", "count({0})"),
        ("distinct_count", "count(DISTINCT {0})"),
        ("max", "max({0})"),
        ("median", "median({0})"),
        ("min", "min({0})"),
        ("stdev", "stddev_samp({0})"),
        ("stdevp", "stddev_pop({0})"),
        ("sum", "sum({0})"),
        ("var", "var_samp({0})"),
        ("varp", "var_pop({0})"),
    ]:
        f.append(_F(name, _AGG, 1, 2, aggregation(template)))
        f.append(_F(f"{name}If", _AGG, 2, 2, aggregation(template, conditional=True)))
    f += [
        _F("percentile", _AGG, 2, 3, _percentile("quantile_disc")),
        _F("percentileCont", _AGG, 2, 3, _percentile("quantile_cont")),
        _F("percentileDisc", _AGG, 2, 3, _percentile("quantile_disc")),
    ]
    for name, template in [
        ("Avg", "avg({0})"),
        ("Count", "count({0})"),
        ("Max", "max({0})"),
        ("Median", "median({0})"),
        ("Min", "min({0})"),
        ("StDev", "stddev_samp({0})"),
        ("StDevP", "stddev_pop({0})"),
        ("Sum", "sum({0})"),
        ("Var", "var_samp({0})"),
        ("VarP", "var_pop({0})"),
    ]:
        f.append(_F(f"periodToDate{name}", _AGG, 3, 4, period_to_date(template)))
    f += [
        _F("periodToDatePercentile", _AGG, 4, 5, None, "unsupported", "no translation yet"),
        _F("periodToDatePercentileCont", _AGG, 4, 5, None, "unsupported", "no translation yet"),
        # conditional
        _F("coalesce", _COND, 2, None, simple("coalesce")),
        _F("ifelse", _COND, 1, None, _ifelse),  # _ifelse explains the count itself
        _F("in", _COND, 2, 2, _in(False)),
        _F("isNotNull", _COND, 1, 1, scalar(lambda a: f"({a[0]} IS NOT NULL)")),
        _F("isNull", _COND, 1, 1, scalar(lambda a: f"({a[0]} IS NULL)")),
        _F("notIn", _COND, 2, 2, _in(True)),
        _F("nullIf", _COND, 2, 2, simple("nullif")),
        _F("switch", _COND, 4, None, _switch),
        # dates
        _F("addDateTime", _DATE, 3, 3, _add_date_time),
        _F("addWorkDays", _DATE, 2, 2, scalar(_add_work_days), "approximated", "Monday to Friday; no holiday calendar"),
        _F("dateDiff", _DATE, 2, 3, _date_diff),
        _F("epochDate", _DATE, 1, 1, scalar(lambda a: f"make_timestamp(CAST({a[0]} AS BIGINT) * 1000000)")),
        _F("extract", _DATE, 2, 2, _extract),
        _F(
            "formatDate",
            _DATE,
            1,
            2,
            _format_date,
            "approximated",
            "Java date patterns mapped to strftime; locale English",
        ),
        _F(
            "isWorkDay",
            _DATE,
            1,
            1,
            scalar(lambda a: f"(isodow(CAST({a[0]} AS DATE)) < 6)"),
            "approximated",
            "Monday to Friday",
        ),
        _F("netWorkDays", _DATE, 2, 2, scalar(_net_work_days), "approximated", "Monday to Friday; no holiday calendar"),
        _F("now", _DATE, 0, 0, scalar(lambda a: "CAST(current_timestamp AS TIMESTAMP)")),
        _F("parseDate", _DATE, 1, 3, _parse_date),
        _F("truncDate", _DATE, 2, 2, _trunc_date),
        # numeric and mathematical
        _F("ceil", _NUM, 1, 1, simple("ceil")),
        _F("decimalToInt", _NUM, 1, 1, scalar(lambda a: f"CAST(trunc({a[0]}) AS BIGINT)")),
        _F("floor", _NUM, 1, 1, simple("floor")),
        _F("intToDecimal", _NUM, 1, 1, scalar(lambda a: f"CAST({a[0]} AS DOUBLE)")),
        _F("round", _NUM, 1, 2, simple("round")),
        _F("abs", _NUM, 1, 1, simple("abs")),
        _F("exp", _NUM, 1, 1, simple("exp")),
        _F("ln", _NUM, 1, 1, simple("ln")),
        _F("log", _NUM, 1, 1, simple("log10")),
        _F("mod", _NUM, 2, 2, scalar(lambda a: f"({a[0]} % NULLIF({a[1]}, 0))")),
        _F("sqrt", _NUM, 1, 1, simple("sqrt")),
        # strings
        _F("concat", _STR, 2, None, scalar(lambda a: "(" + " || ".join(a) + ")")),
        _F("contains", _STR, 2, 3, _case_aware("contains")),
        _F("endsWith", _STR, 2, 3, _case_aware("ends_with")),
        _F("left", _STR, 2, 2, simple("left")),
        _F("locate", _STR, 2, 3, scalar(_locate)),
        _F("ltrim", _STR, 1, 1, simple("ltrim")),
        _F("parseDecimal", _STR, 1, 1, scalar(lambda a: f"TRY_CAST({a[0]} AS DOUBLE)")),
        _F("parseInt", _STR, 1, 1, scalar(lambda a: f"TRY_CAST(TRY_CAST({a[0]} AS DOUBLE) AS BIGINT)")),
        _F("parseJson", _STR, 2, 2, scalar(lambda a: f"json_extract_string({a[0]}, {a[1]})")),
        _F("replace", _STR, 3, 3, simple("replace")),
        _F("right", _STR, 2, 2, simple("right")),
        _F("rtrim", _STR, 1, 1, simple("rtrim")),
        _F("split", _STR, 3, 3, scalar(lambda a: f"split_part({a[0]}, {a[1]}, CAST({a[2]} AS BIGINT))")),
        _F("startsWith", _STR, 2, 3, _case_aware("starts_with")),
        _F("strlen", _STR, 1, 1, simple("length")),
        _F("substring", _STR, 3, 3, simple("substring")),
        _F("toLower", _STR, 1, 1, simple("lower")),
        _F("toString", _STR, 1, 1, scalar(lambda a: f"CAST({a[0]} AS VARCHAR)")),
        _F("toUpper", _STR, 1, 1, simple("upper")),
        _F("trim", _STR, 1, 1, simple("trim")),
        # table calculations
        _F("difference", _TABLE, 3, 4, _difference(False)),
        _F("distinctCountOver", _TABLE, 1, 3, over_function("count(DISTINCT {0})", counts_fields=True)),
        _F("lag", _TABLE, 3, 4, _lag_lead(-1)),
        _F("lead", _TABLE, 3, 4, _lag_lead(1)),
        _F(
            "percentDifference",
            _TABLE,
            3,
            4,
            _difference(True),
            "approximated",
            "a ratio (0.25 for 25%), as a percent format shows it",
        ),
        _F("avgOver", _TABLE, 1, 3, over_function("avg({0})")),
        _F("countOver", _TABLE, 1, 3, over_function("count({0})", counts_fields=True)),
        _F("maxOver", _TABLE, 1, 3, over_function("max({0})")),
        _F("minOver", _TABLE, 1, 3, over_function("min({0})")),
        _F("percentileOver", _TABLE, 2, 4, over_function("quantile_disc({0}, ({1}) / 100.0)")),
        _F("percentileContOver", _TABLE, 2, 4, over_function("quantile_cont({0}, ({1}) / 100.0)")),
        _F("percentileDiscOver", _TABLE, 2, 4, over_function("quantile_disc({0}, ({1}) / 100.0)")),
        _F(
            "percentOfTotal",
            _TABLE,
            1,
            3,
            _percent_of_total,
            "approximated",
            "a ratio (0.25 for 25%), as a percent format shows it",
        ),
        _F("periodOverPeriodDifference", _TABLE, 2, 4, _period_over_period("difference"), "approximated", _POP),
        _F("periodOverPeriodLastValue", _TABLE, 2, 4, _period_over_period("last"), "approximated", _POP),
        _F("periodOverPeriodPercentDifference", _TABLE, 2, 4, _period_over_period("percent"), "approximated", _POP),
    ]
    for name, template in [
        ("Avg", "avg({0})"),
        ("Count", "count({0})"),
        ("Max", "max({0})"),
        ("Min", "min({0})"),
        ("Sum", "sum({0})"),
    ]:
        f.append(_F(f"periodToDate{name}OverTime", _TABLE, 2, 3, _period_to_date_over_time(template)))
    f += [
        _F("stdevOver", _TABLE, 1, 3, over_function("stddev_samp({0})")),
        _F("stdevpOver", _TABLE, 1, 3, over_function("stddev_pop({0})")),
        _F("sumOver", _TABLE, 1, 3, over_function("sum({0})")),
        _F("varOver", _TABLE, 1, 3, over_function("var_samp({0})")),
        _F("varpOver", _TABLE, 1, 3, over_function("var_pop({0})")),
        _F("denseRank", _TABLE, 1, 3, ranking("dense_rank() {over}")),
        _F("rank", _TABLE, 1, 3, ranking("rank() {over}")),
        _F("percentileRank", _TABLE, 1, 3, ranking("(100 * percent_rank() {over})")),
        _F("runningAvg", _TABLE, 2, 3, running("avg({0})")),
        _F("runningCount", _TABLE, 2, 3, running("count({0})")),
        _F("runningMax", _TABLE, 2, 3, running("max({0})")),
        _F("runningMin", _TABLE, 2, 3, running("min({0})")),
        _F("runningSum", _TABLE, 2, 3, running("sum({0})")),
        _F("firstValue", _TABLE, 2, 3, _first_last("first_value")),
        _F("lastValue", _TABLE, 2, 3, _first_last("last_value")),
        _F("windowAvg", _TABLE, 4, 5, moving("avg({0})")),
        _F("windowCount", _TABLE, 4, 5, moving("count({0})")),
        _F("windowMax", _TABLE, 4, 5, moving("max({0})")),
        _F("windowMin", _TABLE, 4, 5, moving("min({0})")),
        _F("windowSum", _TABLE, 4, 5, moving("sum({0})")),
    ]
    return f


CATALOGUE: list[Function] = _catalogue()
FUNCTIONS: dict[str, Function] = {fn.name.lower(): fn for fn in CATALOGUE}
# Spellings exported Definitions use besides the reference's (QuickSight accepts them).
ALIASES: dict[str, str] = {"average": "avg", "distinctcount": "distinct_count", "countdistinct": "distinct_count"}
for _alias, _target in ALIASES.items():
    FUNCTIONS[_alias] = FUNCTIONS[_target]

__all__ = [
    "ALIASES",
    "CATALOGUE",
    "FUNCTIONS",
    "LEVEL_AWARE",
    "TABLE_CALCULATION",
    "Call",
    "Function",
    "Sql",
    "lift_nested",
]
