"""S3 and Glue faults under the aws profile (moto.server, botocore fault hooks): transient ones are retried a bounded
number of times and the sync completes; a persistent one fails the run clearly, the file stays pending by the
ledger, and the next sync completes it. Each time the data is checked row by row, and nothing is doubled."""

import time

import pytest

from qs_platform.cli.sync import Syncer
from qs_platform_tests.aws.conftest import aws_world
from qs_platform_tests.conftest import csv_text


def test_s3_and_glue_faults_transient_ones_retried_a_persistent_one_fails_clearly_then_the_next_sync_completes(
    faults, tmp_path, instance
):
    world = aws_world(tmp_path, "qs-faults", max_attempts=3)
    texts = [csv_text(1, 30), csv_text(100, 40), csv_text(200, 10)]
    keys = [world.land(f"part-{n}.csv", text) for n, text in enumerate(texts)]
    defs = world.definitions()
    assert defs.resources["lake"].get().client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    transient = [
        faults.add("s3", "ListObjectsV2", "503", times=1),  # SlowDown: botocore's throttling backoff
        faults.add("s3", "GetObject", "500", times=2, where=lambda r: "/landing/" in r.url),
        faults.add("s3", "HeadObject", "connection", times=1),
        faults.add("s3", "PutObject", "timeout", times=1, where=lambda r: "/raw/service_requests/part-0" in r.url),
    ]
    broken = faults.add(
        "s3", "PutObject", "500", where=lambda r: "/raw/service_requests/part-1" in r.url
    )  # never recovers

    started = time.monotonic()
    failed = Syncer(defs, instance).sync()
    seconds = time.monotonic() - started
    assert not failed.ok
    assert len(failed.failed_runs) == 1, failed.failed_runs  # tried once in this sync, not again every round
    line = failed.failed_runs[0]
    assert "raw__service_requests" in line and "upload failed" in line and "InternalError" in line, line
    assert "raw/service_requests/part-1.csv.parquet" in line and "reached max retries: 2" in line, line
    assert broken.attempts == 3, "botocore's standard retries: 3 tries in all (QS_AWS_MAX_ATTEMPTS), then the error"
    for rule in transient:
        assert rule.injected == rule.times and rule.retried_to_success(), (rule.operation, rule.kind, rule.log)
    ledger = world.ledger()
    assert ledger.get(keys[0]).status == "loaded", "what was done before the fault stays done"
    assert ledger.get(keys[1]) is None and ledger.get(keys[2]) is None, "the failed file and the rest stay pending"
    assert not world.lake.exists("raw/service_requests/part-1.csv.parquet"), "nothing half-published"
    assert not any(o.key.startswith("quarantine/") for o in world.lake.list("quarantine/")), (
        "a fault of S3 is no bad file"
    )
    assert any("3 files pending" in p or "2 files pending" in p for p in failed.pending), failed.pending

    faults.clear()
    glue = [faults.add("glue", "CreateTable", "500", times=2), faults.add("glue", "GetTable", "throttle", times=1)]
    started = time.monotonic()
    report = Syncer(defs, instance).sync()
    recovered = time.monotonic() - started
    assert report.ok, report.failed_runs + report.pending
    for rule in glue:
        assert rule.injected == rule.times and rule.retried_to_success(), (rule.operation, rule.kind, rule.log)
    world.assert_complete(texts)
    retries = sum(r.injected for r in transient + glue)
    print(
        f"S3/Glue faults: {retries} transient faults retried, persistent: {broken.attempts} attempts; "
        f"failed sync {seconds:.1f}s, recovering sync {recovered:.1f}s"
    )


def test_a_download_broken_mid_way_is_fetched_again_then_fails_as_a_fault_of_the_machine(faults, tmp_path, config):
    import boto3

    from qs_platform.ingest.runner import MACHINE_ERRORS, ingest_landed_file
    from qs_platform.lake import S3Lake
    from qs_platform.lake.s3 import DOWNLOAD_ATTEMPTS, BrokenBody
    from qs_platform.sql.engine import MachineFault

    boto3.client("s3").create_bucket(Bucket="qs-broken-bodies")
    lake = S3Lake("s3://qs-broken-bodies/lake", cache_dir=tmp_path / "cache")
    text = csv_text(1, 50)
    lake.put_bytes("landing/service_requests/a.csv", text.encode())
    twice = faults.add("s3", "GetObject", "broken_body", times=2)
    assert lake.read_bytes("landing/service_requests/a.csv") == text.encode(), "the third GET gave every byte"
    assert twice.attempts == 3
    with lake.local_copy("landing/service_requests/a.csv") as path:
        assert path.read_bytes() == text.encode()

    always = faults.add("s3", "GetObject", "broken_body")
    with pytest.raises(BrokenBody, match=r"a\.csv: the download broke off after 3 tries"):
        lake.read_bytes("landing/service_requests/a.csv")
    assert always.attempts == DOWNLOAD_ATTEMPTS == 3 and issubclass(BrokenBody, MACHINE_ERRORS)
    source = config.source("service_requests")
    with pytest.raises(
        MachineFault, match=r"a\.csv was not loaded into raw/service_requests/: .*the download broke off"
    ) as error:
        ingest_landed_file(lake, source, "landing/service_requests/a.csv")
    assert isinstance(error.value.__cause__, BrokenBody)
    assert world_ledger_is_empty(lake, source), "a broken download is a fault of the machine: the file stays pending"


def world_ledger_is_empty(lake, source) -> bool:
    from qs_platform.ingest.ledger import Ledger

    return Ledger.load(lake, source).records == {}
