"""Secrets never leak: with a pull source's API key in the environment, wrong then right, pulls with failures and
retries and the sync after them show neither key in any Dagster event (log line or metadata value), any report line,
stdout or stderr, or any stored byte of the Dagster instance or the lake. (AWS credentials: aws/test_secrets.py.)"""

import base64
import datetime as dt

import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.local.standins.apis import ChargebeeSubscriptions, start_standins
from qs_platform.local.standins.server import Clock, Faults, Reply
from qs_platform.orchestration.raw import landing_asset_key
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, places_shown

PULL_KEY = "SECRETxPULL-c0ffee-never-shown"
WRONG_PULL_KEY = "SECRETxWRONG-5eed-never-shown"


def refusals_quote_the_credentials(monkeypatch) -> None:
    """The API's 401 quotes what it was sent, the key and the Authorization header (some APIs do)."""
    real = ChargebeeSubscriptions.__call__

    def call(self, query, headers):
        reply = real(self, query, headers)
        if reply.status != 401:
            return reply
        sent = next(v for k, v in headers.items() if k.lower() == "authorization")
        key = base64.b64decode(sent.removeprefix("Basic ")).decode().split(":", 1)[0]
        return Reply(
            401,
            {
                "message": f"Invalid api key {key!r} (Authorization: {sent})",
                "api_error_code": "api_authentication_failed",
            },
        )

    monkeypatch.setattr(ChargebeeSubscriptions, "__call__", call)


@pytest.fixture
def chargebee(monkeypatch):
    refusals_quote_the_credentials(monkeypatch)
    server = start_standins(
        api_key=PULL_KEY,
        clock=Clock(dt.datetime(2024, 2, 1, tzinfo=dt.UTC).timestamp()),
        faults=Faults(script=[None, 429, 503], retry_after=0),
    )  # 401 first, then two retried
    monkeypatch.setenv("QS_CHARGEBEE_URL", server.url)
    yield server
    server.stop()


def test_a_pull_key_right_or_wrong_never_reaches_logs_metadata_messages_or_storage(
    config, chargebee, tmp_path, instance, monkeypatch, capfd
):
    narrow = ProjectConfig(sources=[config.source("subscriptions")], tables=[config.table("subscriptions_versions")])
    settings = Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake")})
    syncer = Syncer(build_definitions(settings, narrow), instance, echo=print)
    pull = landing_asset_key(narrow.source("subscriptions"))

    monkeypatch.setenv("QS_CHARGEBEE_API_KEY", WRONG_PULL_KEY)
    syncer.run_pulls([pull])
    assert len(syncer.report.failed_runs) == 1 and "401" in syncer.report.failed_runs[0], syncer.report.failed_runs
    assert "Invalid api key '***' (Authorization: Basic ***)" in syncer.report.failed_runs[0], (
        "redacted where the API quoted it"
    )
    monkeypatch.setenv("QS_CHARGEBEE_API_KEY", PULL_KEY)
    syncer.run_pulls([pull])
    landed = [m for m in syncer.report.materialized if m.asset == "landing/subscriptions"]
    assert (
        len(syncer.report.failed_runs) == 1 and landed[0].metadata["records"] > 0 and landed[0].metadata["retries"] >= 1
    )
    report = Syncer(syncer.defs, instance, echo=print).sync()
    assert report.ok and any(m.asset == "processed/subscriptions_versions" for m in report.materialized), (
        report.failed_runs
    )
    assert places_shown([PULL_KEY, WRONG_PULL_KEY], instance, [syncer.report, report], capfd, [tmp_path]) == []
