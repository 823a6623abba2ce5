"""What every declaration shares: strict frozen models with a version hash, identifiers, column-name
normalisation and key templates."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from pydantic import BaseModel, ConfigDict

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
DASHBOARD_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
PLATFORM_FOLDERS = ("raw", "processed", "quarantine", "ledger")  # written by the platform, never landed into
COLUMN_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"  # an output column named in lake keys (partitions) as well as in SQL


def lake_folder(prefix: str) -> str:
    """A folder of the lake, `a/b/`: relative, each segment a plain name, so that no key below it leaves the lake
    or lands in another layer."""
    segments = prefix.removesuffix("/").split("/")
    if prefix.startswith("/") or any(s in ("", ".", "..") for s in segments) or any(c in prefix for c in "\\\0\n\r"):
        raise ValueError(f"expected a relative folder of plain names such as landing/<source>/, got {prefix!r}")
    if segments[0] in PLATFORM_FOLDERS or segments[0].startswith((".", "_")):
        raise ValueError(
            f"{prefix!r} is inside the platform's own {segments[0]}/ folder: landed files go elsewhere (landing/<source>/)"
        )
    return prefix if prefix.endswith("/") else prefix + "/"


def template_regex(template: str) -> re.Pattern:
    """A key template such as `{yyyy}/{mm}/{name}` as a regex (for `fullmatch`) with one named group per field; a
    field never spans a `/`."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def version(self) -> str:
        """A short hash of the declaration: the Dagster code version of the asset built from it."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8192)  # asked for every declared name and alias of every landed file
def normalise_column_name(name: str) -> str:
    """`Service Division Owner` / `serviceDivisionOwner` -> `service_division_owner`; `Prénom` -> `prenom`.

    Letters with accents lose them; other non-ASCII letters and digits become their code point (`名前` ->
    `u540d_u524d`), so distinct names stay distinct and every name is a plain SQL/Athena identifier.
    """
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    folded = "".join(
        c if c.isascii() else f"_u{ord(c):04x}_" if c.isalnum() else "" if unicodedata.combining(c) else "_"
        for c in unicodedata.normalize("NFKD", name)
    )
    name = re.sub(r"[^0-9a-zA-Z]+", "_", folded).strip("_").lower()
    return f"c_{name}" if name[:1].isdigit() else name or "unnamed"
