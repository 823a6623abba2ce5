"""A local stand-in for Amazon QuickSight that answers real ``boto3.client("quicksight")`` calls.

The backend is a botocore ``before-call`` handler: botocore validates and serialises every request
against the real service model first, then the handler answers it from a SQLite store and returns
``(http_response_stub, parsed_response)`` so no HTTP request is ever made. Errors come back as
error responses, so botocore itself raises its modeled exception classes
(``client.exceptions.ResourceNotFoundException`` ...), exactly as against AWS.

Because no request reaches botocore's endpoint, botocore's own retry loop never runs locally:
an injected ``ThrottlingException`` reaches the caller on the first attempt.

Store layout (one SQLite file, WAL mode, one short transaction per call, safe across processes):
``resources`` holds every data source, dataset, ingestion, dashboard and dashboard version as a
JSON body keyed by ARN; ``tags`` holds resource tags; ``calls`` is the call log.
"""

from __future__ import annotations

import base64
import copy
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.config import Config
from botocore.utils import parse_to_aware_datetime
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

_PARAMS_KEY = "local_quicksight_api_params"
_DEFAULT_PAGE_SIZE = 100
_BUSY_TIMEOUT_SECONDS = 30.0
_MUTATING_PREFIXES = ("Create", "Update", "Delete", "Tag", "Untag")
_REDACTED_PARAMS = ("Credentials",)

_ERROR_HTTP_STATUS = {
    "AccessDeniedException": 401,
    "ResourceNotFoundException": 404,
    "ResourceExistsException": 409,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "InvalidParameterValueException": 400,
    "InvalidNextTokenException": 400,
    "UnsupportedOperationException": 400,
}


class _ApiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _not_found(what: str, ident: str) -> _ApiError:
    return _ApiError("ResourceNotFoundException", f"{what} {ident} does not exist.")


# --------------------------------------------------------------------------- JSON codec


def _encode_special(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, Decimal):  # botocore accepts Decimal for doubles and parses them back as float
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"Cannot store a {type(value).__name__} in the local QuickSight store")


def _decode_special(obj: dict) -> Any:
    if obj.keys() == {"__datetime__"}:
        return datetime.fromisoformat(obj["__datetime__"])
    if obj.keys() == {"__bytes__"}:
        return base64.b64decode(obj["__bytes__"])
    return obj


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_encode_special)


def _loads(text: str) -> Any:
    return json.loads(text, object_hook=_decode_special)


