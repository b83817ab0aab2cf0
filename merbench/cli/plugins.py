"""``merbench plugins list | doctor``."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from merbench.specs import KINDS


@click.group()
def plugins() -> None:
    """Installed plugins and the components they register."""


@plugins.command("list")
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="Only components of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_components(kind: str | None, as_json: bool) -> None:
    """Every registered component with the plugin and distribution that provide it."""
    from merbench.plugins import get_registry

    registry = get_registry()
    specs = registry.all(kind)
    if as_json:
        import json

        click.echo(json.dumps([{"kind": s.kind, "name": s.name, "plugin": s.plugin, "distribution": s.distribution,
                                "summary": s.summary} for s in specs], indent=2))
        return
    table = Table(title=f"merbench components ({len(specs)})")
    for column in ("kind", "name", "distribution", "summary"):
        table.add_column(column, overflow="fold")
    for s in specs:
        table.add_row(s.kind, s.name, s.distribution, s.summary)
    console = Console()
    console.print(table)
    if registry.failures:
        console.print(f"[yellow]{len(registry.failures)} plugin(s) failed to load: run `merbench plugins doctor`.[/]")


@plugins.command()
def doctor() -> None:
    """Which plugins loaded, which failed and why, and which names were shadowed."""
    from merbench.plugins import get_registry

    registry = get_registry()
    console = Console()
    table = Table(title="plugins")
    for column in ("plugin", "distribution", "status"):
        table.add_column(column, overflow="fold")
    for p in registry.plugins:
        table.add_row(p.name, p.distribution, "[green]loaded[/] (built-in)" if p.builtin else "[green]loaded[/]")
    for f in registry.failures:
        table.add_row(f.plugin, f.distribution, f"[red]failed[/]: {f.error}")
    console.print(table)
    for line in registry.shadowed:
        console.print(f"[yellow]shadowed[/]: {line}")
    if not registry.failures and not registry.shadowed:
        console.print("[green]All plugins loaded.[/]")
