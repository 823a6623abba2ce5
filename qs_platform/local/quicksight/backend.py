"""The botocore ``before-call`` handler that answers a real QuickSight client, and ``local_quicksight_client``."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.config import Config

from qs_platform.local.quicksight import dashboards, data_sources, datasets, ingestions, tags
from qs_platform.local.quicksight.context import ERROR_HTTP_STATUS, ApiError, Ctx, Handler
from qs_platform.local.quicksight.responses import as_parsed, http_response, response_metadata
from qs_platform.local.quicksight.store import Store

_PARAMS_KEY = "local_quicksight_api_params"
_REDACTED_PARAMS = ("Credentials",)

# Operation name -> (handler, HTTP status AWS answers with on success).
_OPERATIONS: dict[str, tuple[Handler, int]] = {
    **data_sources.OPERATIONS,
    **datasets.OPERATIONS,
    **ingestions.OPERATIONS,
    **dashboards.OPERATIONS,
    **tags.OPERATIONS,
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
        self._store = Store(store_path)
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
        now = datetime.now(UTC)
        try:
            status, body = self._dispatch(operation, api_params, now)
        except ApiError as error:
            with self._store.transaction() as tx:
                tx.log_call(operation, _redacted(api_params), error.code, now)
            return self._error_response(params["url"], error, request_id)
        members = model.output_shape.members if model.output_shape is not None else {}
        body = as_parsed(body, model.output_shape) if model.output_shape is not None else body
        if "Status" in members:
            body["Status"] = status
        if "RequestId" in members:
            body["RequestId"] = request_id
        body["ResponseMetadata"] = response_metadata(status, request_id)
        return http_response(params["url"], status, request_id, body), body

    def _dispatch(self, operation: str, params: dict, now: datetime) -> tuple[int, dict]:
        self._maybe_throttle(operation)
        if operation not in _OPERATIONS:
            raise ApiError(
                "UnsupportedOperationException",
                f"The local QuickSight backend does not implement {operation}.",
            )
        if params.get("AwsAccountId", self.account_id) != self.account_id:
            raise ApiError(
                "AccessDeniedException",
                f"Account {params['AwsAccountId']} is not this account ({self.account_id}).",
            )
        handler, status = _OPERATIONS[operation]
        with self._store.transaction() as tx:
            body = handler(
                Ctx(tx, self.account_id, self.region, self.strict, now, self.ingestion_error, self.version_errors),
                params,
            )
            tx.log_call(operation, _redacted(params), None, now)
        return status, body

    def _maybe_throttle(self, operation: str) -> None:
        with self._lock:
            self._call_count += 1
            throttled = self.throttle_every is not None and self._call_count % self.throttle_every == 0
        if throttled:
            message = f"Rate exceeded (the local backend throttles every {self.throttle_every} calls)."
            raise ApiError("ThrottlingException", message)

    @staticmethod
    def _error_response(url: str, error: ApiError, request_id: str) -> tuple[AWSResponse, dict]:
        status = ERROR_HTTP_STATUS.get(error.code, 400)
        parsed = {
            "Error": {"Code": error.code, "Message": error.message},
            "Message": error.message,
            "RequestId": request_id,
            "ResponseMetadata": response_metadata(status, request_id),
        }
        return http_response(url, status, request_id, parsed), parsed


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
        store_path,
        account_id=account_id,
        region=region,
        strict=strict,
        throttle_every=throttle_every,
        ingestion_error=ingestion_error,
        version_errors=version_errors,
    )
    backend.attach(client)
    return client
