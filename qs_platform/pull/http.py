"""GET a JSON page with `requests`, retried by `tenacity` on HTTP 429, 5xx and connection errors.

The wait honours `Retry-After` (seconds or an HTTP date), capped at `max_wait_seconds`; without it, jittered
exponential backoff. A 4xx other than 429 fails at once with the status and the body. Every message goes through
`Redactor`, so a credential never reaches a log line or an exception (and through them, Dagster's event log).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
import tenacity

BODY_SHOWN = 500
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class Redactor:
    """Replaces every known secret value in a text by `***`."""

    def __init__(self, secrets: list[str] | None = None):
        self.secrets = [s for s in (secrets or []) if s]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class PullError(Exception):
    """A pull that cannot go on; the message names the page and what went wrong (never a credential)."""


class HttpStatusError(PullError):
    def __init__(self, message: str, status: int, body: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.body = body
        self.retry_after = retry_after


class RetryableError(PullError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` as seconds to wait (None when absent/unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class _RetryAfterOrBackoff(tenacity.wait.wait_base):
    def __init__(self, fallback: tenacity.wait.wait_base, cap: float):
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        asked = getattr(error, "retry_after", None)
        return min(asked, self.cap) if asked is not None else min(self.fallback(retry_state), self.cap)


@dataclass
class HttpClient:
    """One `requests.Session` (connection reuse) with the credentials of one API."""

    auth: tuple[str, str] | None = None  # basic auth
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_attempts: int = 8
    max_retry_seconds: float = 300.0
    max_wait_seconds: float = 60.0
    initial_backoff: float = 0.5
    redact: Redactor = field(default_factory=Redactor)
    on_retry: Callable[[str], None] = lambda message: None
    sleep: Callable[[float], None] = time.sleep
    retries: int = 0  # retried requests so far (429, 5xx, connection errors)

    def __post_init__(self):
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **self.headers})
        if self.auth:
            self.session.auth = self.auth

    def close(self) -> None:
        self.session.close()

    def get_json(self, url: str, params: dict | None, where: str) -> object:
        """The decoded JSON of one GET; `where` names the page in messages (e.g. 'page 3 of subscriptions')."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            stop=tenacity.stop_after_attempt(self.max_attempts) | tenacity.stop_after_delay(self.max_retry_seconds),
            wait=_RetryAfterOrBackoff(
                tenacity.wait_exponential_jitter(initial=self.initial_backoff, max=self.max_wait_seconds),
                self.max_wait_seconds,
            ),
            before_sleep=self._before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._get_once, url, params, where)
        except RetryableError as error:
            raise PullError(
                f"{error} (gave up after {self.max_attempts} attempts or {self.max_retry_seconds:.0f} s)"
            ) from None

    def _before_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        self.retries += 1
        wait = retry_state.next_action.sleep if retry_state.next_action else 0
        self.on_retry(f"{retry_state.outcome.exception()}; retry {retry_state.attempt_number} in {wait:.2f} s")

    def _get_once(self, url: str, params: dict | None, where: str) -> object:
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise RetryableError(self.redact(f"{where}: {type(error).__name__}: {error}")) from None
        body = response.text
        if response.status_code in RETRYABLE_STATUS:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RetryableError(
                self.redact(f"{where}: HTTP {response.status_code} {body[:BODY_SHOWN]}".strip()), retry_after
            )
        if response.status_code >= 400:
            message = self.redact(
                f"{where}: HTTP {response.status_code} {response.reason}: {body[:BODY_SHOWN]}".strip()
            )
            raise HttpStatusError(message, response.status_code, self.redact(body[:BODY_SHOWN]))
        try:
            return response.json()
        except ValueError:
            raise PullError(
                self.redact(
                    f"{where}: expected a JSON body, got {response.headers.get('Content-Type', 'no content type')}: {body[:200]!r}"
                )
            ) from None
