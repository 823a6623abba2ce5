"""Pulling paginated JSON HTTP APIs into a landing zone, incrementally by a watermark. Knows nothing of Dagster:
`qs_platform/ingest/pull_assets.py` wraps it in an asset and a schedule."""
