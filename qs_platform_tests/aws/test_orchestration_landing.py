"""The same sources with an s3:// landing zone, against moto.server on 127.0.0.1: listing, events, upload."""

import json
import shutil
import uuid

import boto3
import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from qs_platform.cli.main import app
from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config, load_config
from qs_platform.config.settings import Settings
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import LocalLake
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, HEADER, SERVICE_REQUESTS_CSV

ODD_KEY = "landing/service_requests/week 1/ré-sent, copy [2].csv"


@pytest.fixture
def bucket(aws_env) -> str:
    name = f"landing-{uuid.uuid4().hex[:10]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def config_with_listing(tmp_path, listing: dict):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    path = folder / "sources" / "service_requests.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["sources"][0]["listing"] = listing
    path.write_text(yaml.safe_dump(spec))
    return folder


def settings_for(tmp_path, bucket, config_dir=CONFIG_DIR) -> Settings:
    return Settings.from_env(
        {
            "QS_CONFIG_DIR": str(config_dir),
            "QS_LAKE_URL": str(tmp_path / "lake"),
            "QS_LANDING_URL": f"s3://{bucket}/drops",
        }
    )


def kpi_requests(settings) -> int:
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        return con.execute("select sum(requests) from processed.division_kpis").fetchone()[0]


@pytest.mark.parametrize("listing", [{"mode": "full"}, {"mode": "start_after", "lookback_seconds": 3600}])
def test_s3_landing_zone_flows_to_the_dashboard(tmp_path, bucket, instance, listing):
    settings = settings_for(tmp_path, bucket, config_with_listing(tmp_path, listing))
    s3 = boto3.client("s3")
    s3.upload_file(str(SERVICE_REQUESTS_CSV), bucket, "drops/landing/service_requests/division_data_24-12-23.csv")
    s3.put_object(
        Bucket=bucket,
        Key=f"drops/{ODD_KEY}",
        Body=(HEADER + "990001,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n").encode(),
    )
    defs = build_definitions(settings, lineage_config(load_config(settings.config_dir), ["service_requests"]))

    report = Syncer(defs, instance).sync()

    assert report.ok, report.failed_runs
    assert kpi_requests(settings) == 19324 + 1
    odd = Ledger.load(LocalLake(settings.lake_url), load_config(settings.config_dir).source("service_requests")).get(
        ODD_KEY
    )
    assert odd.raw_key == "raw/service_requests/week~201/r~C3~A9-sent~2C~20copy~20~5B2~5D.csv.parquet", (
        "a safe file id, the key in the ledger"
    )
    s3.delete_object(Bucket=bucket, Key=f"drops/{ODD_KEY}")  # deleted keys never break the sensor
    assert Syncer(defs, instance).sync().ok


def test_s3_event_notifications_through_sqs(tmp_path, bucket, instance):
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    settings = settings_for(tmp_path, bucket, config_with_listing(tmp_path, {"mode": "events", "queue_url": queue_url}))
    defs = build_definitions(settings, lineage_config(load_config(settings.config_dir), ["service_requests"]))
    s3.put_object(
        Bucket=bucket,
        Key=f"drops/{ODD_KEY}",
        Body=(HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n").encode(),
    )
    s3.put_object(
        Bucket=bucket,
        Key="drops/landing/service_requests/b.csv",
        Body=(HEADER + "2,1/3/2000,1/4/2000,Toronto Water,FAIL,4,5,\n").encode(),
    )

    report = Syncer(defs, instance).sync()

    assert report.ok and kpi_requests(settings) == 2
    ledger = Ledger.load(LocalLake(settings.lake_url), load_config(settings.config_dir).source("service_requests"))
    assert sorted(ledger.records) == ["landing/service_requests/b.csv", ODD_KEY], (
        "URL-encoded keys in notifications are decoded"
    )
    # the same notification delivered again (at-least-once) does not run again
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "eventTime": "2024-01-01T00:00:00.000Z",
                    "s3": {
                        "bucket": {"name": bucket},
                        "object": {"key": "drops/landing/service_requests/b.csv", "size": 10},
                    },
                }
            ]
        }
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    assert Syncer(defs, instance).sync().materialized == []
    Syncer(defs, instance).sync()  # acknowledges what the previous tick read
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        )
        == 0
    )


def test_upload_skips_files_already_there(tmp_path, bucket, monkeypatch):
    monkeypatch.setenv("QS_CONFIG_DIR", str(CONFIG_DIR))
    monkeypatch.setenv("QS_LAKE_URL", str(tmp_path / "lake"))
    monkeypatch.setenv("QS_LANDING_URL", f"s3://{bucket}/drops")
    folder = tmp_path / "delivery"
    (folder / "2024" / "01").mkdir(parents=True)
    shutil.copy(SERVICE_REQUESTS_CSV, folder / "2024" / "01" / "requests.csv")
    (folder / "extra.csv").write_text(HEADER)
    runner = CliRunner()
    first = runner.invoke(app, ["upload", str(folder), "--source", "service_requests"])
    assert first.exit_code == 0 and "2 uploaded, 0 already there unchanged" in first.output
    keys = sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["drops/landing/service_requests/2024/01/requests.csv", "drops/landing/service_requests/extra.csv"]
    (folder / "extra.csv").write_text(HEADER + "1,1/3/2000,1/10/2000,Toronto Water,PASS,3,1000,\n")
    second = runner.invoke(app, ["upload", str(folder), "--source", "service_requests"])
    assert "1 uploaded, 1 already there unchanged" in second.output
    unknown = runner.invoke(app, ["upload", str(folder), "--source", "nope"])
    assert unknown.exit_code == 2 and "unknown source" in unknown.output


def files(tick, source) -> list[str]:
    from qs_platform.orchestration.raw import raw_op_name

    return [key for r in tick.run_requests for key in r.run_config["ops"][raw_op_name(source)]["config"]["files"]]


def test_multipart_upload_started_before_a_tick_is_not_missed(bucket, config, tmp_path):
    from qs_platform.lake.s3 import S3Lake
    from qs_platform.orchestration.landing import evaluate_landing

    source = config.source("service_requests")
    source = source.model_copy(
        update={"listing": source.listing.model_copy(update={"mode": "start_after", "lookback_seconds": 60})}
    )
    s3 = boto3.client("s3")
    lake = S3Lake(f"s3://{bucket}/drops")
    s3.put_object(Bucket=bucket, Key="drops/landing/service_requests/2024-01-01/a.csv", Body=b"a")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="drops/landing/service_requests/2024-01-01/big.csv")
    part = s3.upload_part(
        Bucket=bucket,
        Key="drops/landing/service_requests/2024-01-01/big.csv",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"x" * (5 * 1024 * 1024),
    )
    tick = evaluate_landing(lake, LocalLake(tmp_path / "lake"), source, None, now=1000)
    assert files(tick, source) == ["landing/service_requests/2024-01-01/a.csv"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="drops/landing/service_requests/2024-01-01/big.csv",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    later = evaluate_landing(lake, LocalLake(tmp_path / "lake"), source, tick.cursor, now=1010)
    assert "landing/service_requests/2024-01-01/big.csv" in files(later, source), (
        "completed later, inside the look-back window"
    )
