"""`qs-platform pull`, `collect` and `standins`: the ways in that are not files dropped by someone else."""

from __future__ import annotations

import os
import secrets
import signal
import threading
from pathlib import Path

import typer

from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings, project_root
from qs_platform.runtime.instance import prepare_dagster_home

STANDIN_PORT = 8091
COLLECTOR_PORT = 8060
STANDIN_KEY_VARIABLE = "QS_CHARGEBEE_API_KEY"


def pick(available: list, names: list[str] | None, what: str) -> list:
    """The named ones of `available` (sources or tables; all of them when no names are given); exit 2 on others."""
    known = [item.name for item in available]
    unknown = [name for name in names or [] if name not in known]
    if unknown:
        typer.secho(f"not a {what}: {', '.join(unknown)}; known: {', '.join(known)}", fg="red", err=True)
        raise typer.Exit(2)
    return [item for item in available if not names or item.name in names]


def collecting_sources(config: ProjectConfig, names: list[str] | None = None):
    return pick([s for s in config.sources if s.collect], names, "collecting source (with a collect: block)")


def spool_root(settings: Settings) -> Path:
    """Where buffers wait on local disk: QS_COLLECTOR_SPOOL, else `_collector/` in a local lake, else the checkout."""
    configured = os.environ.get("QS_COLLECTOR_SPOOL")
    if configured:
        return Path(configured)
    return (
        settings.local_lake_root / "_collector"
        if settings.lake_is_local
        else project_root() / ".qs_platform" / "collector"
    )


def make_collector(
    settings: Settings,
    config: ProjectConfig,
    names: list[str] | None = None,
    host: str = "127.0.0.1",
    port: int = COLLECTOR_PORT,
    log=typer.echo,
):
    from qs_platform.collect.server import CollectorServer
    from qs_platform.collect.spool import Spool
    from qs_platform.lake import open_lake

    landing = open_lake(settings.landing_url)
    spools = {}
    for source in collecting_sources(config, names):
        spools[source.name] = (
            source,
            Spool(spool_root(settings) / source.name, landing, source.landing_prefix, source.collect, log=log),
        )
    return CollectorServer(spools, host=host, port=port)


def start_standins(port: int = STANDIN_PORT):
    """The stand-in APIs for `make dev`: a key of their own in QS_CHARGEBEE_API_KEY (made up when unset)."""
    from qs_platform.local.standins.apis import start_standins as start
    from qs_platform.local.standins.server import Faults

    key = os.environ.setdefault(STANDIN_KEY_VARIABLE, "standin-" + secrets.token_hex(8))
    server = start(port=port, api_key=key, faults=Faults(rate_limit_every=7, retry_after=1))
    os.environ.setdefault("QS_CHARGEBEE_URL", server.url)
    os.environ.setdefault("QS_RATES_URL", server.url)
    return server


def wait_for_signal() -> None:
    stop = threading.Event()
    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, lambda *_: stop.set())
    stop.wait()


def register(app: typer.Typer, settings_of, config_of) -> None:
    @app.command()
    def pull(sources: list[str] = typer.Argument(None, help="Pull sources (default: every one)")) -> None:
        """Pull now: one run of each pull source's landing asset (what its schedule does); exit 1 if one failed."""
        import dagster as dg

        from qs_platform.cli.sync import Syncer
        from qs_platform.orchestration.raw import landing_asset_key
        from qs_platform.project import build_definitions

        settings = settings_of()
        config = config_of(settings)
        pulled = pick([s for s in config.sources if s.pull], sources, "pull source")
        prepare_dagster_home(settings)
        defs = build_definitions(settings, config)
        with dg.DagsterInstance.get() as instance:
            syncer = Syncer(defs, instance, echo=typer.echo)
            syncer.recover()  # a pull killed mid-run still holds its pool slot: mark it dead first
            syncer.run_pulls([landing_asset_key(s) for s in pulled])
        for line in syncer.report.failed_runs:
            typer.secho(f"FAILED: {line}", fg="red", err=True)
        raise typer.Exit(1 if syncer.report.failed_runs else 0)

    @app.command()
    def collect(
        sources: list[str] = typer.Argument(
            None, help="Collecting sources (default: every source with a collect: block)"
        ),
        host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
        port: int = typer.Option(COLLECTOR_PORT, help="Port"),
    ) -> None:
        """Accept JSON events over HTTP (POST /events/<source>), buffer them on disk, land them by size and time."""
        settings = settings_of()
        server = make_collector(settings, config_of(settings), sources, host, port).start()
        typer.secho(
            f"Event collector:   {server.url}/events/<source> ({', '.join(server.spools)}); Ctrl-C flushes and stops",
            fg="green",
            bold=True,
        )
        wait_for_signal()
        server.stop()
        typer.echo("collector stopped; every buffer flushed into landing")

    @app.command()
    def standins(port: int = typer.Option(STANDIN_PORT, help="Port on 127.0.0.1")) -> None:
        """Serve the local stand-ins of the pulled APIs (Chargebee subscriptions, exchange rates) until Ctrl-C."""
        server = start_standins(port)
        typer.secho(
            f"Stand-in APIs:     {server.url} (key in ${STANDIN_KEY_VARIABLE} of this process; export it for pulls)",
            fg="green",
            bold=True,
        )
        wait_for_signal()
        server.stop()
