"""Load and validate every YAML file under the config folder, with errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from qs_platform.config.models import ProjectConfig
from qs_platform.sql.dependencies import SqlError, sql_dependencies


class ConfigError(Exception):
    """Every problem found in the configuration, one line each: `file: key: what was expected`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


def _key_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-after"))


def _load_file(path: Path, problems: list[str]) -> ProjectConfig | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        problems.append(f"{path}: not valid YAML: {error}")
        return None
    if not isinstance(data, dict):
        problems.append(
            f"{path}: expected a mapping with keys sources/tables/datasets/dashboards, got {type(data).__name__}"
        )
        return None
    try:
        return ProjectConfig.model_validate(
            data, context={"base_dir": path.parent}
        )  # template paths are relative to their file
    except ValidationError as error:
        for item in error.errors():
            detail = item["msg"].removeprefix("Value error, ")
            got = item.get("input")
            shown = (
                f" (got {got!r})"
                if item["type"] in ("literal_error", "string_pattern_mismatch", "missing", "extra_forbidden")
                and not isinstance(got, dict)
                else ""
            )
            problems.append(f"{path}: {_key_path(item['loc']) or '<top>'}: {detail}{shown}")
        return None


def _merge(parts: list[tuple[Path, ProjectConfig]], problems: list[str]) -> ProjectConfig:
    merged: dict[str, list] = {"sources": [], "tables": [], "datasets": [], "dashboards": []}
    seen: dict[tuple[str, str], Path] = {}
    for path, part in parts:
        for kind in merged:
            for item in getattr(part, kind):
                ident = getattr(item, "name", None) if kind in ("sources", "tables") else item.id
                if (kind, ident) in seen:
                    problems.append(f"{path}: {kind}: {ident!r} is already declared in {seen[(kind, ident)]}")
                    continue
                seen[(kind, ident)] = path
                merged[kind].append(item)
    return ProjectConfig(**merged)


def _check_references(config: ProjectConfig, origin: dict[str, Path], problems: list[str]) -> None:
    known = set(config.catalog_tables)
    for table in config.tables:
        where = origin[f"tables:{table.name}"]
        try:
            deps = sql_dependencies(table.sql)
        except SqlError as error:
            problems.append(f"{where}: tables.{table.name}.sql: {error}")
            continue
        if not deps:
            problems.append(f"{where}: tables.{table.name}.sql: reads no raw.* or processed.* table")
        for dep in deps:
            if dep not in known:
                problems.append(
                    f"{where}: tables.{table.name}.sql: reads {dep}, which is not a declared source or table; known: {sorted(known)}"
                )
            if dep == table.table_name:
                problems.append(f"{where}: tables.{table.name}.sql: reads itself")
        if table.partition_by and table.partition_by.input not in deps:
            problems.append(
                f"{where}: tables.{table.name}.partition_by.input: {table.partition_by.input} is not read by the table's SQL; it reads {deps}"
            )
    dataset_ids = {d.id for d in config.datasets}
    for dataset in config.datasets:
        if dataset.table not in known:
            problems.append(
                f"{origin[f'datasets:{dataset.id}']}: datasets.{dataset.id}.table: {dataset.table} is not a declared table; known: {sorted(known)}"
            )
    for dashboard in config.dashboards:
        for dataset_id in dashboard.datasets:
            if dataset_id not in dataset_ids:
                problems.append(
                    f"{origin[f'dashboards:{dashboard.id}']}: dashboards.{dashboard.id}.datasets: {dataset_id!r} is not a declared dataset; known: {sorted(dataset_ids)}"
                )


def load_config(config_dir: Path) -> ProjectConfig:
    """Read every `*.yaml`/`*.yml` under `config_dir`; raise ConfigError listing all problems."""
    config_dir = Path(config_dir)
    if not config_dir.is_dir():
        raise ConfigError([f"{config_dir}: configuration folder does not exist (set QS_CONFIG_DIR)"])
    problems: list[str] = []
    parts: list[tuple[Path, ProjectConfig]] = []
    files = sorted(p for p in config_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        part = _load_file(path, problems)
        if part is not None:
            parts.append((path, part))
    config = _merge(parts, problems)
    origin = {}
    for path, part in parts:
        origin.update({f"sources:{s.name}": path for s in part.sources})
        origin.update({f"tables:{t.name}": path for t in part.tables})
        origin.update({f"datasets:{d.id}": path for d in part.datasets})
        origin.update({f"dashboards:{d.id}": path for d in part.dashboards})
    _check_references(config, origin, problems)
    if problems:
        raise ConfigError(problems)
    return config


def lineage_config(config: ProjectConfig, sources: list[str], quicksight: bool = True) -> ProjectConfig:
    """The part of `config` that the named sources feed: those sources, every table whose inputs (transitively) all
    come from them, the datasets over those tables and the dashboards whose datasets are all kept (none of either
    without `quicksight`).

    For running one replaced system on its own (a smaller Dagster graph: tests, a focused `sync`)."""
    unknown = sorted(set(sources) - {s.name for s in config.sources})
    if unknown:
        raise ValueError(f"unknown sources {unknown}; declared: {[s.name for s in config.sources]}")
    kept_sources = [s for s in config.sources if s.name in sources]
    known = {name for s in kept_sources for name in s.table_names}
    tables, pending = [], list(config.tables)
    while True:
        ready = [t for t in pending if set(sql_dependencies(t.sql)) <= known]
        if not ready:
            break
        tables += ready
        known |= {t.table_name for t in ready}
        pending = [t for t in pending if t not in ready]
    tables = [t for t in config.tables if t in tables]  # declaration order
    datasets = [d for d in config.datasets if d.table in known and quicksight]
    kept = {d.id for d in datasets}
    dashboards = [d for d in config.dashboards if set(d.datasets) <= kept and quicksight]
    return ProjectConfig(sources=kept_sources, tables=tables, datasets=datasets, dashboards=dashboards)
