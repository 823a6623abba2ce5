"""The materialization metadata each kind of asset writes, as typed records shared by writer and reader.

The assets write `to_metadata()`; `qs-platform sync` (and anything else reading a materialization) reads
`Summary.of(asset_key, metadata)`, so a key's name lives in one place and nothing probes bare metadata keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import dagster as dg


def _plain(value):
    return getattr(value, "value", value)  # MetadataValue -> its value


@dataclass
class RawRun:
    """What one raw run did with its group of files."""

    files: int = 0
    files_loaded: int = 0
    files_quarantined: int = 0
    files_unchanged: int = 0
    archives_expanded: int = 0
    input_rows: int = 0
    loaded_rows: int = 0
    rejected_rows: int = 0
    quarantined_files: dict[str, str] = field(default_factory=dict)  # key -> reason (first 100)

    def to_metadata(self) -> dict:
        metadata = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "quarantined_files"}
        if self.quarantined_files:
            metadata["quarantined_files"] = dg.MetadataValue.json(self.quarantined_files)
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict) -> RawRun:
        return cls(**{f.name: _plain(metadata[f.name]) for f in fields(cls) if f.name in metadata})

    def summary(self) -> str:
        parts = [f"{self.files} files: {self.files_loaded} loaded"]
        parts += [
            f"{n} {label}"
            for n, label in (
                (self.files_quarantined, "quarantined"),
                (self.files_unchanged, "unchanged"),
                (self.archives_expanded, "archives expanded"),
            )
            if n
        ]
        return ", ".join(parts) + f"; {self.loaded_rows} rows loaded, {self.rejected_rows} quarantined"


@dataclass
class TableBuild:
    """A processed table's new version (and, partitioned, which partitions were rewritten)."""

    row_count: int = 0
    published: bool = True
    partition_mode: str = ""  # full | incremental ('' when not partitioned)
    partition_reason: str = ""
    partitions: int = 0
    partitions_rewritten: int = 0

    def to_metadata(self) -> dict:
        metadata = {"dagster/row_count": self.row_count, "published": self.published}
        if self.partition_mode:
            metadata.update(
                {
                    "partition_mode": self.partition_mode,
                    "partition_reason": self.partition_reason,
                    "partitions": self.partitions,
                    "partitions_rewritten": self.partitions_rewritten,
                }
            )
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict) -> TableBuild:
        values = {f.name: _plain(metadata[f.name]) for f in fields(cls) if f.name in metadata}
        return cls(
            row_count=_plain(metadata.get("dagster/row_count", 0)),
            **{k: v for k, v in values.items() if k != "row_count"},
        )

    def summary(self) -> str:
        if self.partition_mode:
            return (
                f"{self.row_count} rows, {self.partitions_rewritten} of {self.partitions} partitions rewritten "
                f"({self.partition_reason})"
            )
        return f"{self.row_count} rows" + ("" if self.published else ", NOT published (a blocking check failed)")


@dataclass
class Deployment:
    """A QuickSight resource made to match its declaration: created, updated or unchanged, and what changed."""

    action: str = ""
    changes: list[str] = field(default_factory=list)

    def to_metadata(self) -> dict:
        return {"action": self.action, "changes": list(self.changes)}

    @classmethod
    def from_metadata(cls, metadata: dict) -> Deployment:
        return cls(_plain(metadata.get("action", "")), list(_plain(metadata.get("changes", [])) or []))

    def summary(self) -> str:
        return self.action


@dataclass
class CatalogEntry:
    row_count: int = 0

    def to_metadata(self) -> dict:
        return {"dagster/row_count": self.row_count}

    @classmethod
    def from_metadata(cls, metadata: dict) -> CatalogEntry:
        return cls(_plain(metadata.get("dagster/row_count", 0)))

    def summary(self) -> str:
        return f"{self.row_count} rows"


KINDS = {"raw": RawRun, "processed": TableBuild, "quicksight": Deployment, "catalog": CatalogEntry}


def summary_of(asset_key: dg.AssetKey, metadata: dict):
    """The typed record of a materialization, by the kind of asset (its key's first part); None for other kinds."""
    kind = KINDS.get(asset_key.path[0])
    return kind.from_metadata(metadata) if kind else None
