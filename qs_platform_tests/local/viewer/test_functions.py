"""Every function of the viewer's QuickSight catalogue, translated and run by DuckDB on four rows (the conftest's `con`).

Each translated function has an example here with the value QuickSight's reference gives for it (a test fails when
a function is added to the catalogue without one); the level-aware forms run through the real QueryContext.
"""

from __future__ import annotations

import datetime as dt

import pytest

from qs_platform.local.viewer.context import QueryContext
from qs_platform.local.viewer.datasets import DatasetSource
from qs_platform.local.viewer.expressions import ExpressionError, evaluate_constant, translate
from qs_platform.local.viewer.functions import CATALOGUE, FUNCTIONS, strftime_format
from qs_platform.local.viewer.sql import compile_visual
from qs_platform_tests.local.viewer.conftest import FOUR_COLUMNS as COLUMNS
from qs_platform_tests.local.viewer.conftest import bar_visual, table_visual

D = dt.datetime

# function -> (expression, shape, expected): shape "row" = the first row's value, "rows" = every row's value,
# "total" = the one aggregated value, "groups" = one value per g (a, b) in a query grouped by g.
EXAMPLES: dict[str, tuple[str, str, object]] = {
    "avg": ("avg({x})", "total", 2.5),
    "avgIf": ("avgIf({x}, {g} = 'b')", "total", 3.5),
    "count": ("count({x})", "total", 4),
    "countIf": ("countIf({x}, {x} > 1)", "total", 3),
    "distinct_count": ("distinct_count({g})", "total", 2),
    "distinct_countIf": ("distinct_countIf({g}, {x} > 2)", "total", 1),
    "max": ("max({x})", "total", 4.0),
    "maxIf": ("maxIf({x}, {g} = 'a')", "total", 2.0),
    "median": ("median({x})", "total", 2.5),
    "medianIf": ("medianIf({x}, {g} = 'b')", "total", 3.5),
    "min": ("min({x})", "total", 1.0),
    "minIf": ("minIf({x}, {g} = 'b')", "total", 3.0),
    "stdev": ("round(stdev({x}), 4)", "total", 1.291),
    "stdevIf": ("stdevIf({x}, {g} = 'a')", "total", pytest.approx(0.7071, abs=1e-4)),
    "stdevp": ("round(stdevp({x}), 4)", "total", 1.118),
    "stdevpIf": ("stdevpIf({x}, {g} = 'a')", "total", 0.5),
    "sum": ("sum({x})", "total", 10.0),
    "sumIf": ("sumIf({x}, {g} = 'a')", "total", 3.0),
    "var": ("round(var({x}), 4)", "total", 1.6667),
    "varIf": ("varIf({x}, {g} = 'a')", "total", 0.5),
    "varp": ("varp({x})", "total", 1.25),
    "varpIf": ("varpIf({x}, {g} = 'a')", "total", 0.25),
    "percentile": ("percentile({x}, 50)", "total", 2.0),
    "percentileCont": ("percentileCont({x}, 50)", "total", 2.5),
    "percentileDisc": ("percentileDisc({x}, 50)", "total", 2.0),
    "periodToDateAvg": ("periodToDateAvg({x}, {d}, YEAR, parseDate('2024-01-31', 'yyyy-MM-dd'))", "total", 1.5),
    "periodToDateCount": ("periodToDateCount({x}, {d}, 'MM', parseDate('2024-01-31', 'yyyy-MM-dd'))", "total", 2),
    "periodToDateMax": ("periodToDateMax({x}, {d}, YEAR, parseDate('2024-02-15', 'yyyy-MM-dd'))", "total", 3.0),
    "periodToDateMedian": ("periodToDateMedian({x}, {d}, YEAR, parseDate('2024-02-15', 'yyyy-MM-dd'))", "total", 2.0),
    "periodToDateMin": ("periodToDateMin({x}, {d}, QUARTER, parseDate('2024-03-31', 'yyyy-MM-dd'))", "total", 1.0),
    "periodToDateStDev": (
        "round(periodToDateStDev({x}, {d}, YEAR, parseDate('2024-12-31', 'yyyy-MM-dd')), 3)",
        "total",
        1.291,
    ),
    "periodToDateStDevP": ("periodToDateStDevP({x}, {d}, MONTH, parseDate('2024-01-31', 'yyyy-MM-dd'))", "total", 0.5),
    "periodToDateSum": ("periodToDateSum({x}, {d}, YEAR, parseDate('2024-02-15', 'yyyy-MM-dd'))", "total", 6.0),
    "periodToDateVar": ("periodToDateVar({x}, {d}, MONTH, parseDate('2024-01-31', 'yyyy-MM-dd'))", "total", 0.5),
    "periodToDateVarP": ("periodToDateVarP({x}, {d}, MONTH, parseDate('2024-01-31', 'yyyy-MM-dd'))", "total", 0.25),
    "coalesce": ("coalesce(nullIf({g}, 'a'), 'none')", "rows", ["none", "none", "b", "b"]),
    "ifelse": ("ifelse({x} > 3, 'big', {x} > 1, 'mid', 'small')", "rows", ["small", "mid", "mid", "big"]),
    "in": ("in({x}, [1, 4])", "rows", [True, False, False, True]),
    "isNotNull": ("isNotNull(nullIf({g}, 'a'))", "rows", [False, False, True, True]),
    "isNull": ("isNull(nullIf({g}, 'a'))", "rows", [True, True, False, False]),
    "notIn": ("notIn({g}, ['a'])", "rows", [False, False, True, True]),
    "nullIf": ("nullIf({g}, 'b')", "rows", ["a", "a", None, None]),
    "switch": ("switch({g}, 'a', 'first', 'b', 'second', 'other')", "rows", ["first", "first", "second", "second"]),
    "addDateTime": ("addDateTime(1, 'MM', {d})", "row", D(2024, 2, 1)),
    "addWorkDays": ("addWorkDays({d}, 5)", "row", D(2024, 1, 8)),
    "dateDiff": ("dateDiff({d}, addDateTime(2, 'WK', {d}))", "row", 14),
    "epochDate": ("epochDate(86400)", "row", D(1970, 1, 2)),
    "extract": ("extract('MM', {d})", "rows", [1, 1, 2, 3]),
    "formatDate": ("formatDate({d}, 'yyyy-MM-dd EEE')", "row", "2024-01-01 Mon"),
    "isWorkDay": ("isWorkDay(addDateTime(5, 'DD', {d}))", "row", False),
    "netWorkDays": ("netWorkDays({d}, addDateTime(13, 'DD', {d}))", "row", 10),
    "now": ("dateDiff(now(), now())", "row", 0),
    "parseDate": ("parseDate('31/01/2024', 'dd/MM/yyyy')", "row", D(2024, 1, 31)),
    "truncDate": ("truncDate('MM', {d})", "rows", [D(2024, 1, 1), D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)]),
    "ceil": ("ceil({x} / 3)", "rows", [1, 1, 1, 2]),
    "floor": ("floor({x} / 3)", "rows", [0, 0, 1, 1]),
    "decimalToInt": ("decimalToInt({x} * 1.5)", "rows", [1, 3, 4, 6]),
    "intToDecimal": ("intToDecimal({n}) / 2", "row", 0.5),
    "round": ("round({x} / 3, 2)", "row", 0.33),
    "abs": ("abs(-{x})", "row", 1.0),
    "exp": ("exp(0)", "row", 1.0),
    "ln": ("ln(exp(2))", "row", 2.0),
    "log": ("log(1000)", "row", 3.0),
    "mod": ("mod({n}, 3)", "rows", [1, 2, 0, 1]),
    "sqrt": ("sqrt({x} * 4)", "row", 2.0),
    "concat": ("concat({g}, '-', 'z')", "row", "a-z"),
    "contains": ("contains({s}, 'ab', CASE_INSENSITIVE)", "rows", [True, False, False, False]),
    "endsWith": ("endsWith({s}, 'EF', CASE_INSENSITIVE)", "rows", [True, False, False, False]),
    "left": ("left({s}, 2)", "row", "Ab"),
    "right": ("right({s}, 2)", "row", "Ef"),
    "locate": ("locate({s}, '-', 4)", "row", 6),
    "ltrim": ("ltrim({s})", "rows", ["Ab-Cd-Ef", "x y", "pad ", "1.5"]),
    "parseDecimal": ("parseDecimal({s})", "rows", [None, None, None, 1.5]),
    "parseInt": ("parseInt('42')", "row", 42),
    "parseJson": ("parseJson({j}, '$.k')", "row", "v1"),
    "replace": ("replace({s}, '-', '+')", "row", "Ab+Cd+Ef"),
    "rtrim": ("rtrim({s})", "rows", ["Ab-Cd-Ef", "x y", "  pad", "1.5"]),
    "split": ("split({s}, '-', 2)", "row", "Cd"),
    "startsWith": ("startsWith({s}, 'ab')", "row", False),
    "strlen": ("strlen({s})", "row", 8),
    "substring": ("substring({s}, 4, 2)", "row", "Cd"),
    "toLower": ("toLower({s})", "row", "ab-cd-ef"),
    "toString": ("toString({n})", "row", "1"),
    "toUpper": ("toUpper({s})", "row", "AB-CD-EF"),
    "trim": ("trim({s})", "rows", ["Ab-Cd-Ef", "x y", "pad", "1.5"]),
    # table calculations over the visual's rows (grouped by g: sum(x) is 3 and 7)
    "difference": ("difference(sum({x}), [{g} ASC], -1, [])", "groups", [None, 4.0]),
    "distinctCountOver": ("distinctCountOver({x}, [{g}], PRE_AGG)", "rows", [2, 2, 2, 2]),
    "lag": ("lag(sum({x}), [{g} ASC], 1)", "groups", [None, 3.0]),
    "lead": ("lead(sum({x}), [{g} ASC], 1)", "groups", [7.0, None]),
    "percentDifference": ("percentDifference(sum({x}), [{g} ASC], -1, [])", "groups", [None, pytest.approx(4 / 3)]),
    "avgOver": ("avgOver(sum({x}), [])", "groups", [5.0, 5.0]),
    "countOver": ("countOver({x}, [{g}], PRE_FILTER)", "rows", [2, 2, 2, 2]),
    "maxOver": ("maxOver(sum({x}), [])", "groups", [7.0, 7.0]),
    "minOver": ("minOver({x}, [{g}], PRE_AGG)", "rows", [1.0, 1.0, 3.0, 3.0]),
    "percentileOver": ("percentileOver({x}, 50, [{g}], PRE_AGG)", "rows", [1.0, 1.0, 3.0, 3.0]),
    "percentileContOver": ("percentileContOver({x}, 50, [{g}], PRE_AGG)", "rows", [1.5, 1.5, 3.5, 3.5]),
    "percentileDiscOver": ("percentileDiscOver({x}, 50, [{g}], PRE_AGG)", "rows", [1.0, 1.0, 3.0, 3.0]),
    "percentOfTotal": ("percentOfTotal(sum({x}))", "groups", [0.3, 0.7]),
    "periodOverPeriodDifference": ("periodOverPeriodDifference(sum({x}), {d}, MONTH, 1)", "groups", [None, 4.0]),
    "periodOverPeriodLastValue": ("periodOverPeriodLastValue(sum({x}), {d}, MONTH, 1)", "groups", [None, 3.0]),
    "periodOverPeriodPercentDifference": (
        "periodOverPeriodPercentDifference(sum({x}), {d}, MONTH, 1)",
        "groups",
        [None, pytest.approx(4 / 3)],
    ),
    "periodToDateAvgOverTime": ("periodToDateAvgOverTime(sum({x}), {d}, YEAR)", "groups", [3.0, 5.0]),
    "periodToDateCountOverTime": ("periodToDateCountOverTime(sum({x}), {d}, YEAR)", "groups", [1, 2]),
    "periodToDateMaxOverTime": ("periodToDateMaxOverTime(sum({x}), {d}, MONTH)", "groups", [3.0, 7.0]),
    "periodToDateMinOverTime": ("periodToDateMinOverTime(sum({x}), {d}, YEAR)", "groups", [3.0, 3.0]),
    "periodToDateSumOverTime": ("periodToDateSumOverTime(sum({x}), {d}, YEAR)", "groups", [3.0, 10.0]),
    "stdevOver": ("stdevOver({x}, [{g}], PRE_AGG)", "rows", [pytest.approx(0.7071, abs=1e-4)] * 4),
    "stdevpOver": ("stdevpOver({x}, [{g}], PRE_AGG)", "rows", [0.5] * 4),
    "sumOver": ("sumOver(sum({x}), [])", "groups", [10.0, 10.0]),
    "varOver": ("varOver({x}, [{g}], PRE_AGG)", "rows", [0.5] * 4),
    "varpOver": ("varpOver({x}, [{g}], PRE_AGG)", "rows", [0.25] * 4),
    "denseRank": ("denseRank([sum({x}) DESC])", "groups", [2, 1]),
    "rank": ("rank([{x} DESC], [{g}], PRE_AGG)", "rows", [2, 1, 2, 1]),
    "percentileRank": ("percentileRank([sum({x}) ASC])", "groups", [0.0, 100.0]),
    "runningAvg": ("runningAvg(sum({x}), [{g} ASC])", "groups", [3.0, 5.0]),
    "runningCount": ("runningCount(sum({x}), [{g} ASC])", "groups", [1, 2]),
    "runningMax": ("runningMax(sum({x}), [{g} DESC])", "groups", [7.0, 7.0]),
    "runningMin": ("runningMin(sum({x}), [{g} ASC])", "groups", [3.0, 3.0]),
    "runningSum": ("runningSum(sum({x}), [{g} ASC], [])", "groups", [3.0, 10.0]),
    "firstValue": ("firstValue(sum({x}), [{g} DESC])", "groups", [7.0, 7.0]),
    "lastValue": ("lastValue(sum({x}), [{g} DESC])", "groups", [3.0, 3.0]),
    "windowAvg": ("windowAvg(sum({x}), [{g} ASC], 1, 0)", "groups", [3.0, 5.0]),
    "windowCount": ("windowCount(sum({x}), [{g} ASC], 0, 1)", "groups", [2, 1]),
    "windowMax": ("windowMax(sum({x}), [{g} ASC], 0, 1)", "groups", [7.0, 7.0]),
    "windowMin": ("windowMin(sum({x}), [{g} ASC], 1, 0)", "groups", [3.0, 3.0]),
    "windowSum": ("windowSum(sum({x}), [{g} ASC], 1, 1)", "groups", [10.0, 10.0]),
}


