"""The S3 lake and S3 event notifications, against a local moto server (no AWS account, no internet)."""

import hashlib
import io
import json
import logging
import os
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from qs_platform.lake import LocalLake, S3Lake, open_lake
from qs_platform.lake.notifications import S3Event, acknowledge, drain_s3_events, parse_message
from qs_platform.lake.s3 import etag_is_md5

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}
ODD_KEYS = [
    "landing/s/with space.csv",
    "landing/s/ünïcødé 名前.csv",
    "landing/s/a,b;c.csv",
    "landing/s/[brackets](and){braces}.csv",
    "landing/s/a+b.csv",
    "landing/s/100% done%2F.csv",
    "landing/s/q?x=1&y=2#frag.csv",
    "landing/s/quotes 'single' \"double\" ~tilde.csv",
]


@pytest.fixture(scope="module")
def endpoint(moto_endpoint):
    return moto_endpoint


@pytest.fixture
def s3(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)


@pytest.fixture
def sqs(endpoint):
    return boto3.client("sqs", endpoint_url=endpoint, **CREDENTIALS)


@pytest.fixture
def bucket(s3) -> str:
    name = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def lake(s3, bucket) -> S3Lake:
    return S3Lake(f"s3://{bucket}/root/", client=s3)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# --- S3Lake -------------------------------------------------------------------------------------------------


def test_url_root_and_uri(s3, bucket):
    assert S3Lake(f"s3://{bucket}/root/", client=s3).uri("raw/x.parquet") == f"s3://{bucket}/root/raw/x.parquet"
    assert S3Lake(f"s3://{bucket}/root/", client=s3).url == f"s3://{bucket}/root"
    assert S3Lake(f"s3://{bucket}", client=s3).uri("raw/x.parquet") == f"s3://{bucket}/raw/x.parquet"
    with pytest.raises(ValueError, match="no bucket"):
        S3Lake("s3:///prefix", client=s3)


def test_put_read_exists_delete(lake, s3, bucket):
    lake.put_bytes("landing/s/a.csv", b"one")
    assert s3.get_object(Bucket=bucket, Key="root/landing/s/a.csv")["Body"].read() == b"one", "keys live under the root"
    assert lake.exists("landing/s/a.csv") and not lake.exists("landing/s/b.csv")
    assert lake.read_bytes("landing/s/a.csv") == b"one"
    assert lake.content_hash("landing/s/a.csv") == md5(b"one")
    lake.delete("landing/s/a.csv")
    lake.delete("landing/s/a.csv")  # missing: no error
    assert not lake.exists("landing/s/a.csv")


def test_list_is_in_key_order_under_the_root_and_prefix(lake, s3, bucket):
    keys = ["landing/s/b.csv", "landing/s/a.csv", "landing/s/2024/01/c.csv", "landing/other/x.csv", "landing/s2/y.csv"]
    for key in keys:
        lake.put_bytes(key, key.encode())
    s3.put_object(Bucket=bucket, Key="rootless.csv", Body=b"outside the root")
    s3.put_object(Bucket=bucket, Key="root2/landing/s/z.csv", Body=b"a sibling of the root")
    s3.put_object(Bucket=bucket, Key="root/landing/s/folder/", Body=b"")  # what the console's "Create folder" makes
    lake.list_page_size = 2  # several ListObjectsV2 pages

    listed = list(lake.list("landing/s/"))
    assert [o.key for o in listed] == ["landing/s/2024/01/c.csv", "landing/s/a.csv", "landing/s/b.csv"]
    head = s3.head_object(Bucket=bucket, Key="root/landing/s/a.csv")
    assert listed[1].size == len(b"landing/s/a.csv")
    assert listed[1].etag == head["ETag"].strip('"') == md5(b"landing/s/a.csv")
    assert listed[1].modified == head["LastModified"].timestamp()
    assert [o.key for o in lake.list("")] == sorted(keys)
    assert list(lake.list("nothing/")) == []


