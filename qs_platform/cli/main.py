"""The `qs-platform` command."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import typer

from qs_platform.cli import services
from qs_platform.config.loader import ConfigError, load_config
from qs_platform.config.settings import Settings, project_root
from qs_platform.runtime.instance import prepare_dagster_home

warnings.filterwarnings("ignore", module="dagster")  # beta/preview notices are for us, not for users
warnings.filterwarnings("ignore", message=".*is currently in (beta|preview)")
app = typer.Typer(
    help="qs-platform: from a file landing in a lake to a current QuickSight dashboard.", no_args_is_help=True
)
dashboards_app = typer.Typer(
    help="Dashboards stored in QuickSight (the local backend by default).", no_args_is_help=True
)
app.add_typer(dashboards_app, name="dashboards")

SEED_MARKER = "_seeded"


def _settings() -> Settings:
    return Settings.from_env()


def _config(settings: Settings):
    try:
        return load_config(settings.config_dir)
    except ConfigError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from error


def _quicksight_client(settings: Settings):
    from qs_platform.orchestration.resources import resources_for

    return resources_for(settings)["quicksight"].client()


@app.command()
def validate() -> None:
    """Check every file under the config folder (exit 2 with file/key/expectation for each problem), then every
    dashboard's Definition against the column types of its datasets and the SQL of `engine: athena` tables (exit 1
    naming sheet, visual and field, or the construct Athena would run differently)."""
    settings = _settings()
    config = _config(settings)
    from qs_platform.project import build_definitions
    from qs_platform.quicksight.definition import check_dashboards

    build_definitions(settings, config)
    typer.echo(
        f"{settings.config_dir}: OK — {len(config.sources)} sources, {len(config.tables)} tables, "
        f"{len(config.datasets)} datasets, {len(config.dashboards)} dashboards"
    )
    from qs_platform.transform.athena import portability_problems

    failed = False
    for problem in portability_problems(config):  # engine: athena tables whose SQL Athena would run differently
        failed = True
        typer.secho(f"engine athena: {problem}", fg="red", err=True)
    for check in check_dashboards(config):  # compiled against the column types of the config, no API call
        if check.problems:
            failed = True
            typer.secho(f"dashboard {check.dashboard_id}: {len(check.problems)} problems", fg="red", err=True)
            for problem in check.problems:
                typer.secho(f"  {problem}", fg="red", err=True)
        else:
            typer.echo(f"dashboard {check.dashboard_id}: OK — {check.sheets} sheets, {check.visuals} visuals")
        for line in check.pruned.lines():
            typer.echo(f"  {line}")
    if failed:
        raise typer.Exit(1)


@app.command()
def sync(
    schedules: bool = typer.Option(
        False, "--schedules", help="Also run the schedules that are due (pulls, rebuilds), as the daemon would"
    ),
) -> None:
    """Run everything pending once, without a daemon; exit 1 if any run failed."""
    import dagster as dg

    from qs_platform.cli.sync import Syncer
    from qs_platform.project import build_definitions

    settings = _settings()
    config = _config(settings)
    prepare_dagster_home(settings)
    defs = build_definitions(settings, config)
    typer.echo(f"lake {settings.lake_url} · catalog {settings.catalog_location} · DAGSTER_HOME {settings.dagster_home}")
    with dg.DagsterInstance.get() as instance:
        report = Syncer(defs, instance, echo=typer.echo, schedules=schedules).sync()
    _print_report(report)


@app.command()
def rebuild(
    tables: list[str] = typer.Argument(None, help="Processed table names (default: every processed table)."),
) -> None:
    """Recompute processed tables whole (every partition), then everything downstream; exit 1 if any run failed."""
    import dagster as dg

    from qs_platform.cli.sync import Syncer
    from qs_platform.project import build_definitions

    settings = _settings()
    config = _config(settings)
    chosen = services.pick(config.tables, tables, "processed table")
    prepare_dagster_home(settings)
    defs = build_definitions(settings, config)
    with dg.DagsterInstance.get() as instance:
        syncer = Syncer(defs, instance, echo=typer.echo)
        syncer.rebuild(chosen)
        report = syncer.sync()
    _print_report(report)


def _print_report(report) -> None:
    typer.echo(
        f"{len(report.materialized)} materializations, {len(report.failed_runs)} failed runs, {len(report.quarantined)} files quarantined"
    )
    for line in report.recovered:
        typer.secho(f"recovered: {line}", fg="yellow")
    for line in report.quarantined:
        typer.secho(f"quarantined: {line}", fg="yellow")
    for line in report.failed_checks:
        typer.secho(f"check failed: {line}", fg="red" if "(blocking)" in line else "yellow")
    for line in report.failed_runs:
        typer.secho(f"FAILED: {line}", fg="red", err=True)
    for line in report.pending:
        typer.secho(f"NOT DONE: {line}", fg="red", err=True)
    if report.up_to_date:
        typer.echo("nothing to do: everything is up to date")
    elif report.ok:
        typer.echo("done: every landed file is processed or quarantined, every table, dataset and dashboard is current")
    raise typer.Exit(0 if report.ok else 1)


def seed_sources() -> Path:
    """Example data shipped with the checkout, mirrored into the landing zone by `seed`."""
    return project_root() / "examples" / "landing"


@app.command()
def seed(
    force: bool = typer.Option(False, help="Copy the example files again even if the lake was seeded before."),
    pulled: bool = typer.Option(
        True, "--pulled/--no-pulled", help="Also land the generated files of pull sources (offline demos)"
    ),
) -> None:
    """Copy the example data into the landing zone and land a few generated days (only on a lake's first run)."""
    settings = _settings()
    if not settings.lake_is_local:
        typer.secho("seed only writes to a local lake; use `qs-platform upload` for S3", fg="red", err=True)
        raise typer.Exit(2)
    lake = settings.local_lake_root
    marker = lake / SEED_MARKER
    if marker.exists() and not force:
        typer.echo(f"{lake} was seeded before ({marker}); nothing copied")
        return
    copied = 0
    for path in sorted(seed_sources().rglob("*")):
        if path.is_file():
            target = lake / "landing" / path.relative_to(seed_sources())
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied += 1
            typer.echo(f"seeded {target}")
    typer.echo(f"{copied} example files copied into {lake / 'landing'}")
    demo(days=3, seed=0, pulled=pulled)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("example data copied into landing/\n")


@app.command()
def demo(
    days: int = typer.Option(3, help="Days of franchise sales to land"),
    seed: int = typer.Option(0, help="Random seed"),
    pulled: bool = typer.Option(
        True,
        "--pulled/--no-pulled",
        help="Also the pull sources' files (subscriptions, exchange rates), as their API would deliver them",
    ),
) -> None:
    """Land generated deliveries (sales, subscriptions, exchange rates, clickstream) into a local lake's landing zone."""
    import tempfile

    from qs_platform.examples.generators import write_demo_landing

    settings = _settings()
    if not settings.lake_is_local:
        typer.secho("demo writes to a local lake only", fg="red", err=True)
        raise typer.Exit(2)
    landing = settings.local_lake_root / "landing"
    if pulled:
        keys = write_demo_landing(landing, days=days, seed=seed)
    else:  # the pull sources get theirs from their (stand-in) API
        skipped = tuple(s.landing_prefix.removeprefix("landing/") for s in _config(settings).sources if s.pull)
        with tempfile.TemporaryDirectory() as folder:
            keys = [k for k in write_demo_landing(folder, days=days, seed=seed) if not k.startswith(skipped)]
            for key in keys:
                (landing / key).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(folder) / key, landing / key)
    typer.echo(f"{len(keys)} generated files landed in {landing}")


