"""SPICE ingestions of a dataset: RUNNING on the first describe in strict mode, then COMPLETED (or the injected
failure)."""

from __future__ import annotations

from qs_platform.local.quicksight.context import (
    ApiError,
    Ctx,
    Handler,
    ensure_absent,
    requested_data_set,
    require,
    without,
)
from qs_platform.local.quicksight.pagination import paginate


def start_ingestion(ctx: Ctx, data_set_arn: str, ingestion_id: str, request_type: str) -> dict:
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


def _ingestion_view(body: dict, in_progress: bool) -> dict:
    view = without(body, "FinalStatus", *(("ErrorInfo",) if in_progress else ()))
    view.update(IngestionStatus="RUNNING" if in_progress else body["FinalStatus"], IngestionTimeInSeconds=0)
    if view["IngestionStatus"] == "COMPLETED":
        view.update(RowInfo={"RowsIngested": 0, "RowsDropped": 0, "TotalRowsInDataset": 0}, IngestionSizeInBytes=0)
    return view


def _create_ingestion(ctx: Ctx, p: dict) -> dict:
    data_set_arn, data_set = requested_data_set(ctx, p)
    ident = p["IngestionId"]
    ensure_absent(ctx, f"{data_set_arn}/ingestion/{ident}", "Ingestion", ident)
    if data_set["Spec"]["ImportMode"] != "SPICE":
        raise ApiError("InvalidParameterValueException", f"Data set {p['DataSetId']} is not a SPICE data set.")
    body = start_ingestion(ctx, data_set_arn, ident, p.get("IngestionType", "FULL_REFRESH"))
    status = "INITIALIZED" if ctx.strict else body["FinalStatus"]
    return {"Arn": body["Arn"], "IngestionId": ident, "IngestionStatus": status}


def _describe_ingestion(ctx: Ctx, p: dict) -> dict:
    data_set_arn, _ = requested_data_set(ctx, p)
    arn = f"{data_set_arn}/ingestion/{p['IngestionId']}"
    require(ctx, arn, "Ingestion", p["IngestionId"])
    return {"Ingestion": _ingestion_view(*ctx.tx.observe(arn))}


def _list_ingestions(ctx: Ctx, p: dict) -> dict:
    data_set_arn, _ = requested_data_set(ctx, p)
    views = [_ingestion_view(body, pending) for body, pending in ctx.tx.children("ingestion", data_set_arn)]
    page, token = paginate(views, p)
    return {"Ingestions": page, **token}


OPERATIONS: dict[str, tuple[Handler, int]] = {  # operation -> (handler, HTTP status AWS answers with on success)
    "CreateIngestion": (_create_ingestion, 201),
    "DescribeIngestion": (_describe_ingestion, 200),
    "ListIngestions": (_list_ingestions, 200),
}
