"""How much of real exported QuickSight Definitions the local viewer renders (issue 14): a measurement, not a test.

For each Definition (default: the Cloud Intelligence Dashboards' exported definitions, read from the mirror of
their public repository when it is on disk, and the logistics seed template): its datasets' columns are inferred
from the Definition itself (`infer_definition_columns`), a DuckDB catalog gets 50 synthetic rows per table (strings
from the literals the Definition compares the column with plus a few others, numbers, dates over the last year),
the datasets and the dashboard are deployed through the local QuickSight backend, and a viewer on a free port is
asked for the page and for every visual of every sheet (and every control's values), as the page does. Each visual
is classed: rendered with rows / rendered but empty / unsupported (the viewer names what) / error (its message).

    .venv/bin/python -m benchmarks.render_coverage [PATH ...]

Prints a table per dashboard and the total; writes benchmarks/render_coverage.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import duckdb
import yaml

from qs_platform.local.viewer import make_viewer_server
from qs_platform.local.viewer.datasets import unique_ignoring_case
from qs_platform.quicksight.definition.columns import infer_definition_columns
from qs_platform_tests.local.viewer.conftest import ACCOUNT, DATASOURCE_ARN, REGION, catalog_quicksight

ROWS = 50
RESULTS = Path(__file__).with_name("render_coverage.json")  # --without-filters: render_coverage_without_filters.json
WORKSPACE = Path(__file__).resolve().parents[2]  # beside the checkout: ../shared and the fetched repositories
CID_MIRROR = Path(
    os.environ.get(
        "QS_CID_REPO", WORKSPACE / ".mirror/aws-solutions-library-samples+cloud-intelligence-dashboards-framework/repo"
    )
)  # a bare clone of github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-framework
LOGISTICS = WORKSPACE / "shared/data/seeds/logistics/quicksight/dashboard_definition_template.json"
DUCKDB_TYPES = {"STRING": "VARCHAR", "DECIMAL": "DOUBLE", "INTEGER": "BIGINT", "DATETIME": "TIMESTAMP"}
CLASSES = ("data", "empty", "unsupported", "error")


def default_sources() -> list[tuple[str, str]]:
    """(name, text) of each default Definition: the CID definitions in the mirror (if present) and the seed."""
    sources = []
    if CID_MIRROR.is_dir():
        listing = subprocess.run(
            ["git", "-C", str(CID_MIRROR), "ls-tree", "-r", "--name-only", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        for path in sorted(p for p in listing if re.match(r"dashboards/.*definition.*\.yaml$", p)):
            text = subprocess.run(
                ["git", "-C", str(CID_MIRROR), "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
            ).stdout
            sources.append((f"cid:{path}", text))
    if LOGISTICS.is_file():
        sources.append((f"logistics:{LOGISTICS.name}", LOGISTICS.read_text()))
    return sources


def read_definition(name: str, text: str) -> dict:
    """A bare Definition or a Describe…Definition answer (or a CID export with `dashboard:`), JSON or YAML."""
    data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    for key in ("dashboard", "Dashboard", "analysis"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    definition = data.get("Definition", data) if isinstance(data, dict) else None
    if not isinstance(definition, dict) or "DataSetIdentifierDeclarations" not in definition:
        raise ValueError(f"{name}: no Definition with DataSetIdentifierDeclarations")
    return definition


def table_name(identifier: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", identifier)


def synthetic_value(column: str, info: dict, i: int, today: dt.datetime):
    kind = info["type"]
    if kind == "DATETIME":
        return today - dt.timedelta(days=(i * 7) % 365, hours=i % 24)
    if kind in ("DECIMAL", "INTEGER"):
        return float((i * 37) % 101 + 1)
    pool = list(info["values"]) + [f"{column} {k}" for k in range(3)]
    return pool[i % len(pool)]


def parameter_filter_values(definition: dict) -> dict[tuple[str, str], list[str]]:
    """(dataset identifier, column) -> the default values of the parameters its category filters are bound to (a
    dashboard filtered on ${Top} = 'Top' shows rows only if some row holds 'Top')."""
    defaults = {}
    for wrapper in definition.get("ParameterDeclarations", []):
        for declaration in wrapper.values():
            statics = (declaration.get("DefaultValues") or {}).get("StaticValues") or []
            defaults[declaration.get("Name")] = [str(v) for v in statics]
    found: dict[tuple[str, str], list[str]] = {}
    for group in definition.get("FilterGroups", []):
        for wrapper in group.get("Filters", []):
            f = wrapper.get("CategoryFilter") or {}
            custom = (f.get("Configuration") or {}).get("CustomFilterConfiguration") or {}
            column = f.get("Column") or {}
            if custom.get("ParameterName") in defaults and column:
                key = (column["DataSetIdentifier"], column["ColumnName"])
                found.setdefault(key, []).extend(defaults[custom["ParameterName"]])
    return found


def add_parameter_values(tables: dict[str, dict[str, dict]], definition: dict) -> None:
    """Put the parameter defaults a column is filtered on among the strings its synthetic rows take."""
    for (identifier, column), values in parameter_filter_values(definition).items():
        info = tables.get(identifier, {}).get(column)
        if info and info["type"] == "STRING":
            info["values"] = list(dict.fromkeys([*values, *info["values"]]))


def physical_names(columns: dict[str, dict]) -> dict[str, str]:
    """Column -> its name in the DuckDB table: `Cost` beside `cost` is `Cost#2` there (DuckDB ignores case), and the
    dataset renames it back, as a QuickSight dataset over a lower-case Athena view does."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        names[column] = unique_ignoring_case(column, taken)
        taken.add(names[column].lower())
    return names