def run(con, expression: str, shape: str, parameters: dict | None = None, calculated: list[dict] | None = None):
    definition = {"CalculatedFields": calculated or []}
    ctx = QueryContext(definition, DatasetSource("t", "t", "t", COLUMNS), parameters or {})
    sql = translate(expression, ctx)
    relation = ctx.wrap_relation("t", [])
    if shape == "groups":
        query = f"SELECT {sql.text} FROM {relation} AS t GROUP BY g ORDER BY g"
    elif shape == "total":
        query = f"SELECT {sql.text} FROM {relation} AS t"
    else:
        query = f"SELECT {sql.text} FROM {relation} AS t ORDER BY x"
    values = [row[0] for row in con.execute(query, ctx.used_params(query)).fetchall()]
    return values[0] if shape in ("row", "total") else values


def test_every_translated_function_has_an_example():
    translated = {f.name for f in CATALOGUE if f.build is not None}
    assert translated - set(EXAMPLES) == set()
    assert set(EXAMPLES) <= {f.name for f in CATALOGUE}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_function(con, name):
    expression, shape, expected = EXAMPLES[name]
    assert run(con, expression, shape) == expected, expression


def test_functions_are_case_insensitive_and_exported_aliases_resolve(con):
    assert run(con, "SUMIF({x}, {g} = 'a') + Average({x}) + distinctCount({g})", "total") == 3.0 + 2.5 + 2
    assert FUNCTIONS["average"] is FUNCTIONS["avg"]


