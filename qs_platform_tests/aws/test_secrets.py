"""AWS credentials never leak: with distinctive ones in the environment (secret key and session token), a sync on
moto.server that fails (an injected S3 error) and the sync that completes show neither in any Dagster event (log
line or metadata value), any report line, stdout or stderr, any stored byte (the Dagster instance, the S3 cache) or
any object of the lake."""

import boto3

from qs_platform.cli.sync import Syncer
from qs_platform_tests.aws.conftest import aws_world
from qs_platform_tests.conftest import csv_text, places_shown

AWS_SECRET = "SECRETxAWS-9f3c1e-never-shown"
AWS_TOKEN = "SECRETxTOKEN-77ab2d-never-shown"


def signed_with_the_token(faults) -> list:
    """Session tokens S3 requests carried (the header botocore signs): proof the credentials under test were used."""
    seen = []
    faults.add(
        "s3", "*", "500", where=lambda request: seen.append(request.headers.get("X-Amz-Security-Token")) and False
    )
    return seen


def test_aws_credentials_never_reach_logs_metadata_messages_or_storage(faults, tmp_path, instance, monkeypatch, capfd):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a session made now, from these credentials
    world = aws_world(tmp_path, "qs-secrets")
    texts = [csv_text(1, 20), csv_text(100, 20)]
    for n, text in enumerate(texts):
        world.land(f"part-{n}.csv", text)
    tokens = signed_with_the_token(faults)
    faults.add("s3", "PutObject", "500", where=lambda r: "/raw/service_requests/part-1" in r.url)  # a failure to report
    defs = world.definitions()

    failed = Syncer(defs, instance, echo=print).sync()
    assert failed.failed_runs and "InternalError" in failed.failed_runs[0]
    faults.clear()
    report = Syncer(defs, instance, echo=print).sync()
    assert report.ok, report.failed_runs + report.pending
    world.assert_complete(texts)
    sent = {token.decode() if isinstance(token, bytes) else token for token in tokens}
    assert sent == {AWS_TOKEN}, "the credentials under test signed every S3 request"
    assert places_shown([AWS_SECRET, AWS_TOKEN], instance, [failed, report], capfd, [tmp_path], world.lake) == []
