"""How data that does not arrive as dropped files is acquired: pulled from an HTTP API on a schedule, or collected
from posted events; and the schedules of what runs on a clock (pulls, rebuilds of date-dependent tables).

Credentials never appear here: a `credentials:` block names an environment variable or an AWS Secrets Manager
secret, and anything that looks like a secret in a URL or a query parameter is refused.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MIB = 1 << 20
CRON_MACROS = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"}
CRON_FIELD = re.compile(
    r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$"
)
ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")
SECRET_WORDS = re.compile(r"(api[_-]?key|apikey|token|secret|password|passwd|signature|access[_-]?key)", re.IGNORECASE)
PULL_KEY_FIELDS = {"date", "start", "end", "hash"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Strict):
    """A cron schedule, shown (and switchable) in the Dagster UI; the daemon and `qs-platform sync --schedules`
    run it. `default_status` unset: running where the thing needs a clock (pulls, tables whose SQL reads the
    date), stopped otherwise."""

    cron: str = Field(description="Five cron fields (minute hour day-of-month month day-of-week) or @hourly/@daily/...")
    timezone: str = "UTC"
    default_status: Literal["running", "stopped"] | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if value in CRON_MACROS:
            return value
        fields = value.split(" ")
        if len(fields) != 5 or not all(CRON_FIELD.match(f) for f in fields):
            raise ValueError(
                f"expected 5 cron fields 'minute hour day-of-month month day-of-week' or one of {sorted(CRON_MACROS)}, got {value!r}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (expected an IANA name such as UTC or Europe/Berlin)"
            ) from None
        return value


class Pagination(Strict):
    """offset: the page carries an opaque token for the next page (`token_path`, e.g. Chargebee's next_offset), sent
    back as `param`; the last page has none. page: numbered pages (`param`, from `first_page`), the last one shorter
    than page_size (or `total_pages_path` reached). next_link: the page carries the next page's URL (`token_path`)."""

    kind: Literal["offset", "page", "next_link", "none"]
    param: str = ""
    token_path: str = ""
    first_page: int = Field(default=1, ge=0)
    total_pages_path: str = ""

    @model_validator(mode="after")
    def _defaults(self) -> Pagination:
        defaults = {
            "offset": ("offset", "next_offset"),
            "page": ("page", ""),
            "next_link": ("", "next"),
            "none": ("", ""),
        }[self.kind]
        if not self.param:
            object.__setattr__(self, "param", defaults[0])
        if not self.token_path:
            object.__setattr__(self, "token_path", defaults[1])
        return self


class Watermark(Strict):
    """The field that only grows as records change (e.g. updated_at) and the query parameter that asks for records
    after it. The new watermark is the largest value pulled; it is stored in Dagster (the pull's materialization)
    once the file landed. `lookback_seconds` asks again for a window before it (late writes); records of that
    window already landed (same `id_fields` and watermark value) are not landed again."""

    field: str = Field(description="Dotted path of the value in each record")
    param: str = Field(description="Query parameter carrying it, e.g. updated_at[after]")
    kind: Literal["epoch_seconds", "epoch_ms", "integer", "iso_date", "iso_timestamp"] = "epoch_seconds"
    initial: str | int | None = Field(
        default=None, description="The first pull's watermark; unset: the first pull is a full load"
    )
    lookback_seconds: int = Field(default=0, ge=0)
    id_fields: list[str] = Field(
        default_factory=list, description="What identifies a record, e.g. [id]: a version = id + watermark value"
    )


class Credentials(Strict):
    """Where the API key comes from: an environment variable, or an AWS Secrets Manager secret (its whole string, or
    one `secret_key` of its JSON). Never the key itself."""

    kind: Literal["basic", "bearer", "header"] = Field(
        default="basic", description="basic: the key as user name (Chargebee); bearer; header: `header: <key>`"
    )
    header: str = "Authorization"
    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    secret_id: str | None = None
    secret_key: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> Credentials:
        if bool(self.env) == bool(self.secret_id):
            raise ValueError(
                "credentials need exactly one of env (an environment variable) or secret_id (AWS Secrets Manager)"
            )
        if self.secret_key and not self.secret_id:
            raise ValueError("secret_key names a key of a Secrets Manager secret: it needs secret_id")
        return self


class Pull(Strict):
    """A paginated JSON HTTP API pulled into the source's landing zone: one file per pull (JSON Lines)."""

    url: str = Field(
        description="May use ${VARIABLE} or ${VARIABLE:-default} from the environment (e.g. a stand-in's address)"
    )
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    records_path: str = Field(
        default="", description="Dotted path of the list of records in a page ('' = the page is the list)"
    )
    record_path: str = Field(
        default="", description="Dotted path of the record inside each element (Chargebee: subscription)"
    )
    record_extras: dict[str, str] = Field(
        default_factory=dict, description="record member <- element path, e.g. {customer: customer}"
    )
    pagination: Pagination = Pagination(kind="none")
    page_size: int = Field(default=100, ge=1, le=100_000)
    page_size_param: str = "limit"
    watermark: Watermark | None = None
    credentials: Credentials | None = None
    schedule: Schedule
    key: str = Field(
        default="{date}/pull-{start}-{end}-{hash}.json",
        description="Landed key below the prefix; fields date, start, end, hash",
    )
    timeout_seconds: float = Field(default=30, gt=0)
    max_attempts: int = Field(
        default=8, ge=1, le=50, description="Tries of one page on HTTP 429, 5xx and connection errors"
    )
    max_retry_seconds: float = Field(default=300, gt=0, description="Longest a page is retried for in all")
    max_pages: int = Field(default=100_000, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        shown = ENV_REFERENCE.sub(lambda m: m.group(2) or "http://placeholder", value)
        if not re.match(r"^https?://[^/]+", shown):
            raise ValueError(f"expected an http(s):// URL, got {value!r}")
        if "@" in shown.split("/")[2] or SECRET_WORDS.search(shown.partition("?")[2]):
            raise ValueError("the URL must not carry credentials: use credentials: {env: ...} or {secret_id: ...}")
        return value

    @field_validator("params")
    @classmethod
    def _no_secret_params(cls, value: dict) -> dict:
        secret = sorted(name for name in value if SECRET_WORDS.search(name))
        if secret:
            raise ValueError(
                f"parameters {secret} look like credentials: give them through credentials: {{env: ...}} or {{secret_id: ...}}"
            )
        return value

    @field_validator("key")
    @classmethod
    def _key_fields(cls, value: str) -> str:
        fields = set(re.findall(r"\{(\w+)\}", value))
        unknown = sorted(fields - PULL_KEY_FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {unknown} in the pull key; known: {sorted(PULL_KEY_FIELDS)}")
        if "hash" not in fields:
            raise ValueError("the pull key needs {hash} (a pull repeated with the same content lands the same key)")
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"the pull key must stay below the landing prefix, got {value!r}")
        return value

    @model_validator(mode="after")
    def _pagination_fits(self) -> Pull:
        if self.pagination.kind == "offset" and not self.pagination.token_path:
            raise ValueError("offset pagination needs token_path")
        return self

    def sample_key(self) -> str:
        """The key a pull would land, with sample values (to check it against the source's pattern and template)."""
        return self.key.format(date="2024-01-31", start="1700000000", end="1700003600", hash="0123456789ab")


class Collect(Strict):
    """Events posted to `qs-platform collect` are buffered like Amazon Data Firehose and land as
    `yyyy/mm/dd/hh/collector-<time>-<segment>.json` (UTC hour of the buffer's first event)."""

    max_buffer_bytes: int = Field(
        default=5 * MIB, ge=1024, le=128 * MIB, description="Firehose buffering hint: size (1-128 MiB)"
    )
    max_buffer_seconds: float = Field(
        default=60, gt=0, le=900, description="Firehose buffering hint: interval (up to 900 s)"
    )
    max_event_bytes: int = Field(
        default=1_000 * 1024, ge=64, description="One event's largest JSON (Firehose: 1,000 KiB)"
    )
    max_batch_events: int = Field(default=500, ge=1, description="Events of one request (Firehose PutRecordBatch: 500)")
    max_request_bytes: int = Field(
        default=4 * MIB, ge=1024, description="One request's body (Firehose PutRecordBatch: 4 MiB)"
    )
    validate_required: bool = Field(
        default=True, description="Refuse events lacking a required column of the source (or an alias)"
    )

    @staticmethod
    def sample_key() -> str:
        return "2024/03/01/09/collector-2024-03-01-09-15-00-000001.json"
