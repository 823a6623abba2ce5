"""A lake in an S3 bucket, optionally under a prefix: `s3://bucket/optional/prefix`."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path, PurePosixPath

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, IncompleteReadError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from qs_platform.lake.base import Lake, LakeObject
from qs_platform.processes import is_alive
from qs_platform.sql.text import sql_string

CHUNK_SIZE = 1 << 20
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
KMS_ENCRYPTION = {"aws:kms", "aws:kms:dsse"}
MAX_LOCAL_NAME_BYTES = 200  # a key segment may be up to 1024 bytes; most filesystems allow 255
CACHE_DIR_VARIABLE = "QS_S3_CACHE_DIR"
STALE_CACHE_GRACE_SECONDS = 900  # a reader may still be scanning a superseded copy for a while
TEMP_PREFIX = "qs-lake-"  # local copies and uploads in flight: qs-lake-<pid>-…, removed when that process is gone
DOWNLOAD_ATTEMPTS = 3


class BrokenBody(BotoCoreError):
    """The body of a GetObject broke off while it was read (connection reset, read timeout, fewer bytes than
    announced). botocore retries requests but not the reading of a body: the lake fetches the object again,
    `DOWNLOAD_ATTEMPTS` tries in all; then this error (an error of the machine: the run fails, the file stays pending)."""

    fmt = "{uri}: the download broke off after {attempts} tries: {error}"


class UploadFailed(BotoCoreError):
    """An upload that S3 refused after botocore's retries. boto3's transfer manager raises its own S3UploadFailedError
    (not a botocore error) around the ClientError: this one names the key and is an error of the machine, so the run
    fails and the file stays pending instead of being taken for a bad file."""

    fmt = "{uri}: the upload failed: {error}"


DEFAULT_MAX_ATTEMPTS = 5  # dagster-aws's S3Resource default; QS_AWS_MAX_ATTEMPTS


def retry_config(max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Config:
    """botocore's standard retry mode, as dagster-aws's S3Resource configures S3: 5xx, SlowDown/throttling, read
    timeouts and connection errors are retried with jittered exponential backoff, `max_attempts` tries in all
    (botocore's `total_max_attempts`; its `max_attempts` counts the retries only)."""
    return Config(retries={"mode": "standard", "total_max_attempts": max_attempts})


def botocore_max_attempts(total_attempts: int) -> int:
    """The `max_attempts` to give dagster-aws's resources for `total_attempts` tries in all: botocore reads that
    field as the number of retries after the first try (dagster-aws's field description says otherwise)."""
    return max(total_attempts - 1, 0)


def clean_dead_temp_files() -> None:
    """Local copies and staged uploads of processes that were killed (a TemporaryDirectory is not removed then)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = folder.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not is_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` → ("bucket", "a/b")."""
    if not url.startswith("s3://"):
        raise ValueError(f"{url!r} is not an s3:// URL")
    bucket, _, root = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"{url!r} has no bucket")
    return bucket, root.strip("/")


def etag_is_md5(head: dict) -> bool:
    """Whether a HeadObject response's ETag is the md5 of the bytes.

    It is not for multipart uploads (`<md5 of part md5s>-<parts>`) nor for SSE-KMS / SSE-C objects.
    """
    etag = head.get("ETag", "").strip('"')
    encrypted = head.get("ServerSideEncryption") in KMS_ENCRYPTION or "SSECustomerAlgorithm" in head
    return bool(MD5_ETAG.match(etag)) and not encrypted


def is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in MISSING_CODES


def local_name(key: str) -> str:
    """A file name for a local copy: the key's own name, so DuckDB still sees `.csv`, `.gz`, …"""
    name = PurePosixPath(key).name
    if len(name.encode()) <= MAX_LOCAL_NAME_BYTES:
        return name
    return "object" + "".join(PurePosixPath(name).suffixes[-2:])[-50:]


def _body_retries() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(BrokenBody),
        stop=stop_after_attempt(DOWNLOAD_ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.05, max=2),
        reraise=True,
    )


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_VARIABLE) or Path(tempfile.gettempdir()) / "qs-platform-s3-cache")


