"""The small HTTP servers the platform runs itself (the event collector, the stand-in APIs): the standard library's
`ThreadingHTTPServer` (one thread per connection, HTTP/1.1 keep-alive) on a background thread, answering JSON."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BackgroundHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=f"http-{self.server_address[1]}", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers would otherwise wait ~40 ms for the client's delayed ACK
    wbufsize = 1 << 16  # headers and body leave in one segment (flushed after each request)

    def log_message(self, format, *args):  # noqa: A002 - one access-log line per request would drown everything else
        pass

    def reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
