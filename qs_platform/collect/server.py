"""The collector's HTTP endpoint: `POST /events/<source>` (or `/events` when one source collects) takes one JSON
event (an object) or a batch (an array, or `{"records": [...]}`), checks sizes and shape, and answers 200 only once
the events are durably buffered. A request with any invalid event is refused whole (400, each problem listed),
so a client retries exactly what was not accepted. `GET /health` shows the counters.

The server is the standard library's `ThreadingHTTPServer` (one thread per connection, HTTP/1.1 keep-alive): no
new dependency, and throughput is bound by the spool's group commit rather than by the server; on AWS the same
layout comes from Firehose behind API Gateway instead (README).
"""

from __future__ import annotations

import json
import threading

from qs_platform.collect.spool import Spool, SpoolClosed
from qs_platform.config.models import Source, normalise_column_name
from qs_platform.httpserve import BackgroundHTTPServer, JsonHandler

ERRORS_SHOWN = 20


class InvalidEvents(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:ERRORS_SHOWN]))
        self.problems = problems


def required_names(source: Source) -> list[tuple[str, set[str]]]:
    """Per required column, its name and the names it may arrive under (aliases, and their normalised forms)."""
    names = []
    for column in source.columns:
        if column.required and not column.path:
            spelled = {column.name, *column.aliases}
            names.append((column.name, spelled | {normalise_column_name(n) for n in spelled}))
    return names


def parse_events(body: bytes, source: Source) -> list[bytes]:
    """The events of one request, each as one line of compact JSON; InvalidEvents names every problem."""
    settings = source.collect
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidEvents([f"the body is not JSON: {error}"]) from None
    if isinstance(payload, dict) and isinstance(payload.get("records"), list) and len(payload) == 1:
        payload = payload["records"]
    events = payload if isinstance(payload, list) else [payload]
    if not events:
        raise InvalidEvents(["an empty batch"])
    if len(events) > settings.max_batch_events:
        raise InvalidEvents([f"{len(events)} events in one request; at most {settings.max_batch_events}"])
    required = required_names(source) if settings.validate_required else []
    lines, problems = [], []
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not event:
            problems.append(f"event {index}: expected a non-empty JSON object, got {type(event).__name__}")
            continue
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        if len(line) > settings.max_event_bytes:
            problems.append(f"event {index}: {len(line):,} bytes; at most {settings.max_event_bytes:,}")
            continue
        missing = [name for name, names in required if not names & event.keys()]
        if missing:
            problems.append(f"event {index}: missing required {missing}")
            continue
        lines.append(line)
    if problems:
        raise InvalidEvents(problems)
    return lines


class CollectorServer(BackgroundHTTPServer):
    def __init__(self, spools: dict[str, tuple[Source, Spool]], host: str = "127.0.0.1", port: int = 8060):
        super().__init__((host, port), _Handler)
        self.spools = spools
        self.requests = {"accepted": 0, "refused": 0}
        self.lock = threading.Lock()

    def stop(self) -> None:
        """Stop taking requests, then flush every buffer into landing."""
        super().stop()
        for _, spool in self.spools.values():
            spool.close()

    def route(self, path: str) -> tuple[Source, Spool] | None:
        name = path.strip("/").removeprefix("events").strip("/")
        if not name and len(self.spools) == 1:
            return next(iter(self.spools.values()))
        return self.spools.get(name)


class _Handler(JsonHandler):
    server: CollectorServer

    def do_GET(self):  # noqa: N802
        if self.path.rstrip("/") != "/health":
            return self.reply(404, {"error": "GET /health, or POST events to /events/<source>"})
        body = {
            name: {**vars(spool.stats), "buffered_bytes": spool.buffered_bytes}
            for name, (_, spool) in self.server.spools.items()
        }
        self.reply(200, {"sources": body, "requests": dict(self.server.requests)})

    def do_POST(self):  # noqa: N802
        found = self.server.route(self.path.split("?", 1)[0])
        if found is None:
            return self.reply(
                404, {"error": f"no collecting source at {self.path}; known: {sorted(self.server.spools)}"}
            )
        source, spool = found
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self.reply(411, {"error": "Content-Length is required"})
        if int(length) > source.collect.max_request_bytes:
            self.close_connection = True  # the body is not read
            return self.reply(
                413, {"error": f"{int(length):,} bytes; at most {source.collect.max_request_bytes:,} a request"}
            )
        body = self.rfile.read(int(length))
        try:
            lines = parse_events(body, source)
            spool.append(lines)
        except InvalidEvents as error:
            self._count("refused")
            return self.reply(
                400, {"accepted": 0, "errors": error.problems[:ERRORS_SHOWN], "error_count": len(error.problems)}
            )
        except (SpoolClosed, TimeoutError) as error:
            self._count("refused")
            return self.reply(503, {"accepted": 0, "error": str(error)})
        except OSError as error:
            self._count("refused")
            return self.reply(500, {"accepted": 0, "error": f"the buffer could not be written: {error}"})
        self._count("accepted")
        self.reply(200, {"accepted": len(lines)})

    def _count(self, outcome: str) -> None:
        with self.server.lock:
            self.server.requests[outcome] += 1