# --------------------------------------------------------------------------- SQLite store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    body TEXT NOT NULL,
    pending_reads INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (kind, parent, seq);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    mutating INTEGER NOT NULL,
    params TEXT NOT NULL,
    error TEXT,
    at TEXT NOT NULL
);
"""


class _Tx:
    """Store operations inside one open transaction.

    ``parent`` is the ``region:account`` scope for top-level resources and the parent ARN for
    ingestions and dashboard versions. ``pending_reads`` counts the describes that must still
    see a resource as in progress (strict mode).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def get(self, arn: str) -> dict | None:
        row = self.conn.execute("SELECT body FROM resources WHERE arn = ?", (arn,)).fetchone()
        return _loads(row[0]) if row else None

    def observe(self, arn: str) -> tuple[dict, bool]:
        """Read a resource for a describe: returns (body, still_in_progress) and uses up one pending read."""
        body, pending = self.conn.execute(
            "SELECT body, pending_reads FROM resources WHERE arn = ?", (arn,)
        ).fetchone()
        if pending:
            self.conn.execute("UPDATE resources SET pending_reads = pending_reads - 1 WHERE arn = ?", (arn,))
        return _loads(body), pending > 0

    def children(self, kind: str, parent: str) -> list[tuple[dict, bool]]:
        """All resources of a kind under a parent, oldest first, as (body, still_in_progress)."""
        rows = self.conn.execute(
            "SELECT body, pending_reads FROM resources WHERE kind = ? AND parent = ? ORDER BY seq",
            (kind, parent),
        )
        return [(_loads(body), pending > 0) for body, pending in rows]

    def insert(self, arn: str, kind: str, parent: str, body: dict, pending_reads: int = 0) -> None:
        self.conn.execute(
            "INSERT INTO resources (arn, kind, parent, body, pending_reads) VALUES (?, ?, ?, ?, ?)",
            (arn, kind, parent, _dumps(body), pending_reads),
        )

    def update(self, arn: str, body: dict, pending_reads: int | None = None) -> None:
        """Replace a resource's body; `pending_reads` (strict mode) makes the change asynchronous again."""
        if pending_reads is None:
            self.conn.execute("UPDATE resources SET body = ? WHERE arn = ?", (_dumps(body), arn))
        else:
            self.conn.execute("UPDATE resources SET body = ?, pending_reads = ? WHERE arn = ?", (_dumps(body), pending_reads, arn))

    def delete(self, arn: str) -> None:
        """Delete a resource with its children and all their tags."""
        doomed = [arn] + [r[0] for r in self.conn.execute("SELECT arn FROM resources WHERE parent = ?", (arn,))]
        self.conn.executemany("DELETE FROM resources WHERE arn = ?", [(a,) for a in doomed])
        self.conn.executemany("DELETE FROM tags WHERE arn = ?", [(a,) for a in doomed])

    def tags(self, arn: str) -> list[dict]:
        rows = self.conn.execute("SELECT key, value FROM tags WHERE arn = ? ORDER BY rowid", (arn,))
        return [{"Key": key, "Value": value} for key, value in rows]

    def set_tags(self, arn: str, tags: list[dict]) -> None:
        self.conn.executemany(
            "INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
            [(arn, t["Key"], t["Value"]) for t in tags],
        )

    def remove_tags(self, arn: str, keys: list[str]) -> None:
        self.conn.executemany("DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys])

    def log_call(self, operation: str, params: dict, error: str | None, at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO calls (operation, mutating, params, error, at) VALUES (?, ?, ?, ?, ?)",
            (operation, _is_mutating(operation), _dumps(params), error, at.isoformat()),
        )


class _Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._enable_wal()
        with self.transaction() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.conn.execute(statement)

    @retry(
        retry=retry_if_exception(lambda e: isinstance(e, sqlite3.OperationalError) and "locked" in str(e)),
        wait=wait_exponential(multiplier=0.05, max=1),
        stop=stop_after_delay(_BUSY_TIMEOUT_SECONDS),
        reraise=True,
    )
    def _enable_wal(self) -> None:
        """Switch to WAL once per file. The switch needs an exclusive lock and does not wait on the busy timeout,
        so it is skipped when already done and retried when another process holds the file."""
        conn = self._connect()
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One short write transaction; IMMEDIATE so concurrent writers queue on the busy timeout
        instead of failing when a read lock would have to be upgraded."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def read_calls(self) -> list[dict]:
        conn = self._connect()
        try:
            rows = conn.execute("SELECT operation, mutating, params, error, at FROM calls ORDER BY seq").fetchall()
        finally:
            conn.close()
        return [
            {"operation": op, "mutating": bool(mut), "params": _loads(params), "at": at, "error": error}
            for op, mut, params, error, at in rows
        ]


# --------------------------------------------------------------------------- request context


@dataclass
class _Ctx:
    tx: _Tx
    account_id: str
    region: str
    strict: bool
    now: datetime
    ingestion_error: dict | None = None  # ErrorInfo every new ingestion ends with (FAILED), to test failure handling
    version_errors: tuple = ()  # Version.Errors every new dashboard version ends with (CREATION_FAILED), likewise

    @property
    def scope(self) -> str:
        return f"{self.region}:{self.account_id}"

    @property
    def pending_reads(self) -> int:
        """How many describes see a new asynchronous resource as still in progress."""
        return 1 if self.strict else 0

    def arn(self, resource_type: str, *path: str) -> str:
        return f"arn:aws:quicksight:{self.region}:{self.account_id}:{resource_type}/{'/'.join(path)}"


def _is_mutating(operation: str) -> bool:
    return operation.startswith(_MUTATING_PREFIXES)


def _without(params: dict, *keys: str) -> dict:
    return {k: v for k, v in params.items() if k not in keys}


def _require(ctx: _Ctx, arn: str, what: str, ident: str) -> dict:
    body = ctx.tx.get(arn)
    if body is None:
        raise _not_found(what, ident)
    return body


def _ensure_absent(ctx: _Ctx, arn: str, what: str, ident: str) -> None:
    if ctx.tx.get(arn) is not None:
        raise _ApiError("ResourceExistsException", f"{what} {ident} already exists.")


def _paginate(items: list, params: dict) -> tuple[list, dict]:
    """Slice a full listing by MaxResults/NextToken; returns (page, {"NextToken": ...} or {})."""
    offset = _decode_token(params["NextToken"]) if params.get("NextToken") else 0
    size = params.get("MaxResults") or _DEFAULT_PAGE_SIZE
    page = items[offset : offset + size]
    more = offset + size < len(items)
    return page, ({"NextToken": _encode_token(offset + size)} if more else {})


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode("ascii")


def _decode_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))["offset"]
    except (ValueError, KeyError, TypeError):
        raise _ApiError("InvalidNextTokenException", f"NextToken {token!r} is not valid.") from None
    if not isinstance(offset, int) or offset < 0:
        raise _ApiError("InvalidNextTokenException", f"NextToken {token!r} is not valid.")
    return offset


def _apply_permission_changes(current: list[dict], grant: list[dict], revoke: list[dict]) -> list[dict]:
    actions: dict[str, list[str]] = {p["Principal"]: list(p["Actions"]) for p in current}
    for p in grant:
        held = actions.setdefault(p["Principal"], [])
        held.extend(a for a in p["Actions"] if a not in held)
    for p in revoke:
        if p["Principal"] in actions:
            actions[p["Principal"]] = [a for a in actions[p["Principal"]] if a not in p["Actions"]]
    return [{"Principal": who, "Actions": acts} for who, acts in actions.items() if acts]


# --------------------------------------------------------------------------- data sources

_DATA_SOURCE_NON_SPEC = ("AwsAccountId", "DataSourceId", "Permissions", "Tags", "FolderArns", "Credentials")