def test_comments_are_skipped(con):
    expression = "// the share of a\nsumIf({x}, {g} = 'a') /* of the whole */ / sum({x}) // end"
    assert run(con, expression, "total") == 0.3


def test_level_aware_aggregation_and_empty_partition(con):
    assert run(con, "sum({x}, [{g}])", "rows") == [3.0, 3.0, 7.0, 7.0]
    assert run(con, "sumOver({x}, [], PRE_AGG)", "rows") == [10.0] * 4
    assert run(con, "max({x}, [])", "rows") == [4.0] * 4


def test_pre_agg_windows_see_the_row_filters_and_pre_filter_ones_do_not(con):
    for level, expected in (("PRE_AGG", [5.0, 5.0]), ("PRE_FILTER", [10.0, 10.0])):
        ctx = QueryContext({"CalculatedFields": []}, DatasetSource("t", "t", "t", COLUMNS), {})
        total = translate(f"sumOver({{x}}, [], {level})", ctx)
        where = ['"x" > 1', '"x" < 4']
        query = f"SELECT {total.text} FROM {ctx.wrap_relation('t', where)} AS t WHERE {' AND '.join(where)} ORDER BY x"
        assert [r[0] for r in con.execute(query).fetchall()] == expected, level


def test_a_calculated_field_using_a_window_on_another_one(con):
    calculated = [
        {"DataSetIdentifier": "t", "Name": "group total", "Expression": "sumOver({x}, [{g}], PRE_AGG)"},
        {"DataSetIdentifier": "t", "Name": "share ", "Expression": "{x} / {group total}"},  # a name ending in a space
    ]
    assert run(con, "{share }", "rows", calculated=calculated) == [
        pytest.approx(1 / 3),
        pytest.approx(2 / 3),
        3 / 7,
        4 / 7,
    ]


