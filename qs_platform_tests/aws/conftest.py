"""Shared by the tests against moto.server.

Faults of AWS services injected into botocore, for tests against moto.server (no test hooks in the platform).

`FaultInjector.install(monkeypatch)` registers two botocore event handlers on every session created from then on
(dagster-aws's S3Resource makes a session per client) and on boto3's default session:

- `before-send.<service>.<operation>`: a matching request is answered by the fault instead of being sent: an HTTP
  error response that botocore parses and retries like a real one (S3 `500 InternalError`, `503 SlowDown`, JSON
  `InternalServiceException`, `ThrottlingException`), or a `ReadTimeoutError` / `EndpointConnectionError` raised
  where urllib3 would raise it;
- `before-parse.<service>.<operation>`: a successful streamed body (GetObject) that breaks after a few bytes, as a
  connection reset in the middle of a download does (botocore does not retry a body being read).

Every attempt that reaches a rule is counted (`attempts`, per rule), injected or not, so a test can assert how many
times botocore (or the platform) retried.

The aws world (`aws_world`): an aws-profile world on moto.server for fault tests: a bucket, the service-requests pipeline, small CSVs whose
rows the tests know, and an independent reading of what landed (Python's csv module) to compare row by row.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
import botocore.session
import duckdb
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from urllib3.exceptions import ProtocolError

from qs_platform.catalog.tables import raw_rows_select, table_prefix
from qs_platform.config.loader import lineage_config, load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import S3Lake
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, HEADER

S3_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
}
JSON_ERRORS = {
    "500": (500, "InternalServiceException", "An internal error occurred."),
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "denied": (400, "AccessDeniedException", "User is not authorized to perform this action"),
}


class _Raw:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data


class _BreakingStream:
    """A urllib3-like raw stream that gives `good` bytes of the real body, then fails as a reset connection does."""

    def __init__(self, raw, good: int):
        self._raw, self._left = raw, good

    def read(self, amt=None):
        if self._left <= 0:
            raise ProtocolError("Connection broken: IncompleteRead (injected)")
        chunk = self._raw.read(min(amt or self._left, self._left))
        self._left -= len(chunk)
        return chunk

    def close(self):
        self._raw.close()


@dataclass
class Rule:
    service: str  # botocore service id, hyphenised: "s3", "glue", "athena"
    operation: str  # "GetObject", or "*"
    kind: (
        str  # "500", "503", "throttle", "denied", "timeout", "connection", "broken_body", "answer" (200 with `answer`)
    )
    times: int | None = None  # inject this many times, then let requests through; None: always
    where: Callable[[object], bool] = lambda request: True  # on the prepared request (url, body, headers)
    answer: Callable[[object], dict] | None = None  # kind "answer": the JSON body of a 200 response, from the request
    attempts: int = 0  # requests that reached the rule (an earlier rule that injected stops them), injected or not
    injected: int = 0
    bodies: list = field(default_factory=list)  # request bodies of the matching attempts (idempotency tokens …)
    log: list = field(default_factory=list)  # (method and URL, injected) of every matching attempt, in order

    def matches(self, service: str, operation: str, request) -> bool:
        return service == self.service and self.operation in ("*", operation) and self.where(request)

    @property
    def active(self) -> bool:
        return self.times is None or self.injected < self.times

    def retried_to_success(self) -> bool:
        """Every injected attempt was followed by an attempt of the same request that went through."""
        return all(
            any(url == later and not hit for later, hit in self.log[i + 1 :])
            for i, (url, injected) in enumerate(self.log)
            if injected
        )


class FaultInjector:
    def __init__(self):
        self.rules: list[Rule] = []
        self._lock = threading.Lock()

    def add(
        self,
        service: str,
        operation: str,
        kind: str,
        *,
        times: int | None = None,
        where: Callable[[object], bool] = lambda request: True,
        answer: Callable[[object], dict] | None = None,
    ) -> Rule:
        rule = Rule(service, operation, kind, times, where, answer)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def install(self, monkeypatch) -> FaultInjector:
        original = botocore.session.Session.__init__
        injector = self

        def init(session, *args, **kwargs):
            original(session, *args, **kwargs)
            injector.register(session)

        monkeypatch.setattr(botocore.session.Session, "__init__", init)
        fresh = boto3.Session()  # clients made with boto3.client() come from the default session: a watched one
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", fresh)
        return self

    def register(self, session) -> None:
        session.register("before-send", self._before_send)
        session.register("before-parse", self._before_parse)

    # ---- handlers ------------------------------------------------------------------------------------------

    def _rule(self, event_name: str, request, streaming: bool) -> Rule | None:
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            for rule in self.rules:
                if (rule.kind == "broken_body") == streaming and rule.matches(service, operation, request):
                    rule.attempts += 1
                    active = rule.active
                    if request is not None:
                        rule.bodies.append(request.body)
                        rule.log.append((f"{request.method} {request.url}", active))
                    if active:
                        rule.injected += 1
                        return rule
        return None  # no rule, or only spent ones: the request goes through

    def _before_send(self, request, event_name: str, **_):
        rule = self._rule(event_name, request, streaming=False)
        if rule is None:
            return None
        if rule.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url, error="injected read timeout")
        if rule.kind == "connection":
            raise EndpointConnectionError(endpoint_url=request.url, error="injected connection refused")
        if rule.kind == "answer":  # a well-formed answer of the service's own (JSON protocols: Athena, Glue)
            body = json.dumps(rule.answer(request)).encode()
            return AWSResponse(
                request.url,
                200,
                {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"},
                _Raw(body),
            )
        if rule.service == "s3":
            status, code, message = S3_ERRORS[rule.kind]
            body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            return AWSResponse(
                request.url, status, {"Content-Type": "application/xml", "x-amz-request-id": "injected"}, _Raw(body)
            )
        status, code, message = JSON_ERRORS[rule.kind]
        body = json.dumps({"__type": code, "message": message}).encode()
        return AWSResponse(
            request.url,
            status,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"},
            _Raw(body),
        )

    def _before_parse(self, operation_model, response_dict, event_name: str, **_):
        body = response_dict.get("body")
        if not isinstance(body, StreamingBody) or response_dict.get("status_code", 200) >= 300:
            return
        name = event_name.replace("before-parse", "before-send")
        rule = self._rule(name, None, streaming=True)
        if rule is not None:
            length = int(response_dict["headers"].get("content-length", 0))
            response_dict["body"] = StreamingBody(_BreakingStream(body._raw_stream, good=min(16, length // 2)), length)


ACCOUNT = "123456789012"
COLUMNS = ["id", "start_date", "end_date", "service_division_owner", "service_result", "ward_id", "estimated_cost"]
DIVISIONS = ["Toronto Water", "Solid Waste Management Services", "Transportation Services"]


def csv_text(first_id: int, rows: int) -> str:
    lines = [
        f"{i},1/{1 + i % 27}/2024,2/{1 + i % 27}/2024,{DIVISIONS[i % 3]},{'PASS' if i % 4 else 'FAIL'},{i % 25 + 1},{i * 7 % 1000}.5,note {i}\n"
        for i in range(first_id, first_id + rows)
    ]
    return HEADER + "".join(lines)


def expected_rows(texts: list[str]) -> list[tuple]:
    """(id, start, end, division, result, ward, cost) of every record, read by Python's csv module: the reference."""
    rows = []
    for text in texts:
        for record in csv.DictReader(io.StringIO(text)):
            month, day, year = (int(p) for p in record["start_date"].split("/"))
            end_month, end_day, end_year = (int(p) for p in record["end_date"].split("/"))
            rows.append(
                (
                    int(record["id"]),
                    f"{year:04d}-{month:02d}-{day:02d}",
                    f"{end_year:04d}-{end_month:02d}-{end_day:02d}",
                    record["service_division_owner"],
                    record["service_result"],
                    int(record["ward_id"]),
                    float(record["estimated_cost"]),
                )
            )
    return sorted(rows)


