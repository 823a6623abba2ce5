from qs_platform.lake.base import Lake, LakeObject
from qs_platform.lake.local import LocalLake


def open_lake(url: str) -> Lake:
    """The lake behind a URL: a folder path or file:// URL now; s3:// arrives with the AWS target."""
    if url.startswith("s3://"):
        raise NotImplementedError(f"{url}: S3 lakes are not implemented yet; use a local folder")
    return LocalLake(url)


__all__ = ["Lake", "LakeObject", "LocalLake", "open_lake"]
