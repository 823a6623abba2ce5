"""A local, offline viewer for stored QuickSight dashboards.

Definitions come from a QuickSight client (the local backend or real boto3), data from the DuckDB catalog
(read-only, one short connection per query), charts are drawn in the browser by `static/viewer.js`.

    GET  /                                              dashboards (HTML)
    GET  /dashboards/<id>                               the dashboard page
    GET  /api/dashboards                                {"dashboards": [{dashboard_id, name, url}]}
    GET  /api/dashboards/<id>                           {dashboard_id, name, parameters, sheets, definition}
    GET  /dashboards/<id>/thumbnail.svg                 a small static picture of the first sheet (no data)
    POST /api/dashboards/<id>/visuals/<visual_id>       {"parameters": {...}, "filters": {FilterId: value}, "sheet_id": ...,
                                                         "inline_errors": bool} -> {columns, rows, sql, fields}
    GET  /api/dashboards/<id>/controls/<control_id>/values   values of a dropdown (parameter or filter control);
                                                         ?inline_errors=1: a failure answers 200 + {error}
    GET  /healthz
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from .catalog import CatalogUnavailable, QueryFailed, json_value, run_query
from .datasets import DatasetError, DatasetSource, dataset_source
from .definition import (
    NotFound,
    ParameterError,
    dashboard_summary,
    dataset_arns,
    dataset_id_from_arn,
    filters_by_id,
    find_control,
    find_filter_control,
    find_visual,
    parameter_declarations,
    resolve_parameters,
    visual_kind,
)
from .expressions import evaluate_constant
from .insights import compute, narrative_lines
from .sql import (
    CompileError,
    compile_column_values,
    compile_visual,
    visual_dataset_identifier,
)
from .thumbnail import dashboard_thumbnail_svg

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 1_000_000
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


# ---- the viewer's operations (no HTTP) ----------------------------------------------------------------------


class ViewerApp:
    def __init__(self, quicksight_client: Any, account_id: str, catalog_path: str | Path):
        self.client = quicksight_client
        self.account_id = account_id
        self.catalog_path = Path(catalog_path)
        self._client_lock = threading.Lock()  # the client may wrap a single-threaded store
        self._described: dict[str, dict] = {}  # dashboard id -> its definition as the page last loaded it

    def _call(self, operation: str, **kwargs: Any) -> dict:
        with self._client_lock:
            return getattr(self.client, operation)(AwsAccountId=self.account_id, **kwargs)

    def list_dashboards(self) -> list[dict]:
        summaries, token = [], None
        try:
            while True:
                response = self._call("list_dashboards", **({"NextToken": token} if token else {}))
                summaries += response.get("DashboardSummaryList", [])
                token = response.get("NextToken")
                if not token:
                    break
        except (ClientError, BotoCoreError) as error:
            raise _backend_error(error) from None
        summaries.sort(key=lambda s: (s.get("Name") or s["DashboardId"]).lower())
        return [
            {
                "dashboard_id": s["DashboardId"],
                "name": s.get("Name") or s["DashboardId"],
                "url": f"/dashboards/{quote(s['DashboardId'])}",
                "last_updated": json_value(s.get("LastUpdatedTime")),
            }
            for s in summaries
        ]

    def dashboard(self, dashboard_id: str, fresh: bool = True) -> dict:
        """The dashboard's published definition; `fresh=False` takes the one the page last loaded, if any.

        A page asks for its dashboard once and then for each visual and control: those are computed from the
        definition the page was drawn from (one describe per page, not one per visual: a 3 MB export took 0.7 s
        to describe), and a reload sees a dashboard updated meanwhile."""
        if not fresh and dashboard_id in self._described:
            return self._described[dashboard_id]
        try:
            response = self._call("describe_dashboard_definition", DashboardId=dashboard_id)
        except ClientError as error:
            if _error_code(error) == "ResourceNotFoundException":
                raise ApiError(404, f"dashboard {dashboard_id!r} not found") from None
            raise _backend_error(error) from None
        except BotoCoreError as error:
            raise _backend_error(error) from None
        self._described[dashboard_id] = response
        return response

    def summary(self, dashboard_id: str) -> dict:
        return json_value(dashboard_summary(self.dashboard(dashboard_id)))

    def source(self, definition: dict, identifier: str) -> DatasetSource:
        arn = dataset_arns(definition).get(identifier)
        if arn is None:
            raise DatasetError(f"dataset identifier {identifier!r} is not declared in DataSetIdentifierDeclarations")
        dataset_id = dataset_id_from_arn(arn)
        try:
            response = self._call("describe_data_set", DataSetId=dataset_id)
        except ClientError as error:
            if _error_code(error) == "ResourceNotFoundException":
                raise DatasetError(f"dataset {dataset_id!r} not found in QuickSight") from None
            raise _backend_error(error) from None
        except BotoCoreError as error:
            raise _backend_error(error) from None
        return dataset_source(identifier, response["DataSet"])

    def visual_data(self, dashboard_id: str, visual_id: str, body: dict) -> dict:
        definition = self.dashboard(dashboard_id, fresh=False).get("Definition") or {}
        try:
            sheet, wrapper = find_visual(definition, visual_id, body.get("sheet_id") or None)
        except NotFound as error:
            raise ApiError(404, str(error)) from None
        values = self._parameters(definition, body.get("parameters"))
        filter_values = body.get("filters") or {}
        if not isinstance(filter_values, dict):
            raise ApiError(400, '"filters" must be an object of FilterId -> value')
        kind, visual = visual_kind(wrapper)
        if kind == "EmptyVisual":
            return {
                "visual_id": visual_id,
                "type": kind,
                "columns": [],
                "fields": [],
                "rows": [],
                "sql": "",
                "params": {},
            }
        if kind == "InsightVisual":
            return self._insight(definition, sheet, visual, values, filter_values)
        try:
            source = self.source(definition, visual_dataset_identifier(wrapper))
            query = compile_visual(definition, sheet.get("SheetId", ""), wrapper, source, values, filter_values)
        except (CompileError, DatasetError) as error:
            raise ApiError(422, str(error), visual_id=visual_id, type=kind) from None
        columns, rows = self._run(query.sql, query.params, visual_id=visual_id, type=kind)
        return {
            "visual_id": visual_id,
            "type": kind,
            "columns": columns,
            "fields": query.fields,
            "rows": rows,
            "sql": query.sql,
            "params": json_value(query.params),
            "notes": query.notes,
        }

    def _insight(self, definition: dict, sheet: dict, visual: dict, values: dict, filter_values: dict) -> dict:
        """The computations' results and the narrative filled from them; a computation that fails says why."""
        visual_id = visual.get("VisualId", "")
        config = visual.get("InsightConfiguration") or {}
        try:
            source = self.source(definition, visual.get("DataSetIdentifier", ""))
        except DatasetError as error:
            raise ApiError(422, str(error), visual_id=visual_id, type="InsightVisual") from None
        queries: list[str] = []

        def run(wrapper: dict) -> list[list[Any]]:
            query = compile_visual(definition, sheet.get("SheetId", ""), wrapper, source, values, filter_values)
            queries.append(query.sql)
            return self._run(query.sql, query.params, visual_id=visual_id)[1]

        results, problems = {}, []
        for computation in config.get("Computations", []):
            for kind, c in computation.items():
                try:
                    results[c.get("Name") or c.get("ComputationId")] = compute(visual_id, kind, c, run)
                except (CompileError, ApiError, KeyError, TypeError) as error:
                    problems.append(f"{c.get('Name') or kind}: {getattr(error, 'message', error)}")
        narrative = (config.get("CustomNarrative") or {}).get("Narrative")
        if narrative:
            lines = narrative_lines(narrative, results, lambda text: evaluate_constant(text, values))
        else:
            lines = [
                f"{name}: " + ", ".join(f"{k} {v['formattedValue']}" for k, v in result.items() if isinstance(v, dict))
                for name, result in results.items()
            ]
        return {
            "visual_id": visual_id,
            "type": "InsightVisual",
            "narrative": lines,
            "problems": problems,
            "columns": [],
            "fields": [],
            "rows": [],
            "sql": ";\n\n".join(queries),
            "params": {},
        }

    def control_values(self, dashboard_id: str, control_id: str) -> dict:
        definition = self.dashboard(dashboard_id, fresh=False).get("Definition") or {}
        try:
            _, control = find_control(definition, control_id)
            selectable = control.get("SelectableValues") or {}
            column = selectable.get("LinkToDataSetColumn")
        except NotFound:
            column, selectable = self._filter_control_column(definition, control_id)
        if not column:
            return {"control_id": control_id, "values": list(selectable.get("Values", []))}
        values = self._parameters(definition, None)
        try:
            source = self.source(definition, column["DataSetIdentifier"])
            query = compile_column_values(definition, column, source, values)
        except (CompileError, DatasetError) as error:
            raise ApiError(422, str(error), control_id=control_id) from None
        _, rows = self._run(query.sql, query.params, control_id=control_id)
        return {"control_id": control_id, "values": [row[0] for row in rows], "sql": query.sql}

    @staticmethod
    def _filter_control_column(definition: dict, control_id: str) -> tuple[dict | None, dict]:
        """A filter control lists its static SelectableValues, else the values of its filter's column."""
        try:
            _, control = find_filter_control(definition, control_id)
        except NotFound:
            raise ApiError(404, f"no parameter or filter control {control_id!r}") from None
        selectable = control.get("SelectableValues") or {}
        if selectable.get("Values"):
            return None, selectable
        _, source_filter = filters_by_id(definition).get(control.get("SourceFilterId"), ("", {}))
        if not source_filter.get("Column"):
            raise ApiError(
                422,
                f"filter control {control_id!r}: source filter {control.get('SourceFilterId')!r} not found",
                control_id=control_id,
            )
        return source_filter["Column"], selectable

    def thumbnail(self, dashboard_id: str) -> str:
        response = self.dashboard(dashboard_id)
        return dashboard_thumbnail_svg(response.get("Name") or dashboard_id, response.get("Definition") or {})

    def healthz(self) -> dict:
        return {"status": "ok", "catalog_path": str(self.catalog_path), "catalog_exists": self.catalog_path.is_file()}

    def _parameters(self, definition: dict, requested: Any) -> dict:
        if requested is not None and not isinstance(requested, dict):
            raise ApiError(400, '"parameters" must be an object of parameter name -> value')
        try:
            return resolve_parameters(parameter_declarations(definition), requested)
        except ParameterError as error:
            raise ApiError(400, str(error)) from None

    def _run(self, sql: str, params: dict, **context: Any) -> tuple[list[str], list[list[Any]]]:
        try:
            return run_query(self.catalog_path, sql, params)
        except CatalogUnavailable as error:
            raise ApiError(503, str(error), **context) from None
        except QueryFailed as error:
            raise ApiError(422, f"the query cannot run: {error}", sql=sql, **context) from None


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _backend_error(error: Exception) -> ApiError:
    return ApiError(502, f"QuickSight backend error: {error}")


