"""Shared by the Definition tests: a spec using every visual type, parameter control and filter, and the column types
of its two datasets."""

import pytest
import yaml

from qs_platform.config.models import Dashboard

COLUMNS = {
    "sales": {
        "region": "STRING",
        "country": "STRING",
        "product": "STRING",
        "order_date": "DATETIME",
        "amount": "DECIMAL",
        "units": "INTEGER",
    },
    "targets": {"region": "STRING", "target": "DECIMAL"},
}
GEOGRAPHIC = {"sales": {"country"}, "targets": set()}

SPEC = """
id: every-visual
name: Every visual type
datasets: [sales, targets]
optional_datasets: [targets]
parameters:
  - {name: Growth, type: decimal, default: 0.1, control: slider, min: 0, max: 1, step: 0.05, title: Growth}
  - {name: Region, type: string, default: North, control: dropdown, values: [North, South]}
  - {name: Units, type: integer, default: 10, control: text}
  - {name: AsOf, type: datetime, default: "2024-01-31", control: date_picker, title: As of}
calculated_fields:
  - {name: projected, dataset: sales, expression: "sum({amount}) * (1 + ${Growth})"}
filters:
  - {id: region-pick, dataset: sales, column: region, kind: category, control: dropdown, scope: [{sheet: charts}]}
  - {id: region-param, dataset: sales, column: region, kind: category, parameter: Region, scope: [{sheet: tables, visuals: [pivot]}]}
  - {id: amount-range, dataset: sales, column: amount, kind: range, min: 0, max: 1000, step: 10, control: slider}
  - {id: dates, dataset: sales, column: order_date, kind: date_range, min: "2024-01-01", max: "2024-12-31", control: date_picker,
     scope: [{sheet: charts, visuals: [line]}]}
  - {id: north-targets, dataset: targets, column: region, kind: category, values: [North], scope: [{sheet: tables, visuals: [targets-table]}]}
sheets:
  - id: charts
    title: Charts
    visuals:
      - {id: kpi, type: kpi, title: Amount, dataset: sales, values: [{column: amount, format: currency, label: Amount}]}
      - {id: what-if, type: kpi, title: Projected, dataset: sales, values: [{column: projected, aggregation: none, format: currency}]}
      - {id: bar, type: bar, title: By region, dataset: sales, category: {column: region}, color: {column: product}, values: [{column: amount}]}
      - {id: line, type: line, title: Over time, dataset: sales, category: {column: order_date, granularity: MONTH}, values: [{column: units}]}
      - {id: pie, type: pie, title: Share, dataset: sales, category: {column: product}, values: [{column: amount, format: percent}]}
      - {id: combo, type: combo, title: Amount and units, dataset: sales, category: {column: region},
         values: [{column: amount}], line_values: [{column: units, aggregation: avg}]}
      - {id: scatter, type: scatter, title: Units against amount, dataset: sales, category: {column: product},
         values: [{column: units}, {column: amount}, {column: amount, aggregation: max}]}
      - {id: heatmap, type: heatmap, title: Region x product, dataset: sales, category: {column: region}, columns: [{column: product}],
         values: [{column: amount}]}
      - {id: map, type: map, title: By country, dataset: sales, category: {column: country}, values: [{column: amount}]}
  - id: tables
    title: Tables
    visuals:
      - {id: table, type: table, title: Detail, dataset: sales, group_by: [{column: region, label: Region}], values: [{column: amount, label: Amount}]}
      - {id: pivot, type: pivot, title: Pivot, dataset: sales, group_by: [{column: region}], columns: [{column: product}],
         values: [{column: amount}, {column: product, aggregation: distinct_count}]}
      - {id: targets-table, type: table, title: Targets, dataset: targets, group_by: [{column: region}], values: [{column: target}]}
"""


@pytest.fixture
def spec() -> Dashboard:
    return Dashboard.model_validate(yaml.safe_load(SPEC))
