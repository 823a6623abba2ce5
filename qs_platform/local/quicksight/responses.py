"""What botocore gets back instead of an HTTP answer: the response stub and the parsed body, shaped as botocore
would parse AWS's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.utils import parse_to_aware_datetime

from qs_platform.local.quicksight.context import without


def as_parsed(value: Any, shape) -> Any:
    """A response value as botocore would parse AWS's answer: timestamps (stored as the caller sent them, e.g.
    `'2017/01/01'` for a datetime parameter default) become timezone-aware UTC datetimes."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: as_parsed(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [as_parsed(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: as_parsed(v, shape.value) for k, v in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, (str, int, float, datetime)):
        try:
            return parse_to_aware_datetime(value).astimezone(UTC)
        except (ValueError, TypeError, OverflowError):
            return value  # botocore validated the request; what it let through is given back as sent
    return value


class _RawBody:
    """Just enough of a urllib3 response for AWSResponse.content."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def http_response(url: str, status: int, request_id: str, parsed: dict) -> AWSResponse:
    headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/json"}
    payload = json.dumps(without(parsed, "ResponseMetadata"), default=str).encode()
    return AWSResponse(url, status, headers, _RawBody(payload))


def response_metadata(status: int, request_id: str) -> dict:
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": "application/json"},
        "RetryAttempts": 0,
    }
