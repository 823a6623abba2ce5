"""How the store keeps request values as JSON: datetimes and bytes tagged, Decimals as floats."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal
from typing import Any


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


def dumps(value: Any) -> str:
    return json.dumps(value, default=_encode_special)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_decode_special)
