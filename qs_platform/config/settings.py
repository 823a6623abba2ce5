"""Where things live: every local path comes from an environment variable with a default in the checkout.

Two profiles (`QS_PROFILE`): `local` (the default: a folder lake, a DuckDB catalog, the local QuickSight backend) and
`aws` (S3 lake, Glue catalog, Athena, QuickSight), whose settings come from `QS_*` variables and/or a YAML file named
by `QS_AWS_SETTINGS_FILE`; variables win. Credentials never appear here: boto3's standard chain provides them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The checkout: the working directory if it holds `assets_config/`, else the folder above the package."""
    cwd = Path.cwd()
    return cwd if (cwd / "assets_config").is_dir() else PACKAGE_ROOT


LAYERS = ("raw", "processed", "quarantine", "ledger")
PROFILES = ("local", "aws")


class ProfileError(ValueError):
    pass


class AwsSettings(BaseModel):
    """Where the platform lives on AWS. Every field has a `QS_<FIELD>` variable (upper case) overriding the YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = Field(description="Region of S3, Glue, Athena and QuickSight")
    lake_url: str = Field(
        description="s3://bucket/prefix: the lake; layer folders raw/, processed/, quarantine/ below it"
    )
    layer_urls: dict[str, str] = Field(
        default_factory=dict,
        description="A layer's own s3://bucket/prefix (its folder below it), e.g. {processed: s3://bi-bucket/qs}",
    )
    glue_database_prefix: str = Field(default="", description="Prefix of the Glue database of each layer")
    glue_databases: dict[str, str] = Field(
        default_factory=dict, description="Glue database per layer; default <prefix><layer>"
    )
    partition_projection: bool = Field(
        default=True, description="Glue partition projection for day/month partitioned tables"
    )
    athena_workgroup: str = "primary"
    athena_output: str = Field(default="", description="s3:// result location; default <lake>/_athena/results/")
    quicksight_account_id: str = Field(pattern=r"^\d{12}$")
    quicksight_edition: Literal["ENTERPRISE", "STANDARD"] = "ENTERPRISE"
    quicksight_principals: list[str] = Field(
        default_factory=list, description="User/group ARNs granted the datasets and dashboards"
    )

    @field_validator("lake_url", "athena_output")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        if value and not value.startswith("s3://"):
            raise ValueError(f"expected an s3://bucket/prefix URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("glue_databases", "layer_urls")
    @classmethod
    def _known_layers(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LAYERS))
        if unknown:
            raise ValueError(f"unknown layers {unknown}; expected some of {list(LAYERS)}")
        return value

    @field_validator("layer_urls")
    @classmethod
    def _layer_s3_urls(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {layer: url for layer, url in value.items() if not url.startswith("s3://")}
        if bad:
            raise ValueError(f"expected s3://bucket/prefix URLs, got {bad}")
        return {layer: url.rstrip("/") for layer, url in value.items()}

    @field_validator("quicksight_principals")
    @classmethod
    def _principal_arns(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.match(r"^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)/.+", v)]
        if bad:
            raise ValueError(
                f"expected QuickSight user/group ARNs (arn:aws:quicksight:<region>:<account>:user/<ns>/<name>), got {bad}"
            )
        return value

    @model_validator(mode="after")
    def _defaults(self) -> AwsSettings:
        databases = {layer: self.glue_databases.get(layer) or f"{self.glue_database_prefix}{layer}" for layer in LAYERS}
        object.__setattr__(self, "glue_databases", databases)
        if not self.athena_output:
            object.__setattr__(self, "athena_output", f"{self.lake_url}/_athena/results")
        return self

    @property
    def s3_urls(self) -> list[str]:
        """Every s3:// location the platform reads or writes (for the IAM policy)."""
        return sorted({self.lake_url, self.athena_output, *self.layer_urls.values()})

    @classmethod
    def from_env(cls, env: dict[str, str]) -> AwsSettings:
        values: dict = {}
        file = env.get("QS_AWS_SETTINGS_FILE")
        if file:
            try:
                values = yaml.safe_load(Path(file).read_text()) or {}
            except (OSError, yaml.YAMLError) as error:
                raise ProfileError(f"QS_AWS_SETTINGS_FILE {file}: cannot be read: {error}") from error
            if not isinstance(values, dict):
                raise ProfileError(
                    f"QS_AWS_SETTINGS_FILE {file}: expected a mapping of settings, got {type(values).__name__}"
                )
        for name in cls.model_fields:
            variable = env.get(f"QS_{name.upper()}")
            if variable:
                values[name] = _parse_variable(name, variable)
        values.setdefault(
            "region", env.get("QS_AWS_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        )
        values.setdefault("quicksight_account_id", env.get("QS_AWS_ACCOUNT_ID", ""))
        values.setdefault("lake_url", env.get("QS_LAKE_URL", ""))
        try:
            return cls(**values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'settings'} (QS_{str(e['loc'][0]).upper() if e['loc'] else ''}): {e['msg']}"
                for e in error.errors()
            )
            raise ProfileError(f"profile aws{' (' + file + ')' if file else ''}: {problems}") from error


def _parse_variable(name: str, value: str):
    """`a,b` lists, `raw=s3://x,processed=s3://y` mappings and booleans from one environment variable."""
    annotation = str(AwsSettings.model_fields[name].annotation)
    if annotation.startswith("dict"):
        pairs = [item.partition("=") for item in value.split(",") if item.strip()]
        return {k.strip(): v.strip() for k, _, v in pairs}
    if annotation.startswith("list"):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _positive_float(env: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        raise ProfileError(f"{name}: expected a positive number, got {env[name]!r}") from None
    if value <= 0:
        raise ProfileError(f"{name}: expected a positive number, got {env[name]!r}")
    return value


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    text = env.get(name) or str(default)
    if not text.strip().isdigit() or int(text) < 1:
        raise ProfileError(f"{name}: expected a whole number of at least 1, got {text!r}")
    return int(text)


LOCAL_REQUESTS_PER_SECOND = 500.0


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
    profile: str = "local"
    aws: AwsSettings | None = None  # set by the aws profile
    local_quicksight: bool = True  # the local QuickSight backend (always locally; on aws only with QS_QUICKSIGHT_STORE)
    quicksight_requests_per_second: float = 5.0  # client-side token bucket of every QuickSight call
    max_run_deaths: int = 3  # QS_MAX_RUN_DEATHS: a file whose loading killed its run this many times is quarantined
    aws_max_attempts: int = (
        5  # QS_AWS_MAX_ATTEMPTS: tries in all of an S3, Glue, Athena or SQS request (botocore's standard retry mode)
    )
    quicksight_max_attempts: int = (
        8  # QS_QUICKSIGHT_MAX_ATTEMPTS: attempts of a QuickSight call answered ThrottlingException
    )

    @property
    def lake_is_local(self) -> bool:
        return "://" not in self.lake_url or self.lake_url.startswith("file://")

    @property
    def local_lake_root(self) -> Path:
        return Path(self.lake_url.removeprefix("file://")).resolve()

    @property
    def catalog_location(self) -> str:
        """The local catalog file, or the Glue databases of the aws profile."""
        if self.aws:
            return "glue:" + ",".join(self.aws.glue_databases[layer] for layer in LAYERS)
        return str(self.catalog_path)

    @property
    def viewer_url(self) -> str:
        return f"http://{self.viewer_host}:{self.viewer_port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        profile = env.get("QS_PROFILE", "local").strip().lower() or "local"
        if profile not in PROFILES:
            raise ProfileError(f"QS_PROFILE: expected one of {list(PROFILES)}, got {profile!r}")
        aws = AwsSettings.from_env(env) if profile == "aws" else None
        root = project_root()
        config_dir = Path(env.get("QS_CONFIG_DIR") or root / "assets_config")
        lake_url = aws.lake_url if aws else env.get("QS_LAKE_URL") or str(root / ".lake")
        lake_dir = (
            Path(lake_url.removeprefix("file://"))
            if "://" not in lake_url or lake_url.startswith("file://")
            else root / ".qs_platform"
        )
        catalog = Path(env.get("QS_CATALOG_PATH") or lake_dir / "catalog.duckdb")
        # Under the aws profile QuickSight is the real service unless QS_QUICKSIGHT_STORE names a local store (tests).
        store = Path(env.get("QS_QUICKSIGHT_STORE") or lake_dir / "_quicksight" / "quicksight.sqlite")
        # Runs, cursors and partitions belong to one lake: a lake of its own gets a Dagster home of its own.
        default_home = root / ".dagster_home" if "QS_LAKE_URL" not in env else lake_dir / "_dagster_home"
        return cls(
            config_dir=config_dir.resolve(),
            lake_url=lake_url,
            landing_url=env.get("QS_LANDING_URL") or lake_url,
            catalog_path=catalog.resolve(),
            quicksight_store=store.resolve(),
            aws_account_id=aws.quicksight_account_id if aws else env.get("QS_AWS_ACCOUNT_ID", "111122223333"),
            aws_region=aws.region if aws else env.get("QS_AWS_REGION", "us-east-1"),
            viewer_host=env.get("QS_VIEWER_HOST", "127.0.0.1"),
            viewer_port=int(env.get("QS_VIEWER_PORT", "8050")),
            dagster_home=Path(env.get("DAGSTER_HOME") or default_home).resolve(),
            profile=profile,
            aws=aws,
            local_quicksight=profile == "local" or bool(env.get("QS_QUICKSIGHT_STORE")),
            # AWS's own limits do not apply to the local backend: its default bucket only guards against runaway loops
            quicksight_requests_per_second=_positive_float(
                env, "QS_QUICKSIGHT_REQUESTS_PER_SECOND", LOCAL_REQUESTS_PER_SECOND if profile == "local" else 5.0
            ),
            max_run_deaths=int(_positive_float(env, "QS_MAX_RUN_DEATHS", 3)),
            aws_max_attempts=_positive_int(env, "QS_AWS_MAX_ATTEMPTS", 5),
            quicksight_max_attempts=_positive_int(env, "QS_QUICKSIGHT_MAX_ATTEMPTS", 8),
        )
