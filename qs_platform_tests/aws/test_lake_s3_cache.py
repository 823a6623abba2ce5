"""S3 lake: Parquet layers read by DuckDB through an ETag-keyed local cache, and staged writes (moto.server)."""

import os
import time
import uuid

import boto3
import duckdb
import pytest

from qs_platform.lake import S3Lake
from qs_platform.lake.s3 import STALE_CACHE_GRACE_SECONDS


@pytest.fixture
def s3(aws_env):
    return boto3.client("s3")


@pytest.fixture
def lake(s3, tmp_path) -> S3Lake:
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    return S3Lake(f"s3://{bucket}/root", client=s3, cache_dir=tmp_path / "cache")


def parquet_bytes(tmp_path, sql: str) -> bytes:
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    duckdb.execute(f"copy ({sql}) to '{path}' (format parquet)")
    return path.read_bytes()


def scan(lake: S3Lake, prefix: str) -> list[tuple]:
    return duckdb.execute(f"select * from {lake.parquet_scan(prefix)} order by all").fetchall()


def test_parquet_scan_reads_every_parquet_object_by_name(lake, tmp_path):
    lake.put_bytes("processed/t/a=1/data.parquet", parquet_bytes(tmp_path, "select 1 as a, 'x' as b"))
    lake.put_bytes("processed/t/a=2/data.parquet", parquet_bytes(tmp_path, "select 2 as a, 'y' as b, 3.5 as c"))
    lake.put_bytes("processed/t/_manifest.json", b"{}")
    assert scan(lake, "processed/t/") == [(1, "x", None), (2, "y", 3.5)], "union by name, non-Parquet keys ignored"
    assert lake.parquet_scan("processed/none/") is None


def test_unchanged_objects_are_downloaded_once_and_changed_ones_again(lake, tmp_path, monkeypatch):
    lake.put_bytes("raw/s/1.parquet", parquet_bytes(tmp_path, "select 1 as n"))
    gets = []
    original = lake.client.get_object
    monkeypatch.setattr(lake.client, "get_object", lambda **kw: gets.append(kw["Key"]) or original(**kw))
    assert scan(lake, "raw/s/") == [(1,)]
    assert scan(lake, "raw/s/") == [(1,)]
    assert gets == ["root/raw/s/1.parquet"], "the second scan is served from the cache"
    lake.put_bytes("raw/s/1.parquet", parquet_bytes(tmp_path, "select 2 as n"))
    assert scan(lake, "raw/s/") == [(2,)], "a new ETag is downloaded again"
    assert len(gets) == 2


def test_stale_copies_are_removed_after_the_grace_period(lake, tmp_path):
    lake.put_bytes("raw/s/1.parquet", parquet_bytes(tmp_path, "select 1 as n"))
    lake.parquet_scan("raw/s/")
    cached = list((tmp_path / "cache").rglob("*.parquet"))
    assert len(cached) == 1
    lake.delete("raw/s/1.parquet")
    lake.put_bytes("raw/s/2.parquet", parquet_bytes(tmp_path, "select 2 as n"))
    lake.parquet_scan("raw/s/")
    assert cached[0].exists(), "a reader may still be scanning it"
    old = time.time() - STALE_CACHE_GRACE_SECONDS - 1
    os.utime(cached[0], (old, old))
    assert scan(lake, "raw/s/") == [(2,)]
    assert not cached[0].exists()
    assert len(list((tmp_path / "cache").rglob("*.parquet"))) == 1


def test_staged_write_leaves_no_temporary_key_and_publishes_nothing_on_error(lake, s3):
    with pytest.raises(RuntimeError):
        with lake.staged_write("processed/t/data.parquet") as path:
            path.write_bytes(b"half")
            raise RuntimeError("crash while writing")
    assert list(lake.list("")) == []
    with lake.staged_write("processed/t/data.parquet") as path:
        path.write_bytes(b"whole")
        assert list(lake.list("")) == [], "invisible until the upload completes"
    assert [o.key for o in lake.list("")] == ["processed/t/data.parquet"]
    uploads = s3.list_multipart_uploads(Bucket=lake.bucket).get("Uploads", [])
    assert uploads == []


def test_layers_in_buckets_of_their_own(s3, tmp_path):
    from qs_platform.lake.layered import LayeredLake
    from qs_platform.lake.s3 import copy_object

    main, processed = (f"{name}-{uuid.uuid4().hex[:8]}" for name in ("main", "bi"))
    for bucket in (main, processed):
        s3.create_bucket(Bucket=bucket)
    layers = {"processed": S3Lake(f"s3://{processed}/qs", client=s3, cache_dir=tmp_path / "cache")}
    lake = LayeredLake(S3Lake(f"s3://{main}/lake", client=s3, cache_dir=tmp_path / "cache"), layers)

    lake.put_bytes("raw/s/a.parquet", parquet_bytes(tmp_path, "select 1 as n"))
    lake.put_bytes("processed/t/data.parquet", parquet_bytes(tmp_path, "select 2 as n"))

    assert [o["Key"] for o in s3.list_objects_v2(Bucket=processed)["Contents"]] == ["qs/processed/t/data.parquet"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=main)["Contents"]] == ["lake/raw/s/a.parquet"]
    assert (
        lake.uri("processed/t/") == f"s3://{processed}/qs/processed/t/"
        and lake.uri("raw/s/") == f"s3://{main}/lake/raw/s/"
    )
    assert [o.key for o in lake.list("")] == ["processed/t/data.parquet", "raw/s/a.parquet"], (
        "one key space, in key order"
    )
    assert (
        scan(lake, "processed/t/") == [(2,)]
        and lake.exists("processed/t/data.parquet")
        and not lake.exists("raw/t/data.parquet")
    )
    copy_object(lake.lake_for("raw/"), "raw/s/a.parquet", lake.lake_for("processed/"), "processed/t/b.parquet")
    assert scan(lake, "processed/t/") == [(1,), (2,)]
    lake.delete("processed/t/b.parquet")
    assert [o.key for o in lake.list("processed/")] == ["processed/t/data.parquet"]
