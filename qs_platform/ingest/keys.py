"""File ids: a landed file's key under its source's prefix, in an alphabet safe for lake keys and file names.

Any character outside `A-Za-z0-9._-/` becomes `~XX` (its UTF-8 bytes in hex), so the mapping is reversible and the
original key is never lost: `raw/<source>/<file id>.parquet` holds the records of `<landing prefix><key>`.
"""

from __future__ import annotations

import string

SAFE = frozenset(string.ascii_letters + string.digits + "._-/")


def _encode_segment(segment: str) -> str:
    encoded = "".join(c if c in SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in segment)
    if encoded in ("", ".", ".."):  # never produce path segments that a filesystem would interpret
        encoded = "".join(f"~{b:02X}" for b in segment.encode()) or "~"
    return encoded


def encode_key(relative_key: str) -> str:
    return "/".join(_encode_segment(s) for s in relative_key.split("/"))


def decode_key(file_id: str) -> str:
    def decode(segment: str) -> str:
        if segment == "~":
            return ""
        out, i = bytearray(), 0
        while i < len(segment):
            if segment[i] == "~":
                out.append(int(segment[i + 1 : i + 3], 16))
                i += 3
            else:
                out.extend(segment[i].encode())
                i += 1
        return out.decode()

    return "/".join(decode(s) for s in file_id.split("/"))
