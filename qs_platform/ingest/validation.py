"""Types and rules as SQL over a file's text records: every record is loaded, or rejected with the rules it broke.

Conversions are strict: a value that does not convert exactly is a type violation, never a silent change. An
integer column refuses `1.5` (DuckDB's cast would round it to 2), a `decimal(p,s)` column refuses more fractional
digits than its scale, dates must match one of their declared formats. Whitespace-only values are missing values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from qs_platform.config.models import (
    DECIMAL_TYPE,
    AcceptedValuesRule,
    Column,
    ExpressionRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    Source,
    UniqueRule,
    normalise_column_name,
)
from qs_platform.sql.text import quote, sql_string

ROW = quote("$row")  # record number in the file (1-based), computed only when a rule needs the order
BAD = quote("$bad")
INTEGER_TYPES = ("integer", "bigint")


def text_ref(column_name: str) -> str:
    """The internal column holding a declared column's text (no file column can be named like it)."""
    return quote(f"$t.{column_name}")


@dataclass(frozen=True)
class Violation:
    name: str  # the rule name recorded in _rules
    condition: str  # SQL, true when the record breaks it
    message: str  # SQL string expression, evaluated only for records that break it


def typed_expression(column: Column, text: str) -> str:
    """SQL converting the text `text` of `column` to its declared type; NULL when it does not convert exactly.

    The exactness checks are written so that the common value costs one cast: only text with a decimal point, an
    exponent or a hexadecimal prefix is converted a second time to compare.
    """
    if column.formats and column.formats[0] in ("epoch", "epoch_ms"):
        seconds = f"try_cast({text} as double)" + (" / 1000" if column.formats[0] == "epoch_ms" else "")
        return f"cast(to_timestamp({seconds}) as {column.duckdb_type})"
    if column.type in ("date", "timestamp") and column.formats:
        attempts = [f"try_strptime({text}, {sql_string(f)})" for f in column.formats]
        attempts += [f"try_strptime(trim({text}), {sql_string(f)})" for f in column.formats]  # padded values, rarely
        return f"cast(coalesce({', '.join(attempts)}) as {column.duckdb_type})"
    if column.type in ("string", "varchar"):
        return text
    typed = f"try_cast({text} as {column.duckdb_type})"
    if column.type in INTEGER_TYPES:  # DuckDB would round '1.5' to 2 and read '0x10' as 16, '0b11' as 3
        canonical = f"cast({typed} as varchar) = {text}"  # the common value: its own canonical text
        return f"case when {canonical} or try_cast({text} as DOUBLE) = {typed} then {typed} end"
    decimal = DECIMAL_TYPE.match(column.type)
    if decimal:  # DuckDB would round 0.005 into decimal(18,2)
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        point = f"strpos({text}, '.')"
        plain = f"strpos({text}, 'e') = 0 and strpos({text}, 'E') = 0 and ({point} = 0 or length(rtrim({text})) - {point} <= {scale})"
        wide = (
            f"DECIMAL(38, {min(38 - (precision - scale), scale + 10)})"
            if 38 - (precision - scale) > scale
            else "DOUBLE"
        )
        return f"case when {plain} or try_cast({text} as {wide}) = {typed} then {typed} end"
    return typed


def expected(column: Column) -> str:
    if column.formats:
        return f"{column.type} in format {' or '.join(column.formats)}"
    if column.type in INTEGER_TYPES:
        return "an integer"
    if DECIMAL_TYPE.match(column.type):
        return f"a number with at most {DECIMAL_TYPE.match(column.type).group(2)} decimals ({column.type})"
    return column.type


def _type_violation(column: Column) -> Violation:
    name, text = column.column_name, text_ref(column.column_name)
    condition = f"{quote(name)} is null and {text} is not null and trim({text}) <> ''"  # cheapest test first
    message = f"{sql_string(f'{name}: expected {expected(column)}, got ')} || {sql_string(chr(39))} || left({text}, 200) || {sql_string(chr(39))}"
    return Violation(f"type_{name}", condition, message)


