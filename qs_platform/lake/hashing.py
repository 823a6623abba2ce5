"""Content identity of landed files: one streamed read, xxHash3-128 (fast enough to be free next to parsing).

A `.gz` file is also decompressed while it is hashed, so a truncated or corrupt archive (wrong CRC or length) is
found before anything is loaded from it: DuckDB's gzip reader does not check the trailer.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import xxhash

CHUNK = 1 << 20
BUFFER = 1 << 18  # read into one buffer that stays in the CPU's cache: a fifth faster than 1 MB reads


class CorruptCompression(ValueError):
    pass


def file_digest(path: str | Path) -> str:
    """xxh3-128 hex digest of the file's bytes; CorruptCompression for a `.gz` that does not decompress cleanly."""
    if str(path).endswith(".gz"):
        return _gzip_digest(path)
    digest, buffer = xxhash.xxh3_128(), bytearray(BUFFER)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def _gzip_digest(path: str | Path) -> str:
    digest, gzip_check = xxhash.xxh3_128(), _GzipCheck()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            gzip_check.feed(chunk)
    gzip_check.finish()
    return digest.hexdigest()


class _GzipCheck:
    """Decompresses every member of a gzip stream; zlib checks each member's CRC-32 and length."""

    def __init__(self):
        self._decompressor = None  # the member being read; None between members
        self._bytes = 0

    def feed(self, data: bytes) -> None:
        self._bytes += len(data)
        try:
            while data:
                if self._decompressor is None:
                    if not data.strip(b"\0"):  # zero padding after the last member, as gzip tolerates
                        return
                    self._decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                self._decompressor.decompress(data, CHUNK)
                if self._decompressor.eof:
                    data, self._decompressor = self._decompressor.unused_data, None
                else:
                    data = self._decompressor.unconsumed_tail
        except zlib.error as error:
            raise CorruptCompression(f"corrupt gzip data: {error}") from error

    def finish(self) -> None:
        if self._bytes == 0:
            raise CorruptCompression("empty file: not a gzip archive")
        if self._decompressor is not None:
            raise CorruptCompression("truncated gzip data: the archive ends inside a member")
