"""List* calls: a full listing sliced by MaxResults and an opaque NextToken."""

from __future__ import annotations

import base64
import json

from qs_platform.local.quicksight.context import ApiError

_DEFAULT_PAGE_SIZE = 100


def paginate(items: list, params: dict) -> tuple[list, dict]:
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
        raise ApiError("InvalidNextTokenException", f"NextToken {token!r} is not valid.") from None
    if not isinstance(offset, int) or offset < 0:
        raise ApiError("InvalidNextTokenException", f"NextToken {token!r} is not valid.")
    return offset
