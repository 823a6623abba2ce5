"""An exported QuickSight Definition used as a template, bound to our datasets structurally.

The placeholders are the template's DataSetIdentifiers: each is bound to one of our datasets or pruned, explicitly
(an identifier neither bound nor pruned, or a binding naming an identifier the template lacks, is refused). Binding
rewrites the identifier in every column reference, the declaration's ARN, and, where the spec maps them, column
names (in column references and in that dataset's calculated-field expressions). Nothing is text-replaced.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import yaml

from qs_platform.config.models import Dashboard, TemplateBinding, normalise_column_name
from qs_platform.quicksight.definition.pruning import PruneReport, prune_definition
from qs_platform.quicksight.definition.validator import DashboardError, walk
from qs_platform.quicksight.expression_language import (
    ExpressionError,
    column_references,
    is_keyword,
    rename_columns,
    tokenize,
)


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_template(path: str | Path) -> dict:
    """The Definition in a JSON or YAML file (`.yaml`/`.yml`, as exports also come): a bare Definition or a
    DescribeDashboardDefinition/Analysis answer."""
    path = Path(path)
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    try:
        text = _read(str(path), path.stat().st_mtime)
        data = yaml.safe_load(text) if is_yaml else json.loads(text)
    except (OSError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise DashboardError(
            f"template {path}: cannot read a {'YAML' if is_yaml else 'JSON'} Definition: {error}"
        ) from error
    definition = data.get("Definition", data) if isinstance(data, dict) else None
    if not isinstance(definition, dict) or "DataSetIdentifierDeclarations" not in definition:
        raise DashboardError(f"template {path}: no Definition with DataSetIdentifierDeclarations in it")
    return definition


def template_identifiers(definition: dict) -> list[str]:
    return [d["Identifier"] for d in definition["DataSetIdentifierDeclarations"]]


def binding_problems(binding: TemplateBinding, definition: dict) -> list[str]:
    identifiers = template_identifiers(definition)
    known = set(identifiers)
    problems = [
        f"template.{part}: {name!r} is not a DataSetIdentifier of {binding.path}; its identifiers: {identifiers}"
        for part, names in (("datasets", binding.datasets), ("prune", binding.prune), ("columns", binding.columns))
        for name in names
        if name not in known
    ]
    covered = set(binding.datasets) | set(binding.prune)
    problems += [
        f"template: identifier {name!r} of {binding.path} is neither bound (template.datasets) nor pruned (template.prune)"
        for name in identifiers
        if name not in covered
    ]
    return problems


def column_renames(binding: TemplateBinding, definition: dict) -> dict[str, dict[str, str]]:
    """Per bound identifier: template column -> ours. The explicit `columns`, and with `normalise_columns` every
    other column the Definition names for that identifier (column references, and the columns its calculated
    fields name; not the calculated fields themselves) normalised like source columns."""
    renames = {placeholder: dict(binding.columns.get(placeholder, {})) for placeholder in binding.datasets}
    if not binding.normalise_columns:
        return renames
    calculated: dict[str, set[str]] = {}
    for field in definition.get("CalculatedFields", []):
        calculated.setdefault(field.get("DataSetIdentifier"), set()).add(field.get("Name"))
    physical: dict[str, set[str]] = {}
    for node in walk(definition):
        reference = node.value
        if isinstance(reference, dict) and reference.get("DataSetIdentifier") in renames:
            placeholder = reference["DataSetIdentifier"]
            names = [reference["ColumnName"]] if "ColumnName" in reference else []
            names += [c for _, _, c in column_references(reference.get("Expression", ""))]
            physical.setdefault(placeholder, set()).update(
                n for n in names if n not in calculated.get(placeholder, set())
            )
    for placeholder, names in physical.items():
        for name in names:
            renames[placeholder].setdefault(name, normalise_column_name(name))
    return renames


def rename_expression(expression: str, renames: dict[str, str]) -> str:
    """The expression's columns renamed token by token; a bare word the expression language reads as a keyword
    that is one of the template's columns (the force flow's `Day` in `ifelse(Day >= ${startDay} ...)`) is
    written `{renamed}`, so it stays a column."""
    expression = rename_columns(expression, renames)
    try:
        tokens = tokenize(expression)
    except ExpressionError:
        return expression
    for index in reversed(range(len(tokens) - 1)):
        token = tokens[index]
        if token.kind == "name" and is_keyword(token.text) and token.text in renames and tokens[index + 1].text != "(":
            expression = (
                expression[: token.pos] + "{" + renames[token.text] + "}" + expression[token.pos + len(token.text) :]
            )
    return expression


def bind_template(dashboard: Dashboard, dataset_arns: dict[str, str]) -> tuple[dict, PruneReport]:
    """The template's Definition bound to our datasets, and what `template.prune` removed."""
    binding = dashboard.template
    template = load_template(binding.path)
    problems = binding_problems(binding, template)
    if problems:
        raise DashboardError("\n".join(f"dashboard {dashboard.id}: {p}" for p in problems))
    definition, report = prune_definition(copy.deepcopy(template), set(binding.prune))
    renames = column_renames(binding, definition)
    for node in walk(definition):
        reference = node.value
        if isinstance(reference, dict) and reference.get("DataSetIdentifier") in binding.datasets:
            placeholder = reference["DataSetIdentifier"]
            if "ColumnName" in reference:
                reference["ColumnName"] = renames[placeholder].get(reference["ColumnName"], reference["ColumnName"])
            if "Expression" in reference:
                reference["Expression"] = rename_expression(reference["Expression"], renames[placeholder])
            reference["DataSetIdentifier"] = binding.datasets[placeholder]
    declarations = {}
    for declaration in definition["DataSetIdentifierDeclarations"]:
        dataset = binding.datasets[declaration["Identifier"]]
        declarations[dataset] = {"Identifier": dataset, "DataSetArn": dataset_arns[dataset]}
    definition["DataSetIdentifierDeclarations"] = list(declarations.values())
    return definition, report
