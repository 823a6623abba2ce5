"""Helpers shared by every QuickSight resource we manage: ARNs, describe-and-compare, permissions, tags,
polling, and the throttled client every call goes through."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random_exponential,
)

MANAGED_BY = {"Key": "ManagedBy", "Value": "qs-platform"}
SPEC_HASH_TAG = "qs-platform:spec-hash"
DEFAULT_REQUESTS_PER_SECOND = 5.0
THROTTLING_CODES = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
}  # not LimitExceeded: a quota, not a rate


@dataclass(frozen=True)
class Outcome:
    arn: str
    action: str  # "created" | "updated" | "unchanged"
    changes: tuple[str, ...] = ()  # what differed: "PhysicalTableMap.table…", "Permissions", "Tags"
    response: dict = field(default_factory=dict, compare=False)  # the create/update response, when one was sent


def spec_hash(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[:16]


def arn(account_id: str, region: str, kind: str, resource_id: str) -> str:
    return f"arn:aws:quicksight:{region}:{account_id}:{kind}/{resource_id}"


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (modeled exception classes differ per client)."""
    return getattr(error, "response", {}).get("Error", {}).get("Code")


def describe_or_none(describe: Callable[..., dict], **kwargs) -> dict | None:
    try:
        return describe(**kwargs)
    except Exception as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def exists(describe: Callable[..., dict], **kwargs) -> bool:
    return describe_or_none(describe, **kwargs) is not None


def differences(desired: Any, actual: Any, path: str = "") -> list[str]:
    """Paths where `actual` (a described resource) does not hold what `desired` asks for.

    Keys AWS adds on its own (defaults, generated ids, timestamps) are ignored: only what we send is compared.
    Lists must match element by element.
    """
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [path or "."]
        return [
            p
            for key, value in desired.items()
            for p in differences(value, actual.get(key), f"{path}.{key}" if path else key)
        ]
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(actual) != len(desired):
            return [path]
        return [
            p for i, (want, have) in enumerate(zip(desired, actual)) for p in differences(want, have, f"{path}[{i}]")
        ]
    return [] if desired == actual else [path]


# ---- permissions and tags ---------------------------------------------------------------------------------


def permissions_for(principals: Iterable[str], actions: Iterable[str]) -> list[dict]:
    """The same action set granted to each principal (user or group ARN)."""
    return [{"Principal": principal, "Actions": sorted(actions)} for principal in principals]


def permission_changes(current: list[dict], desired: list[dict]) -> tuple[list[dict], list[dict]]:
    """(grant, revoke) turning `current` into `desired`: permissions are declarative, a principal or action
    no longer configured is revoked."""
    have = {p["Principal"]: set(p["Actions"]) for p in current}
    want = {p["Principal"]: set(p["Actions"]) for p in desired}
    grant = [
        {"Principal": who, "Actions": sorted(acts - have.get(who, set()))}
        for who, acts in want.items()
        if acts - have.get(who, set())
    ]
    revoke = [
        {"Principal": who, "Actions": sorted(acts - want.get(who, set()))}
        for who, acts in have.items()
        if acts - want.get(who, set())
    ]
    return grant, revoke


def ensure_permissions(
    describe: Callable[..., dict], update: Callable[..., dict], desired: list[dict], **ident
) -> bool:
    """Grant/revoke only the difference; no call but the describe when they are equal. An empty `desired`
    leaves permissions alone (no principals configured, e.g. the local default)."""
    if not desired:
        return False
    grant, revoke = permission_changes(describe(**ident).get("Permissions", []), desired)
    if not grant and not revoke:
        return False
    update(
        **ident, **({"GrantPermissions": grant} if grant else {}), **({"RevokePermissions": revoke} if revoke else {})
    )
    return True


