"""The lexical layer of QuickSight's calculated-field expression language, shared by the validator and the viewer.

From QuickSight's reference: columns are `{name}` (the braces hold the name exactly, spaces included) or bare words;
parameters are `${Name}`; strings are single- or double-quoted; comments run from `//` to the end of the line or
between `/*` and `*/`; and some bare words are keywords, not columns: `AND OR NOT`, `NULL`, the levels of aggregation
(`PRE_FILTER`, `PRE_AGG`, `POST_AGG_FILTER`), the sort directions of table calculations (`ASC`, `DESC`), the case
options of string functions (`CASE_SENSITIVE`, `CASE_INSENSITIVE`) and the period names of period functions
(`YEAR` … `SECOND`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class ExpressionError(ValueError):
    """The expression does not parse or uses something the local viewer cannot translate."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<param>\$\{[^{}]*\})
  | (?P<column>\{[^{}]*\})
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|[-+*/^=<>(),\[\];])
    """,
    re.VERBOSE | re.DOTALL,
)

LEVELS = ("PRE_FILTER", "PRE_AGG", "POST_AGG_FILTER")
SORT_DIRECTIONS = ("ASC", "DESC")
CASE_OPTIONS = ("CASE_SENSITIVE", "CASE_INSENSITIVE")
PERIODS = ("YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND")
OPERATOR_WORDS = ("AND", "OR", "NOT", "NULL", "TRUE", "FALSE", "IN", "IS", "LIKE")
# Bare words that are never columns (period names are also written as strings: 'YYYY', 'MM', 'DD' …).
KEYWORDS = frozenset((*LEVELS, *SORT_DIRECTIONS, *CASE_OPTIONS, *PERIODS, *OPERATOR_WORDS))


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | param | column | name | op | end
    text: str
    pos: int


def tokenize(expression: str) -> list[Token]:
    """The tokens of an expression, comments and white space dropped; ends with an `end` token."""
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


def braced_name(token: Token) -> str:
    """The column name inside `{…}`, exactly as written (QuickSight column names may end in a space)."""
    return token.text[1:-1]


def is_keyword(word: str) -> bool:
    return word.upper() in KEYWORDS


def column_references(expression: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every column the expression names: `{name}` and bare words that are neither a
    function call nor a keyword. Words in comments and strings are not columns. An expression that does not
    tokenize yields what could be read before the bad character."""
    try:
        tokens = tokenize(expression)
    except ExpressionError:
        tokens = _tokens_until_error(expression)
    found = []
    for index, token in enumerate(tokens):
        if token.kind == "column":
            found.append((token.pos + 1, token.pos + len(token.text) - 1, braced_name(token)))
        elif token.kind == "name" and not is_keyword(token.text):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is None or following.text != "(":
                found.append((token.pos, token.pos + len(token.text), token.text))
    return found


def _tokens_until_error(expression: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            break
        if match.lastgroup not in ("ws", "comment"):
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    return tokens


def parameter_references(expression: str) -> list[str]:
    """Names of the `${parameters}` an expression uses outside comments and strings."""
    try:
        tokens = tokenize(expression)
    except ExpressionError:
        tokens = _tokens_until_error(expression)
    return [t.text[2:-1].strip() for t in tokens if t.kind == "param"]


def rename_columns(expression: str, renames: dict[str, str]) -> str:
    """The expression with columns renamed token by token (comments and strings untouched)."""
    for start, end, column in reversed(column_references(expression)):
        if column in renames:
            expression = expression[:start] + renames[column] + expression[end:]
    return expression
