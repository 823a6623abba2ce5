"""Translate a QuickSight calculated-field expression into DuckDB SQL.

    sum({estimated_cost}) * (1 + ${CostGrowthPct} / 100)
    -> (sum("estimated_cost") * (1 + ($p0 / NULLIF(100, 0))))

Columns (`{name}`, the name exactly as written, or a bare word) and parameters (`${Name}`) are resolved by a
`Resolver`: the caller decides what a column is (a quoted identifier or another calculated field) and binds
parameter values as query parameters, so no value is ever pasted into the SQL text. String literals of the
expression itself are escaped. Functions come from the catalogue in `functions.py`; comments are skipped.

Anything outside what the viewer translates raises `ExpressionError` with a message a dashboard user can read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

import duckdb

from qs_platform.quicksight.expression_language import (
    PERIODS,
    ExpressionError,
    Token,
    braced_name,
    is_keyword,
    tokenize,
)
from qs_platform.sql.text import sql_string

from .functions import FUNCTIONS, TABLE_CALCULATION, Call, Sql, lift_nested

__all__ = ["ExpressionError", "Resolver", "Sql", "evaluate_constant", "sql_string", "tokenize", "translate"]


class Resolver(Protocol):
    def column(self, name: str) -> Sql: ...

    def parameter(self, name: str) -> Sql: ...


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    body = body.replace(quote * 2, quote)
    return re.sub(r"\\(.)", r"\1", body)


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
            raise ExpressionError("a [list] can only be an argument of a function (in(), partitions, sort orders)")
        if result.keyword and result.text == result.keyword:
            raise ExpressionError(f"{result.keyword} is a keyword, not a value")
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
            return Sql(f"(NOT {operand.text})", operand.aggregate, window=operand.window)
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
                right = Sql(f"NULLIF({right.text}, 0)", right.aggregate, window=right.window)
            left = _binary(left, token.text, right)
        return left

    def power(self) -> Sql:
        base = self.unary()
        if self.accept("op", "^"):
            exponent = self.power()
            return Sql(
                f"power({base.text}, {exponent.text})",
                base.aggregate or exponent.aggregate,
                window=base.window or exponent.window,
            )
        return base

    def unary(self) -> Sql:
        if self.accept("op", "-"):
            operand = self.unary()
            literal = -operand.literal if isinstance(operand.literal, (int, float)) else None
            return Sql(f"(-{operand.text})", operand.aggregate, literal, window=operand.window)
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
            name = braced_name(token)  # exactly as written: a column or field name may end in a space
            if not name.strip():
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
        if upper in PERIODS:  # MONTH, DAY …: a period argument, or a column of that name (both, until used)
            try:
                return replace(self.resolver.column(token.text), keyword=upper)
            except ExpressionError:
                return Sql(upper, keyword=upper)
        if is_keyword(token.text):
            return Sql(upper, keyword=upper)  # PRE_AGG, DESC, CASE_INSENSITIVE …: arguments, not columns
        return self.resolver.column(token.text)  # QuickSight also accepts a column name without braces

    def list_literal(self) -> Sql:
        """`[a, b DESC]`: partition fields, sort orders (with ASC/DESC) or in() values; `[]` is an empty partition."""
        items: list[tuple[Sql, str | None]] = []
        if not self.accept("op", "]"):
            items.append(self.list_item())
            while self.accept("op", ","):
                items.append(self.list_item())
            self.expect("]")
        return Sql(
            "(" + ", ".join(i.text for i, _ in items) + ")",
            is_list=True,
            items=tuple(items),
            aggregate=any(i.aggregate for i, _ in items),
        )

    def list_item(self) -> tuple[Sql, str | None]:
        item = self.or_expr()
        direction = self.accept("name", "ASC", "DESC")
        if item.is_list:
            raise ExpressionError("a [list] cannot be nested in another")
        return item, direction.text.upper() if direction else None

    def call(self, token: Token) -> Sql:
        self.expect("(")
        args: list[Sql] = []
        if not self.accept("op", ")"):
            args.append(self.or_expr())
            while self.accept("op", ","):
                args.append(self.or_expr())
            self.expect(")")
        return _apply(token.text, args, token.pos, self.resolver)


def _binary(left: Sql, op: str, right: Sql) -> Sql:
    for side in (left, right):
        if side.is_list:
            raise ExpressionError("a [list] can only be an argument of a function (in(), partitions, sort orders)")
        if side.keyword and side.text == side.keyword:
            raise ExpressionError(f"{side.keyword} is a keyword and cannot be used with {op}")
    return Sql(
        f"({left.text} {op} {right.text})", left.aggregate or right.aggregate, window=left.window or right.window
    )


def _apply(name: str, args: list[Sql], pos: int, resolver: Resolver) -> Sql:
    function = FUNCTIONS.get(name.lower())
    if function is None:
        raise ExpressionError(f"unknown function {name}() at position {pos} (not in QuickSight's function list)")
    if function.build is None:
        raise ExpressionError(f"function {function.name}() is not supported by the local viewer ({function.how})")
    if len(args) < function.min_args or (function.max_args is not None and len(args) > function.max_args):
        expected = (
            f"{function.min_args}"
            if function.min_args == function.max_args
            else f"at least {function.min_args}"
            if function.max_args is None
            else f"{function.min_args} to {function.max_args}"
        )
        raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(args)}")
    call = Call(function.name, args, resolver)
    return function.build(lift_nested(call) if function.category == TABLE_CALCULATION else call)


def translate(expression: str, resolver: Resolver) -> Sql:
    """The DuckDB SQL of one QuickSight expression; raises `ExpressionError`."""
    return _Parser(expression, resolver).parse()


class _Constants:
    """Resolver of an expression with no columns (a RollingDate default, a narrative's expression)."""

    def __init__(self, parameters: dict | None):
        self.parameters = parameters or {}
        self.params: dict[str, object] = {}

    def column(self, name: str) -> Sql:
        raise ExpressionError(f"a constant expression cannot use the column {name!r}")

    def parameter(self, name: str) -> Sql:
        if name not in self.parameters:
            raise ExpressionError(f"unknown parameter ${{{name}}}")
        key = f"p{len(self.params)}"
        self.params[key] = self.parameters[name]
        return Sql(f"${key}")


def evaluate_constant(expression: str, parameters: dict | None = None) -> object:
    """The value of an expression without columns, e.g. `addDateTime(-1, 'MM', truncDate('MM', now()))` or
    `ifelse(${Period} = 'Weekly', 'the week of ', '')` with the parameters' values."""
    resolver = _Constants(parameters)
    sql = translate(expression, resolver)
    try:
        with duckdb.connect() as con:
            return con.execute(f"SELECT {sql.text}", resolver.params).fetchone()[0]
    except duckdb.Error as error:
        raise ExpressionError(f"cannot evaluate {expression!r}: {error}") from None
