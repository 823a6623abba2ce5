"""The local lake: listing, atomic writes, containment."""

import pytest

from qs_platform.lake import LocalLake, S3Lake, open_lake
from qs_platform.lake.local import STAGING_DIR


def test_staged_write_publishes_atomically(lake):
    with lake.staged_write("processed/t/data.parquet") as path:
        path.write_bytes(b"half")
        assert not lake.exists("processed/t/data.parquet"), "readers must not see the object before the write completes"
    assert lake.read_bytes("processed/t/data.parquet") == b"half"


def test_crash_mid_write_leaves_nothing(lake):
    with pytest.raises(RuntimeError):
        with lake.staged_write("processed/t/data.parquet") as path:
            path.write_bytes(b"partial")
            raise RuntimeError("crash")
    assert not lake.exists("processed/t/data.parquet")
    assert list(lake.list("")) == []
    assert not any((lake.root / STAGING_DIR).iterdir())


def test_list_is_sorted_recursive_and_skips_staging(lake):
    for key in ["landing/s/b.csv", "landing/s/a.csv", "landing/s/2024/c.csv", "landing/other/x.csv"]:
        lake.put_bytes(key, b"x")
    (lake.root / STAGING_DIR / "junk").mkdir(parents=True)
    (lake.root / STAGING_DIR / "junk" / "y.csv").write_bytes(b"y")
    assert [o.key for o in lake.list("landing/s/")] == ["landing/s/2024/c.csv", "landing/s/a.csv", "landing/s/b.csv"]
    assert all(o.size == 1 and o.etag for o in lake.list("landing/s/"))


def test_etag_changes_when_content_is_rewritten(lake):
    lake.put_bytes("landing/s/a.csv", b"one")
    before = next(lake.list("landing/")).etag
    lake.put_bytes("landing/s/a.csv", b"two")
    assert next(lake.list("landing/")).etag != before
    assert lake.content_hash("landing/s/a.csv") == "b8a9f715dbb64fd5c56e7783c6820a61"  # md5("two")


def test_keys_cannot_escape_the_lake(lake):
    with pytest.raises(ValueError, match="escapes"):
        lake.put_bytes("../outside.txt", b"x")


def test_parquet_scan_is_none_without_files(lake):
    assert lake.parquet_scan("raw/nothing/") is None


def test_open_lake_picks_the_lake_by_url(tmp_path):
    assert isinstance(open_lake(str(tmp_path)), LocalLake)
    assert isinstance(open_lake(f"file://{tmp_path}"), LocalLake)
    lake = open_lake("s3://bucket/prefix/")  # makes a client only: no request until it is used
    assert isinstance(lake, S3Lake)
    assert (lake.bucket, lake.root, lake.url) == ("bucket", "prefix", "s3://bucket/prefix")
    assert lake.uri("landing/s/a.csv") == "s3://bucket/prefix/landing/s/a.csv"