def ensure_tags(client, resource_arn: str, wanted: list[dict], current: list[dict] | None = None) -> bool:
    """Tag only what is missing or different; `current` saves the ListTagsForResource when already read."""
    current = client.list_tags_for_resource(ResourceArn=resource_arn).get("Tags", []) if current is None else current
    have = {t["Key"]: t["Value"] for t in current}
    missing = [t for t in wanted if have.get(t["Key"]) != t["Value"]]
    if missing:
        client.tag_resource(ResourceArn=resource_arn, Tags=missing)
    return bool(missing)


def tag_value(tags: list[dict], key: str) -> str | None:
    return next((t["Value"] for t in tags if t["Key"] == key), None)


# ---- polling ----------------------------------------------------------------------------------------------


def poll(
    fetch: Callable[[], dict],
    done: Callable[[dict], bool],
    *,
    what: str,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Call `fetch` with exponential backoff (0.2 s doubling to 10 s) until `done`; TimeoutError naming `what`."""
    retrying = Retrying(
        retry=retry_if_result(lambda value: not done(value)),
        wait=wait_exponential(multiplier=0.1, min=0.2, max=10),
        stop=stop_after_delay(timeout),
        sleep=sleep,
    )
    try:
        return retrying(fetch)
    except RetryError as error:
        last = repr(error.last_attempt.result())
        raise TimeoutError(f"{what}: still not finished after {timeout:g}s (last state: {last[:300]})") from None


# ---- throttling -------------------------------------------------------------------------------------------


class TokenBucket:
    """At most `rate` calls a second on average, bursts of `capacity`; `acquire` blocks until a call may go.

    Reservation style: a caller takes its token at once (the count may go below zero) and sleeps outside the
    lock until that token would have been there, so concurrent callers queue in order. Clock and sleep are
    injectable so tests can measure the rate without waiting.
    """

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError(f"requests per second must be positive, got {rate}")
        self.rate, self.capacity = rate, max(capacity, 1.0)
        self._clock, self._sleep = clock, sleep
        self._tokens, self._updated = self.capacity, clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate) - 1
            self._updated = now
            wait = max(0.0, -self._tokens / self.rate)
        if wait:
            self._sleep(wait)
        return wait


_shared_buckets: dict[tuple, TokenBucket] = {}
_shared_lock = threading.Lock()


def shared_bucket(scope: str, rate: float) -> TokenBucket:
    """One bucket per account/region and rate in this process: every client of an account shares the budget.
    Bursts of up to one second's worth of calls, then `rate` a second."""
    with _shared_lock:
        return _shared_buckets.setdefault((scope, rate), TokenBucket(rate, capacity=rate))


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


class ThrottledClient:
    """A boto3 QuickSight client whose every operation waits for the token bucket and is retried on throttling
    (exponential backoff with jitter). botocore's own retries do not run against the local backend (it answers
    before the HTTP layer), so this retry is what survives a ThrottlingException there; on AWS it sits on top
    of botocore's adaptive retries. Anything that is not an API operation (meta, exceptions) passes through."""

    def __init__(
        self,
        client,
        bucket: TokenBucket,
        *,
        attempts: int = 8,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._client, self._bucket = client, bucket
        self._operations = set(client.meta.method_to_api_mapping)
        self._retrying = Retrying(
            retry=retry_if_exception(is_throttling),
            wait=wait_random_exponential(multiplier=backoff, max=max_backoff),
            stop=stop_after_attempt(attempts),
            sleep=sleep,
            reraise=True,
            before_sleep=self._count_retry,
        )
        self.throttled_retries = 0

    def _count_retry(self, _state) -> None:
        self.throttled_retries += 1

    @property
    def unwrapped(self):
        return self._client

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if name not in self._operations:
            return attribute

        def call(**kwargs):
            def attempt():
                self._bucket.acquire()
                return attribute(**kwargs)

            return self._retrying.copy()(attempt)

        call.__name__ = name
        return call


def throttled(
    client, *, rate: float = DEFAULT_REQUESTS_PER_SECOND, scope: str = "default", **options
) -> ThrottledClient:
    return ThrottledClient(client, shared_bucket(scope, rate), **options)
