"""Helpers shared by every QuickSight resource we manage: ARNs, tags, the spec hash, existence checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

MANAGED_BY = {"Key": "ManagedBy", "Value": "qs-platform"}
SPEC_HASH_TAG = "qs-platform:spec-hash"


@dataclass(frozen=True)
class Outcome:
    arn: str
    action: str  # "created" | "updated" | "unchanged"


def spec_hash(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[:16]


def arn(account_id: str, region: str, kind: str, resource_id: str) -> str:
    return f"arn:aws:quicksight:{region}:{account_id}:{kind}/{resource_id}"


def managed_tags(request: dict) -> list[dict]:
    """Tags recording that we manage the resource and the hash of the request that made it."""
    return [MANAGED_BY, {"Key": SPEC_HASH_TAG, "Value": spec_hash(request)}]


def is_current(client, resource_arn: str, request: dict) -> bool:
    tags = client.list_tags_for_resource(ResourceArn=resource_arn).get("Tags", [])
    return any(t["Key"] == SPEC_HASH_TAG and t["Value"] == spec_hash(request) for t in tags)


def exists(describe, **kwargs) -> bool:
    try:
        describe(**kwargs)
        return True
    except Exception as error:  # botocore generates modeled exception classes per client
        if getattr(error, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
