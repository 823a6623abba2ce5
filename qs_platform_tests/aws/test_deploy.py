"""deploy/aws/: the production instance config loads as Dagster would load it, and the committed IAM policy is the
one `qs-platform iam-policy` generates for the example settings (it cannot drift from the code)."""

import json
import re

import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError

from qs_platform.cli.iam import build_policy
from qs_platform.config.loader import load_config
from qs_platform.config.settings import Settings
from qs_platform.runtime.state import validate_instance_yaml
from qs_platform_tests.conftest import CONFIG_DIR, PROJECT

DEPLOY = PROJECT / "deploy" / "aws"


def test_the_ecs_instance_config_is_valid_for_dagster_and_its_classes():
    config = validate_instance_yaml(DEPLOY)
    assert (
        config["run_launcher"]["class"] == "EcsRunLauncher" and config["compute_logs"]["class"] == "S3ComputeLogManager"
    )
    assert config["run_monitoring"]["enabled"] and not config["run_retries"]["retry_on_asset_or_op_failure"]
    assert "postgres" in config["storage"]


def test_a_broken_instance_config_is_refused(tmp_path):
    broken = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    broken["run_launcher"]["config"]["task_definitions"] = "qs"  # a typo: not a field of EcsRunLauncher
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(DagsterInvalidConfigError):
        validate_instance_yaml(tmp_path)


def test_the_committed_iam_policy_is_what_iam_policy_generates():
    settings = Settings.from_env(
        {
            "QS_PROFILE": "aws",
            "QS_CONFIG_DIR": str(CONFIG_DIR),
            "QS_AWS_SETTINGS_FILE": str(DEPLOY / "settings.example.yaml"),
        }
    )
    expected = build_policy(settings, load_config(CONFIG_DIR))
    assert json.loads((DEPLOY / "iam-policy.json").read_text()) == expected, (
        "regenerate: QS_PROFILE=aws QS_AWS_SETTINGS_FILE=deploy/aws/settings.example.yaml .venv/bin/qs-platform iam-policy "
        "> deploy/aws/iam-policy.json"
    )


def test_the_dockerfile_copies_what_exists_and_starts_the_code_location():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        assert (PROJECT / source).exists(), f"COPY {source}: no such path in the checkout"
    assert '"-m", "qs_platform.definitions"' in dockerfile