def build_catalog(path: Path, tables: dict[str, dict[str, dict]]) -> None:
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA processed")
        for identifier, columns in tables.items():
            if not columns:
                columns = {"id": {"type": "STRING", "values": []}}
            names = physical_names(columns)
            spec = ", ".join(f"{json.dumps(names[c])} {DUCKDB_TYPES[i['type']]}" for c, i in columns.items())
            con.execute(f'CREATE TABLE processed."{table_name(identifier)}" ({spec})')
            rows = [[synthetic_value(c, info, i, today) for c, info in columns.items()] for i in range(ROWS)]
            con.executemany(
                f'INSERT INTO processed."{table_name(identifier)}" VALUES ({", ".join("?" for _ in columns)})', rows
            )
    finally:
        con.close()


def deploy(store: Path, dashboard_id: str, name: str, definition: dict, tables: dict[str, dict[str, dict]]):
    client = catalog_quicksight(store)
    for declaration in definition["DataSetIdentifierDeclarations"]:
        identifier = declaration["Identifier"]
        dataset_id = table_name(identifier)
        declaration["DataSetArn"] = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{dataset_id}"
        columns = tables[identifier] or {"id": {"type": "STRING"}}
        names = physical_names(columns)
        renames = [
            {"RenameColumnOperation": {"ColumnName": names[c], "NewColumnName": c}} for c in columns if names[c] != c
        ]
        logical = {"l": {"Alias": identifier, "Source": {"PhysicalTableId": "t"}, "DataTransforms": renames}}
        client.create_data_set(
            AwsAccountId=ACCOUNT,
            DataSetId=dataset_id,
            Name=identifier,
            ImportMode="DIRECT_QUERY",
            PhysicalTableMap={
                "t": {
                    "RelationalTable": {
                        "DataSourceArn": DATASOURCE_ARN,
                        "Schema": "processed",
                        "Name": dataset_id,
                        "InputColumns": [{"Name": names[c], "Type": i["type"]} for c, i in columns.items()],
                    }
                }
            },
            **({"LogicalTableMap": logical} if renames else {}),
        )
    client.create_dashboard(AwsAccountId=ACCOUNT, DashboardId=dashboard_id, Name=name, Definition=definition)
    return client


def request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    return status, (json.loads(raw) if kind.startswith("application/json") else raw.decode(errors="replace"))


def classify(visual: dict, status: int, payload: object) -> tuple[str, str]:
    """(class, detail) of one visual's answer."""
    if not visual.get("supported", True):
        return "unsupported", f"visual type {visual['type']}: {visual.get('unsupported_reason', '')}"
    if status != 200 or not isinstance(payload, dict):
        return "error", f"HTTP {status}: {str(payload)[:300]}"
    if "error" in payload:
        message = str(payload["error"])
        return ("unsupported" if "not supported" in message else "error"), message
    if payload.get("type") == "InsightVisual":
        problems = payload.get("problems") or []
        if problems and not payload.get("narrative"):
            message = "; ".join(problems)
            return ("unsupported" if "not supported" in message else "error"), message
        return ("data" if payload.get("narrative") else "empty"), ""
    if payload.get("type") == "EmptyVisual":
        return "data", "an empty card (nothing to query)"
    return ("data" if payload.get("rows") else "empty"), ""


def error_class(message: str) -> str:
    """A message with its specifics (quoted names, numbers, SQL) dropped, to group like errors."""
    message = message.split("\n")[0]
    message = re.sub(r"LINE \d+:.*", "", message)
    message = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "…", message)
    message = re.sub(r"\d+", "N", message)
    return message[:160].strip()


