"""A lake in an S3 bucket, optionally under a prefix: `s3://bucket/optional/prefix`."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path, PurePosixPath

import boto3
from botocore.exceptions import ClientError

from qs_platform.lake.base import Lake, LakeObject

CHUNK_SIZE = 1 << 20
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
KMS_ENCRYPTION = {"aws:kms", "aws:kms:dsse"}
MAX_LOCAL_NAME_BYTES = 200  # a key segment may be up to 1024 bytes; most filesystems allow 255


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


class S3Lake(Lake):
    list_page_size = 1000  # keys per ListObjectsV2 request (S3's maximum)

    def __init__(self, url: str, *, client=None, endpoint_url: str | None = None, region: str | None = None):
        self.bucket, self.root = parse_s3_url(url)
        self.url = f"s3://{self.bucket}/{self.root}".rstrip("/")
        # With endpoint_url None, boto3 itself honours AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

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
            yield from body.iter_chunks(CHUNK_SIZE)

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
        digest = hashlib.md5()
        for chunk in self._stream(key):
            digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="qs-lake-") as folder:
            path = Path(folder) / local_name(key)
            with open(path, "wb") as handle:
                handle.writelines(self._stream(key))  # one GET: consistent even if the key is overwritten meanwhile
            yield path

    @contextmanager
    def staged_write(self, key: str) -> Iterator[Path]:
        s3_key = self._key(key)
        with tempfile.TemporaryDirectory(prefix="qs-lake-") as folder:
            path = Path(folder) / local_name(key)
            yield path
            # S3 only makes an object visible once its PUT or multipart upload completes.
            self.client.upload_file(str(path), self.bucket, s3_key)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def read_bytes(self, key: str) -> bytes:
        return b"".join(self._stream(key))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # S3 does not mind a missing key

    def parquet_scan(self, prefix: str) -> str | None:
        raise NotImplementedError(
            f"DuckDB cannot scan s3:// without httpfs; reading Parquet layers from {self.uri(prefix)} "
            "comes with the AWS target"
        )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"
