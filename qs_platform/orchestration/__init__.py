"""The Dagster layer: asset, sensor, check and schedule factories and the resources they use, over the library.

Nothing below this package imports it: the library (config, sql, lake, ingest, catalog, transform, quicksight, pull,
collect) knows nothing of Dagster. `qs_platform/project.py` assembles the factories into Definitions.
"""
