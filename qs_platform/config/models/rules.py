"""Row rules of a source: rows breaking one are quarantined with the rule's name."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from qs_platform.config.models.base import IDENTIFIER, Strict


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
    def _has_a_bound(self) -> RangeRule:
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
    columns: list[str] = Field(
        min_length=1, description="Rows repeating an earlier row's key in the same file are rejected."
    )


class ExpressionRule(RuleBase):
    kind: Literal["expression"]
    sql: str = Field(description="A DuckDB boolean expression over typed columns that good rows satisfy.")


Rule = Annotated[
    NotNullRule | AcceptedValuesRule | RangeRule | RegexRule | UniqueRule | ExpressionRule, Field(discriminator="kind")
]