class S3Lake(Lake):
    list_page_size = 1000  # keys per ListObjectsV2 request (S3's maximum)

    def __init__(
        self,
        url: str,
        *,
        client=None,
        endpoint_url: str | None = None,
        region: str | None = None,
        cache_dir: str | Path | None = None,
    ):
        self.bucket, self.root = parse_s3_url(url)
        self.url = f"s3://{self.bucket}/{self.root}".rstrip("/")
        # With endpoint_url None, boto3 itself honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=retry_config())
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        clean_dead_temp_files()

    def _key(self, key: str) -> str:
        """The S3 key of a lake key."""
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"lake key {key!r} escapes the lake root")
        return f"{self.root}/{key}" if self.root else key

    def _relative(self, s3_key: str) -> str:
        return s3_key[len(self.root) + 1 :] if self.root else s3_key

    def _request(self, operation, key: str) -> dict:
        """GetObject or HeadObject on a lake key; a missing object is a FileNotFoundError, as for local files."""
        try:
            return operation(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if is_missing(error):
                raise FileNotFoundError(f"{self.uri(key)} does not exist") from error
            raise

    def _stream(self, key: str) -> Iterator[bytes]:
        with closing(self._request(self.client.get_object, key)["Body"]) as body:
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            except (HTTPClientError, IncompleteReadError) as error:
                raise BrokenBody(uri=self.uri(key), attempts=DOWNLOAD_ATTEMPTS, error=error) from error

    def _download_to(self, key: str, handle) -> None:
        """The object's bytes into `handle` (a binary file, emptied before each try), in one GET; a body broken
        mid-way is fetched again, `DOWNLOAD_ATTEMPTS` tries in all, then the error is raised."""
        for attempt in _body_retries():
            with attempt:
                handle.seek(0)
                handle.truncate()
                handle.writelines(self._stream(key))

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[LakeObject]:
        arguments = {"Bucket": self.bucket, "Prefix": self._key(prefix)}
        if start_after:
            arguments["StartAfter"] = self._key(start_after)
        # botocore asks for url-encoded keys and decodes them, so any character round-trips.
        pages = self.client.get_paginator("list_objects_v2").paginate(
            **arguments, PaginationConfig={"PageSize": self.list_page_size}
        )
        for page in pages:
            for item in page.get("Contents", []):
                if item["Key"].endswith("/"):  # a "folder" made by the console, not a file
                    continue
                yield LakeObject(
                    self._relative(item["Key"]),
                    item["Size"],
                    item["LastModified"].timestamp(),
                    item["ETag"].strip('"'),
                )

    def stat(self, key: str) -> LakeObject | None:
        try:
            head = self._request(self.client.head_object, key)
        except FileNotFoundError:
            return None
        return LakeObject(key, head["ContentLength"], head["LastModified"].timestamp(), head["ETag"].strip('"'))

    def exists(self, key: str) -> bool:
        try:
            self._request(self.client.head_object, key)
        except FileNotFoundError:
            return False
        return True

    def content_hash(self, key: str) -> str:
        head = self._request(self.client.head_object, key)
        if etag_is_md5(head):
            return head["ETag"].strip('"')
        for attempt in _body_retries():
            with attempt:
                digest = hashlib.md5()
                for chunk in self._stream(key):
                    digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as folder:
            path = Path(folder) / local_name(key)
            with open(path, "wb") as handle:
                self._download_to(key, handle)  # one GET: consistent even if the key is overwritten meanwhile
            yield path

    @contextmanager
    def staged_write(self, key: str) -> Iterator[Path]:
        """The file is written locally and uploaded straight to `key`: no temporary S3 key exists at any time.

        S3 makes an object visible only once its PUT or multipart upload completes, and s3transfer aborts a failed
        multipart upload, so readers never see part of an object and nothing is left behind.
        """
        s3_key = self._key(key)
        with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as folder:
            path = Path(folder) / local_name(key)
            yield path
            try:
                self.client.upload_file(str(path), self.bucket, s3_key)
            except S3UploadFailedError as error:
                # the ClientError's text (code, retries, message) with the lake URI: the one line a failed run reports
                raise UploadFailed(uri=self.uri(key), error=error.__cause__ or error.__context__ or error) from None

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def read_bytes(self, key: str) -> bytes:
        buffer = io.BytesIO()
        self._download_to(key, buffer)
        return buffer.getvalue()

    def download(self, key: str, path: str | Path) -> None:
        self.client.download_file(self.bucket, self._key(key), str(path))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # S3 does not mind a missing key

    def parquet_scan(self, prefix: str, *, file_row_number: bool = False) -> str | None:
        """`read_parquet([...])` over local copies of every Parquet object under `prefix`, kept in an ETag-keyed cache.

        Why a cache of local files rather than DuckDB's httpfs or pyarrow's S3 filesystem: httpfs is not bundled with
        DuckDB 2.0 and would be downloaded at run time; pyarrow's S3FileSystem needs its own endpoint/credential
        configuration (it does not follow botocore's chain and AWS_ENDPOINT_URL the same way) and re-reads every
        file on every scan. Through boto3 everything honours the standard AWS settings, and an unchanged object
        (same ETag) is never downloaded twice: layers are re-read by every run downstream of them.
        """
        objects = [o for o in self.list(prefix) if o.key.endswith(".parquet")]
        if not objects:
            return None
        folder = self._cache_folder(prefix)
        paths = [self._cached(folder, o.key, o.etag) for o in objects]
        self._drop_stale(folder, set(paths))
        files = ", ".join(sql_string(str(p)) for p in paths)
        numbered = ", file_row_number = true" if file_row_number else ""
        return f"read_parquet([{files}], union_by_name = true, hive_partitioning = false{numbered})"

    def _cache_folder(self, prefix: str) -> Path:
        scope = hashlib.sha256(f"{self.bucket}/{self._key(prefix)}".encode()).hexdigest()[:24]
        folder = self.cache_dir / self.bucket / scope
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _cached(self, folder: Path, key: str, etag: str) -> Path:
        """The local copy of `key` at `etag`, downloaded only when absent; its mtime records the last use."""
        name = hashlib.sha256(key.encode()).hexdigest()[:32] + "-" + re.sub(r"[^0-9A-Za-z-]", "", etag) + ".parquet"
        path = folder / name
        if path.exists():
            os.utime(path)
            return path
        partial = folder / f".{name}.{uuid.uuid4().hex}.part"
        try:
            with open(partial, "wb") as handle:
                self._download_to(key, handle)
            os.replace(partial, path)  # concurrent readers see a whole file or none
        finally:
            partial.unlink(missing_ok=True)
        return path

    @staticmethod
    def _drop_stale(folder: Path, current: set[Path]) -> None:
        """Copies of changed or deleted objects, once no scan has returned them for a grace period."""
        for path in folder.iterdir():
            if path in current:
                continue
            try:
                if time.time() - path.stat().st_mtime > STALE_CACHE_GRACE_SECONDS:
                    path.unlink()
            except FileNotFoundError:
                pass

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def copy_object(source: S3Lake, source_key: str, target: S3Lake, target_key: str) -> None:
    """A server-side copy between two S3 lakes (or within one); multipart above the transfer threshold, so any size."""
    target.client.copy(
        {"Bucket": source.bucket, "Key": source._key(source_key)}, target.bucket, target._key(target_key)
    )
