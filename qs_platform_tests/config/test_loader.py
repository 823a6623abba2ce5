"""Configuration: the shipped files load; every mistake is reported with its file, key and expectation."""

import shutil
import textwrap

import pytest

from qs_platform.config.loader import ConfigError, load_config
from qs_platform.config.models import normalise_column_name
from qs_platform_tests.conftest import CONFIG_DIR


def test_shipped_configuration_loads(config):
    from qs_platform.examples.logistics import LOGISTICS_FILES

    logistics = {s.name for s in config.sources if s.landing_prefix == "landing/logistics/"}
    assert {s.name for s in config.sources} - logistics == {
        "service_requests",
        "sales",
        "subscriptions",
        "exchange_rates",
        "clickstream",
    }
    assert {"logistics_items", "logistics_assessments", "logistics_parameters"} <= logistics
    assert len(logistics) == 3 + len(LOGISTICS_FILES) == 17, "one source per file of an assessment folder"
    assert {d.id for d in config.dashboards} == {
        "service-division",
        "sales-trends",
        "subscriptions-revenue",
        "clickstream-menu",
        "logistics-assessment",
        "logistics-scenarios",
    }, "every replaced system ends in a dashboard"
    assert {"service_requests", "division_kpis", "ward_kpis"} <= {t.name for t in config.tables}
    assert config.source("service_requests").landing_prefix == "landing/service_requests/"
    assert config.dashboard("service-division").datasets == ["service_requests", "division_kpis"]


def config_with(tmp_path, name: str, text: str):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    (folder / name).write_text(textwrap.dedent(text))
    return folder


def problems(folder) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(folder)
    return raised.value.problems


def test_unknown_column_type_names_file_key_and_choices(tmp_path):
    folder = config_with(
        tmp_path,
        "sources/extra.yaml",
        """
        sources:
          - name: extra
            columns:
              - {name: id, type: bigint}
              - {name: when, type: dat}
    """,
    )
    [problem] = problems(folder)
    assert "sources/extra.yaml" in problem
    assert "sources.0.columns.1.type" in problem
    assert "'dat'" in problem and "date" in problem


def test_unknown_key_is_refused(tmp_path):
    folder = config_with(
        tmp_path,
        "sources/extra.yaml",
        """
        sources:
          - name: extra
            landing_prefx: landing/extra/
            columns: [{name: id}]
    """,
    )
    [problem] = problems(folder)
    assert "sources.0.landing_prefx" in problem and "Extra inputs are not permitted" in problem


def test_rule_on_undeclared_column(tmp_path):
    folder = config_with(
        tmp_path,
        "sources/extra.yaml",
        """
        sources:
          - name: extra
            columns: [{name: id, type: bigint}]
            rules:
              - {name: positive, kind: range, column: amount, min: 0}
    """,
    )
    [problem] = problems(folder)
    assert "extra.yaml" in problem and "'amount'" in problem and "not declared" in problem


@pytest.mark.parametrize("field", ["_rules", "_source_key", "file_row_number"])
def test_key_template_field_named_like_a_platform_column(tmp_path, field):
    folder = config_with(
        tmp_path,
        "sources/extra.yaml",
        f"""
        sources:
          - name: extra
            key_template: "{{{field}}}/{{name}}.csv"
            columns: [{{name: id, type: bigint}}]
    """,
    )
    [problem] = problems(folder)
    assert "extra.yaml" in problem and repr(field) in problem and "rename the field" in problem


def test_table_reading_an_unknown_table(tmp_path):
    folder = config_with(
        tmp_path,
        "tables/extra.yaml",
        """
        tables:
          - name: extra
            sql: select * from processed.nope
    """,
    )
    [problem] = problems(folder)
    assert "tables/extra.yaml" in problem and "tables.extra.sql" in problem and "processed.nope" in problem


def test_sql_that_does_not_parse(tmp_path):
    folder = config_with(
        tmp_path,
        "tables/extra.yaml",
        """
        tables:
          - name: extra
            sql: selec from where
    """,
    )
    assert any("tables.extra.sql" in p for p in problems(folder))


def test_dashboard_with_undeclared_dataset_and_parameter(tmp_path):
    folder = config_with(
        tmp_path,
        "quicksight/extra.yaml",
        """
        dashboards:
          - id: extra
            name: Extra
            datasets: [division_kpis]
            calculated_fields:
              - {name: x, dataset: division_kpis, expression: "sum({requests}) * ${Missing}"}
            sheets:
              - id: s
                title: S
                visuals:
                  - {id: v, type: kpi, title: V, dataset: nope, values: [{column: requests}]}
    """,
    )
    [problem] = problems(folder)
    assert "quicksight/extra.yaml" in problem and "${Missing}" in problem


def test_duplicate_declarations_across_files(tmp_path):
    folder = config_with(tmp_path, "tables/copy.yaml", (CONFIG_DIR / "tables" / "service_requests.yaml").read_text())
    found = problems(folder)
    assert any("already declared" in p and "copy.yaml" in p for p in found)


def test_invalid_yaml_is_reported_with_its_file(tmp_path):
    folder = config_with(tmp_path, "broken.yaml", "sources: [\n")
    [problem] = problems(folder)
    assert "broken.yaml" in problem and "not valid YAML" in problem


def test_missing_config_folder(tmp_path):
    assert "does not exist" in problems(tmp_path / "nowhere")[0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Service Division Owner", "service_division_owner"),
        ("createdAt", "created_at"),
        ("  id ", "id"),
        ("2nd", "c_2nd"),
    ],
)
def test_column_names_are_normalised(raw, expected):
    assert normalise_column_name(raw) == expected


def test_lineage_config_keeps_what_a_source_feeds(config):
    from qs_platform.config.loader import lineage_config

    sales = lineage_config(config, ["sales"])
    assert [s.name for s in sales.sources] == ["sales"]
    assert {t.name for t in sales.tables} == {t.name for t in config.tables if "raw.sales" in t.sql}
    assert {d.table for d in sales.datasets} <= {t.table_name for t in sales.tables}
    assert [d.id for d in sales.dashboards] == ["sales-trends"]
    assert lineage_config(config, ["sales"], quicksight=False).datasets == []
    with pytest.raises(ValueError, match="unknown sources"):
        lineage_config(config, ["nope"])
