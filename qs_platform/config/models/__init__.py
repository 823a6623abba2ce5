"""The shape of `assets_config/`: sources, processed tables, QuickSight datasets and dashboards.

Everything is validated when the project loads; `loader.py` turns pydantic errors into messages that name
the YAML file and the key. One module per concern: base.py (strict models, identifiers, column-name
normalisation, key templates), columns.py, delivery.py (CSV dialect, listing, batches), rules.py, sources.py,
tables.py (checks, partitioning), datasets.py, dashboards.py, project.py (ProjectConfig); every name is importable
from here.
"""

from qs_platform.config.models.base import DASHBOARD_ID, IDENTIFIER, Strict, normalise_column_name, template_regex
from qs_platform.config.models.columns import COLUMN_TYPES, DECIMAL_TYPE, Column
from qs_platform.config.models.dashboards import (
    PARAMETER_REFERENCE,
    Aggregation,
    CalculatedField,
    Dashboard,
    Dimension,
    Filter,
    FilterScope,
    Measure,
    Parameter,
    Sheet,
    TemplateBinding,
    Visual,
    VisualType,
)
from qs_platform.config.models.datasets import Dataset
from qs_platform.config.models.delivery import Batch, CsvOptions, Listing
from qs_platform.config.models.project import ProjectConfig
from qs_platform.config.models.rules import (
    AcceptedValuesRule,
    ExpressionRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    Rule,
    RuleBase,
    UniqueRule,
)
from qs_platform.config.models.sources import ChildTable, Source
from qs_platform.config.models.tables import (
    AcceptedValuesCheck,
    Check,
    CheckBase,
    FreshnessCheck,
    NotNullCheck,
    PartitionBy,
    RowCountCheck,
    SqlCheck,
    Table,
    UniqueCheck,
)

__all__ = [
    "COLUMN_TYPES", "DASHBOARD_ID", "DECIMAL_TYPE", "IDENTIFIER", "PARAMETER_REFERENCE",
    "AcceptedValuesCheck", "AcceptedValuesRule", "Aggregation", "Batch", "CalculatedField", "Check", "CheckBase",
    "ChildTable", "Column", "CsvOptions", "Dashboard", "Dataset", "Dimension", "ExpressionRule", "Filter",
    "FilterScope", "FreshnessCheck", "Listing", "Measure", "NotNullCheck", "NotNullRule", "Parameter", "PartitionBy",
    "ProjectConfig", "RangeRule", "RegexRule", "RowCountCheck", "Rule", "RuleBase", "Sheet", "Source", "SqlCheck",
    "Strict", "Table", "TemplateBinding", "UniqueCheck", "UniqueRule", "Visual", "VisualType",
    "normalise_column_name", "template_regex",
]  # fmt: skip