# ---- HTTP -------------------------------------------------------------------------------------------------

_ID = r"(?P<{}>[^/]+)"
Route = tuple[str, "re.Pattern[str]", str]
ROUTES: list[Route] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("GET", r"/", "page_index"),
        ("GET", r"/healthz", "api_healthz"),
        ("GET", r"/favicon\.ico", "favicon"),
        ("GET", r"/static/(?P<name>[A-Za-z0-9_.-]+)", "static_file"),
        ("GET", r"/dashboards/" + _ID.format("dashboard_id") + "/?", "page_dashboard"),
        ("GET", r"/dashboards/" + _ID.format("dashboard_id") + r"/thumbnail\.svg", "thumbnail_svg"),
        ("GET", r"/api/dashboards/?", "api_dashboards"),
        ("GET", r"/api/dashboards/" + _ID.format("dashboard_id"), "api_dashboard"),
        (
            "POST",
            r"/api/dashboards/" + _ID.format("dashboard_id") + "/visuals/" + _ID.format("visual_id"),
            "api_visual",
        ),
        (
            "GET",
            r"/api/dashboards/" + _ID.format("dashboard_id") + "/controls/" + _ID.format("control_id") + "/values",
            "api_control_values",
        ),
    ]
]


class ViewerRequestHandler(BaseHTTPRequestHandler):
    server_version = "qs-platform-viewer/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def app(self) -> ViewerApp:
        return self.server.app  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    # -- dispatch
    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        self._body = self._read_body()  # always drain it: the connection is kept alive
        allowed = False
        for route_method, pattern, name in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            allowed = True
            if route_method != method:
                continue
            kwargs = {k: unquote(v) for k, v in match.groupdict().items()}
            return self._handle(getattr(self, name), kwargs, api=path.startswith("/api/") or path == "/healthz")
        if allowed:
            return self._send_json(405, {"error": f"{method} is not allowed on {path}"})
        if path.startswith("/api/"):
            return self._send_json(404, {"error": f"no such endpoint: {path}"})
        return self._send_html(404, _message_page("Not found", f"Nothing at {path}."))

    def _handle(self, handler: Callable[..., None], kwargs: dict, api: bool) -> None:
        try:
            handler(**kwargs)
        except ApiError as error:
            if api:
                self._send_json(error.status, {"error": error.message, **error.extra})
            else:
                self._send_html(error.status, _message_page(HTTPStatus(error.status).phrase, error.message))
        except Exception as error:  # keep serving; say what broke
            logger.exception("viewer request %s failed", self.path)
            if api:
                self._send_json(500, {"error": f"internal error: {type(error).__name__}: {error}"})
            else:
                self._send_html(500, _message_page("Internal error", f"{type(error).__name__}: {error}"))

    # -- responses
    def _send(self, status: int, body: bytes, content_type: str, extra_headers: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for key, value in (extra_headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(json_value(payload), allow_nan=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _send_html(self, status: int, text: str) -> None:
        self._send(status, text.encode(), CONTENT_TYPES[".html"], {"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is too large (then the connection is closed after the reply)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_json(self) -> dict:
        raw = self._body
        if raw is None:
            raise ApiError(413, "request body too large")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise ApiError(400, f"request body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        return body

    # -- pages
    def page_index(self) -> None:
        try:
            dashboards, problem = self.app.list_dashboards(), ""
        except ApiError as error:
            dashboards, problem = [], error.message
        self._send_html(200, _index_page(dashboards, problem))

    def page_dashboard(self, dashboard_id: str) -> None:
        self.app.dashboard(dashboard_id, fresh=False)  # 404 page for unknown dashboards; the page's summary describes
        self._send_html(200, (STATIC_DIR / "dashboard.html").read_text(encoding="utf-8"))

    def thumbnail_svg(self, dashboard_id: str) -> None:
        self._send(200, self.app.thumbnail(dashboard_id).encode(), CONTENT_TYPES[".svg"])

    def static_file(self, name: str) -> None:
        path = (STATIC_DIR / name).resolve()
        if path.parent != STATIC_DIR.resolve() or not path.is_file() or path.suffix not in CONTENT_TYPES:
            raise ApiError(404, f"no static file {name!r}")
        self._send(200, path.read_bytes(), CONTENT_TYPES[path.suffix])

    def favicon(self) -> None:
        self._send(200, (STATIC_DIR / "favicon.svg").read_bytes(), CONTENT_TYPES[".svg"])

    # -- API
    def api_healthz(self) -> None:
        self._send_json(200, self.app.healthz())

    def api_dashboards(self) -> None:
        self._send_json(200, {"dashboards": self.app.list_dashboards()})

    def api_dashboard(self, dashboard_id: str) -> None:
        self._send_json(200, self.app.summary(dashboard_id))

    def api_visual(self, dashboard_id: str, visual_id: str) -> None:
        body = self._read_json()
        try:
            self._send_json(200, self.app.visual_data(dashboard_id, visual_id, body))
        except ApiError as error:
            if not body.get("inline_errors"):
                raise
            self._send_inline_error(error)

    def api_control_values(self, dashboard_id: str, control_id: str) -> None:
        try:
            self._send_json(200, self.app.control_values(dashboard_id, control_id))
        except ApiError as error:
            if "inline_errors" not in parse_qs(urlsplit(self.path).query):
                raise
            self._send_inline_error(error)

    def _send_inline_error(self, error: ApiError) -> None:
        # the page asks for errors in a 200 answer: a 4xx/5xx would also be logged as a browser console error
        self._send_json(200, {"error": error.message, "error_status": error.status, **error.extra})


def _message_page(title: str, message: str) -> str:
    return _html_page(
        title,
        f'<main class="page"><h1>{html.escape(title)}</h1><p class="message">{html.escape(message)}</p>'
        '<p><a href="/">All dashboards</a></p></main>',
    )


def _index_page(dashboards: list[dict], problem: str) -> str:
    if problem:
        body = f'<p class="message error">{html.escape(problem)}</p>'
    elif not dashboards:
        body = '<p class="message">No dashboards yet: deploy one to the QuickSight store first.</p>'
    else:
        items = "".join(
            f'<li><a href="{html.escape(d["url"])}">{html.escape(d["name"])}</a>'
            f' <span class="muted">{html.escape(d["dashboard_id"])}</span>'
            f'<a href="{html.escape(d["url"])}"><img class="thumb" src="{html.escape(d["url"])}/thumbnail.svg" alt="" loading="lazy"></a></li>'
            for d in dashboards
        )
        body = f'<ul class="dashboard-list">{items}</ul>'
    return _html_page("Dashboards", f'<main class="page"><h1>Dashboards</h1>{body}</main>')


def _html_page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · qs-platform</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/viewer.css"></head>'
        f'<body><header class="topbar"><a class="brand" href="/">qs-platform · dashboards</a></header>{body}</body></html>'
    )


# ---- public API -------------------------------------------------------------------------------------------


def make_viewer_server(
    *, quicksight_client: Any, account_id: str, catalog_path: str | Path, host: str = "127.0.0.1", port: int = 8050
) -> ThreadingHTTPServer:
    """A ready (not yet serving) HTTP server; port 0 picks a free port (see `server.server_address`)."""
    server = ThreadingHTTPServer((host, port), ViewerRequestHandler)
    server.daemon_threads = True
    server.app = ViewerApp(quicksight_client, account_id, catalog_path)  # type: ignore[attr-defined]
    return server


def serve(
    *, quicksight_client: Any, account_id: str, catalog_path: str | Path, host: str = "127.0.0.1", port: int = 8050
) -> None:
    """Serve until interrupted; prints the URL."""
    server = make_viewer_server(
        quicksight_client=quicksight_client, account_id=account_id, catalog_path=catalog_path, host=host, port=port
    )
    bound_host, bound_port = server.server_address[:2]
    print(f"QuickSight dashboard viewer: http://{bound_host}:{bound_port}/  (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:  # pragma: no cover - convenience entry point: python -m qs_platform.local.viewer.server
    from qs_platform.config.settings import Settings
    from qs_platform.local.quicksight import local_quicksight_client

    settings = Settings.from_env()
    client = local_quicksight_client(
        settings.quicksight_store, region=settings.aws_region, account_id=settings.aws_account_id
    )
    serve(
        quicksight_client=client,
        account_id=settings.aws_account_id,
        catalog_path=settings.catalog_path,
        host=settings.viewer_host,
        port=settings.viewer_port,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
