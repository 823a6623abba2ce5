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

The aws world (`aws_world`): the pipeline world of qs_platform_tests/conftest.py under the aws profile on moto.server,
in a bucket of its own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from urllib3.exceptions import ProtocolError

from qs_platform.config.settings import Settings
from qs_platform.lake import S3Lake
from qs_platform_tests.conftest import CONFIG_DIR, PipelineWorld, pipeline_config

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


def aws_world(tmp_path, bucket: str, *, max_attempts: int = 3, quicksight: bool = False, **env) -> PipelineWorld:
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
    return PipelineWorld(settings, pipeline_config(quicksight), S3Lake(settings.lake_url))


@pytest.fixture
def faults(aws_env, monkeypatch) -> FaultInjector:
    return FaultInjector().install(monkeypatch)
