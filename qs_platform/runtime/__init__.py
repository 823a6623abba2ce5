"""How runs are executed and recovered: the Dagster instance configuration, dead-run detection, per-file progress."""