def serve(name: str, definition: dict, workdir: Path):
    """(a running viewer over the Definition deployed on synthetic rows in `workdir`, the viewer's URL of its page)."""
    tables = infer_definition_columns(definition)
    add_parameter_values(tables, definition)
    catalog = workdir / "catalog.duckdb"
    build_catalog(catalog, tables)
    dashboard_id = "d-" + table_name(Path(name.split(":", 1)[-1]).stem)[:60]
    client = deploy(workdir / "quicksight.sqlite", dashboard_id, name, definition, tables)
    server = make_viewer_server(quicksight_client=client, account_id=ACCOUNT, catalog_path=catalog, port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/dashboards/{dashboard_id}"


def measure(name: str, definition: dict, workdir: Path) -> dict:
    server, page_url = serve(name, definition, workdir)
    base = page_url.replace("/dashboards/", "/api/dashboards/", 1)
    result: dict = {"name": name, "counts": dict.fromkeys(CLASSES, 0), "visuals": [], "page_failures": []}
    try:
        status, page = request(base)
        if status != 200 or not isinstance(page, dict):
            result["page_failures"].append(f"GET page: HTTP {status}: {str(page)[:300]}")
            return result
        controls = {"ok": 0, "failed": []}
        for sheet in page["sheets"]:
            for visual in sheet["visuals"]:
                if visual.get("supported", True):
                    status, payload = request(
                        f"{base}/visuals/{visual['visual_id']}",
                        "POST",
                        {"parameters": {}, "sheet_id": sheet["sheet_id"], "inline_errors": True},
                    )
                else:
                    status, payload = 200, {}
                kind, detail = classify(visual, status, payload)
                result["counts"][kind] += 1
                sql = payload.get("sql") if kind == "error" and isinstance(payload, dict) else None
                result["visuals"].append(
                    {"sheet": sheet["sheet_id"], "visual": visual["visual_id"], "type": visual["type"], "class": kind}
                    | ({"detail": detail} if detail else {})
                    | ({"sql": sql[:3000]} if sql else {})
                )
            for control in sheet.get("controls", []) + sheet.get("filter_controls", []):
                if control.get("kind") not in ("Dropdown", "List"):
                    continue
                status, payload = request(f"{base}/controls/{control['control_id']}/values")
                if status == 200:
                    controls["ok"] += 1
                else:
                    controls["failed"].append(f"{control['control_id']}: HTTP {status}: {str(payload)[:200]}")
        result["controls"] = controls
    finally:
        server.shutdown()
        server.server_close()
    return result


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="Definition files (JSON or YAML); default: CID mirror + logistics")
    parser.add_argument(
        "--without-filters",
        action="store_true",
        help="drop every filter group first: a visual empty only with its filters is the synthetic rows, not the viewer",
    )
    args = parser.parse_args()
    sources = [(str(p), Path(p).read_text()) for p in args.paths] if args.paths else default_sources()
    results = []
    for name, text in sources:
        with tempfile.TemporaryDirectory() as workdir:
            try:
                definition = read_definition(name, text)
                if args.without_filters:
                    definition.pop("FilterGroups", None)
                results.append(measure(name, definition, Path(workdir)))
            except Exception as error:  # a Definition that cannot be deployed is a page-level failure of its own
                results.append(
                    {
                        "name": name,
                        "counts": dict.fromkeys(CLASSES, 0),
                        "visuals": [],
                        "page_failures": [f"{type(error).__name__}: {error}"],
                    }
                )
        print(f"measured {name}", file=sys.stderr)
    totals = Counter()
    header = f"{'dashboard':58} {'visuals':>7} {'data':>6} {'empty':>6} {'unsup':>6} {'error':>6} {'page':>4} {'ctl fail':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        c, n = r["counts"], sum(r["counts"].values())
        totals.update(c)
        totals["page"] += len(r["page_failures"])
        failed_controls = len(r.get("controls", {}).get("failed", []))
        totals["controls_failed"] += failed_controls
        totals["controls_ok"] += r.get("controls", {}).get("ok", 0)
        print(
            f"{r['name'].split(':', 1)[-1][-58:]:58} {n:7} {percent(c['data'], n):>6} {percent(c['empty'], n):>6}"
            f" {percent(c['unsupported'], n):>6} {percent(c['error'], n):>6} {len(r['page_failures']):4}"
            f" {failed_controls:8}"
        )
    n = sum(totals[k] for k in CLASSES)
    print("-" * len(header))
    print(
        f"{'TOTAL':58} {n:7} {percent(totals['data'], n):>6} {percent(totals['empty'], n):>6}"
        f" {percent(totals['unsupported'], n):>6} {percent(totals['error'], n):>6} {totals['page']:4}"
        f" {totals['controls_failed']:8}"
    )
    groups: dict[str, Counter] = {"error": Counter(), "unsupported": Counter()}
    for r in results:
        for v in r["visuals"]:
            if v["class"] in groups:
                groups[v["class"]][error_class(v.get("detail", ""))] += 1
    for kind, counter in groups.items():
        print(f"\n{kind} classes:")
        for message, count in counter.most_common(25):
            print(f"  {count:4}  {message}")
    for r in results:
        for failure in r["page_failures"]:
            print(f"\npage-level failure in {r['name']}: {failure}")
    summary = {
        "visuals": n,
        **{k: totals[k] for k in CLASSES},
        **{f"{k}_percent": round(100 * totals[k] / n, 1) if n else None for k in CLASSES},
        "page_failures": totals["page"],
        "controls_ok": totals["controls_ok"],
        "controls_failed": totals["controls_failed"],
        "error_classes": groups["error"].most_common(),
        "unsupported_classes": groups["unsupported"].most_common(),
    }
    results_file = RESULTS.with_stem(RESULTS.stem + "_without_filters") if args.without_filters else RESULTS
    results_file.write_text(json.dumps({"summary": summary, "dashboards": results}, indent=1, default=str) + "\n")
    print(f"\nwrote {results_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
