"""Data sources: created, described (in progress on the first describe in strict mode), updated, listed, deleted."""

from __future__ import annotations

from qs_platform.local.quicksight.context import Ctx, Handler, ensure_absent, requested_data_source, without
from qs_platform.local.quicksight.pagination import paginate
from qs_platform.local.quicksight.permissions import permission_operations

_DATA_SOURCE_NON_SPEC = ("AwsAccountId", "DataSourceId", "Permissions", "Tags", "FolderArns", "Credentials")


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


def _create_data_source(ctx: Ctx, p: dict) -> dict:
    ident = p["DataSourceId"]
    arn = ctx.arn("datasource", ident)
    ensure_absent(ctx, arn, "Data source", ident)
    body = {
        "Arn": arn,
        "DataSourceId": ident,
        "Spec": without(p, *_DATA_SOURCE_NON_SPEC),
        "Status": "CREATION_SUCCESSFUL",
        "Permissions": p.get("Permissions", []),
        "CreatedTime": ctx.now,
        "LastUpdatedTime": ctx.now,
    }
    ctx.tx.insert(arn, "datasource", ctx.scope, body, pending_reads=ctx.pending_reads)
    ctx.tx.set_tags(arn, p.get("Tags", []))
    return {
        "Arn": arn,
        "DataSourceId": ident,
        "CreationStatus": "CREATION_IN_PROGRESS" if ctx.strict else body["Status"],
    }


def _describe_data_source(ctx: Ctx, p: dict) -> dict:
    arn, _ = requested_data_source(ctx, p)
    return {"DataSource": _data_source_view(*ctx.tx.observe(arn))}


def _update_data_source(ctx: Ctx, p: dict) -> dict:
    arn, body = requested_data_source(ctx, p)
    body["Spec"].update(without(p, *_DATA_SOURCE_NON_SPEC))
    body.update(Status="UPDATE_SUCCESSFUL", LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, body, pending_reads=ctx.pending_reads)
    return {
        "Arn": arn,
        "DataSourceId": body["DataSourceId"],
        "UpdateStatus": "UPDATE_IN_PROGRESS" if ctx.strict else body["Status"],
    }


def _delete_data_source(ctx: Ctx, p: dict) -> dict:
    arn, body = requested_data_source(ctx, p)
    ctx.tx.delete(arn)
    return {"Arn": arn, "DataSourceId": body["DataSourceId"]}


def _list_data_sources(ctx: Ctx, p: dict) -> dict:
    views = [_data_source_view(body, pending) for body, pending in ctx.tx.children("datasource", ctx.scope)]
    page, token = paginate(views, p)
    return {"DataSources": page, **token}


OPERATIONS: dict[str, tuple[Handler, int]] = {  # operation -> (handler, HTTP status AWS answers with on success)
    "CreateDataSource": (_create_data_source, 202),
    "DescribeDataSource": (_describe_data_source, 200),
    "UpdateDataSource": (_update_data_source, 202),
    "DeleteDataSource": (_delete_data_source, 200),
    "ListDataSources": (_list_data_sources, 200),
    **permission_operations("DataSource", requested_data_source),
}
