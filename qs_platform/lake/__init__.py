from qs_platform.lake.base import Lake, LakeObject
from qs_platform.lake.local import LocalLake
from qs_platform.lake.s3 import S3Lake


def open_lake(url: str, *, s3_client=None) -> Lake:
    """The lake behind a URL: `s3://bucket/optional/prefix`, or a folder path or file:// URL.

    For S3, `s3_client` (the Dagster layer passes dagster-aws's S3Resource client) or else a client from boto3's
    standard configuration: credentials, region, and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for an S3-compatible
    endpoint.
    """
    if url.startswith("s3://"):
        return S3Lake(url, client=s3_client)
    return LocalLake(url)


__all__ = ["Lake", "LakeObject", "LocalLake", "S3Lake", "open_lake"]