@dataclass
class AwsWorld:
    settings: Settings
    config: ProjectConfig
    lake: S3Lake

    def definitions(self):
        return build_definitions(self.settings, self.config)

    def land(self, name: str, text: str) -> str:
        key = f"landing/service_requests/{name}"
        self.lake.put_bytes(key, text.encode())
        return key

    def raw_rows(self) -> list[tuple]:
        source = self.config.source("service_requests")
        select = ", ".join(
            COLUMNS[:1]
            + [f"cast({c} as varchar)" for c in COLUMNS[1:3]]
            + COLUMNS[3:6]
            + ["cast(estimated_cost as double)"]
        )
        with duckdb.connect() as con:
            return sorted(con.execute(f"select {select} from ({raw_rows_select(self.lake, source)})").fetchall())

    def processed(self, table: str, sql: str) -> list[tuple]:
        scan = self.lake.parquet_scan(table_prefix(f"processed.{table}"))
        assert scan, f"processed.{table} has no data"
        with duckdb.connect() as con:
            return con.execute(sql.replace("{table}", scan)).fetchall()

    def ledger(self) -> Ledger:
        return Ledger.load(self.lake, self.config.source("service_requests"))

    def assert_complete(self, texts: list[str]) -> None:
        """Row by row: raw equals what landed, each once; the processed tables count each request once."""
        expected = expected_rows(texts)
        assert self.raw_rows() == expected
        assert self.processed("service_requests", "select count(*), count(distinct id) from {table}") == [
            (len(expected), len(expected))
        ]
        ledger = self.ledger()
        assert all(
            r.status == "loaded" and r.input_rows == r.loaded_rows + r.rejected_rows for r in ledger.records.values()
        )
        assert sum(r.loaded_rows for r in ledger.records.values()) == len(expected)


