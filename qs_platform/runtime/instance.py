"""The `dagster.yaml` written into DAGSTER_HOME: how runs are queued, watched and retried on one machine.

- Runs of one source's raw layer run one at a time (a tag limit of the queued run coordinator), so two runs never
  load the same file at once; other runs go in parallel up to `max_concurrent_runs`.
- Run monitoring (with `LocalRunLauncher`, which can tell a dead run process from a live one) marks a run whose
  process died as failed within `QS_RUN_MONITORING_INTERVAL` seconds (default 15), and frees its pool slots.
- Run retries start a run again when its process died (up to 3 times), never when an asset failed: bad data is
  quarantined, not retried. A file that kills its run again and again is quarantined by the raw asset itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

VERSION = 2
MARKER = f"# qs-platform instance settings, version {VERSION}. Delete this line to keep your own edits."
SOURCE_TAG = "qs_platform/source"


def instance_settings(monitoring_interval: int | None = None) -> dict:
    interval = monitoring_interval or int(os.environ.get("QS_RUN_MONITORING_INTERVAL") or 15)
    return {
        "telemetry": {"enabled": False},
        "run_launcher": {"module": "qs_platform.runtime.launcher", "class": "LocalRunLauncher"},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"dequeue_interval_seconds": 1},
        },
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 180,
            "cancel_timeout_seconds": 180,
            "poll_interval_seconds": interval,
            "max_resume_run_attempts": 0,
            "free_slots_after_run_end_seconds": interval,
        },
        "run_retries": {"enabled": True, "max_retries": 3, "retry_on_asset_or_op_failure": False},
        "concurrency": {
            "runs": {
                "max_concurrent_runs": 4,
                "tag_concurrency_limits": [
                    {"key": SOURCE_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
                ],
            },
            "pools": {"default_limit": 1},
        },
    }


FIRST_VERSION = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"  # what version 1 wrote


def write_instance_yaml(home: Path, monitoring_interval: int | None = None) -> Path:
    """Write dagster.yaml, or bring one written by an earlier qs-platform up to date; a file of the user's is kept."""
    path = home / "dagster.yaml"
    current = path.read_text() if path.exists() else None
    ours = current is None or current == FIRST_VERSION or current.startswith("# qs-platform instance settings")
    wanted = MARKER + "\n" + yaml.safe_dump(instance_settings(monitoring_interval), sort_keys=False)
    if ours and current != wanted:
        path.write_text(wanted)
    return path


def prepare_dagster_home(settings) -> Path:
    """Create DAGSTER_HOME with its dagster.yaml and point this process at it (`settings`: config.settings.Settings)."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    write_instance_yaml(settings.dagster_home)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return settings.dagster_home
