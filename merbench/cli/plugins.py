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

        from merbench.contracts.cards import Card
        from merbench.specs import thaw

        click.echo(json.dumps([{"kind": s.kind, "name": s.name, "plugin": s.plugin, "distribution": s.distribution,
                                "summary": s.summary, "card": s.card.as_dict() if isinstance(s.card, Card) else thaw(s.card)}
                               for s in specs], indent=2, ensure_ascii=False))
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
    """Which plugins loaded, which failed and why (one line each), and which names were shadowed.

    A plugin fails when it cannot be imported, when a hook takes an argument its spec lacks, when a
    ``register_*`` function lacks ``@hookimpl``, when a hook name is not in ``merbench.hookspecs``, when
    a hook raises, or when a component it registers does not validate (a factory that is not an
    importable ``module:attr``, a card without its required fields). Failed plugins are left out;
    everything else works.
    """
    from rich.markup import escape

    from merbench.plugins import get_registry

    registry = get_registry()
    console = Console()
    table = Table(title="plugins")
    for column in ("plugin", "distribution", "status"):
        table.add_column(column, overflow="fold")
    for p in registry.plugins:
        table.add_row(escape(p.name), escape(p.distribution), "[green]loaded[/] (built-in)" if p.builtin else "[green]loaded[/]")
    for f in registry.failures:
        table.add_row(escape(f.plugin), escape(f.distribution), "[red]failed[/] (see below)")
    console.print(table)
    for f in registry.failures:  # one unwrapped line each, so it can be read and grepped whole
        console.print(f"[red]failed[/]: {escape(f.line())}", soft_wrap=True)
    for line in registry.shadowed:
        console.print(f"[yellow]shadowed[/]: {escape(line)}", soft_wrap=True)
    if not registry.failures and not registry.shadowed:
        console.print("[green]All plugins loaded.[/]")