def _data_source(ctx: _Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("datasource", params["DataSourceId"])
    return arn, _require(ctx, arn, "Data source", params["DataSourceId"])


def _data_source_view(body: dict, in_progress: bool = False) -> dict:
    """A data source as described; strict mode shows a new or updated one in progress on its first describe."""
    status = body["Status"].replace("SUCCESSFUL", "IN_PROGRESS") if in_progress else body["Status"]
    return {
        "Arn": body["Arn"],
        "DataSourceId": body["DataSourceId"],
        **body["Spec"],
        "Status": status,
        "CreatedTime": body["CreatedTime"],
        "LastUpdatedTime": body["LastUpdatedTime"],
    }


def _create_data_source(ctx: _Ctx, p: dict) -> dict:
    ident = p["DataSourceId"]
    arn = ctx.arn("datasource", ident)
    _ensure_absent(ctx, arn, "Data source", ident)
    body = {
        "Arn": arn,
        "DataSourceId": ident,
        "Spec": _without(p, *_DATA_SOURCE_NON_SPEC),
        "Status": "CREATION_SUCCESSFUL",
        "Permissions": p.get("Permissions", []),
        "CreatedTime": ctx.now,
        "LastUpdatedTime": ctx.now,
    }
    ctx.tx.insert(arn, "datasource", ctx.scope, body, pending_reads=ctx.pending_reads)
    ctx.tx.set_tags(arn, p.get("Tags", []))
    return {"Arn": arn, "DataSourceId": ident, "CreationStatus": "CREATION_IN_PROGRESS" if ctx.strict else body["Status"]}


def _describe_data_source(ctx: _Ctx, p: dict) -> dict:
    arn, _ = _data_source(ctx, p)
    return {"DataSource": _data_source_view(*ctx.tx.observe(arn))}


def _update_data_source(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_source(ctx, p)
    body["Spec"].update(_without(p, *_DATA_SOURCE_NON_SPEC))
    body.update(Status="UPDATE_SUCCESSFUL", LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, body, pending_reads=ctx.pending_reads)
    return {"Arn": arn, "DataSourceId": body["DataSourceId"], "UpdateStatus": "UPDATE_IN_PROGRESS" if ctx.strict else body["Status"]}


def _delete_data_source(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_source(ctx, p)
    ctx.tx.delete(arn)
    return {"Arn": arn, "DataSourceId": body["DataSourceId"]}


def _list_data_sources(ctx: _Ctx, p: dict) -> dict:
    views = [_data_source_view(body, pending) for body, pending in ctx.tx.children("datasource", ctx.scope)]
    page, token = _paginate(views, p)
    return {"DataSources": page, **token}


def _describe_data_source_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_source(ctx, p)
    return {"DataSourceArn": arn, "DataSourceId": body["DataSourceId"], "Permissions": body["Permissions"]}


def _update_data_source_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_source(ctx, p)
    body["Permissions"] = _apply_permission_changes(
        body["Permissions"], p.get("GrantPermissions", []), p.get("RevokePermissions", [])
    )
    ctx.tx.update(arn, body)
    return {"DataSourceArn": arn, "DataSourceId": body["DataSourceId"]}


# --------------------------------------------------------------------------- datasets

_DATA_SET_NON_SPEC = ("AwsAccountId", "DataSetId", "Permissions", "Tags", "FolderArns")
_CREATE_ONLY_DATA_SET_FIELDS = ("UseAs",)
_OUTPUT_COLUMN_TYPES = {"BIT": "INTEGER", "BOOLEAN": "INTEGER", "JSON": "STRING", "SEMISTRUCT": "STRING"}


def _data_set(ctx: _Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("dataset", params["DataSetId"])
    return arn, _require(ctx, arn, "Data set", params["DataSetId"])


def _data_set_view(body: dict) -> dict:
    spec = body["Spec"]
    return {
        "Arn": body["Arn"],
        "DataSetId": body["DataSetId"],
        **spec,
        "CreatedTime": body["CreatedTime"],
        "LastUpdatedTime": body["LastUpdatedTime"],
        "OutputColumns": _output_columns(spec),
        "ConsumedSpiceCapacityInBytes": 0,
    }


def _data_set_summary(body: dict) -> dict:
    spec = body["Spec"]
    summary = {
        "Arn": body["Arn"],
        "DataSetId": body["DataSetId"],
        "Name": spec["Name"],
        "CreatedTime": body["CreatedTime"],
        "LastUpdatedTime": body["LastUpdatedTime"],
        "ImportMode": spec["ImportMode"],
        "RowLevelPermissionTagConfigurationApplied": "RowLevelPermissionTagConfiguration" in spec,
        "ColumnLevelPermissionRulesApplied": bool(spec.get("ColumnLevelPermissionRules")),
    }
    for optional in ("RowLevelPermissionDataSet", "UseAs"):
        if optional in spec:
            summary[optional] = spec[optional]
    return summary


def _output_columns(spec: dict) -> list[dict]:
    """Approximates the columns AWS derives: physical input columns followed through the root
    logical tables' joins, projections, renames, casts and calculated columns."""
    physical = {tid: _physical_columns(table) for tid, table in spec["PhysicalTableMap"].items()}
    logical = spec.get("LogicalTableMap") or {}
    if not logical:
        return [column for columns in physical.values() for column in columns]
    joined = {
        operand
        for table in logical.values()
        for key in ("LeftOperand", "RightOperand")
        if (operand := table["Source"].get("JoinInstruction", {}).get(key))
    }
    roots = [tid for tid in logical if tid not in joined]
    return [column for root in roots for column in _logical_columns(root, logical, physical, set())]


def _physical_columns(table: dict) -> list[dict]:
    source = next(iter(table.values()), {})
    columns = source.get("InputColumns") or source.get("Columns") or []
    return [{"Name": c["Name"], "Type": _OUTPUT_COLUMN_TYPES.get(c["Type"], c["Type"])} for c in columns]


def _logical_columns(tid: str, logical: dict, physical: dict, seen: set[str]) -> list[dict]:
    if tid in seen or tid not in logical:
        return []
    seen.add(tid)
    source = logical[tid]["Source"]
    if "PhysicalTableId" in source:
        columns = [dict(c) for c in physical.get(source["PhysicalTableId"], [])]
    elif "JoinInstruction" in source:
        join = source["JoinInstruction"]
        columns = _logical_columns(join["LeftOperand"], logical, physical, seen)
        columns += _logical_columns(join["RightOperand"], logical, physical, seen)
    else:
        columns = []
    for transform in logical[tid].get("DataTransforms", []):
        columns = _apply_transform(columns, transform)
    return columns


def _apply_transform(columns: list[dict], transform: dict) -> list[dict]:
    if "ProjectOperation" in transform:
        by_name = {c["Name"]: c for c in columns}
        return [by_name.get(name, {"Name": name}) for name in transform["ProjectOperation"]["ProjectedColumns"]]
    if "RenameColumnOperation" in transform:
        op = transform["RenameColumnOperation"]
        return [{**c, "Name": op["NewColumnName"]} if c["Name"] == op["ColumnName"] else c for c in columns]
    if "CastColumnTypeOperation" in transform:
        op = transform["CastColumnTypeOperation"]
        return [{**c, "Type": op["NewColumnType"]} if c["Name"] == op["ColumnName"] else c for c in columns]
    if "CreateColumnsOperation" in transform:
        return columns + [{"Name": c["ColumnName"]} for c in transform["CreateColumnsOperation"]["Columns"]]
    return columns


def _start_ingestion(ctx: _Ctx, data_set_arn: str, ingestion_id: str, request_type: str) -> dict:
    arn = f"{data_set_arn}/ingestion/{ingestion_id}"
    error = ctx.ingestion_error
    body = {
        "Arn": arn,
        "IngestionId": ingestion_id,
        "FinalStatus": "FAILED" if error else "COMPLETED",
        "RequestSource": "MANUAL",
        "RequestType": request_type,
        "CreatedTime": ctx.now,
        **({"ErrorInfo": error} if error else {}),
    }
    ctx.tx.insert(arn, "ingestion", data_set_arn, body, pending_reads=ctx.pending_reads)
    return body


def _spice_ingestion_fields(ctx: _Ctx, arn: str, spec: dict, request_type: str) -> dict:
    """SPICE datasets get an ingestion on create and update, as on AWS."""
    if spec["ImportMode"] != "SPICE":
        return {}
    ingestion = _start_ingestion(ctx, arn, str(uuid.uuid4()), request_type)
    return {"IngestionArn": ingestion["Arn"], "IngestionId": ingestion["IngestionId"]}


def _create_data_set(ctx: _Ctx, p: dict) -> dict:
    ident = p["DataSetId"]
    arn = ctx.arn("dataset", ident)
    _ensure_absent(ctx, arn, "Data set", ident)
    spec = _without(p, *_DATA_SET_NON_SPEC)
    body = {
        "Arn": arn,
        "DataSetId": ident,
        "Spec": spec,
        "Permissions": p.get("Permissions", []),
        "CreatedTime": ctx.now,
        "LastUpdatedTime": ctx.now,
    }
    ctx.tx.insert(arn, "dataset", ctx.scope, body)
    ctx.tx.set_tags(arn, p.get("Tags", []))
    return {"Arn": arn, "DataSetId": ident, **_spice_ingestion_fields(ctx, arn, spec, "INITIAL_INGESTION")}


def _describe_data_set(ctx: _Ctx, p: dict) -> dict:
    _, body = _data_set(ctx, p)
    return {"DataSet": _data_set_view(body)}


def _update_data_set(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_set(ctx, p)
    kept = {k: body["Spec"][k] for k in _CREATE_ONLY_DATA_SET_FIELDS if k in body["Spec"]}
    body["Spec"] = {**kept, **_without(p, *_DATA_SET_NON_SPEC)}
    body["LastUpdatedTime"] = ctx.now
    ctx.tx.update(arn, body)
    return {"Arn": arn, "DataSetId": body["DataSetId"], **_spice_ingestion_fields(ctx, arn, body["Spec"], "EDIT")}


def _delete_data_set(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_set(ctx, p)
    ctx.tx.delete(arn)
    return {"Arn": arn, "DataSetId": body["DataSetId"]}


def _list_data_sets(ctx: _Ctx, p: dict) -> dict:
    summaries = [_data_set_summary(body) for body, _ in ctx.tx.children("dataset", ctx.scope)]
    page, token = _paginate(summaries, p)
    return {"DataSetSummaries": page, **token}


def _describe_data_set_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_set(ctx, p)
    return {"DataSetArn": arn, "DataSetId": body["DataSetId"], "Permissions": body["Permissions"]}


def _update_data_set_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, body = _data_set(ctx, p)
    body["Permissions"] = _apply_permission_changes(
        body["Permissions"], p.get("GrantPermissions", []), p.get("RevokePermissions", [])
    )
    ctx.tx.update(arn, body)
    return {"DataSetArn": arn, "DataSetId": body["DataSetId"]}


# --------------------------------------------------------------------------- ingestions


def _ingestion_view(body: dict, in_progress: bool) -> dict:
    view = _without(body, "FinalStatus", *(("ErrorInfo",) if in_progress else ()))
    view.update(IngestionStatus="RUNNING" if in_progress else body["FinalStatus"], IngestionTimeInSeconds=0)
    if view["IngestionStatus"] == "COMPLETED":
        view.update(RowInfo={"RowsIngested": 0, "RowsDropped": 0, "TotalRowsInDataset": 0}, IngestionSizeInBytes=0)
    return view


def _create_ingestion(ctx: _Ctx, p: dict) -> dict:
    data_set_arn, data_set = _data_set(ctx, p)
    ident = p["IngestionId"]
    _ensure_absent(ctx, f"{data_set_arn}/ingestion/{ident}", "Ingestion", ident)
    if data_set["Spec"]["ImportMode"] != "SPICE":
        raise _ApiError("InvalidParameterValueException", f"Data set {p['DataSetId']} is not a SPICE data set.")
    body = _start_ingestion(ctx, data_set_arn, ident, p.get("IngestionType", "FULL_REFRESH"))
    status = "INITIALIZED" if ctx.strict else body["FinalStatus"]
    return {"Arn": body["Arn"], "IngestionId": ident, "IngestionStatus": status}


def _describe_ingestion(ctx: _Ctx, p: dict) -> dict:
    data_set_arn, _ = _data_set(ctx, p)
    arn = f"{data_set_arn}/ingestion/{p['IngestionId']}"
    _require(ctx, arn, "Ingestion", p["IngestionId"])
    return {"Ingestion": _ingestion_view(*ctx.tx.observe(arn))}


def _list_ingestions(ctx: _Ctx, p: dict) -> dict:
    data_set_arn, _ = _data_set(ctx, p)
    views = [_ingestion_view(body, pending) for body, pending in ctx.tx.children("ingestion", data_set_arn)]
    page, token = _paginate(views, p)
    return {"Ingestions": page, **token}


# --------------------------------------------------------------------------- dashboards

_VERSION_SPEC_FIELDS = (
    "Name",
    "Definition",
    "SourceEntity",
    "Parameters",
    "VersionDescription",
    "DashboardPublishOptions",
    "ThemeArn",
    "ValidationStrategy",
)


def _dashboard(ctx: _Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("dashboard", params["DashboardId"])
    return arn, _require(ctx, arn, "Dashboard", params["DashboardId"])


def _declared_data_sets(spec: dict) -> list[tuple[str, str]]:
    """(identifier, dataset ARN) pairs a dashboard version uses, from its Definition or template."""
    if "Definition" in spec:
        return [(d["Identifier"], d["DataSetArn"]) for d in spec["Definition"]["DataSetIdentifierDeclarations"]]
    template = spec.get("SourceEntity", {}).get("SourceTemplate", {})
    return [(r["DataSetPlaceholder"], r["DataSetArn"]) for r in template.get("DataSetReferences", [])]


def _version_errors(ctx: _Ctx, declared: list[tuple[str, str]]) -> list[dict]:
    if not ctx.strict:
        return list(ctx.version_errors)
    return list(ctx.version_errors) + [
        {"Type": "DATA_SET_NOT_FOUND", "Message": f"Data set {arn} (identifier {ident!r}) does not exist."}
        for ident, arn in declared
        if ctx.tx.get(arn) is None
    ]


def _add_version(ctx: _Ctx, dashboard_arn: str, dashboard: dict, p: dict) -> dict:
    number = dashboard["LatestVersionNumber"] + 1
    dashboard["LatestVersionNumber"] = number
    spec = {k: p[k] for k in _VERSION_SPEC_FIELDS if k in p}
    declared = _declared_data_sets(spec)
    errors = _version_errors(ctx, declared)
    version = {
        "Arn": f"{dashboard_arn}/version/{number}",
        "VersionNumber": number,
        "Spec": spec,
        "DataSetArns": [arn for _, arn in declared],
        "FinalStatus": "CREATION_FAILED" if errors else "CREATION_SUCCESSFUL",
        "Errors": errors,
        "CreatedTime": ctx.now,
    }
    ctx.tx.insert(version["Arn"], "dashboard_version", dashboard_arn, version, pending_reads=ctx.pending_reads)
    return version


def _version_status(version: dict, in_progress: bool) -> str:
    return "CREATION_IN_PROGRESS" if in_progress else version["FinalStatus"]


def _select_version(ctx: _Ctx, dashboard_arn: str, dashboard: dict, p: dict) -> tuple[dict, bool]:
    """The version a describe asks for (published by default), observed once."""
    if "VersionNumber" in p:
        number = p["VersionNumber"]
    elif p.get("AliasName", "$PUBLISHED") == "$PUBLISHED":
        number = dashboard["PublishedVersionNumber"]
    elif p["AliasName"] == "$LATEST":
        number = max(v["VersionNumber"] for v, _ in ctx.tx.children("dashboard_version", dashboard_arn))
    else:
        raise _not_found("Dashboard alias", f"{p['AliasName']} of {dashboard['DashboardId']}")
    arn = f"{dashboard_arn}/version/{number}"
    _require(ctx, arn, "Dashboard version", f"{dashboard['DashboardId']}/{number}")
    return ctx.tx.observe(arn)


def _version_view(version: dict, in_progress: bool) -> dict:
    spec = version["Spec"]
    view = {
        "CreatedTime": version["CreatedTime"],
        "Errors": [] if in_progress else version["Errors"],
        "VersionNumber": version["VersionNumber"],
        "Status": _version_status(version, in_progress),
        "Arn": version["Arn"],
        "DataSetArns": version["DataSetArns"],
        "Sheets": [
            {"SheetId": s["SheetId"], **({"Name": s["Name"]} if "Name" in s else {})}
            for s in spec.get("Definition", {}).get("Sheets", [])
        ],
    }
    if source_arn := spec.get("SourceEntity", {}).get("SourceTemplate", {}).get("Arn"):
        view["SourceEntityArn"] = source_arn
    if "VersionDescription" in spec:
        view["Description"] = spec["VersionDescription"]
    if "ThemeArn" in spec:
        view["ThemeArn"] = spec["ThemeArn"]
    return view


def _version_summary(version: dict, in_progress: bool) -> dict:
    full = _version_view(version, in_progress)
    keys = ("Arn", "CreatedTime", "VersionNumber", "Status", "SourceEntityArn", "Description")
    return {k: full[k] for k in keys if k in full}


def _dashboard_summary(dashboard: dict) -> dict:
    keys = (
        "Arn", "DashboardId", "Name", "CreatedTime", "LastUpdatedTime", "PublishedVersionNumber", "LastPublishedTime"
    )
    return {k: dashboard[k] for k in keys}


def _create_dashboard(ctx: _Ctx, p: dict) -> dict:
    ident = p["DashboardId"]
    arn = ctx.arn("dashboard", ident)
    _ensure_absent(ctx, arn, "Dashboard", ident)
    dashboard = {
        "Arn": arn,
        "DashboardId": ident,
        "Name": p["Name"],
        "CreatedTime": ctx.now,
        "LastUpdatedTime": ctx.now,
        "LastPublishedTime": ctx.now,
        "PublishedVersionNumber": 1,
        "LatestVersionNumber": 0,
        "Permissions": p.get("Permissions", []),
        "LinkSharingConfiguration": p.get("LinkSharingConfiguration", {"Permissions": []}),
        "LinkEntities": p.get("LinkEntities", []),
    }
    ctx.tx.insert(arn, "dashboard", ctx.scope, dashboard)
    version = _add_version(ctx, arn, dashboard, p)
    ctx.tx.update(arn, dashboard)
    ctx.tx.set_tags(arn, p.get("Tags", []))
    status = _version_status(version, in_progress=ctx.strict)
    return {"Arn": arn, "VersionArn": version["Arn"], "DashboardId": ident, "CreationStatus": status}


def _describe_dashboard(ctx: _Ctx, p: dict) -> dict:
    arn, dashboard = _dashboard(ctx, p)
    version = _version_view(*_select_version(ctx, arn, dashboard, p))
    keys = ("DashboardId", "Arn", "Name", "CreatedTime", "LastPublishedTime", "LastUpdatedTime", "LinkEntities")
    return {"Dashboard": {**{k: dashboard[k] for k in keys}, "Version": version}}


def _describe_dashboard_definition(ctx: _Ctx, p: dict) -> dict:
    arn, dashboard = _dashboard(ctx, p)
    version, in_progress = _select_version(ctx, arn, dashboard, p)
    spec = version["Spec"]
    response = {
        "DashboardId": dashboard["DashboardId"],
        "Name": spec.get("Name", dashboard["Name"]),
        "ResourceStatus": _version_status(version, in_progress),
        "Errors": [] if in_progress else version["Errors"],
    }
    for key in ("Definition", "ThemeArn", "DashboardPublishOptions"):
        if key in spec:
            response[key] = spec[key]
    return response


def _update_dashboard(ctx: _Ctx, p: dict) -> dict:
    """Adds a version; the published version stays where it is until UpdateDashboardPublishedVersion."""
    arn, dashboard = _dashboard(ctx, p)
    version = _add_version(ctx, arn, dashboard, p)
    dashboard.update(Name=p["Name"], LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, dashboard)
    status = _version_status(version, in_progress=ctx.strict)
    return {"Arn": arn, "VersionArn": version["Arn"], "DashboardId": dashboard["DashboardId"], "CreationStatus": status}


def _update_dashboard_published_version(ctx: _Ctx, p: dict) -> dict:
    arn, dashboard = _dashboard(ctx, p)
    number = p["VersionNumber"]
    version = _require(ctx, f"{arn}/version/{number}", "Dashboard version", f"{dashboard['DashboardId']}/{number}")
    if version["FinalStatus"] == "CREATION_FAILED":
        raise _ApiError("InvalidParameterValueException", f"Version {number} failed to create and cannot be published.")
    dashboard.update(PublishedVersionNumber=number, LastPublishedTime=ctx.now, LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, dashboard)
    return {"DashboardId": dashboard["DashboardId"], "DashboardArn": arn}


def _list_dashboards(ctx: _Ctx, p: dict) -> dict:
    summaries = [_dashboard_summary(body) for body, _ in ctx.tx.children("dashboard", ctx.scope)]
    page, token = _paginate(summaries, p)
    return {"DashboardSummaryList": page, **token}


def _list_dashboard_versions(ctx: _Ctx, p: dict) -> dict:
    arn, _ = _dashboard(ctx, p)
    summaries = [_version_summary(v, pending) for v, pending in ctx.tx.children("dashboard_version", arn)]
    page, token = _paginate(summaries, p)
    return {"DashboardVersionSummaryList": page, **token}


def _delete_dashboard(ctx: _Ctx, p: dict) -> dict:
    """Deletes the dashboard, or with VersionNumber only that (unpublished) version."""
    arn, dashboard = _dashboard(ctx, p)
    if "VersionNumber" in p:
        number = p["VersionNumber"]
        version_arn = f"{arn}/version/{number}"
        _require(ctx, version_arn, "Dashboard version", f"{dashboard['DashboardId']}/{number}")
        if number == dashboard["PublishedVersionNumber"]:
            raise _ApiError("InvalidParameterValueException", f"Version {number} is published and cannot be deleted.")
        ctx.tx.delete(version_arn)
    else:
        ctx.tx.delete(arn)
    return {"Arn": arn, "DashboardId": dashboard["DashboardId"]}


def _describe_dashboard_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, dashboard = _dashboard(ctx, p)
    return {
        "DashboardId": dashboard["DashboardId"],
        "DashboardArn": arn,
        "Permissions": dashboard["Permissions"],
        "LinkSharingConfiguration": dashboard["LinkSharingConfiguration"],
    }


def _update_dashboard_permissions(ctx: _Ctx, p: dict) -> dict:
    arn, dashboard = _dashboard(ctx, p)
    dashboard["Permissions"] = _apply_permission_changes(
        dashboard["Permissions"], p.get("GrantPermissions", []), p.get("RevokePermissions", [])
    )
    link = dashboard["LinkSharingConfiguration"]
    link["Permissions"] = _apply_permission_changes(
        link.get("Permissions", []), p.get("GrantLinkPermissions", []), p.get("RevokeLinkPermissions", [])
    )
    ctx.tx.update(arn, dashboard)
    return _describe_dashboard_permissions(ctx, p)


# --------------------------------------------------------------------------- tags

_TAGGABLE_TYPES = ("datasource", "dataset", "dashboard")


def _taggable(ctx: _Ctx, arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "quicksight"] or parts[5].count("/") != 1:
        raise _ApiError("InvalidParameterValueException", f"{arn} is not a QuickSight resource ARN.")
    _, _, _, region, account, resource = parts
    if account != ctx.account_id:
        raise _ApiError("AccessDeniedException", f"Account {account} is not this account ({ctx.account_id}).")
    if region != ctx.region or resource.split("/")[0] not in _TAGGABLE_TYPES or ctx.tx.get(arn) is None:
        raise _not_found("Resource", arn)
    return arn


def _tag_resource(ctx: _Ctx, p: dict) -> dict:
    ctx.tx.set_tags(_taggable(ctx, p["ResourceArn"]), p["Tags"])
    return {}


def _untag_resource(ctx: _Ctx, p: dict) -> dict:
    ctx.tx.remove_tags(_taggable(ctx, p["ResourceArn"]), p["TagKeys"])
    return {}


def _list_tags_for_resource(ctx: _Ctx, p: dict) -> dict:
    return {"Tags": ctx.tx.tags(_taggable(ctx, p["ResourceArn"]))}


# --------------------------------------------------------------------------- dispatch

_Handler = Callable[[_Ctx, dict], dict]

# Operation name -> (handler, HTTP status AWS answers with on success).
_OPERATIONS: dict[str, tuple[_Handler, int]] = {
    "CreateDataSource": (_create_data_source, 202),
    "DescribeDataSource": (_describe_data_source, 200),
    "UpdateDataSource": (_update_data_source, 202),
    "DeleteDataSource": (_delete_data_source, 200),
    "ListDataSources": (_list_data_sources, 200),
    "DescribeDataSourcePermissions": (_describe_data_source_permissions, 200),
    "UpdateDataSourcePermissions": (_update_data_source_permissions, 200),
    "CreateDataSet": (_create_data_set, 201),
    "DescribeDataSet": (_describe_data_set, 200),
    "UpdateDataSet": (_update_data_set, 200),
    "DeleteDataSet": (_delete_data_set, 200),
    "ListDataSets": (_list_data_sets, 200),
    "DescribeDataSetPermissions": (_describe_data_set_permissions, 200),
    "UpdateDataSetPermissions": (_update_data_set_permissions, 200),
    "CreateIngestion": (_create_ingestion, 201),
    "DescribeIngestion": (_describe_ingestion, 200),
    "ListIngestions": (_list_ingestions, 200),
    "CreateDashboard": (_create_dashboard, 202),
    "DescribeDashboard": (_describe_dashboard, 200),
    "DescribeDashboardDefinition": (_describe_dashboard_definition, 200),
    "UpdateDashboard": (_update_dashboard, 202),
    "UpdateDashboardPublishedVersion": (_update_dashboard_published_version, 200),
    "ListDashboards": (_list_dashboards, 200),
    "ListDashboardVersions": (_list_dashboard_versions, 200),
    "DeleteDashboard": (_delete_dashboard, 200),
    "DescribeDashboardPermissions": (_describe_dashboard_permissions, 200),
    "UpdateDashboardPermissions": (_update_dashboard_permissions, 200),
    "TagResource": (_tag_resource, 200),
    "UntagResource": (_untag_resource, 200),
    "ListTagsForResource": (_list_tags_for_resource, 200),
}


def _as_parsed(value: Any, shape) -> Any:
    """A response value as botocore would parse AWS's answer: timestamps (stored as the caller sent them, e.g.
    `'2017/01/01'` for a datetime parameter default) become timezone-aware UTC datetimes."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _as_parsed(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_as_parsed(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _as_parsed(v, shape.value) for k, v in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, (str, int, float, datetime)):
        try:
            return parse_to_aware_datetime(value).astimezone(timezone.utc)
        except (ValueError, TypeError, OverflowError):
            return value  # botocore validated the request; what it let through is given back as sent
    return value


class _RawBody:
    """Just enough of a urllib3 response for AWSResponse.content."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _http_response(url: str, status: int, request_id: str, parsed: dict) -> AWSResponse:
    headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/json"}
    payload = json.dumps(_without(parsed, "ResponseMetadata"), default=str).encode()
    return AWSResponse(url, status, headers, _RawBody(payload))


def _response_metadata(status: int, request_id: str) -> dict:
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": "application/json"},
        "RetryAttempts": 0,
    }


def _redacted(params: dict) -> dict:
    return {k: ("<redacted>" if k in _REDACTED_PARAMS else v) for k, v in params.items()}


class LocalQuickSightBackend:
    """Answers QuickSight calls of the clients it is attached to from a SQLite store.

    ``strict`` makes asynchronous resources (data sources, dashboard versions, ingestions) report in progress
    on their first describe (List* calls show that state without using it up) and checks that
    dashboard definitions reference datasets that exist.
    ``throttle_every=N`` answers every Nth call of this backend with ThrottlingException.
    ``ingestion_error={"Type": ..., "Message": ...}`` makes every ingestion it starts end FAILED with that ErrorInfo;
    ``version_errors=[{"Type": ..., "Message": ..., "ViolatedEntities": [{"Path": ...}]}]`` every dashboard version.
    """

    def __init__(
        self,
        store_path: str | Path,
        *,
        account_id: str = "111122223333",
        region: str = "us-east-1",
        strict: bool = False,
        throttle_every: int | None = None,
        ingestion_error: dict | None = None,
        version_errors: list[dict] | None = None,
    ):
        if throttle_every is not None and throttle_every < 1:
            raise ValueError("throttle_every must be a positive integer")
        self.account_id = account_id
        self.region = region
        self.strict = strict
        self.throttle_every = throttle_every
        self.ingestion_error = ingestion_error
        self.version_errors = tuple(version_errors or ())
        self._store = _Store(store_path)
        self._lock = threading.Lock()
        self._call_count = 0

    @property
    def store_path(self) -> Path:
        return self._store.path

    def attach(self, client: BaseClient) -> None:
        service = client.meta.service_model.service_name
        if service != "quicksight":
            raise ValueError(f"LocalQuickSightBackend can only answer a quicksight client, not {service!r}")
        events = client.meta.events
        tag = f"local-quicksight-{id(self)}"
        events.register("before-parameter-build.quicksight", self._remember_params, unique_id=f"{tag}-params")
        events.register("before-call.quicksight", self._answer, unique_id=f"{tag}-call")

    def call_log(self) -> list[dict]:
        """Every call answered from this store (by any process), oldest first."""
        return self._store.read_calls()

    def reset_call_log(self) -> None:
        with self._store.transaction() as tx:
            tx.conn.execute("DELETE FROM calls")

    # before-parameter-build sees the caller's parameters; before-call only sees the serialised
    # HTTP request, so the parameters are handed over through the per-call context dict.
    @staticmethod
    def _remember_params(params: dict, context: dict, **_: Any) -> None:
        context[_PARAMS_KEY] = params

    def _answer(self, model, params: dict, context: dict, **_: Any) -> tuple[AWSResponse, dict]:
        operation = model.name
        api_params = copy.deepcopy(context.pop(_PARAMS_KEY, {}))
        request_id = str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        try:
            status, body = self._dispatch(operation, api_params, now)
        except _ApiError as error:
            with self._store.transaction() as tx:
                tx.log_call(operation, _redacted(api_params), error.code, now)
            return self._error_response(params["url"], error, request_id)
        members = model.output_shape.members if model.output_shape is not None else {}
        body = _as_parsed(body, model.output_shape) if model.output_shape is not None else body
        if "Status" in members:
            body["Status"] = status
        if "RequestId" in members:
            body["RequestId"] = request_id
        body["ResponseMetadata"] = _response_metadata(status, request_id)
        return _http_response(params["url"], status, request_id, body), body

    def _dispatch(self, operation: str, params: dict, now: datetime) -> tuple[int, dict]:
        self._maybe_throttle(operation)
        if operation not in _OPERATIONS:
            raise _ApiError(
                "UnsupportedOperationException",
                f"The local QuickSight backend does not implement {operation}.",
            )
        if params.get("AwsAccountId", self.account_id) != self.account_id:
            raise _ApiError(
                "AccessDeniedException",
                f"Account {params['AwsAccountId']} is not this account ({self.account_id}).",
            )
        handler, status = _OPERATIONS[operation]
        with self._store.transaction() as tx:
            body = handler(_Ctx(tx, self.account_id, self.region, self.strict, now, self.ingestion_error, self.version_errors), params)
            tx.log_call(operation, _redacted(params), None, now)
        return status, body

    def _maybe_throttle(self, operation: str) -> None:
        with self._lock:
            self._call_count += 1
            throttled = self.throttle_every is not None and self._call_count % self.throttle_every == 0
        if throttled:
            message = f"Rate exceeded (the local backend throttles every {self.throttle_every} calls)."
            raise _ApiError("ThrottlingException", message)

    @staticmethod
    def _error_response(url: str, error: _ApiError, request_id: str) -> tuple[AWSResponse, dict]:
        status = _ERROR_HTTP_STATUS.get(error.code, 400)
        parsed = {
            "Error": {"Code": error.code, "Message": error.message},
            "Message": error.message,
            "RequestId": request_id,
            "ResponseMetadata": _response_metadata(status, request_id),
        }
        return _http_response(url, status, request_id, parsed), parsed


def local_quicksight_client(
    store_path: str | Path,
    *,
    region: str = "us-east-1",
    account_id: str = "111122223333",
    strict: bool = False,
    throttle_every: int | None = None,
    ingestion_error: dict | None = None,
    version_errors: list[dict] | None = None,
) -> BaseClient:
    """A real boto3 QuickSight client whose calls are answered by a LocalQuickSightBackend."""
    client = boto3.client(
        "quicksight",
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard"}),
    )
    backend = LocalQuickSightBackend(
        store_path, account_id=account_id, region=region, strict=strict, throttle_every=throttle_every,
        ingestion_error=ingestion_error, version_errors=version_errors,
    )
    backend.attach(client)
    return client