def test_list_start_after(lake):
    for name in "abcde":
        lake.put_bytes(f"landing/s/{name}.csv", b"x")
    lake.list_page_size = 2
    assert [o.key for o in lake.list("landing/s/", start_after="landing/s/b.csv")] == [
        "landing/s/c.csv",
        "landing/s/d.csv",
        "landing/s/e.csv",
    ]
    assert len(list(lake.list("landing/s/", start_after="landing/s/c"))) == 3, "a start that is not a key works too"
    assert list(lake.list("landing/s/", start_after="landing/s/e.csv")) == []
    assert len(list(lake.list("landing/s/", start_after="landing/a"))) == 5, "a start before the prefix lists it all"


def test_listing_and_start_after_match_the_local_lake(lake, tmp_path):
    local = LocalLake(tmp_path / "lake")
    keys = ODD_KEYS + ["landing/s/Z.csv", "landing/s/z.csv", "landing/s/é.csv", "landing/s/e.csv", "landing/s/a/b.csv"]
    for key in keys:
        lake.put_bytes(key, b"x")
        local.put_bytes(key, b"x")
    assert [o.key for o in lake.list("landing/")] == [o.key for o in local.list("landing/")]
    for start in ["landing/s/a", "landing/s/e.csv", ODD_KEYS[1]]:
        assert [o.key for o in lake.list("landing/", start)] == [o.key for o in local.list("landing/", start)]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_round_trip(lake, key):
    data = f"id\n{key}\n".encode()
    with lake.staged_write(key) as path:
        path.write_bytes(data)
    assert [o.key for o in lake.list("landing/")] == [key]
    assert [o.key for o in lake.list("landing/s/", start_after="landing/s/")] == [key]
    assert lake.exists(key) and lake.read_bytes(key) == data
    assert lake.content_hash(key) == md5(data)
    with lake.local_copy(key) as path:
        assert path.read_bytes() == data and path.suffix == ".csv"
    lake.delete(key)
    assert not lake.exists(key)


def test_content_hash_of_a_multipart_object_is_the_md5_of_its_bytes(lake, s3, bucket):
    data = os.urandom(11 * 1024 * 1024)
    five_mb = 5 * 1024 * 1024
    config = TransferConfig(multipart_threshold=five_mb, multipart_chunksize=five_mb)
    s3.upload_fileobj(io.BytesIO(data), bucket, "root/landing/s/big.bin", Config=config)

    (listed,) = lake.list("landing/s/")
    assert listed.etag.endswith("-3"), "three parts: the ETag is not a content md5"
    assert lake.content_hash("landing/s/big.bin") == md5(data)
    with lake.local_copy("landing/s/big.bin") as path:
        assert md5(path.read_bytes()) == md5(data)


def test_etag_is_md5_only_for_single_part_unencrypted_or_sse_s3_objects():
    etag = '"' + md5(b"x") + '"'
    assert etag_is_md5({"ETag": etag})
    assert etag_is_md5({"ETag": etag, "ServerSideEncryption": "AES256"})
    assert not etag_is_md5({"ETag": etag, "ServerSideEncryption": "aws:kms"})
    assert not etag_is_md5({"ETag": etag, "SSECustomerAlgorithm": "AES256"})
    assert not etag_is_md5({"ETag": '"' + md5(b"x") + '-2"'})


def test_staged_write_publishes_only_on_a_clean_exit(lake):
    with lake.staged_write("processed/t/data.parquet") as path:
        path.write_bytes(b"whole")
        assert not lake.exists("processed/t/data.parquet"), "readers must not see the object before the write completes"
    assert lake.read_bytes("processed/t/data.parquet") == b"whole"
    assert not path.exists() and not path.parent.exists(), "the temporary file is removed"


def test_staged_write_that_raises_leaves_nothing(lake):
    with pytest.raises(RuntimeError):
        with lake.staged_write("processed/t/data.parquet") as path:
            path.write_bytes(b"partial")
            raise RuntimeError("crash")
    assert list(lake.list("")) == []
    assert not path.parent.exists()


