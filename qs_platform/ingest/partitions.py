"""One dynamic partition per landed file, with keys in an alphabet the Dagster UI handles well.

A partition key is the file's path under its landing prefix; any character outside `A-Za-z0-9._-/` becomes
`~XX` (its UTF-8 bytes in hex), so the mapping is reversible and the original key is never lost.
"""

from __future__ import annotations

import string

SAFE = frozenset(string.ascii_letters + string.digits + "._-/")


def _encode_segment(segment: str) -> str:
    encoded = "".join(c if c in SAFE else "".join(f"~{b:02X}" for b in c.encode()) for c in segment)
    if encoded in ("", ".", ".."):  # never produce path segments that a filesystem would interpret
        encoded = "".join(f"~{b:02X}" for b in segment.encode()) or "~"
    return encoded


def partition_key_for(relative_key: str) -> str:
    return "/".join(_encode_segment(s) for s in relative_key.split("/"))


def relative_key_for(partition_key: str) -> str:
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

    return "/".join(decode(s) for s in partition_key.split("/"))


def partitions_def_name(source_name: str) -> str:
    return f"{source_name}_files"
