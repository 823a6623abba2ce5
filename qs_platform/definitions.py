"""The code location Dagster loads (`dagster dev`, workspace.yaml): everything comes from assets_config/."""

from qs_platform.config.settings import Settings
from qs_platform.project import build_definitions

defs = build_definitions(Settings.from_env())