@app.command()
def dev(
    port: int = typer.Option(3000, help="Dagster UI port"),
    catch_up: bool = typer.Option(True, help="Process what already landed once (like `sync`) before the daemon starts"),
) -> None:
    """Seed example data on first run, start the stand-in APIs, the event collector, the dashboard viewer and the
    Dagster UI (with its daemon, which runs the schedules)."""
    settings = _settings()
    config = _config(settings)
    prepare_dagster_home(settings)
    standins = services.start_standins() if any(s.pull for s in config.sources) else None
    collector = services.make_collector(settings, config).start() if any(s.collect for s in config.sources) else None
    seed(force=False, pulled=standins is None)  # pull sources get their records from the stand-ins
    if catch_up:
        # In-process runs are much faster than the daemon's one-process-per-run queue for a first backlog, so the
        # dashboards have real numbers when the UI opens; the daemon then skips these files (same run keys).
        typer.echo("processing what already landed, with the pulls that are due (qs-platform sync --schedules) ...")
        try:
            sync(schedules=True)
        except typer.Exit as done:
            if done.exit_code:
                typer.secho("some runs failed: see above and the Dagster UI", fg="yellow")
    server = _viewer_server(settings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    typer.secho(f"Dagster UI:        http://127.0.0.1:{port}", fg="green", bold=True)
    typer.secho(f"Dashboard viewer:  {settings.viewer_url}", fg="green", bold=True)
    if standins:
        typer.secho(
            f"Stand-in APIs:     {standins.url} (Chargebee subscriptions, exchange rates; pulled by their schedules)",
            fg="green",
            bold=True,
        )
    if collector:
        typer.secho(
            f"Event collector:   {collector.url}/events/<source> ({', '.join(collector.spools)})", fg="green", bold=True
        )
    typer.echo(f"Drop CSV files into {settings.local_lake_root / 'landing'} and watch them flow. Ctrl-C stops.")
    command = [str(Path(sys.executable).parent / "dg"), "dev", "--port", str(port)]  # [tool.dg] in pyproject.toml
    process = subprocess.Popen(command, cwd=project_root())
    try:
        process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        server.shutdown()
        if collector:
            collector.stop()  # flushes every buffer into landing
        if standins:
            standins.stop()


def _viewer_server(settings: Settings):
    from qs_platform.local.viewer.server import make_viewer_server

    return make_viewer_server(
        quicksight_client=_quicksight_client(settings),
        account_id=settings.aws_account_id,
        catalog_path=settings.catalog_path,
        host=settings.viewer_host,
        port=settings.viewer_port,
    )


@app.command()
def upload(
    path: Path = typer.Argument(..., help="A file or a folder to land"),
    source: str = typer.Option(..., "--source", help="The source whose landing prefix receives the files"),
) -> None:
    """Upload files into a source's landing zone (local or s3://), skipping those already there unchanged."""
    from qs_platform.ingest.upload import upload as upload_files
    from qs_platform.lake import open_lake

    settings = _settings()
    config = _config(settings)
    if source not in {s.name for s in config.sources}:
        typer.secho(
            f"unknown source {source!r}; declared: {sorted(s.name for s in config.sources)}", fg="red", err=True
        )
        raise typer.Exit(2)
    try:
        report = upload_files(open_lake(settings.landing_url), config.source(source), path)
    except FileNotFoundError as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"{len(report.uploaded)} uploaded, {len(report.skipped)} already there unchanged → {settings.landing_url}"
    )