def test_local_copy_is_removed_on_exit(lake):
    lake.put_bytes("landing/s/a.csv.gz", b"zipped")
    with lake.local_copy("landing/s/a.csv.gz") as path:
        assert path.name == "a.csv.gz", "DuckDB detects formats and compression from the name"
        assert path.read_bytes() == b"zipped"
    assert not path.exists() and not path.parent.exists()


def test_a_key_deleted_after_listing_is_a_file_not_found(lake):
    lake.put_bytes("landing/s/a.csv", b"x")
    (listed,) = lake.list("landing/s/")
    lake.delete(listed.key)
    for read in (lake.read_bytes, lake.content_hash):
        with pytest.raises(FileNotFoundError, match=lake.uri("landing/s/a.csv")):
            read(listed.key)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with lake.local_copy(listed.key):
            pass


def test_keys_cannot_escape_the_lake(lake):
    with pytest.raises(ValueError, match="escapes"):
        lake.put_bytes("../outside.txt", b"x")
    with pytest.raises(ValueError, match="escapes"):
        lake.read_bytes("/landing/a.csv")


def test_parquet_scan_of_an_empty_prefix_is_none(lake):
    assert lake.parquet_scan("processed/t/") is None  # reading Parquet from S3: test_aws_lake.py


def test_open_lake_honours_the_standard_endpoint_variable(endpoint, bucket, monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    lake = open_lake(f"s3://{bucket}/root")
    assert isinstance(lake, S3Lake)
    lake.put_bytes("landing/s/a.csv", b"via the environment")
    assert lake.read_bytes("landing/s/a.csv") == b"via the environment"


# --- S3 event notifications through SQS ---------------------------------------------------------------------


@pytest.fixture
def queue(sqs) -> str:
    return sqs.create_queue(QueueName=f"landing-{uuid.uuid4().hex[:12]}")["QueueUrl"]


def queue_arn(sqs, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queue_counts(sqs, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def aws_record(key: str, event_name: str = "ObjectCreated:Put", bucket: str = "landing-bucket") -> dict:
    """One record exactly as S3 sends it.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
    """
    s3_object = {"key": key, "sequencer": "0055AED6DCD90281E5"}
    if event_name.startswith("ObjectCreated:"):
        s3_object |= {"size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "versionId": "096fKKXTRTtl3on89f"}
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventTime": "2024-01-02T03:04:05.678Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "landing",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZK"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": s3_object,
        },
    }


def test_real_s3_notifications_are_drained_decoded_and_relative_to_the_root(lake, s3, sqs, bucket, queue):
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn(sqs, queue), "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
            ]
        },
    )  # S3 first sends its s3:TestEvent
    key = "landing/s/a file, [v2] +100%.csv"
    lake.put_bytes(key, b"id\n1\n")
    lake.delete(key)
    s3.put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=b"outside the lake root")

    events, handles = drain_s3_events(sqs, queue, root_prefix="root/", wait_seconds=1)
    assert [(e.bucket, e.key, e.event_name) for e in events] == [
        (bucket, key, "ObjectCreated:Put"),
        (bucket, key, "ObjectRemoved:Delete"),
    ]
    created, removed = events
    assert not created.is_removal and removed.is_removal
    assert created.size == 5 and created.etag == md5(b"id\n1\n")
    assert created.event_time.tzinfo is not None
    assert len(handles) == 4, "the test event and the event outside the root are acknowledged too"
    assert queue_counts(sqs, queue) == (0, 4), "drain deletes nothing"

    assert acknowledge(sqs, queue, handles) == []
    assert queue_counts(sqs, queue) == (0, 0)


def test_sns_wrapped_notifications(s3, sqs, bucket, queue):
    sns = boto3.client("sns", endpoint_url=s3.meta.endpoint_url, **CREDENTIALS)
    topic = sns.create_topic(Name=f"landing-{uuid.uuid4().hex[:12]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, queue))  # no raw delivery: an envelope
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]},
    )
    s3.put_object(Bucket=bucket, Key="landing/s/é x.csv", Body=b"x")
    peeked = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert {json.loads(m["Body"])["Type"] for m in peeked} == {"Notification"}

    events, handles = drain_s3_events(sqs, queue)
    assert [(e.key, e.event_name) for e in events] == [("landing/s/é x.csv", "ObjectCreated:Put")]
    assert len(handles) == 2, "the S3 test event, wrapped as well, and the event"