def _required_violation(column: Column) -> Violation:
    name = column.column_name
    return Violation(f"{name}_required", f"{quote(name)} is null", sql_string(f"{name}_required: {name} is required"))


def _rule_violation(rule, first_line: int) -> Violation:
    """Rules see typed values."""
    if isinstance(rule, ExpressionRule):
        return Violation(
            rule.name, f"not coalesce(({rule.sql}), true)", sql_string(f"{rule.name}: expected {rule.sql}")
        )
    if isinstance(rule, UniqueRule):
        keys = ", ".join(normalise_column_name(c) for c in rule.columns)
        first = quote(first_occurrence(rule))
        present = " and ".join(f"{quote(normalise_column_name(c))} is not null" for c in rule.columns)
        message = f"{sql_string(f'{rule.name}: ({keys}) repeats the key of line ')} || ({first} + {first_line - 1})"
        return Violation(rule.name, f"{first} < {ROW} and {present}", message)
    column = normalise_column_name(rule.column)
    value = quote(column)
    shown = f"coalesce(left(cast({value} as varchar), 200), 'NULL')"
    if isinstance(rule, NotNullRule):
        return Violation(rule.name, f"{value} is null", sql_string(f"{rule.name}: {column} is required"))
    if isinstance(rule, AcceptedValuesRule):
        allowed = ", ".join(sql_string(str(v)) for v in rule.values)
        listing = ", ".join(str(v) for v in rule.values)
        return Violation(
            rule.name,
            f"{value} is not null and cast({value} as varchar) not in ({allowed})",
            f"{sql_string(f'{rule.name}: {column} must be one of [{listing}], got ')} || {shown}",
        )
    if isinstance(rule, RangeRule):
        bounds = [f"{value} < {rule.min}"] if rule.min is not None else []
        bounds += [f"{value} > {rule.max}"] if rule.max is not None else []
        span = f"[{'' if rule.min is None else rule.min}, {'' if rule.max is None else rule.max}]"
        return Violation(
            rule.name,
            f"{value} is not null and ({' or '.join(bounds)})",
            f"{sql_string(f'{rule.name}: {column} must be within {span}, got ')} || {shown}",
        )
    if isinstance(rule, RegexRule):
        return Violation(
            rule.name,
            f"{value} is not null and not regexp_full_match(cast({value} as varchar), {sql_string(rule.pattern)})",
            f"{sql_string(f'{rule.name}: {column} must match {rule.pattern}, got ')} || {shown}",
        )
    raise TypeError(f"unknown rule {rule!r}")


def violations(source: Source, columns: list[Column], first_line: int) -> list[Violation]:
    found = [_type_violation(c) for c in columns if c.type not in ("string", "varchar")]
    found += [_required_violation(c) for c in columns if c.required]
    found += [_rule_violation(rule, first_line) for rule in source.rules]
    return found


def needs_record_numbers(source: Source) -> bool:
    """A `unique` rule names the line of the first occurrence: the records need their numbers while loading."""
    return bool(_unique_rules(source))


def first_occurrence(rule: UniqueRule) -> str:
    """The internal column holding the record number of the first occurrence of a `unique` rule's key."""
    return f"$first.{rule.name}"


def _unique_rules(source: Source) -> list[UniqueRule]:
    return [rule for rule in source.rules if isinstance(rule, UniqueRule)]


def _firsts(source: Source) -> str:
    return "".join(
        f", min({ROW}) over (partition by {', '.join(quote(normalise_column_name(k)) for k in rule.columns)}) as {quote(first_occurrence(rule))}"
        for rule in _unique_rules(source)
    )


