"""The stand-ins' HTTP server: `http.server.ThreadingHTTPServer` (standard library, one thread per connection,
HTTP/1.1 keep-alive) bound to 127.0.0.1, a simulated clock, and injected faults (429 with Retry-After, 5xx,
a page of the wrong shape, slow pages) so that tests and `make dev` see what a real API does on a bad day."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from qs_platform.httpserve import BackgroundHTTPServer, JsonHandler


class Clock:
    """Simulated time (epoch seconds). Fixed (`set`, for tests) or replaying `start`→`end` at `speed`× real time."""

    def __init__(self, start: float, end: float | None = None, speed: float = 0.0):
        self.start, self.end, self.speed = start, end, speed
        self.fixed: float | None = None if speed else start
        self.began = time.monotonic()

    def set(self, now: float) -> None:
        self.fixed = now

    def now(self) -> float:
        if self.fixed is not None:
            return self.fixed
        value = self.start + (time.monotonic() - self.began) * self.speed
        return min(value, self.end) if self.end is not None else value


@dataclass
class Faults:
    """What goes wrong: every `rate_limit_every`-th request answers 429 (`Retry-After: retry_after`), every
    `error_every`-th 503; `script` lists the statuses of the next requests (None = answer normally);
    `corrupt_pages` are page numbers (1-based, per listing) answered with the wrong shape; `delay_seconds` per page."""

    rate_limit_every: int = 0
    error_every: int = 0
    retry_after: int = 1
    script: list[int | None] = field(default_factory=list)
    corrupt_pages: set[int] = field(default_factory=set)
    delay_seconds: float = 0.0


@dataclass
class Reply:
    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[dict[str, str], dict[str, str]], Reply]  # (query, headers) -> reply


class StandinServer(BackgroundHTTPServer):
    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"stand-ins serve on the loopback interface only, not {host!r}")
        super().__init__((host, port), _Handler)
        self.routes = routes
        self.faults = faults or Faults()
        self.requests = 0
        self.answered: list[tuple[str, int]] = []  # (path?query, status) of every request, in order
        self.lock = threading.Lock()

    def fault_for(self, number: int) -> Reply | None:
        faults = self.faults
        status = faults.script.pop(0) if faults.script else None
        if status is None and faults.rate_limit_every and number % faults.rate_limit_every == 0:
            status = 429
        if status is None and faults.error_every and number % faults.error_every == 0:
            status = 503
        if status is None:
            return None
        if status == 429:
            return Reply(
                429,
                {
                    "message": "Sorry, access has been blocked temporarily due to request count exceeding acceptable limits.",
                    "api_error_code": "api_request_limit_exceeded",
                    "http_status_code": 429,
                },
                {"Retry-After": str(faults.retry_after)},
            )
        return Reply(status, {"message": "the stand-in is failing on purpose", "http_status_code": status})


class _Handler(JsonHandler):
    server: StandinServer

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.server.lock:
            self.server.requests += 1
            number = self.server.requests
            reply = self.server.fault_for(number)
        if reply is None:
            route = self.server.routes.get(parts.path)
            reply = (
                route(query, dict(self.headers.items()))
                if route
                else Reply(404, {"message": f"no such endpoint {parts.path}"})
            )
        with self.server.lock:
            self.server.answered.append((self.path, reply.status))
        self.reply(reply.status, reply.body, reply.headers)
