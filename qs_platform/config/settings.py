"""Where things live: every local path comes from an environment variable with a default in the checkout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The checkout: the working directory if it holds `assets_config/`, else the folder above the package."""
    cwd = Path.cwd()
    return cwd if (cwd / "assets_config").is_dir() else PACKAGE_ROOT


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    lake_url: str
    landing_url: str  # where files land: the lake itself by default, or another store (e.g. s3://bucket)
    catalog_path: Path
    quicksight_store: Path
    aws_account_id: str
    aws_region: str
    viewer_host: str
    viewer_port: int
    dagster_home: Path

    @property
    def lake_is_local(self) -> bool:
        return "://" not in self.lake_url or self.lake_url.startswith("file://")

    @property
    def local_lake_root(self) -> Path:
        return Path(self.lake_url.removeprefix("file://")).resolve()

    def prepare_dagster_home(self) -> Path:
        """Create DAGSTER_HOME with a dagster.yaml and point this process at it."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        config = self.dagster_home / "dagster.yaml"
        if not config.exists():
            config.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n")
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)
        return self.dagster_home

    @property
    def viewer_url(self) -> str:
        return f"http://{self.viewer_host}:{self.viewer_port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        root = project_root()
        config_dir = Path(env.get("QS_CONFIG_DIR") or root / "assets_config")
        lake_url = env.get("QS_LAKE_URL") or str(root / ".lake")
        lake_dir = Path(lake_url.removeprefix("file://")) if "://" not in lake_url or lake_url.startswith("file://") else root / ".qs_platform"
        catalog = Path(env.get("QS_CATALOG_PATH") or lake_dir / "catalog.duckdb")
        store = Path(env.get("QS_QUICKSIGHT_STORE") or lake_dir / "_quicksight" / "quicksight.sqlite")
        # Runs, cursors and partitions belong to one lake: a lake of its own gets a Dagster home of its own.
        default_home = root / ".dagster_home" if "QS_LAKE_URL" not in env else lake_dir / "_dagster_home"
        return cls(
            config_dir=config_dir.resolve(),
            lake_url=lake_url,
            landing_url=env.get("QS_LANDING_URL") or lake_url,
            catalog_path=catalog.resolve(),
            quicksight_store=store.resolve(),
            aws_account_id=env.get("QS_AWS_ACCOUNT_ID", "111122223333"),
            aws_region=env.get("QS_AWS_REGION", "us-east-1"),
            viewer_host=env.get("QS_VIEWER_HOST", "127.0.0.1"),
            viewer_port=int(env.get("QS_VIEWER_PORT", "8050")),
            dagster_home=Path(env.get("DAGSTER_HOME") or default_home).resolve(),
        )