def checked_select(
    source: Source, columns: list[Column], texts: dict[str, str], extras: dict[str, str], relation: str, first_line: int
) -> tuple[str, list[str]]:
    """(SELECT over `relation` with typed columns, extras and `_reject`, the output column names).

    `_reject` is NULL for a loaded record; for a rejected one a JSON object with the record's original text per
    column. Which rules it broke, and why, is left to `explained_select`, over the few rejected records only: the
    conditions are in this pass once, which keeps its SQL small (planning it is most of the cost of a small file).
    One text column, computed for rejected records only, costs little to write when most records are good. The
    records stay in file order (a `unique` rule's window is sorted back by record number), which numbers their
    lines.
    """
    text_columns = [
        f"{texts.get(c.column_name, 'cast(null as varchar)')} as {text_ref(c.column_name)}" for c in columns
    ]
    text_columns += [f"{expression} as {quote(name)}" for name, expression in extras.items()]
    if needs_record_numbers(source):
        text_columns.append(f"row_number() over () as {ROW}")
    typed = ", ".join(f"{typed_expression(c, text_ref(c.column_name))} as {quote(c.column_name)}" for c in columns)
    found = violations(source, columns, first_line)
    # a CASE tests each condition only on the records no earlier one flagged; an OR chain in a projection would
    # evaluate every condition on every record (a fifth of the pass, measured)
    bad = f"case {' '.join(f'when {v.condition} then true' for v in found)} else false end" if found else "false"
    original = ", ".join(f"{sql_string(c.column_name)}, {text_ref(c.column_name)}" for c in columns)
    original += "".join(
        f", {sql_string(first_occurrence(rule))}, {quote(first_occurrence(rule))}" for rule in _unique_rules(source)
    )
    output = [c.column_name for c in columns] + list(extras)
    select = f"""
        with texts as (select {", ".join(text_columns)} from {relation}),
        typed as (select *, {typed} from texts),
        checked as (select *{_firsts(source)}, ({bad}) as {BAD} from typed)
        select {", ".join(quote(c) for c in output)},
               case when {BAD} then json_object({original}) end as _reject
        from checked
        {f"order by {ROW}" if needs_record_numbers(source) else ""}
    """
    return select, output


def kept_text(name: str) -> str:
    """What `checked_select` keeps in a rejected record's `_reject`: a declared column's original text, or the
    first occurrence of a `unique` rule's key."""
    return f"json_extract_string(_reject, {sql_string('$.' + json.dumps(name))})"


def explained_select(source: Source, raw_scan: str, first_line: int) -> str:
    """The rejected records of a raw file (`raw_scan`, read with `file_row_number`), in file order, with `_rules`
    and `_errors`: the rules each broke and their messages, and the kept text of every declared column as
    `text_ref(name)`.

    The conditions are `checked_select`'s, evaluated again on what the raw file holds of each rejected record: its
    typed values and what `_reject` kept (the text, and where its `unique` keys first occurred in the file). Only
    the rejected records are read. Run it in the loading pass's transaction: `now()` and `current_date` in a rule
    are then the same in both."""
    found = violations(source, source.columns, first_line)
    kept = [f"{kept_text(c.column_name)} as {text_ref(c.column_name)}" for c in source.columns]
    kept += [
        f"cast({kept_text(first_occurrence(rule))} as bigint) as {quote(first_occurrence(rule))}"
        for rule in _unique_rules(source)
    ]
    names = (
        ", ".join(f"case when {v.condition} then {sql_string(v.name)} end" for v in found) or "cast(null as varchar)"
    )
    messages = ", ".join(f"case when {v.condition} then {v.message} end" for v in found) or "cast(null as varchar)"
    return f"""
        with rejected as (
            select *, {", ".join(kept)}, file_row_number + 1 as {ROW} from {raw_scan} where _reject is not null
        )
        select *, list_filter([{names}], lambda x: x is not null) as _rules,
               list_filter([{messages}], lambda x: x is not null) as _errors
        from rejected
        order by {ROW}
    """
