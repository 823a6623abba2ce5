"""Dashboard specs (YAML) -> QuickSight `Definition`s: compile or bind a template, prune absent datasets, validate.

No API call here: `build_definition` is what both the dashboard asset and `qs-platform validate` run.
"""

from __future__ import annotations

from dataclasses import dataclass

from qs_platform.config.models import Dashboard, ProjectConfig
from qs_platform.quicksight.definition.compiler import compile_spec
from qs_platform.quicksight.definition.pruning import PruneReport, prune_definition
from qs_platform.quicksight.definition.templates import bind_template
from qs_platform.quicksight.definition.validator import (
    DashboardError,
    check_definition,
    definition_problems,
    validate_request,
)

__all__ = [
    "DashboardError",
    "PruneReport",
    "build_definition",
    "check_dashboards",
    "compile_definition",
    "definition_problems",
    "prune_definition",
    "validate_request",
]


def build_definition(
    dashboard: Dashboard,
    dataset_arns: dict[str, str],
    dataset_columns: dict[str, dict[str, str] | None],
    absent: set[str] | frozenset[str] = frozenset(),
    geographic: dict[str, set[str]] | None = None,
) -> tuple[dict, PruneReport]:
    """The validated Definition of a dashboard and what was pruned from it.

    `dataset_columns[dataset]`: column -> QuickSight type (None: unknown, column checks skipped); `absent`: datasets
    that are missing (only `optional_datasets` may be); `geographic[dataset]`: its columns with a geographic role.
    """
    mandatory = sorted(set(absent) - set(dashboard.optional_datasets))
    if mandatory:
        raise DashboardError(
            f"dashboard {dashboard.id}: datasets {mandatory} are absent and not in optional_datasets {dashboard.optional_datasets}"
        )
    if dashboard.template:
        definition, report = bind_template(dashboard, dataset_arns)
    else:
        definition, report = compile_spec(dashboard, dataset_arns, dataset_columns), PruneReport()
    definition, pruned = prune_definition(definition, set(absent))
    check_definition(dashboard.id, definition, dataset_columns, geographic)
    return definition, report.merge(pruned)


def compile_definition(
    dashboard: Dashboard, dataset_arns: dict[str, str], dataset_columns: dict[str, dict[str, str] | None]
) -> dict:
    """The validated Definition of a dashboard with every dataset present."""
    return build_definition(dashboard, dataset_arns, dataset_columns)[0]


@dataclass(frozen=True)
class DashboardCheck:
    dashboard_id: str
    problems: list[str]
    pruned: PruneReport
    sheets: int = 0
    visuals: int = 0


def check_dashboards(config: ProjectConfig) -> list[DashboardCheck]:
    """Every dashboard compiled (or bound) and validated against its datasets' column types known offline
    (columns.py), all datasets present; no API call. Placeholder ARNs: only their shape matters here."""
    from qs_platform.quicksight.definition.columns import offline_column_types

    columns = offline_column_types(config)
    checks = []
    for dashboard in config.dashboards:
        arns = {ds: f"arn:aws:quicksight:us-east-1:000000000000:dataset/{ds}" for ds in dashboard.datasets}
        try:
            definition, pruned = build_definition(dashboard, arns, {ds: columns.get(ds) for ds in dashboard.datasets})
        except DashboardError as error:
            checks.append(DashboardCheck(dashboard.id, str(error).splitlines(), PruneReport()))
            continue
        visuals = sum(len(s.get("Visuals", [])) for s in definition["Sheets"])
        checks.append(DashboardCheck(dashboard.id, [], pruned, len(definition["Sheets"]), visuals))
    return checks
