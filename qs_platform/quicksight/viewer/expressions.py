"""Translate a QuickSight calculated-field expression (a useful subset) into DuckDB SQL.

    sum({estimated_cost}) * (1 + ${CostGrowthPct} / 100)
    -> (sum("estimated_cost") * (1 + ($p0 / NULLIF(100, 0))))

Columns (`{name}`) and parameters (`${Name}`) are resolved by a `Resolver`: the caller decides what a column
is (a quoted identifier or another calculated field) and binds parameter values as query parameters, so no
value is ever pasted into the SQL text. String literals of the expression itself are escaped.

Anything outside the subset raises `ExpressionError` with a message a dashboard user can read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class ExpressionError(ValueError):
    """The expression does not parse or uses something the local viewer cannot translate."""


@dataclass(frozen=True)
class Sql:
    text: str
    aggregate: bool = False  # contains an aggregation: usable as a measure, not as a dimension
    literal: object = None  # the Python value of a string/number literal, for functions that need constants
    is_list: bool = False  # a bracketed list `[a, b]`, only valid as the second argument of in()/notIn()


class Resolver(Protocol):
    def column(self, name: str) -> Sql: ...

    def parameter(self, name: str) -> Sql: ...


# ---- tokens -----------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<param>\$\{[^{}]*\})
  | (?P<column>\{[^{}]*\})
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|[-+*/^=<>(),\[\]])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {expression[pos]!r} at position {pos}")
        if match.lastgroup not in ("ws", "comment"):
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", pos))
    return tokens


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    body = body.replace(quote * 2, quote)
    return re.sub(r"\\(.)", r"\1", body)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---- functions --------------------------------------------------------------------------------------------

_DATE_PERIODS = {
    "YYYY": "year", "Q": "quarter", "MM": "month", "WK": "week", "DD": "day",
    "HH": "hour", "MI": "minute", "SS": "second", "MS": "millisecond",
}


def _period(arg: Sql, function: str) -> str:
    if not isinstance(arg.literal, str) or arg.literal.upper() not in _DATE_PERIODS:
        raise ExpressionError(f"{function}() needs a period literal, one of {', '.join(_DATE_PERIODS)}")
    return _DATE_PERIODS[arg.literal.upper()]


def _ifelse(args: list[Sql]) -> str:
    if len(args) < 3 or len(args) % 2 == 0:
        raise ExpressionError("ifelse() takes condition, value pairs and a final else value (an odd number ≥ 3 of arguments)")
    pairs = " ".join(f"WHEN {c.text} THEN {v.text}" for c, v in zip(args[:-1:2], args[1:-1:2]))
    return f"CASE {pairs} ELSE {args[-1].text} END"


def _in(args: list[Sql], negate: bool) -> str:
    value, values = args
    op = "NOT " if negate else ""
    if values.is_list:
        return f"({value.text} {op}IN {values.text})"
    return f"({op}list_contains({values.text}, {value.text}))"  # a multi-valued parameter


@dataclass(frozen=True)
class Function:
    min_args: int
    max_args: int | None  # None: any number
    build: Callable[[list[Sql]], str]
    aggregate: bool = False


def _simple(sql_name: str) -> Callable[[list[Sql]], str]:
    return lambda args: f"{sql_name}({', '.join(a.text for a in args)})"


def _agg_if(sql_name: str, distinct: bool = False) -> Callable[[list[Sql]], str]:
    prefix = "DISTINCT " if distinct else ""
    return lambda args: f"{sql_name}({prefix}{args[0].text}) FILTER (WHERE {args[1].text})"


FUNCTIONS: dict[str, Function] = {
    # aggregations
    "sum": Function(1, 1, _simple("sum"), aggregate=True),
    "avg": Function(1, 1, _simple("avg"), aggregate=True),
    "average": Function(1, 1, _simple("avg"), aggregate=True),
    "min": Function(1, 1, _simple("min"), aggregate=True),
    "max": Function(1, 1, _simple("max"), aggregate=True),
    "count": Function(1, 1, _simple("count"), aggregate=True),
    "distinct_count": Function(1, 1, lambda a: f"count(DISTINCT {a[0].text})", aggregate=True),
    "distinctcount": Function(1, 1, lambda a: f"count(DISTINCT {a[0].text})", aggregate=True),  # also accepted by QuickSight (exported Definitions use it)
    "median": Function(1, 1, _simple("median"), aggregate=True),
    "stdev": Function(1, 1, _simple("stddev_samp"), aggregate=True),
    "stdevp": Function(1, 1, _simple("stddev_pop"), aggregate=True),
    "var": Function(1, 1, _simple("var_samp"), aggregate=True),
    "varp": Function(1, 1, _simple("var_pop"), aggregate=True),
    "percentilecont": Function(2, 2, lambda a: f"quantile_cont({a[0].text}, {a[1].text} / 100.0)", aggregate=True),
    "percentiledisc": Function(2, 2, lambda a: f"quantile_disc({a[0].text}, {a[1].text} / 100.0)", aggregate=True),
    "sumif": Function(2, 2, _agg_if("sum"), aggregate=True),
    "avgif": Function(2, 2, _agg_if("avg"), aggregate=True),
    "minif": Function(2, 2, _agg_if("min"), aggregate=True),
    "maxif": Function(2, 2, _agg_if("max"), aggregate=True),
    "countif": Function(2, 2, _agg_if("count"), aggregate=True),
    "distinct_countif": Function(2, 2, _agg_if("count", distinct=True), aggregate=True),
    "medianif": Function(2, 2, _agg_if("median"), aggregate=True),
    # conditionals and nulls
    "ifelse": Function(1, None, _ifelse),  # _ifelse checks the count itself
    "coalesce": Function(2, None, _simple("coalesce")),
    "isnull": Function(1, 1, lambda a: f"({a[0].text} IS NULL)"),
    "isnotnull": Function(1, 1, lambda a: f"({a[0].text} IS NOT NULL)"),
    "nullif": Function(2, 2, _simple("nullif")),
    "in": Function(2, 2, lambda a: _in(a, negate=False)),
    "notin": Function(2, 2, lambda a: _in(a, negate=True)),
    # numbers
    "round": Function(1, 2, _simple("round")),
    "abs": Function(1, 1, _simple("abs")),
    "floor": Function(1, 1, _simple("floor")),
    "ceil": Function(1, 1, _simple("ceil")),
    "sqrt": Function(1, 1, _simple("sqrt")),
    "exp": Function(1, 1, _simple("exp")),
    "ln": Function(1, 1, _simple("ln")),
    "log": Function(1, 1, _simple("log10")),
    "mod": Function(2, 2, lambda a: f"({a[0].text} % NULLIF({a[1].text}, 0))"),
    "inttodecimal": Function(1, 1, lambda a: f"CAST({a[0].text} AS DOUBLE)"),
    "decimaltoint": Function(1, 1, lambda a: f"CAST(trunc({a[0].text}) AS BIGINT)"),
    "parseint": Function(1, 1, lambda a: f"TRY_CAST({a[0].text} AS BIGINT)"),
    "parsedecimal": Function(1, 1, lambda a: f"TRY_CAST({a[0].text} AS DOUBLE)"),
    # strings
    "concat": Function(2, None, lambda a: "(" + " || ".join(x.text for x in a) + ")"),
    "tostring": Function(1, 1, lambda a: f"CAST({a[0].text} AS VARCHAR)"),
    "toupper": Function(1, 1, _simple("upper")),
    "tolower": Function(1, 1, _simple("lower")),
    "trim": Function(1, 1, _simple("trim")),
    "ltrim": Function(1, 1, _simple("ltrim")),
    "rtrim": Function(1, 1, _simple("rtrim")),
    "strlen": Function(1, 1, _simple("length")),
    "left": Function(2, 2, _simple("left")),
    "right": Function(2, 2, _simple("right")),
    "substring": Function(3, 3, _simple("substring")),
    "replace": Function(3, 3, _simple("replace")),
    "contains": Function(2, 2, _simple("contains")),
    "startswith": Function(2, 2, _simple("starts_with")),
    "endswith": Function(2, 2, _simple("ends_with")),
    # dates
    "truncdate": Function(2, 2, lambda a: f"date_trunc('{_period(a[0], 'truncDate')}', {a[1].text})"),
    "extract": Function(2, 2, lambda a: f"date_part('{_period(a[0], 'extract')}', {a[1].text})"),
    "datediff": Function(
        2, 3, lambda a: f"date_diff('{_period(a[2], 'dateDiff') if len(a) == 3 else 'day'}', {a[0].text}, {a[1].text})"
    ),
    "now": Function(0, 0, lambda a: "current_timestamp"),
}


# ---- parser (recursive descent, emitting SQL as it goes) --------------------------------------------------

_COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    def __init__(self, expression: str, resolver: Resolver):
        self.tokens = tokenize(expression)
        self.index = 0
        self.resolver = resolver

    # -- helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def accept(self, kind: str, *texts: str) -> Token | None:
        token = self.token
        if token.kind == kind and (not texts or token.text.upper() in texts):
            return self.advance()
        return None

    def expect(self, text: str) -> None:
        if not self.accept("op", text):
            raise ExpressionError(f"expected {text!r} at position {self.token.pos}, found {self._describe(self.token)}")

    @staticmethod
    def _describe(token: Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    # -- grammar
    def parse(self) -> Sql:
        if self.token.kind == "end":
            raise ExpressionError("the expression is empty")
        result = self.or_expr()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self._describe(self.token)} at position {self.token.pos}")
        if result.is_list:
            raise ExpressionError("a [list] can only be used inside in() or notIn()")
        return result

    def or_expr(self) -> Sql:
        left = self.and_expr()
        while self.accept("name", "OR"):
            left = _binary(left, "OR", self.and_expr())
        return left

    def and_expr(self) -> Sql:
        left = self.not_expr()
        while self.accept("name", "AND"):
            left = _binary(left, "AND", self.not_expr())
        return left

    def not_expr(self) -> Sql:
        if self.accept("name", "NOT"):
            operand = self.not_expr()
            return Sql(f"(NOT {operand.text})", operand.aggregate)
        return self.comparison()

    def comparison(self) -> Sql:
        left = self.additive()
        token = self.token
        if token.kind == "op" and token.text in _COMPARISONS:
            self.advance()
            return _binary(left, _COMPARISONS[token.text], self.additive())
        return left

    def additive(self) -> Sql:
        left = self.multiplicative()
        while (token := self.accept("op", "+", "-")) is not None:
            left = _binary(left, token.text, self.multiplicative())
        return left

    def multiplicative(self) -> Sql:
        left = self.power()
        while (token := self.accept("op", "*", "/")) is not None:
            right = self.power()
            if token.text == "/":  # QuickSight: division by zero is null, not infinity
                right = Sql(f"NULLIF({right.text}, 0)", right.aggregate)
            left = _binary(left, token.text, right)
        return left

    def power(self) -> Sql:
        base = self.unary()
        if self.accept("op", "^"):
            exponent = self.power()
            return Sql(f"power({base.text}, {exponent.text})", base.aggregate or exponent.aggregate)
        return base

    def unary(self) -> Sql:
        if self.accept("op", "-"):
            operand = self.unary()
            literal = -operand.literal if isinstance(operand.literal, (int, float)) else None
            return Sql(f"(-{operand.text})", operand.aggregate, literal)
        if self.accept("op", "+"):
            return self.unary()
        return self.primary()

    def primary(self) -> Sql:
        token = self.advance()
        if token.kind == "number":
            value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            return Sql(token.text, literal=value)
        if token.kind == "string":
            value = _unquote(token.text)
            return Sql(sql_string(value), literal=value)
        if token.kind == "column":
            name = token.text[1:-1].strip()
            if not name:
                raise ExpressionError(f"empty column reference {{}} at position {token.pos}")
            return self.resolver.column(name)
        if token.kind == "param":
            name = token.text[2:-1].strip()
            if not name:
                raise ExpressionError(f"empty parameter reference ${{}} at position {token.pos}")
            return self.resolver.parameter(name)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner  # compound SQL is already parenthesised
        if token.kind == "op" and token.text == "[":
            return self.list_literal()
        raise ExpressionError(f"unexpected {self._describe(token)} at position {token.pos}")

    def name(self, token: Token) -> Sql:
        upper = token.text.upper()
        if upper == "NULL":
            return Sql("NULL")
        if upper in ("TRUE", "FALSE"):
            return Sql(upper)
        if self.token.kind == "op" and self.token.text == "(":
            return self.call(token)
        return self.resolver.column(token.text)  # QuickSight also accepts a column name without braces

    def list_literal(self) -> Sql:
        items: list[Sql] = []
        if not self.accept("op", "]"):
            items.append(self.or_expr())
            while self.accept("op", ","):
                items.append(self.or_expr())
            self.expect("]")
        if not items:
            raise ExpressionError("an empty [] list")
        return Sql("(" + ", ".join(i.text for i in items) + ")", is_list=True)

    def call(self, token: Token) -> Sql:
        self.expect("(")
        args: list[Sql] = []
        if not self.accept("op", ")"):
            args.append(self.or_expr())
            while self.accept("op", ","):
                args.append(self.or_expr())
            self.expect(")")
        return _apply(token.text, args, token.pos)


def _binary(left: Sql, op: str, right: Sql) -> Sql:
    if left.is_list or right.is_list:
        raise ExpressionError("a [list] can only be used inside in() or notIn()")
    return Sql(f"({left.text} {op} {right.text})", left.aggregate or right.aggregate)


def _apply(name: str, args: list[Sql], pos: int) -> Sql:
    function = FUNCTIONS.get(name.lower())
    if function is None:
        raise ExpressionError(f"unsupported function {name}() at position {pos}")
    if len(args) < function.min_args or (function.max_args is not None and len(args) > function.max_args):
        expected = (
            f"{function.min_args}" if function.min_args == function.max_args
            else f"at least {function.min_args}" if function.max_args is None
            else f"{function.min_args} to {function.max_args}"
        )
        raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(args)}")
    if any(a.is_list for a in args) and name.lower() not in ("in", "notin"):
        raise ExpressionError(f"a [list] is not a valid argument of {name}()")
    inner_aggregate = any(a.aggregate for a in args)
    if function.aggregate and inner_aggregate:
        raise ExpressionError(f"nested aggregation: {name}() of an aggregated value")
    return Sql(function.build(args), function.aggregate or inner_aggregate)


def translate(expression: str, resolver: Resolver) -> Sql:
    """The DuckDB SQL of one QuickSight expression; raises `ExpressionError`."""
    return _Parser(expression, resolver).parse()
