"""What a handler works with: the request context (one open transaction, the account, the clock, strict mode), the
API errors it raises, and the lookups every handler starts from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from qs_platform.local.quicksight.store import Tx

ERROR_HTTP_STATUS = {
    "AccessDeniedException": 401,
    "ResourceNotFoundException": 404,
    "ResourceExistsException": 409,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "InvalidParameterValueException": 400,
    "InvalidNextTokenException": 400,
    "UnsupportedOperationException": 400,
}


class ApiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(what: str, ident: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"{what} {ident} does not exist.")


@dataclass
class Ctx:
    tx: Tx
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


Handler = Callable[[Ctx, dict], dict]  # a request's parameters -> its answer


def without(params: dict, *keys: str) -> dict:
    return {k: v for k, v in params.items() if k not in keys}


def require(ctx: Ctx, arn: str, what: str, ident: str) -> dict:
    body = ctx.tx.get(arn)
    if body is None:
        raise not_found(what, ident)
    return body


def ensure_absent(ctx: Ctx, arn: str, what: str, ident: str) -> None:
    if ctx.tx.get(arn) is not None:
        raise ApiError("ResourceExistsException", f"{what} {ident} already exists.")


def requested_data_source(ctx: Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("datasource", params["DataSourceId"])
    return arn, require(ctx, arn, "Data source", params["DataSourceId"])


def requested_data_set(ctx: Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("dataset", params["DataSetId"])
    return arn, require(ctx, arn, "Data set", params["DataSetId"])


def requested_dashboard(ctx: Ctx, params: dict) -> tuple[str, dict]:
    arn = ctx.arn("dashboard", params["DashboardId"])
    return arn, require(ctx, arn, "Dashboard", params["DashboardId"])