def test_aws_encoded_keys_are_decoded():
    body = json.dumps({"Records": [aws_record("root/landing/s/my+file%2C+v%5B2%5D+%2B1+100%25+%C3%A9.csv")]})
    assert parse_message(body) == [
        S3Event(
            bucket="landing-bucket",
            key="root/landing/s/my file, v[2] +1 100% é.csv",
            size=1024,
            etag="d41d8cd98f00b204e9800998ecf8427e",
            event_name="ObjectCreated:Put",
            event_time=datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
            sequencer="0055AED6DCD90281E5",
        )
    ]


def test_sns_envelope_test_event_removal_and_duplicates(sqs, queue):
    created = json.dumps({"Records": [aws_record("root/landing/s/a+b.csv")]})
    envelope = json.dumps({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:t", "Message": created})
    test_event = json.dumps(
        {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-02T03:04:05.678Z", "Bucket": "b"}
    )
    removed = json.dumps({"Records": [aws_record("root/landing/s/a+b.csv", "ObjectRemoved:Delete")]})
    for body in (created, created, envelope, test_event, removed):
        sqs.send_message(QueueUrl=queue, MessageBody=body)

    events, handles = drain_s3_events(sqs, queue, root_prefix="root")
    assert [e.key for e in events] == ["landing/s/a b.csv"] * 4
    assert events[0] == events[1] == events[2], "a repeated delivery is the same event: run keys dedupe it"
    assert events[3].is_removal and events[3].size is None and events[3].etag is None
    assert len(handles) == 5


def test_malformed_messages_are_logged_and_left_in_the_queue(sqs, queue, caplog):
    good = json.dumps({"Records": [aws_record("landing/s/a.csv")]})
    bad = [
        "not json",
        "[1, 2]",
        json.dumps({"hello": "world"}),
        json.dumps({"Records": [{"eventSource": "aws:s3"}]}),
        json.dumps({"Records": [aws_record("landing/s/b.csv") | {"eventTime": "yesterday"}]}),
    ]
    for body in [good, *bad]:
        sqs.send_message(QueueUrl=queue, MessageBody=body)

    with caplog.at_level(logging.WARNING, logger="qs_platform.lake.notifications"):
        events, handles = drain_s3_events(sqs, queue)
    assert [e.key for e in events] == ["landing/s/a.csv"]
    assert len(handles) == 1
    assert len([r for r in caplog.records if "malformed" in r.getMessage()]) == len(bad)
    acknowledge(sqs, queue, handles)
    assert queue_counts(sqs, queue) == (0, len(bad)), "redelivered after the visibility timeout, then dead-lettered"


def test_drain_stops_at_max_messages_and_acknowledge_deletes_in_batches_of_ten(sqs, queue):
    for i in range(23):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Records": [aws_record(f"landing/s/{i:02}.csv")]}))
    batch_sizes = []
    count_entries = lambda params, **_: batch_sizes.append(len(params["Entries"]))  # noqa: E731
    sqs.meta.events.register("provide-client-params.sqs.DeleteMessageBatch", count_entries)

    events, handles = drain_s3_events(sqs, queue, max_messages=15)
    assert len(events) == len(handles) == 15
    rest, rest_handles = drain_s3_events(sqs, queue)
    assert len(rest_handles) == 8
    assert sorted(e.key for e in events + rest) == [f"landing/s/{i:02}.csv" for i in range(23)]

    assert acknowledge(sqs, queue, handles + rest_handles) == []
    assert batch_sizes == [10, 10, 3]
    assert queue_counts(sqs, queue) == (0, 0)
    assert drain_s3_events(sqs, queue) == ([], [])
    assert acknowledge(sqs, queue, []) == []
