"""Datasets: their output columns derived as AWS derives them, and a SPICE ingestion on create and update."""

from __future__ import annotations

import uuid

from qs_platform.local.quicksight.context import Ctx, Handler, ensure_absent, requested_data_set, without
from qs_platform.local.quicksight.ingestions import start_ingestion
from qs_platform.local.quicksight.pagination import paginate
from qs_platform.local.quicksight.permissions import permission_operations

_DATA_SET_NON_SPEC = ("AwsAccountId", "DataSetId", "Permissions", "Tags", "FolderArns")
_CREATE_ONLY_DATA_SET_FIELDS = ("UseAs",)
_OUTPUT_COLUMN_TYPES = {"BIT": "INTEGER", "BOOLEAN": "INTEGER", "JSON": "STRING", "SEMISTRUCT": "STRING"}


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


def _spice_ingestion_fields(ctx: Ctx, arn: str, spec: dict, request_type: str) -> dict:
    """SPICE datasets get an ingestion on create and update, as on AWS."""
    if spec["ImportMode"] != "SPICE":
        return {}
    ingestion = start_ingestion(ctx, arn, str(uuid.uuid4()), request_type)
    return {"IngestionArn": ingestion["Arn"], "IngestionId": ingestion["IngestionId"]}


def _create_data_set(ctx: Ctx, p: dict) -> dict:
    ident = p["DataSetId"]
    arn = ctx.arn("dataset", ident)
    ensure_absent(ctx, arn, "Data set", ident)
    spec = without(p, *_DATA_SET_NON_SPEC)
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


def _describe_data_set(ctx: Ctx, p: dict) -> dict:
    _, body = requested_data_set(ctx, p)
    return {"DataSet": _data_set_view(body)}


def _update_data_set(ctx: Ctx, p: dict) -> dict:
    arn, body = requested_data_set(ctx, p)
    kept = {k: body["Spec"][k] for k in _CREATE_ONLY_DATA_SET_FIELDS if k in body["Spec"]}
    body["Spec"] = {**kept, **without(p, *_DATA_SET_NON_SPEC)}
    body["LastUpdatedTime"] = ctx.now
    ctx.tx.update(arn, body)
    return {"Arn": arn, "DataSetId": body["DataSetId"], **_spice_ingestion_fields(ctx, arn, body["Spec"], "EDIT")}


def _delete_data_set(ctx: Ctx, p: dict) -> dict:
    arn, body = requested_data_set(ctx, p)
    ctx.tx.delete(arn)
    return {"Arn": arn, "DataSetId": body["DataSetId"]}


def _list_data_sets(ctx: Ctx, p: dict) -> dict:
    summaries = [_data_set_summary(body) for body, _ in ctx.tx.children("dataset", ctx.scope)]
    page, token = paginate(summaries, p)
    return {"DataSetSummaries": page, **token}


OPERATIONS: dict[str, tuple[Handler, int]] = {  # operation -> (handler, HTTP status AWS answers with on success)
    "CreateDataSet": (_create_data_set, 201),
    "DescribeDataSet": (_describe_data_set, 200),
    "UpdateDataSet": (_update_data_set, 200),
    "DeleteDataSet": (_delete_data_set, 200),
    "ListDataSets": (_list_data_sets, 200),
    **permission_operations("DataSet", requested_data_set),
}
