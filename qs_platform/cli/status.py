"""`qs-platform status`: the ledger's balance per source and the state of every automated asset, no run launched.

Exit status 0 when everything is accounted for (every landed file loaded, expanded or quarantined at the content
it has now, every file's rows adding up, every automated asset current or waiting for input), 1 otherwise.
"""

from __future__ import annotations

import dagster as dg
import typer

from qs_platform.runtime.instance import prepare_dagster_home
from qs_platform.runtime.status import AssetState, SourceBalance, automated_asset_states, source_balance


def balance_line(b: SourceBalance) -> str:
    pending = f", {len(b.pending)} PENDING (oldest {b.pending[0][0]}, {b.pending[0][1]:.0f} s)" if b.pending else ""
    listed = "" if b.listed else " (events: landing not listed)"
    return (
        f"{b.source}: {b.landed} landed = {b.loaded} loaded + {b.expanded} archives + {b.quarantined} quarantined{pending}{listed}; "
        f"rows {b.input_rows} = {b.loaded_rows} loaded + {b.rejected_rows} rejected"
        + (f"; {b.removed} no longer in landing (rows kept)" if b.removed else "")
        + (f"; ROWS DO NOT ADD UP in {b.unreconciled[:5]}" if b.unreconciled else "")
    )


def status_command() -> None:
    """Print what became of every landed file, per source, and whether every table, dataset and dashboard is current;
    exit 1 when anything is pending, unaccounted or stuck."""
    from qs_platform.cli.main import _config, _settings
    from qs_platform.orchestration.resources import resources_for
    from qs_platform.project import build_definitions

    settings = _settings()
    config = _config(settings)
    prepare_dagster_home(settings)
    resources = resources_for(settings)
    store, lake = resources["landing"].get(), resources["lake"].get()
    balances = [source_balance(store, lake, source) for source in config.sources]
    with dg.DagsterInstance.get() as instance:
        assets = automated_asset_states(build_definitions(settings, config), instance)
    for balance in balances:
        typer.secho(balance_line(balance), fg=None if balance.balanced else "red")
    counts: dict[str, list[AssetState]] = {}
    for asset in assets:
        counts.setdefault(asset.state, []).append(asset)
    typer.echo("assets: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(counts.items())))
    for asset in assets:
        if asset.is_work_left:
            typer.secho(f"  {asset.key}: {asset.state} ({asset.detail})", fg="red")
    unaccounted = any(not b.balanced for b in balances) or any(a.is_work_left for a in assets)
    typer.echo("unaccounted for: see above" if unaccounted else "everything is accounted for")
    raise typer.Exit(1 if unaccounted else 0)