def test_a_parameter_is_bound_once_however_often_it_is_used(con):
    ctx = QueryContext({"CalculatedFields": []}, DatasetSource("t", "t", "t", COLUMNS), {"Rate": 2})
    sql = translate("${Rate} * {x} + ${Rate}", ctx)
    assert sql.text.count("$p0") == 2 and ctx.params == {"p0": 2}


@pytest.mark.parametrize(
    "expression, message",
    [
        ("sumOver({x}, [{g}])", "sumOver() at the visual's level needs an aggregated measure"),
        ("sumOver(sum({x}), [{g}], PRE_AGG)", "sumOver() at PRE_AGG takes a row-level value"),
        ("rank({x})", "rank(): the sort order must be a [list]"),
        ("contains({s}, 'a', SOMETIMES)", "'SOMETIMES'"),
        ("extract('CENTURY', {d})", "extract() needs a period"),
        ("PRE_AGG + 1", "PRE_AGG is a keyword and cannot be used with +"),
        ("switch({g}, 'a')", "switch() takes at least 4 argument(s)"),
    ],
)
def test_misuse_is_a_readable_error(con, expression, message):
    with pytest.raises(
        ExpressionError,
        match=".*" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        run(con, expression, "rows")


def test_constant_expressions_and_java_date_formats():
    assert evaluate_constant("truncDate('MM', parseDate('2024-05-17', 'yyyy-MM-dd'))") == D(2024, 5, 1)
    assert strftime_format("yyyy-MM-dd'T'HH:mm:ss") == "%Y-%m-%dT%H:%M:%S"
    assert strftime_format("MMM d, yyyy") == "%b %-d, %Y"


def test_readme_coverage_table_is_generated_from_the_catalogues():
    from qs_platform.local.viewer.coverage import README, readme_with_table

    text = README.read_text(encoding="utf-8")
    assert readme_with_table(text) == text, "run: python -m qs_platform.local.viewer.coverage --write"


def test_a_window_at_the_visuals_level_partitions_by_the_visuals_grouping_of_a_date(con):
    """QuickSight reads `[{d}]` in a table calculation as the visual's field: the month it groups by, not the day."""
    definition = {
        "CalculatedFields": [
            {"DataSetIdentifier": "t", "Name": "share", "Expression": "percentOfTotal(sum({x}), [toString({d})])"},
            {"DataSetIdentifier": "t", "Name": "previous", "Expression": "lag(sum({x}), [{d} ASC], 1)"},
        ]
    }
    column = {"DataSetIdentifier": "t", "ColumnName": "d"}
    wells = {
        "Category": [{"DateDimensionField": {"FieldId": "month", "Column": column, "DateGranularity": "MONTH"}}],
        "Values": [
            {"NumericalMeasureField": {"FieldId": f, "Column": {"DataSetIdentifier": "t", "ColumnName": f}}}
            for f in ("share", "previous")
        ],
    }
    visual = {
        "LineChartVisual": {
            "VisualId": "v",
            "ChartConfiguration": {"FieldWells": {"LineChartAggregatedFieldWells": wells}},
        }
    }

    query = compile_visual(definition, "s", visual, DatasetSource("t", "t", "t", COLUMNS), {})

    rows = con.execute(query.sql, query.params).fetchall()
    assert [(str(month)[:7], share, previous) for month, share, previous in sorted(rows)] == [
        ("2024-01", 1.0, None),
        ("2024-02", 1.0, 3.0),
        ("2024-03", 1.0, 3.0),
    ]


def test_a_table_calculation_of_another_one_is_computed_per_visual_row_first(con):
    """QuickSight nests table calculations (CUDOS: `sumOver()` of a field holding `minOver(sum(x))`); DuckDB cannot
    nest window calls, so the inner one is computed in a query grouped like the visual and joined on its groups."""
    fields = {
        "floor": "minOver(sum({x}))",
        "excess": "sum({x}) - {floor}",
        "total excess": "sumOver({excess})",
        "share of excess": "percentOfTotal({excess})",
    }
    definition = {
        "CalculatedFields": [{"DataSetIdentifier": "t", "Name": n, "Expression": e} for n, e in fields.items()]
    }
    visual = bar_visual("g", "excess", "total excess", "share of excess")

    query = compile_visual(definition, "s", visual, DatasetSource("t", "t", "t", COLUMNS), {})

    assert sorted(con.execute(query.sql, query.params).fetchall()) == [("a", 0.0, 4.0, 0.0), ("b", 4.0, 4.0, 1.0)]


def test_a_count_over_the_visuals_rows_may_count_a_field_the_visual_groups_by(con):
    """CUDOS: `countOver({pricing_unit}, [{resource_id}])` counts the visual's rows of each resource (a dimension, no
    aggregation: only counts take one); other table calculations at the visual's level still need an aggregate."""
    definition = {
        "CalculatedFields": [{"DataSetIdentifier": "t", "Name": "rows of g", "Expression": "countOver({n}, [{g}])"}]
    }
    visual = table_visual(("g", "n"), ("x", "rows of g"))

    query = compile_visual(definition, "s", visual, DatasetSource("t", "t", "t", COLUMNS), {})

    assert sorted(con.execute(query.sql, query.params).fetchall()) == [
        ("a", 1, 1.0, 2),
        ("a", 2, 2.0, 2),
        ("b", 3, 3.0, 2),
        ("b", 4, 4.0, 2),
    ]