def aws_world(tmp_path, bucket: str, *, max_attempts: int = 3, quicksight: bool = False, **env) -> AwsWorld:
    """The service-requests source and its processed table under the aws profile (with `quicksight`: division_kpis and
    its dataset too, on the local backend), in Glue databases of its own (the session's tests share the moto server)."""
    boto3.client("s3").create_bucket(Bucket=bucket)
    settings = Settings.from_env(
        {
            "QS_PROFILE": "aws",
            "QS_CONFIG_DIR": str(CONFIG_DIR),
            "QS_LAKE_URL": f"s3://{bucket}/lake",
            "QS_AWS_ACCOUNT_ID": ACCOUNT,
            "AWS_REGION": "us-east-1",
            "QS_QUICKSIGHT_STORE": str(tmp_path / "quicksight.sqlite"),
            "QS_S3_CACHE_DIR": str(tmp_path / "cache"),
            "QS_AWS_MAX_ATTEMPTS": str(max_attempts),
            "QS_GLUE_DATABASE_PREFIX": bucket.replace("-", "_") + "_",
            **env,
        }
    )
    full = lineage_config(load_config(settings.config_dir), ["service_requests"], quicksight=quicksight)
    tables = (
        [t for t in full.tables if t.name in ("service_requests", "division_kpis")]
        if quicksight
        else [full.table("service_requests")]
    )
    datasets = [d for d in full.datasets if d.table in {t.table_name for t in tables}]
    dashboards = [d for d in full.dashboards if set(d.datasets) <= {d.id for d in datasets}]
    config = ProjectConfig(sources=full.sources, tables=tables, datasets=datasets, dashboards=dashboards)
    return AwsWorld(settings, config, S3Lake(settings.lake_url))


@pytest.fixture
def faults(aws_env, monkeypatch) -> FaultInjector:
    return FaultInjector().install(monkeypatch)