@dashboards_app.command("list")
def dashboards_list() -> None:
    """List stored dashboards with their published version."""
    settings = _settings()
    client = _quicksight_client(settings)
    summaries = client.list_dashboards(AwsAccountId=settings.aws_account_id).get("DashboardSummaryList", [])
    if not summaries:
        typer.echo("no dashboards yet: run `qs-platform sync`")
    for summary in summaries:
        typer.echo(
            f"{summary['DashboardId']}\t{summary.get('Name', '')}\tversion {summary.get('PublishedVersionNumber', '?')}"
        )


@dashboards_app.command("export")
def dashboards_export(dashboard_id: str) -> None:
    """Print the stored Definition of a dashboard as JSON."""
    settings = _settings()
    client = _quicksight_client(settings)
    try:
        described = client.describe_dashboard_definition(AwsAccountId=settings.aws_account_id, DashboardId=dashboard_id)
    except client.exceptions.ResourceNotFoundException as error:
        typer.secho(f"dashboard {dashboard_id!r} not found: {error.response['Error']['Message']}", fg="red", err=True)
        raise typer.Exit(1) from error
    typer.echo(json.dumps(described["Definition"], indent=2, default=str))


@dashboards_app.command("serve")
def dashboards_serve() -> None:
    """Serve the local dashboard viewer (offline) until Ctrl-C."""
    settings = _settings()
    server = _viewer_server(settings)
    typer.secho(f"Dashboard viewer: {settings.viewer_url}", fg="green", bold=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.shutdown()


services.register(app, _settings, _config)
app.command("iam-policy")(__import__("qs_platform.cli.iam", fromlist=["iam_policy"]).iam_policy)
app.command("status")(__import__("qs_platform.cli.status", fromlist=["status_command"]).status_command)


if __name__ == "__main__":
    app()
